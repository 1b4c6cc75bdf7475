import type { ResourceValidationPolicy } from "@pulumi/policy";
import { accessPolicyName } from "../lib/eks";
import { OPERATOR_NAMESPACE_SCHEMA } from "../lib/kubernetes";
import { forVigilTypes, strings } from "../lib/policy";
import { describe } from "../lib/resources";

interface AccessConfig {
    readonly operatorNamespace: string;
    readonly clusterWidePolicies: readonly string[];
    readonly namespacePolicies: readonly string[];
}

const CLUSTER_ADMIN = "AmazonEKSClusterAdminPolicy";

export const eksOperatorAccessScoped: ResourceValidationPolicy = {
    name: "vigil-eks-operator-access-scoped",
    description:
        "The access the customer grants the operator is scoped: read-only across the cluster, edit or admin only in the operator's namespace, and never AmazonEKSClusterAdminPolicy.",
    enforcementLevel: "mandatory",
    severity: "critical",
    tags: ["cis-eks:4.1.1", "cis-eks:4.1.8"],
    configSchema: {
        properties: {
            ...OPERATOR_NAMESPACE_SCHEMA,
            clusterWidePolicies: {
                type: "array",
                items: { type: "string" },
                default: ["AmazonEKSViewPolicy"],
                description: "EKS access policies the operator may hold across the whole cluster.",
            },
            namespacePolicies: {
                type: "array",
                items: { type: "string" },
                default: ["AmazonEKSViewPolicy", "AmazonEKSEditPolicy", "AmazonEKSAdminPolicy"],
                description: "EKS access policies the operator may hold in its own namespace.",
            },
        },
    },
    remediationSteps: "Associate AmazonEKSViewPolicy cluster-wide and AmazonEKSEditPolicy or AmazonEKSAdminPolicy with accessScope { type: namespace, namespaces: [<operator namespace>] } (CustomerAccess does).",
    validateResource: forVigilTypes(["aws:eks/accessPolicyAssociation:AccessPolicyAssociation"], (props, args, report) => {
        const config = args.getConfig<AccessConfig>();
        const what = describe(args);
        const policy = accessPolicyName(String(props.policyArn ?? ""));
        const scope = props.accessScope ?? {};
        if (policy === CLUSTER_ADMIN) {
            report(`The access policy association ${what} grants ${CLUSTER_ADMIN}; the operator must never hold cluster admin. Grant ${config.clusterWidePolicies.join(" or ")} cluster-wide and edit or admin only in ${config.operatorNamespace}.`);
            return;
        }
        if (scope.type === "cluster") {
            if (!config.clusterWidePolicies.includes(policy)) {
                report(`The access policy association ${what} grants ${policy} across the whole cluster; cluster-wide the operator may hold only ${config.clusterWidePolicies.join(", ")}. Scope it to the namespace ${config.operatorNamespace}.`);
            }
            return;
        }
        if (scope.type !== "namespace") {
            report(`The access policy association ${what} has access scope type ${JSON.stringify(scope.type)}; it must be cluster or namespace.`);
            return;
        }
        const namespaces = strings(scope.namespaces);
        const foreign = namespaces.filter((n) => n !== config.operatorNamespace);
        if (namespaces.length === 0 || foreign.length > 0) {
            report(`The access policy association ${what} must be scoped to the operator's namespace ${config.operatorNamespace} only; it names ${namespaces.length === 0 ? "no namespace" : foreign.join(", ")}.`);
        }
        if (!config.namespacePolicies.includes(policy)) {
            report(`The access policy association ${what} grants ${policy}; in its namespace the operator may hold only ${config.namespacePolicies.join(", ")}.`);
        }
    }),
};

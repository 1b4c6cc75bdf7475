import type { ResourceValidationPolicy } from "@pulumi/policy";
import { CLUSTER_SCOPED_KINDS, HELM_CHART_V4, HELM_RELEASE, isKubernetesObject, kindOf, OPERATOR_NAMESPACE_SCHEMA } from "../lib/kubernetes";
import { describe, requireVigil } from "../lib/resources";

interface NamespaceConfig {
    readonly operatorNamespace: string;
}

// Cluster-scoped kinds Vigil needs: its namespace and the RBAC of its collectors (vigil-kubernetes-rbac-read-only judges the rules).
const ALLOWED_CLUSTER_SCOPED = ["Namespace", "ClusterRole", "ClusterRoleBinding"];

export const kubernetesOperatorNamespace: ResourceValidationPolicy = {
    name: "vigil-kubernetes-operator-namespace",
    description:
        "Everything Vigil runs in a cluster lives in the operator's namespace (vigil-monitoring by default), never in default or kube-system, and Vigil creates no cluster-scoped objects beyond that namespace and its collectors' ClusterRoles and bindings.",
    enforcementLevel: "mandatory",
    severity: "high",
    tags: ["cis-eks:4.5.1", "cis-eks:4.5.2", "checkov:CKV_K8S_21"],
    configSchema: { properties: { ...OPERATOR_NAMESPACE_SCHEMA } },
    remediationSteps: "Set metadata.namespace (or the Helm release's namespace) to the operator namespace; keep operatorNamespace equal to the stack's vigil:namespace.",
    validateResource: (args, report) => {
        const isHelm = args.type === HELM_RELEASE || args.type === HELM_CHART_V4;
        if (!isHelm && !isKubernetesObject(args.type)) {
            args.notApplicable("applies to Kubernetes objects and Helm releases");
        }
        requireVigil(args);
        const { operatorNamespace } = args.getConfig<NamespaceConfig>();
        const what = describe(args);
        if (isHelm) {
            if (args.props.namespace !== operatorNamespace) {
                report(`The Helm release ${what} installs into ${args.props.namespace === undefined ? "the provider's default namespace" : JSON.stringify(args.props.namespace)}; set namespace to the operator namespace ${operatorNamespace}.`);
            }
            return;
        }
        const kind = kindOf(args.type);
        const metadata = args.props.metadata ?? {};
        if (kind === "Namespace") {
            if (metadata.name !== operatorNamespace) {
                report(`The namespace ${what} is named ${JSON.stringify(metadata.name ?? null)}; Vigil creates only the operator namespace ${operatorNamespace}.`);
            }
            return;
        }
        if (CLUSTER_SCOPED_KINDS.has(kind)) {
            if (!ALLOWED_CLUSTER_SCOPED.includes(kind)) {
                report(`The ${what} is a cluster-scoped ${kind}; Vigil creates no cluster-scoped objects other than ${ALLOWED_CLUSTER_SCOPED.join(", ")}.`);
            }
            return;
        }
        if (metadata.namespace !== operatorNamespace) {
            report(`The Kubernetes object ${what} lives in ${metadata.namespace === undefined ? "the provider's default namespace" : JSON.stringify(metadata.namespace)}; set metadata.namespace to the operator namespace ${operatorNamespace}.`);
        }
    },
};

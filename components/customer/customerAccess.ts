// CustomerAccess (contract C6): the two matrix activities the cluster's owner is responsible for,
// as a component for the owner's own Pulumi project.
// - cluster-access-rbac: an EKS access entry for the operator's role, with view access to the
//   whole cluster and edit/admin access only inside Vigil's namespace; never cluster admin. With a
//   Kubernetes provider it also grants the few cluster-scoped rights Vigil's deployment needs
//   (its namespace, and the ClusterRoles of its collectors), bound to the entry's group.
// - node-ssm-agent: AmazonSSMManagedInstanceCore on the node roles, so the SSM agent on the
//   worker nodes can register and the operator can run diagnostics.
// - cluster-access-rbac, for Vigil's incident diagnostics: an access entry for the diagnostics
//   function's role that can only read (AmazonEKSViewPolicy, or with a Kubernetes provider the
//   `vigil-diagnostics` group bound to a ClusterRole of get/list on exactly what the checks read).

import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { k8sRules } from "../cluster/clusterMonitoring";
import { CLUSTER_ROLE_NAMES, controlPlaneMetricsRules, kubeStateMetricsClusterRules, PolicyRule, prometheusClusterRules } from "../cluster/values";
import { DIAGNOSTICS_READ_RULES } from "../triage/handler/diagnostics/access";
import { vigilLabels, vigilTags } from "../tags";

/** Kubernetes group of the operator's access entry, bound to `operatorClusterRules`. */
export const OPERATOR_GROUP = "vigil-operators";
/** Name of the ClusterRole (and its binding) with the operator's cluster-scoped rights. */
export const OPERATOR_CLUSTER_ROLE = "vigil-operator";
/** Kubernetes group of the diagnostics role's access entry, bound to `diagnosticsClusterRules`. */
export const DIAGNOSTICS_GROUP = "vigil-diagnostics";
/** Name of the read-only ClusterRole (and its binding) of the diagnostics role. */
export const DIAGNOSTICS_CLUSTER_ROLE = "vigil-diagnostics";

export type NamespaceAccess = "admin" | "edit";

/** EKS access policies, by what they grant. */
export const ACCESS_POLICIES = {
    view: "AmazonEKSViewPolicy",
    edit: "AmazonEKSEditPolicy",
    admin: "AmazonEKSAdminPolicy",
} as const;

/** The managed policy the SSM agent needs on an instance role. */
export const SSM_MANAGED_POLICY = "AmazonSSMManagedInstanceCore";

export interface CustomerAccessArgs {
    /** The cluster Vigil monitors. */
    readonly clusterName: pulumi.Input<string>;
    /** ARN of the IAM role the operator uses for Vigil (its deployments and its diagnostics). */
    readonly operatorRoleArn: pulumi.Input<string>;
    /** Vigil's namespace in the cluster; must match the operator's `vigil:namespace`. Defaults to `vigil-monitoring`. */
    readonly namespace?: string;
    /** Access inside that namespace: `admin` or `edit`. Defaults to `admin` (Helm releases create Roles there). */
    readonly namespaceAccess?: NamespaceAccess;
    /**
     * Worker node IAM roles that get AmazonSSMManagedInstanceCore, by a stable key of your choosing
     * (for example the node group's name): `{ general: nodeGroup.nodeGroup.nodeRoleArn.apply(...) }`.
     * Values are role names. Defaults to none.
     */
    readonly nodeRoles?: Readonly<Record<string, pulumi.Input<string>>>;
    /**
     * A Kubernetes provider for the cluster. When given, the operator's entry joins the
     * `vigil-operators` group, bound to a ClusterRole with the cluster-scoped rights Vigil's
     * deployment needs (`operatorClusterRules`). Without it, grant those yourself.
     */
    readonly kubernetesProvider?: k8s.Provider;
    /**
     * ARN of the role Vigil's diagnostics function runs as (the operator's stack output
     * `diagnosticsRoleArn`). When given, it gets read-only access: with a Kubernetes provider, the
     * `vigil-diagnostics` group bound to a ClusterRole that can only get and list what the checks
     * read (`diagnosticsClusterRules`); without one, AmazonEKSViewPolicy across the cluster (which
     * does not cover nodes, so node checks report that they lack permission). Defaults to none.
     */
    readonly diagnosticsRoleArn?: pulumi.Input<string>;
}

const NAMESPACE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const RESERVED_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];
const STABLE_KEY = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;

/** Arguments with defaults applied, checked; errors name the argument, the value and what is allowed. */
export function resolveCustomerAccessArgs(args: CustomerAccessArgs): { namespace: string; namespaceAccess: NamespaceAccess; nodeRoleKeys: string[] } {
    const fail = (argument: string, given: unknown, allowed: string): never => {
        throw new Error(`CustomerAccess argument ${argument}: got ${JSON.stringify(given)}; allowed: ${allowed}`);
    };
    const namespace = args.namespace ?? "vigil-monitoring";
    if (!NAMESPACE.test(namespace) || RESERVED_NAMESPACES.includes(namespace)) {
        fail("namespace", namespace, "a DNS-1123 label of its own (not default or a kube-* namespace)");
    }
    const namespaceAccess = args.namespaceAccess ?? "admin";
    if (namespaceAccess !== "admin" && namespaceAccess !== "edit") {
        fail("namespaceAccess", namespaceAccess, '"admin" or "edit" (cluster admin is never granted)');
    }
    if (typeof args.operatorRoleArn === "string" && !/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/.test(args.operatorRoleArn)) {
        fail("operatorRoleArn", args.operatorRoleArn, "an IAM role ARN (arn:aws:iam::<account>:role/<name>)");
    }
    if (typeof args.diagnosticsRoleArn === "string" && !/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/.test(args.diagnosticsRoleArn)) {
        fail("diagnosticsRoleArn", args.diagnosticsRoleArn, "an IAM role ARN (the operator's stack output diagnosticsRoleArn)");
    }
    if (typeof args.diagnosticsRoleArn === "string" && args.diagnosticsRoleArn === args.operatorRoleArn) {
        fail("diagnosticsRoleArn", args.diagnosticsRoleArn, "a role other than operatorRoleArn (one IAM principal has one access entry)");
    }
    const nodeRoleKeys = Object.keys(args.nodeRoles ?? {});
    for (const key of nodeRoleKeys) {
        if (!STABLE_KEY.test(key)) {
            fail(`nodeRoles key`, key, "letters, digits, '.', '_' and '-', up to 63 characters (it names the attachment)");
        }
    }
    return { namespace, namespaceAccess, nodeRoleKeys };
}

/** ARN of an EKS access policy in a partition. */
export function accessPolicyArn(partition: string, policy: string): string {
    return `arn:${partition}:eks::aws:cluster-access-policy/${policy}`;
}

/**
 * The operator's cluster-scoped rights, and nothing more: create Vigil's namespace and manage only
 * that one; create ClusterRoles and bindings (Kubernetes cannot limit `create` by name) but change
 * or delete only Vigil's; and hold exactly the permissions Vigil's collectors get, so that binding
 * them needs neither `bind` nor `escalate`.
 */
export function operatorClusterRules(namespace: string): PolicyRule[] {
    const vigilRoles = Object.values(CLUSTER_ROLE_NAMES);
    return [
        { apiGroups: [""], resources: ["namespaces"], verbs: ["create"] },
        { apiGroups: [""], resources: ["namespaces"], resourceNames: [namespace], verbs: ["get", "update", "patch", "delete"] },
        { apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles", "clusterrolebindings"], verbs: ["create", "get", "list", "watch"] },
        { apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles", "clusterrolebindings"], resourceNames: vigilRoles, verbs: ["update", "patch", "delete"] },
        ...prometheusClusterRules(),
        ...controlPlaneMetricsRules(),
        ...kubeStateMetricsClusterRules(),
    ];
}

/** The diagnostics role's rights: get and list on exactly what the checks read; no writes, no Secrets. */
export function diagnosticsClusterRules(): PolicyRule[] {
    return DIAGNOSTICS_READ_RULES.map((r) => ({
        ...(r.apiGroups ? { apiGroups: [...r.apiGroups] } : {}),
        ...(r.resources ? { resources: [...r.resources] } : {}),
        ...(r.nonResourceURLs ? { nonResourceURLs: [...r.nonResourceURLs] } : {}),
        verbs: [...r.verbs],
    }));
}

/** The operator's access to a customer's cluster, and the SSM agent's permissions on its nodes (contract C6). */
export class CustomerAccess extends pulumi.ComponentResource {
    /** ARN of the operator's access entry. */
    readonly accessEntryArn: pulumi.Output<string>;
    /** Names of the node roles that got AmazonSSMManagedInstanceCore. */
    readonly ssmNodeRoles: pulumi.Output<string[]>;
    /** ARN of the diagnostics role's access entry (undefined without `diagnosticsRoleArn`). */
    readonly diagnosticsAccessEntryArn: pulumi.Output<string | undefined>;

    /**
     * @param name The _unique_ name of this component; children's names derive from it.
     * @param args The cluster, the operator's role and the node roles.
     * @param opts A bag of options that control this component's behavior.
     */
    constructor(name: string, args: CustomerAccessArgs, opts?: pulumi.ComponentResourceOptions) {
        super("vigil:customer:CustomerAccess", name, {}, opts);
        let resolved: ReturnType<typeof resolveCustomerAccessArgs>;
        try {
            resolved = resolveCustomerAccessArgs(args);
        } catch (err) {
            throw new pulumi.ResourceError((err as Error).message, this);
        }
        const { namespace, namespaceAccess } = resolved;
        const partition = aws.getPartitionOutput({}, { parent: this }).partition;
        const rbacTags = vigilTags("cluster-access-rbac", "customer");

        // An access entry, and with a Kubernetes provider its group in the cluster.
        const accessEntry = (id: string, principalArn: pulumi.Input<string>, group: string) =>
            new aws.eks.AccessEntry(
                id,
                {
                    clusterName: args.clusterName,
                    principalArn,
                    type: "STANDARD",
                    kubernetesGroups: args.kubernetesProvider ? [group] : undefined,
                    tags: rbacTags,
                },
                { parent: this },
            );
        // An EKS access policy for an entry's principal, over the cluster or one namespace.
        const associate = (id: string, entry: aws.eks.AccessEntry, policy: string, accessScope: aws.types.input.eks.AccessPolicyAssociationAccessScope) =>
            new aws.eks.AccessPolicyAssociation(
                id,
                { clusterName: args.clusterName, principalArn: entry.principalArn, policyArn: partition.apply((p) => accessPolicyArn(p, policy)), accessScope },
                // An association needs its access entry to exist first.
                { parent: this, dependsOn: [entry] },
            );
        // A ClusterRole with these rules, bound to a Kubernetes group (both named `roleName`).
        const groupClusterRole = (id: string, provider: k8s.Provider, roleName: string, group: string, rules: PolicyRule[], labels: Record<string, string>) => {
            const k8sOpts = { parent: this, provider };
            const role = new k8s.rbac.v1.ClusterRole(id, { metadata: { name: roleName, labels }, rules: k8sRules(rules) }, k8sOpts);
            new k8s.rbac.v1.ClusterRoleBinding(
                id,
                {
                    metadata: { name: roleName, labels },
                    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role.metadata.name },
                    subjects: [{ kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: group }],
                },
                k8sOpts,
            );
        };

        const entry = accessEntry(`${name}-operator`, args.operatorRoleArn, OPERATOR_GROUP);
        associate(`${name}-operator-view`, entry, ACCESS_POLICIES.view, { type: "cluster" });
        associate(`${name}-operator-namespace-${namespaceAccess}`, entry, ACCESS_POLICIES[namespaceAccess], { type: "namespace", namespaces: [namespace] });
        if (args.kubernetesProvider) {
            const labels = vigilLabels("cluster-access-rbac", "operator-access", "customer");
            groupClusterRole(`${name}-operator`, args.kubernetesProvider, OPERATOR_CLUSTER_ROLE, OPERATOR_GROUP, operatorClusterRules(namespace), labels);
        }

        let diagnosticsEntry: aws.eks.AccessEntry | undefined;
        if (args.diagnosticsRoleArn !== undefined) {
            diagnosticsEntry = accessEntry(`${name}-diagnostics`, args.diagnosticsRoleArn, DIAGNOSTICS_GROUP);
            if (args.kubernetesProvider) {
                const labels = vigilLabels("cluster-access-rbac", "diagnostics-access", "customer");
                groupClusterRole(`${name}-diagnostics`, args.kubernetesProvider, DIAGNOSTICS_CLUSTER_ROLE, DIAGNOSTICS_GROUP, diagnosticsClusterRules(), labels);
            } else {
                associate(`${name}-diagnostics-view`, diagnosticsEntry, ACCESS_POLICIES.view, { type: "cluster" });
            }
        }

        const ssmPolicyArn = partition.apply((p) => `arn:${p}:iam::aws:policy/${SSM_MANAGED_POLICY}`);
        const attachments = resolved.nodeRoleKeys.map(
            (key) =>
                new aws.iam.RolePolicyAttachment(
                    `${name}-ssm-${key}`,
                    { role: (args.nodeRoles as Record<string, pulumi.Input<string>>)[key], policyArn: ssmPolicyArn },
                    { parent: this },
                ),
        );

        this.accessEntryArn = entry.accessEntryArn;
        this.ssmNodeRoles = pulumi.all(attachments.map((a) => a.role));
        this.diagnosticsAccessEntryArn = diagnosticsEntry ? diagnosticsEntry.accessEntryArn : pulumi.output(undefined);
        this.registerOutputs({ accessEntryArn: this.accessEntryArn, ssmNodeRoles: this.ssmNodeRoles, diagnosticsAccessEntryArn: this.diagnosticsAccessEntryArn });
    }
}

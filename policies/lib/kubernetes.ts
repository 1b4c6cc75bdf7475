// Kubernetes type tokens as the policies classify them.

/** Whether a `kubernetes:*` type is a single API object (not a Helm/YAML component, list or patch). */
export function isKubernetesObject(type: string): boolean {
    const match = /^kubernetes:([^:]+):([A-Za-z0-9]+)$/.exec(type);
    if (!match) {
        return false;
    }
    const [, module, kind] = match;
    if (/^(helm\.sh|yaml|kustomize)\//.test(module)) {
        return false;
    }
    return !kind.endsWith("List") && !kind.endsWith("Patch");
}

/** The kind of a Kubernetes type token (`kubernetes:core/v1:ConfigMap` → `ConfigMap`). */
export function kindOf(type: string): string {
    return type.split(":")[2] ?? "";
}

/** Kinds that live outside namespaces. */
export const CLUSTER_SCOPED_KINDS: ReadonlySet<string> = new Set([
    "APIService",
    "CertificateSigningRequest",
    "ClusterRole",
    "ClusterRoleBinding",
    "ComponentStatus",
    "CSIDriver",
    "CSINode",
    "CustomResourceDefinition",
    "FlowSchema",
    "IngressClass",
    "MutatingAdmissionPolicy",
    "MutatingAdmissionPolicyBinding",
    "MutatingWebhookConfiguration",
    "Namespace",
    "Node",
    "PersistentVolume",
    "PriorityClass",
    "PriorityLevelConfiguration",
    "RuntimeClass",
    "StorageClass",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
    "VolumeAttachment",
]);

export const ROLE_TYPES = ["kubernetes:rbac.authorization.k8s.io/v1:Role", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"] as const;
export const BINDING_TYPES = ["kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"] as const;
export const HELM_RELEASE = "kubernetes:helm.sh/v3:Release";
export const HELM_CHART_V4 = "kubernetes:helm.sh/v4:Chart";

/** `operatorNamespace`, the configuration every Kubernetes policy shares. */
export const OPERATOR_NAMESPACE_SCHEMA = {
    operatorNamespace: {
        type: "string" as const,
        default: "vigil-monitoring",
        description: "The namespace Vigil runs in inside every cluster (the stack's vigil:namespace).",
    },
};

/** `operatorGroups`: the Kubernetes groups the customer's access entry may put the operator in. */
export const OPERATOR_GROUPS_SCHEMA = {
    operatorGroups: {
        type: "array" as const,
        items: { type: "string" as const },
        default: ["vigil-operators"],
        description: "Kubernetes groups of the operator's access entry, bound only to the ClusterRole the customer grants (CustomerAccess).",
    },
};

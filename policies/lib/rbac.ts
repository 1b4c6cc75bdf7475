// Kubernetes RBAC rules as the policies read them.

import { raci } from "./raci";
import { LABEL_ACTIVITY, LABEL_COMPONENT, labelsOf } from "./resources";

export interface PolicyRule {
    readonly apiGroups: readonly string[];
    readonly resources: readonly string[];
    readonly verbs: readonly string[];
    readonly nonResourceURLs: readonly string[];
    readonly resourceNames: readonly string[];
}

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

/** The rules of a Role or ClusterRole (an aggregated ClusterRole has none of its own). */
export function roleRules(props: Record<string, any>): PolicyRule[] {
    return (Array.isArray(props.rules) ? props.rules : []).map((r: Record<string, unknown>) => ({
        apiGroups: list(r?.apiGroups),
        resources: list(r?.resources),
        verbs: list(r?.verbs),
        nonResourceURLs: list(r?.nonResourceURLs),
        resourceNames: list(r?.resourceNames),
    }));
}

export const READ_VERBS = ["get", "list", "watch"];

/**
 * Whether an RBAC object is part of the customer's grant to the operator: it is labelled with an
 * activity the matrix makes the customer responsible for (cluster-access-rbac), as opposed to the
 * identities Vigil's own in-cluster components run with.
 */
export function isCustomerGrant(props: Record<string, any>): boolean {
    const activity = raci().byId.get(String(labelsOf(props)[LABEL_ACTIVITY] ?? ""));
    return activity?.responsible === "customer";
}

/** `app.kubernetes.io/component` of the customer's read-only grant to Vigil's diagnostics function. */
export const DIAGNOSTICS_GRANT_COMPONENT = "diagnostics-access";
/** The Kubernetes group of the diagnostics role's access entry (CustomerAccess `diagnosticsRoleArn`). */
export const DIAGNOSTICS_GROUP = "vigil-diagnostics";

/**
 * Whether an RBAC object is the customer's grant to Vigil's diagnostics function rather than to the
 * operator: it is judged as one of Vigil's own read-only identities, not as the operator's role.
 */
export function isDiagnosticsGrant(props: Record<string, any>): boolean {
    return isCustomerGrant(props) && labelsOf(props)[LABEL_COMPONENT] === DIAGNOSTICS_GRANT_COMPONENT;
}

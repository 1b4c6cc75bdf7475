// Ownership tags and labels (DESIGN.md, "Parties and the RACI matrix").
//
// Every resource Vigil creates carries the matrix activity it serves and the party responsible for
// it. The activity ids are the ids of `policies/raci.yaml`; components do not read that file (they
// never import policies), and a test keeps this list and the matrix in step.

/** The activities of the responsibility matrix, by id. */
export const ACTIVITIES = [
    "discovery",
    "cluster-access-rbac",
    "node-ssm-agent",
    "on-cluster-components",
    "amp-workspace",
    "alert-manager",
    "grafana",
    "guardduty-eks-audit-logs",
    "control-plane-logging",
    "control-plane-monitoring",
    "cluster-health-monitoring",
    "triage-incident-response",
    "diagnostic-commands",
    "log-analysis",
    "network-incident-response",
    "guardduty-finding-response",
    "remediation-guidance",
] as const;

export type Activity = (typeof ACTIVITIES)[number];
export type Party = "operator" | "customer";

export const TAG_ACTIVITY = "vigil:activity";
export const TAG_RESPONSIBLE = "vigil:responsible";
export const TAG_MANAGED_BY = "managed-by";
export const MANAGED_BY = "vigil";

/** AWS tags for a resource serving `activity`, with the caller's extra tags last (they win). */
export function vigilTags(
    activity: Activity,
    responsible: Party = "operator",
    extra: Readonly<Record<string, string>> = {},
): Record<string, string> {
    return {
        [TAG_ACTIVITY]: activity,
        [TAG_RESPONSIBLE]: responsible,
        [TAG_MANAGED_BY]: MANAGED_BY,
        ...extra,
    };
}

/**
 * Kubernetes labels for an object Vigil runs in a cluster. Label values cannot hold `:`, so the
 * activity and party go under `vigil.dev/` keys.
 */
export function vigilLabels(
    activity: Activity,
    component: string,
    responsible: Party = "operator",
): Record<string, string> {
    return {
        "app.kubernetes.io/managed-by": MANAGED_BY,
        "app.kubernetes.io/part-of": MANAGED_BY,
        "app.kubernetes.io/component": component,
        "vigil.dev/activity": activity,
        "vigil.dev/responsible": responsible,
    };
}

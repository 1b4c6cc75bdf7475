// Kubernetes RBAC rules as the policies read them.

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

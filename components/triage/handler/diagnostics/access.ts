// What the checks read in a cluster, as Kubernetes RBAC rules: only get and list, never a write,
// never Secrets. CustomerAccess binds exactly these rules to the diagnostics role's group
// (`vigil-diagnostics`); without a Kubernetes provider it associates AmazonEKSViewPolicy instead,
// which covers all of them except nodes and APIServices (those checks then report "no permission").
// The tests tie every request the checks make to these rules (`requiredPermission`, `permits`).

export interface ReadRule {
    readonly apiGroups?: readonly string[];
    readonly resources?: readonly string[];
    readonly nonResourceURLs?: readonly string[];
    readonly verbs: readonly string[];
}

export const DIAGNOSTICS_READ_RULES: readonly ReadRule[] = [
    { apiGroups: [""], resources: ["pods", "pods/log", "events", "nodes", "endpoints", "persistentvolumeclaims"], verbs: ["get", "list"] },
    { apiGroups: ["apps"], resources: ["deployments", "statefulsets", "daemonsets"], verbs: ["get", "list"] },
    { apiGroups: ["batch"], resources: ["jobs", "cronjobs"], verbs: ["get", "list"] },
    { apiGroups: ["autoscaling"], resources: ["horizontalpodautoscalers"], verbs: ["get", "list"] },
    { apiGroups: ["apiregistration.k8s.io"], resources: ["apiservices"], verbs: ["get"] },
    // Kubernetes grants these to every authenticated user (system:public-info-viewer); named for completeness.
    { nonResourceURLs: ["/readyz", "/livez", "/version"], verbs: ["get"] },
];

/** What one request needs: a verb on a resource of an API group, or a non-resource URL. */
export type Permission = { readonly verb: "get" | "list"; readonly apiGroup: string; readonly resource: string } | { readonly verb: "get"; readonly nonResourceURL: string };

/**
 * The permission a GET of `path` needs, as the API server's authorizer sees it: a named object
 * (or its subresource) is `get`, a collection is `list`; paths outside /api and /apis are
 * non-resource URLs.
 */
export function requiredPermission(path: string): Permission {
    const core = /^\/api\/v1\/(.*)$/.exec(path);
    const group = /^\/apis\/([^/]+)\/[^/]+\/(.*)$/.exec(path);
    if (!core && !group) {
        return { verb: "get", nonResourceURL: path };
    }
    const apiGroup = core ? "" : (group as RegExpExecArray)[1];
    let parts = (core ? core[1] : (group as RegExpExecArray)[2]).split("/").filter((p) => p !== "");
    if (parts[0] === "namespaces" && parts.length >= 3) {
        parts = parts.slice(2);
    }
    const [resource, name, subresource] = parts;
    if (name === undefined) {
        return { verb: "list", apiGroup, resource };
    }
    return { verb: "get", apiGroup, resource: subresource ? `${resource}/${subresource}` : resource };
}

/** Whether the rules allow a permission. */
export function permits(rules: readonly ReadRule[], p: Permission): boolean {
    return rules.some((r) => {
        if (!r.verbs.includes(p.verb)) {
            return false;
        }
        if ("nonResourceURL" in p) {
            return (r.nonResourceURLs ?? []).includes(p.nonResourceURL);
        }
        return (r.apiGroups ?? []).includes(p.apiGroup) && (r.resources ?? []).includes(p.resource);
    });
}

import type { ResourceValidationPolicy } from "@pulumi/policy";
import { ROLE_TYPES } from "../lib/kubernetes";
import { forVigilTypes } from "../lib/policy";
import { isCustomerGrant, isDiagnosticsGrant, READ_VERBS, roleRules } from "../lib/rbac";
import { describe } from "../lib/resources";

interface ReadOnlyConfig {
    readonly allowedVerbs: readonly string[];
    readonly allowSecretsRead: boolean;
    readonly nodeProxyRoles: readonly string[];
}

/**
 * Subresources whose `get` is not a read: exec, attach and port-forward run or reach code in pods,
 * and the pod, service and node proxies reach whatever is behind them (`nodes/proxy` is the whole
 * kubelet API, exec into any container on the node included: CIS EKS 4.1.10).
 */
export const PROXY_SUBRESOURCES = ["pods/exec", "pods/attach", "pods/portforward", "pods/proxy", "services/proxy", "nodes/proxy"];

/** The collector role that scrapes kubelet and cAdvisor through the API server's node proxy (components/cluster). */
export const NODE_PROXY_ROLES = ["vigil-prometheus"];

export const kubernetesRbacReadOnly: ResourceValidationPolicy = {
    name: "vigil-kubernetes-rbac-read-only",
    description:
        "The Roles and ClusterRoles Vigil's own in-cluster components run with (collectors, diagnostics) only read (get, list, watch): they never create, change or delete, never bind, escalate or impersonate, do not read Secrets, and hold no exec, attach, port-forward or proxy subresource, except get on nodes/proxy for the collector role that scrapes kubelets through the API server.",
    enforcementLevel: "mandatory",
    severity: "critical",
    tags: ["cis-eks:4.1.2", "cis-eks:4.1.4", "cis-eks:4.1.8", "cis-eks:4.1.10", "checkov:CKV_K8S_155", "checkov:CKV_K8S_157", "checkov:CKV_K8S_158"],
    configSchema: {
        properties: {
            allowedVerbs: {
                type: "array",
                items: { type: "string" },
                default: READ_VERBS,
                description: "Verbs Vigil's component roles may hold.",
            },
            allowSecretsRead: {
                type: "boolean",
                default: false,
                description: "Allow reading Secrets (kube-state-metrics' secret metrics need it; Vigil does not collect them).",
            },
            nodeProxyRoles: {
                type: "array",
                items: { type: "string" },
                default: NODE_PROXY_ROLES,
                description: "Names of the roles that may hold nodes/proxy (the kubelet API through the API server): the collector's. An empty list forbids it everywhere.",
            },
        },
    },
    remediationSteps:
        "Keep the verbs to get, list and watch, drop secrets and the exec, attach, port-forward and proxy subresources from the resources; only the collector role named in nodeProxyRoles keeps nodes/proxy.",
    validateResource: forVigilTypes(ROLE_TYPES, (props, args, report) => {
        // The customer's grant to the diagnostics function is read-only like Vigil's own roles.
        if (isCustomerGrant(props) && !isDiagnosticsGrant(props)) {
            args.notApplicable("the role is the customer's grant to the operator (vigil-kubernetes-operator-access-role checks it)");
        }
        const { allowedVerbs, allowSecretsRead, nodeProxyRoles } = args.getConfig<ReadOnlyConfig>();
        const roleName = String(props.metadata?.name ?? "");
        const what = describe(args);
        roleRules(props).forEach((rule, i) => {
            const extra = rule.verbs.filter((v) => v !== "*" && !allowedVerbs.includes(v));
            if (extra.length > 0) {
                report(`The ${what} grants ${extra.join(", ")} in rule ${i}; Vigil's component roles only ${allowedVerbs.join(", ")}.`);
            }
            const coreGroup = rule.apiGroups.includes("") || rule.apiGroups.includes("*");
            if (!allowSecretsRead && coreGroup && rule.resources.some((r) => r === "secrets" || r === "*")) {
                report(`The ${what} can read Secrets in rule ${i}; Vigil does not need them. Remove secrets from the resources.`);
            }
            const proxies = rule.resources.filter((r) => PROXY_SUBRESOURCES.includes(r) && !(r === "nodes/proxy" && nodeProxyRoles.includes(roleName)));
            if (proxies.length > 0 && coreGroup) {
                report(
                    `The ${what} holds ${proxies.join(", ")} in rule ${i}: more than a read (exec into pods, or the API behind the proxy). Remove it; only the roles named in nodeProxyRoles (${nodeProxyRoles.join(", ") || "none"}) may hold nodes/proxy.`,
                );
            }
        });
    }),
};

import type { ResourceValidationPolicy } from "@pulumi/policy";
import { ROLE_TYPES } from "../lib/kubernetes";
import { forVigilTypes } from "../lib/policy";
import { isCustomerGrant, isDiagnosticsGrant, READ_VERBS, roleRules } from "../lib/rbac";
import { describe } from "../lib/resources";

interface ReadOnlyConfig {
    readonly allowedVerbs: readonly string[];
    readonly allowSecretsRead: boolean;
}

export const kubernetesRbacReadOnly: ResourceValidationPolicy = {
    name: "vigil-kubernetes-rbac-read-only",
    description:
        "The Roles and ClusterRoles Vigil's own in-cluster components run with (collectors, diagnostics) only read (get, list, watch): they never create, change or delete, never bind, escalate or impersonate, and do not read Secrets.",
    enforcementLevel: "mandatory",
    severity: "critical",
    tags: ["cis-eks:4.1.2", "cis-eks:4.1.4", "cis-eks:4.1.8", "checkov:CKV_K8S_155", "checkov:CKV_K8S_157", "checkov:CKV_K8S_158"],
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
        },
    },
    remediationSteps: "Keep the verbs to get, list and watch, and drop secrets from the resources.",
    validateResource: forVigilTypes(ROLE_TYPES, (props, args, report) => {
        // The customer's grant to the diagnostics function is read-only like Vigil's own roles.
        if (isCustomerGrant(props) && !isDiagnosticsGrant(props)) {
            args.notApplicable("the role is the customer's grant to the operator (vigil-kubernetes-operator-access-role checks it)");
        }
        const { allowedVerbs, allowSecretsRead } = args.getConfig<ReadOnlyConfig>();
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
        });
    }),
};

import type { ResourceValidationPolicy } from "@pulumi/policy";
import { ROLE_TYPES } from "../lib/kubernetes";
import { forVigilTypes } from "../lib/policy";
import { roleRules } from "../lib/rbac";
import { describe } from "../lib/resources";

export const kubernetesRbacNoWildcards: ResourceValidationPolicy = {
    name: "vigil-kubernetes-rbac-no-wildcards",
    description: "Vigil's Roles and ClusterRoles name their API groups, resources and verbs; a \"*\" grants everything present and future.",
    enforcementLevel: "mandatory",
    severity: "high",
    tags: ["cis-eks:4.1.3", "checkov:CKV_K8S_49"],
    remediationSteps: "Replace \"*\" with the API groups, resources and verbs the component uses.",
    validateResource: forVigilTypes(ROLE_TYPES, (props, args, report) => {
        roleRules(props).forEach((rule, i) => {
            const fields = (["apiGroups", "resources", "verbs", "nonResourceURLs"] as const).filter((f) => rule[f].some((v) => v === "*" || v.endsWith("/*")));
            if (fields.length > 0) {
                report(`The ${describe(args)} uses "*" in ${fields.join(", ")} of rule ${i}; name what it needs.`);
            }
        });
    }),
};

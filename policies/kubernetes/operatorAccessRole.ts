import type { ResourceValidationPolicy } from "@pulumi/policy";
import { ROLE_TYPES } from "../lib/kubernetes";
import { forVigilTypes } from "../lib/policy";
import { isCustomerGrant, isDiagnosticsGrant, READ_VERBS, roleRules } from "../lib/rbac";
import { describe } from "../lib/resources";

interface AccessRoleConfig {
    readonly writableResources: readonly string[];
}

// Verbs that let a holder gain permissions it does not have.
const ESCALATING = ["bind", "escalate", "impersonate"];
// Kubernetes cannot limit create by name, so create is accepted without resourceNames.
const NAMEABLE_WRITES = ["update", "patch", "delete", "deletecollection"];

export const kubernetesOperatorAccessRole: ResourceValidationPolicy = {
    name: "vigil-kubernetes-operator-access-role",
    description:
        "The cluster-scoped role the customer grants the operator holds no more than Vigil's deployment needs: it never binds, escalates or impersonates, never touches Secrets, creates only namespaces and RBAC objects, and changes or deletes only the ones it names.",
    enforcementLevel: "mandatory",
    severity: "critical",
    tags: ["cis-eks:4.1.1", "cis-eks:4.1.2", "cis-eks:4.1.8"],
    configSchema: {
        properties: {
            writableResources: {
                type: "array",
                items: { type: "string" },
                default: ["namespaces", "clusterroles", "clusterrolebindings"],
                description: "Resources the operator may create, and change or delete by name.",
            },
        },
    },
    remediationSteps: "Use CustomerAccess's operatorClusterRules(): read-only rules, create on namespaces and RBAC objects, and update/patch/delete limited by resourceNames to Vigil's own.",
    validateResource: forVigilTypes(ROLE_TYPES, (props, args, report) => {
        if (!isCustomerGrant(props)) {
            args.notApplicable("the role is not the customer's grant to the operator (vigil-kubernetes-rbac-read-only checks it)");
        }
        if (isDiagnosticsGrant(props)) {
            args.notApplicable("the role is the customer's read-only grant to Vigil's diagnostics (vigil-kubernetes-rbac-read-only checks it)");
        }
        const { writableResources } = args.getConfig<AccessRoleConfig>();
        const what = describe(args);
        roleRules(props).forEach((rule, i) => {
            const escalating = rule.verbs.filter((v) => ESCALATING.includes(v) || v === "*");
            if (escalating.length > 0) {
                report(`The operator's role ${what} grants ${escalating.join(", ")} in rule ${i}; it must never let the operator raise its own permissions.`);
            }
            if (rule.resources.some((r) => r === "secrets" || r.startsWith("secrets/"))) {
                report(`The operator's role ${what} reaches Secrets in rule ${i}; the operator must not read or change the customer's Secrets.`);
            }
            const writes = rule.verbs.filter((v) => !READ_VERBS.includes(v) && !ESCALATING.includes(v) && v !== "*");
            if (writes.length === 0) {
                return;
            }
            const foreign = rule.resources.filter((r) => !writableResources.includes(r));
            if (foreign.length > 0 || rule.nonResourceURLs.length > 0) {
                report(`The operator's role ${what} may ${writes.join(", ")} ${[...foreign, ...rule.nonResourceURLs].join(", ")} in rule ${i}; it may write only ${writableResources.join(", ")}.`);
            }
            const unnamed = writes.filter((v) => NAMEABLE_WRITES.includes(v));
            if (unnamed.length > 0 && rule.resourceNames.length === 0) {
                report(`The operator's role ${what} may ${unnamed.join(", ")} any ${rule.resources.join(", ")} in rule ${i}; limit it with resourceNames to Vigil's own objects.`);
            }
        });
    }),
};

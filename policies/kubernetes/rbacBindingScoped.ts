import type { ResourceValidationPolicy } from "@pulumi/policy";
import { BINDING_TYPES, OPERATOR_GROUPS_SCHEMA, OPERATOR_NAMESPACE_SCHEMA } from "../lib/kubernetes";
import { forVigilTypes } from "../lib/policy";
import { DIAGNOSTICS_GROUP, isCustomerGrant, isDiagnosticsGrant } from "../lib/rbac";
import { describe } from "../lib/resources";

interface BindingConfig {
    readonly operatorNamespace: string;
    readonly operatorGroups: readonly string[];
}

// Built-in roles that write, or read Secrets; Vigil binds only its own roles.
const POWERFUL_ROLES = ["cluster-admin", "admin", "edit"];
const BROAD_GROUPS = ["system:masters", "system:authenticated", "system:unauthenticated", "system:anonymous"];

export const kubernetesRbacBindingScoped: ResourceValidationPolicy = {
    name: "vigil-kubernetes-rbac-binding-scoped",
    description:
        "Vigil's RoleBindings and ClusterRoleBindings bind only Vigil's own roles (never cluster-admin, admin, edit or a system: role), to service accounts of the operator's namespace or, in the customer's grant, to the operator's access-entry group; never to users, broad groups or anonymous access.",
    enforcementLevel: "mandatory",
    severity: "critical",
    tags: ["cis-eks:4.1.1", "cis-eks:4.1.8"],
    configSchema: { properties: { ...OPERATOR_NAMESPACE_SCHEMA, ...OPERATOR_GROUPS_SCHEMA } },
    remediationSteps: "Bind a Vigil ClusterRole or Role to the collector's service account in the operator namespace (or, for the customer's grant, to the operator's group).",
    validateResource: forVigilTypes(BINDING_TYPES, (props, args, report) => {
        const { operatorNamespace, operatorGroups } = args.getConfig<BindingConfig>();
        const what = describe(args);
        const grant = isCustomerGrant(props);
        // The customer's grant binds the operator's group, or (its read-only diagnostics grant) only the diagnostics role's.
        const diagnostics = isDiagnosticsGrant(props);
        const groups = diagnostics ? [DIAGNOSTICS_GROUP] : grant ? operatorGroups : [];
        const role = String(props.roleRef?.name ?? "");
        if (POWERFUL_ROLES.includes(role) || role.startsWith("system:")) {
            report(`The ${what} binds the built-in role ${JSON.stringify(role)}; bind a role of Vigil's own.`);
        }
        const subjects: Record<string, unknown>[] = Array.isArray(props.subjects) ? props.subjects : [];
        if (subjects.length === 0) {
            report(`The ${what} has no subjects; bind the component's service account.`);
        }
        for (const s of subjects) {
            const name = String(s?.name ?? "");
            if (s?.kind === "ServiceAccount") {
                if (s.namespace !== operatorNamespace) {
                    report(`The ${what} binds the service account ${JSON.stringify(name)} of namespace ${JSON.stringify(s.namespace ?? null)}; Vigil binds only service accounts of ${operatorNamespace}.`);
                }
            } else if (s?.kind === "Group" && groups.includes(name)) {
                continue;
            } else {
                report(
                    `The ${what} binds the ${String(s?.kind)} ${JSON.stringify(name)}${BROAD_GROUPS.includes(name) ? ", a group that reaches far beyond Vigil" : ""}; Vigil binds only service accounts of ${operatorNamespace}${groups.length > 0 ? ` and the ${diagnostics ? "diagnostics role's" : "operator's"} group (${groups.join(", ")})` : ""}.`,
                );
            }
        }
    }),
};

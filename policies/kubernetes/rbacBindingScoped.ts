import type { ResourceValidationPolicy } from "@pulumi/policy";
import { BINDING_TYPES, OPERATOR_NAMESPACE_SCHEMA } from "../lib/kubernetes";
import { forVigilTypes } from "../lib/policy";
import { describe } from "../lib/resources";

interface BindingConfig {
    readonly operatorNamespace: string;
}

// Built-in roles that write, or read Secrets; Vigil binds only its own read-only roles.
const POWERFUL_ROLES = ["cluster-admin", "admin", "edit"];
const BROAD_GROUPS = ["system:masters", "system:authenticated", "system:unauthenticated", "system:anonymous"];

export const kubernetesRbacBindingScoped: ResourceValidationPolicy = {
    name: "vigil-kubernetes-rbac-binding-scoped",
    description:
        "Vigil's RoleBindings and ClusterRoleBindings bind only Vigil's own roles (never cluster-admin, admin, edit or a system: role) to service accounts of the operator's namespace, never to users, broad groups or anonymous access.",
    enforcementLevel: "mandatory",
    severity: "critical",
    tags: ["cis-eks:4.1.1", "cis-eks:4.1.8"],
    configSchema: { properties: { ...OPERATOR_NAMESPACE_SCHEMA } },
    remediationSteps: "Bind a Vigil ClusterRole or Role to the collector's service account in the operator namespace.",
    validateResource: forVigilTypes(BINDING_TYPES, (props, args, report) => {
        const { operatorNamespace } = args.getConfig<BindingConfig>();
        const what = describe(args);
        const role = String(props.roleRef?.name ?? "");
        if (POWERFUL_ROLES.includes(role) || role.startsWith("system:")) {
            report(`The ${what} binds the built-in role ${JSON.stringify(role)}; bind a read-only role of Vigil's own.`);
        }
        const subjects: Record<string, unknown>[] = Array.isArray(props.subjects) ? props.subjects : [];
        if (subjects.length === 0) {
            report(`The ${what} has no subjects; bind the collector's service account.`);
        }
        for (const s of subjects) {
            const name = String(s?.name ?? "");
            if (s?.kind !== "ServiceAccount") {
                report(`The ${what} binds the ${String(s?.kind)} ${JSON.stringify(name)}${BROAD_GROUPS.includes(name) ? ", a group that reaches far beyond Vigil" : ""}; Vigil binds only its own service accounts.`);
            } else if (s.namespace !== operatorNamespace) {
                report(`The ${what} binds the service account ${JSON.stringify(name)} of namespace ${JSON.stringify(s.namespace ?? null)}; Vigil binds only service accounts of ${operatorNamespace}.`);
            }
        }
    }),
};

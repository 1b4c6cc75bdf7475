import type { ResourceValidationPolicy } from "@pulumi/policy";
import { conditionValues, DocumentError, parseDocument, pinsKey, statementName } from "../lib/documents";
import { OPERATOR_NAMESPACE_SCHEMA } from "../lib/kubernetes";
import { forVigilTypes } from "../lib/policy";
import { describe } from "../lib/resources";

interface TrustConfig {
    readonly operatorNamespace: string;
}

export const iamRoleTrustScoped: ResourceValidationPolicy = {
    name: "vigil-iam-role-trust-scoped",
    description:
        "Vigil's IAM roles trust no one at large: never a \"*\" principal, and a web-identity (IRSA) trust names exact service accounts in the operator's namespace and the sts.amazonaws.com audience.",
    enforcementLevel: "mandatory",
    severity: "critical",
    configSchema: { properties: { ...OPERATOR_NAMESPACE_SCHEMA } },
    remediationSteps:
        "Trust the service principal that uses the role, or for IRSA the cluster's OIDC provider with StringEquals conditions on <issuer>:sub = system:serviceaccount:<namespace>:<name> and <issuer>:aud = sts.amazonaws.com.",
    validateResource: forVigilTypes(["aws:iam/role:Role"], (props, args, report) => {
        const { operatorNamespace } = args.getConfig<TrustConfig>();
        const what = describe(args);
        let statements;
        try {
            statements = parseDocument(props.assumeRolePolicy);
        } catch (err) {
            if (err instanceof DocumentError) {
                report(`The trust policy of ${what} cannot be read: ${err.message}.`);
                return;
            }
            throw err;
        }
        for (const s of statements.filter((st) => st.effect === "Allow")) {
            if (s.notPrincipal || s.principals?.anyone) {
                report(`The trust policy of ${what} lets any principal assume the role in ${statementName(s)}; name the service, role or OIDC provider that uses it.`);
                continue;
            }
            if ((s.principals?.federated.length ?? 0) === 0) {
                continue;
            }
            const keys = [...s.conditions.values()].flatMap((k) => [...k.keys()]);
            const subKeys = keys.filter((k) => k.endsWith(":sub"));
            const audKeys = keys.filter((k) => k.endsWith(":aud"));
            if (subKeys.length === 0 || !subKeys.every((k) => pinsKey(s, k))) {
                report(`The trust policy of ${what} must pin the OIDC subject in ${statementName(s)} with StringEquals on <issuer>:sub to exact service accounts.`);
            } else {
                const subjects = subKeys.flatMap((k) => conditionValues(s, k).flatMap((c) => c.values));
                const foreign = subjects.filter((v) => !new RegExp(`^system:serviceaccount:${operatorNamespace.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`).test(v));
                if (foreign.length > 0) {
                    report(`The trust policy of ${what} admits ${foreign.join(", ")} in ${statementName(s)}; only service accounts of the operator's namespace ${operatorNamespace} may assume Vigil's roles.`);
                }
            }
            const audiences = audKeys.filter((k) => pinsKey(s, k)).flatMap((k) => conditionValues(s, k).flatMap((c) => c.values));
            if (audiences.length === 0 || audiences.some((a) => a !== "sts.amazonaws.com")) {
                report(`The trust policy of ${what} must pin the OIDC audience in ${statementName(s)} with StringEquals on <issuer>:aud = sts.amazonaws.com.`);
            }
        }
    }),
};

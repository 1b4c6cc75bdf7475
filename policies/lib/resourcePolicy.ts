// The checks SNS topic and SQS queue policies share: no public access, only the expected AWS
// services, each tied to its source.

import type { ReportViolation } from "@pulumi/policy";
import { DocumentError, isScoped, isWildcardAction, parseDocument, pinsKey, Statement, statementName } from "./documents";

export interface ServiceRules {
    /** Service principals that may be granted access. */
    readonly allowedServices: readonly string[];
    /** Condition keys each service must be pinned by (all of them); other services need any scoping key. */
    readonly requiredKeys: Readonly<Record<string, readonly string[]>>;
}

/** Parses a policy document, reporting (not throwing) a malformed one. */
export function readDocument(document: unknown, what: string, report: ReportViolation): Statement[] | undefined {
    try {
        return parseDocument(document);
    } catch (err) {
        if (err instanceof DocumentError) {
            report(`The access policy of ${what} cannot be read: ${err.message}.`);
            return undefined;
        }
        throw err;
    }
}

/** Reports every Allow statement that opens the resource beyond its account and expected services. */
export function checkResourcePolicy(statements: readonly Statement[], what: string, rules: ServiceRules, report: ReportViolation): void {
    for (const s of statements.filter((st) => st.effect === "Allow")) {
        const name = statementName(s);
        if (s.notPrincipal) {
            report(`The access policy of ${what} allows with NotPrincipal in ${name}, which grants everyone else; name the principals instead.`);
            continue;
        }
        if (s.notAction) {
            report(`The access policy of ${what} allows with NotAction in ${name}, which grants every other action; list the actions instead.`);
        }
        if (s.principals?.anyone && !isScoped(s)) {
            report(`The access policy of ${what} is public: ${name} allows any principal without a fixed aws:SourceArn, aws:SourceAccount, aws:SourceOwner or aws:PrincipalOrgID condition. Tie it to this account or name the principals.`);
        }
        for (const service of s.principals?.service ?? []) {
            if (!rules.allowedServices.includes(service)) {
                report(`The access policy of ${what} grants the service ${service} in ${name}; only ${rules.allowedServices.join(", ")} may be granted.`);
                continue;
            }
            const required = rules.requiredKeys[service];
            if (required) {
                const missing = required.filter((k) => !pinsKey(s, k));
                if (missing.length > 0) {
                    report(`The access policy of ${what} grants ${service} in ${name} without fixed ${missing.join(" and ")} conditions; tie it to the one source that uses it.`);
                }
            } else if (!isScoped(s)) {
                report(`The access policy of ${what} grants ${service} in ${name} without a fixed aws:SourceArn or aws:SourceAccount condition; tie it to this account.`);
            }
            const wildcards = s.actions.filter(isWildcardAction);
            if (wildcards.length > 0) {
                report(`The access policy of ${what} grants ${service} ${wildcards.join(", ")} in ${name}; grant only the actions it uses.`);
            }
        }
    }
}

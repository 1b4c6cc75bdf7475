import type { ResourceValidationPolicy } from "@pulumi/policy";
import { isScoped, pinsKey, statementName } from "../lib/documents";
import { forVigilTypes } from "../lib/policy";
import { readDocument } from "../lib/resourcePolicy";
import { describe } from "../lib/resources";

// What a service that encrypts or decrypts with the key needs; never administration.
const USAGE_ACTION = /^kms:(Encrypt|Decrypt|ReEncrypt|GenerateDataKey|Describe)[A-Za-z*]*$/;

export const kmsKeyPolicy: ResourceValidationPolicy = {
    name: "vigil-kms-key-policy",
    description:
        "Vigil's KMS key policies keep the lockout safety check, grant no principal at large without tying it to the account, and give AWS services only the encrypt, decrypt and describe actions they use, never administration.",
    enforcementLevel: "mandatory",
    severity: "critical",
    tags: ["checkov:CKV_AWS_33"],
    remediationSteps: "Delegate administration to the account root (IAM), and grant each service principal only kms:GenerateDataKey*, kms:Decrypt (and kms:Encrypt*/kms:ReEncrypt*/kms:Describe* where it needs them).",
    validateResource: forVigilTypes(["aws:kms/key:Key"], (props, args, report) => {
        const what = describe(args);
        if (props.bypassPolicyLockoutSafetyCheck === true) {
            report(`The KMS key ${what} bypasses the policy lockout safety check; remove bypassPolicyLockoutSafetyCheck.`);
        }
        if (props.policy === undefined) {
            return;
        }
        const statements = readDocument(props.policy, what, report);
        for (const s of (statements ?? []).filter((st) => st.effect === "Allow")) {
            const name = statementName(s);
            if (s.notPrincipal || s.notAction) {
                report(`The key policy of ${what} allows with ${s.notPrincipal ? "NotPrincipal" : "NotAction"} in ${name}; name the principals and actions instead.`);
                continue;
            }
            if (s.principals?.anyone && !isScoped(s) && !pinsKey(s, "kms:CallerAccount")) {
                report(`The key policy of ${what} lets any principal use the key in ${name} without a fixed kms:CallerAccount or aws:SourceAccount condition; tie it to this account.`);
            }
            for (const service of s.principals?.service ?? []) {
                const beyond = s.actions.filter((a) => !USAGE_ACTION.test(a));
                if (beyond.length > 0) {
                    report(`The key policy of ${what} grants ${service} ${beyond.join(", ")} in ${name}; services may only encrypt, decrypt, generate data keys and describe the key.`);
                }
            }
        }
    }),
};

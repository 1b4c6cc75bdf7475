import type { ReportViolation, ResourceValidationPolicy } from "@pulumi/policy";
import { DocumentError, isWildcardAction, parseDocument, statementName } from "../lib/documents";
import { forVigilTypes, strings } from "../lib/policy";
import { describe } from "../lib/resources";

interface LeastPrivilegeConfig {
    readonly forbiddenManagedPolicies: readonly string[];
}

const POLICY_TYPES = ["aws:iam/policy:Policy", "aws:iam/rolePolicy:RolePolicy", "aws:iam/role:Role", "aws:iam/rolePolicyAttachment:RolePolicyAttachment"];

function checkDocument(what: string, label: string, document: unknown, report: ReportViolation): void {
    let statements;
    try {
        statements = parseDocument(document);
    } catch (err) {
        if (err instanceof DocumentError) {
            report(`The ${label} of ${what} cannot be read: ${err.message}.`);
            return;
        }
        throw err;
    }
    for (const s of statements.filter((st) => st.effect === "Allow")) {
        if (s.notAction) {
            report(`The ${label} of ${what} allows NotAction in ${statementName(s)}, which grants every other action; list the actions it needs instead.`);
            continue;
        }
        const wildcards = s.actions.filter(isWildcardAction);
        if (wildcards.length > 0) {
            report(`The ${label} of ${what} allows ${wildcards.join(", ")} in ${statementName(s)}; list the actions it needs instead of a whole service.`);
        }
        if (s.actions.some((a) => a.toLowerCase() === "iam:passrole") && s.resources.includes("*")) {
            report(`The ${label} of ${what} allows iam:PassRole on every role in ${statementName(s)}; name the roles it passes.`);
        }
    }
}

export const iamLeastPrivilege: ResourceValidationPolicy = {
    name: "vigil-iam-least-privilege",
    description:
        "Vigil's IAM policies grant named actions only: no action wildcards (\"*\" or \"service:*\"), no NotAction allows, no iam:PassRole on every role, and no broad managed policies such as AdministratorAccess.",
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema: {
        properties: {
            forbiddenManagedPolicies: {
                type: "array",
                items: { type: "string" },
                default: ["AdministratorAccess", "PowerUserAccess", "IAMFullAccess"],
                description: "AWS managed policies (by name) Vigil's roles must not have.",
            },
        },
    },
    remediationSteps: "Replace wildcards with the actions the code calls, on the ARNs it uses.",
    validateResource: forVigilTypes(POLICY_TYPES, (props, args, report) => {
        const { forbiddenManagedPolicies } = args.getConfig<LeastPrivilegeConfig>();
        const what = describe(args);
        const forbidden = (arns: string[]) => arns.filter((arn) => forbiddenManagedPolicies.includes(arn.split("/").pop() ?? ""));
        switch (args.type) {
            case "aws:iam/policy:Policy":
            case "aws:iam/rolePolicy:RolePolicy":
                checkDocument(what, "policy", props.policy, report);
                break;
            case "aws:iam/role:Role":
                for (const inline of Array.isArray(props.inlinePolicies) ? props.inlinePolicies : []) {
                    if (inline?.policy !== undefined) {
                        checkDocument(what, `inline policy ${JSON.stringify(inline.name ?? "")}`, inline.policy, report);
                    }
                }
                for (const arn of forbidden(strings(props.managedPolicyArns))) {
                    report(`The ${what} must not have the managed policy ${arn}; grant the actions it needs in its own policy.`);
                }
                break;
            default:
                for (const arn of forbidden(strings(props.policyArn))) {
                    report(`The ${what} attaches ${arn}; Vigil's roles must not have it. Grant the actions it needs in its own policy.`);
                }
        }
    }),
};

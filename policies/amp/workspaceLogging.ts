import type { ResourceValidationPolicy } from "@pulumi/policy";
import { forVigilTypes } from "../lib/policy";
import { describe } from "../lib/resources";

interface WorkspaceConfig {
    readonly requireCustomerManagedKey: boolean;
}

// AMP's CreateLoggingConfiguration accepts a log group ARN with the ":*" suffix only.
const LOG_GROUP_ARN = /^arn:aws[a-z0-9-]*:logs:[a-z0-9-]+:\d{12}:log-group:[A-Za-z0-9.\-_#/]{1,512}:\*$/;

export const ampWorkspaceLogging: ResourceValidationPolicy = {
    name: "vigil-amp-workspace-logging",
    description:
        "The AMP workspace sends its rule-evaluation and alert manager logs to a CloudWatch log group (loggingConfiguration), so that failed rules and undeliverable notifications leave a trace.",
    enforcementLevel: "mandatory",
    severity: "medium",
    configSchema: {
        properties: {
            requireCustomerManagedKey: {
                type: "boolean",
                default: false,
                description: "Also require the workspace to be encrypted with a customer-managed KMS key (kmsKeyArn).",
            },
        },
    },
    remediationSteps: "Set loggingConfiguration.logGroupArn to `${logGroup.arn}:*` of a log group with retention and encryption.",
    validateResource: forVigilTypes(["aws:amp/workspace:Workspace"], (props, args, report) => {
        const what = describe(args);
        const arn = props.loggingConfiguration?.logGroupArn;
        if (typeof arn !== "string" || arn === "") {
            report(`The AMP workspace ${what} must log to CloudWatch: set loggingConfiguration.logGroupArn to the log group's ARN followed by ":*".`);
        } else if (!LOG_GROUP_ARN.test(arn)) {
            report(`The AMP workspace ${what} has loggingConfiguration.logGroupArn ${JSON.stringify(arn)}; AMP accepts a log group ARN ending in ":*" (arn:aws:logs:<region>:<account>:log-group:<name>:*).`);
        }
        if (args.getConfig<WorkspaceConfig>().requireCustomerManagedKey && (typeof props.kmsKeyArn !== "string" || props.kmsKeyArn === "")) {
            report(`The AMP workspace ${what} must be encrypted with a customer-managed KMS key: set kmsKeyArn.`);
        }
    }),
};

import type { ResourceValidationPolicy } from "@pulumi/policy";
import { isLogGroup, LOG_GROUPS } from "../lib/logGroups";
import { forVigilResources } from "../lib/policy";
import { describe } from "../lib/resources";

interface RetentionConfig {
    readonly minRetentionDays: number;
}

export const cloudwatchLogRetention: ResourceValidationPolicy = {
    name: "vigil-cloudwatch-log-retention",
    description:
        "Every log group Vigil creates keeps its logs for a set period of at least minRetentionDays (365 by default), long enough to analyse past incidents, and never without a limit.",
    enforcementLevel: "mandatory",
    severity: "medium",
    framework: { name: "AWS Security Hub", version: "NIST 800-53 r5", reference: "CloudWatch.16", specification: "CloudWatch log groups should be retained for a specified time period." },
    tags: ["checkov:CKV_AWS_66", "checkov:CKV_AWS_338"],
    configSchema: {
        properties: {
            minRetentionDays: { type: "integer", minimum: 1, default: 365, description: "The shortest retention accepted, in days." },
        },
    },
    remediationSteps: "Set vigil:logRetentionDays (retentionInDays) to at least the minimum, e.g. 365.",
    // The dynamic resource that creates or adopts a control-plane log group is held to the same rule.
    validateResource: forVigilResources(isLogGroup, LOG_GROUPS, (props, args, report) => {
        const { minRetentionDays } = args.getConfig<RetentionConfig>();
        const days = props.retentionInDays;
        if (typeof days !== "number" || days === 0) {
            report(`The log group ${describe(args)} must set retentionInDays (at least ${minRetentionDays}); without it logs are kept, and billed, forever.`);
        } else if (days < minRetentionDays) {
            report(`The log group ${describe(args)} keeps logs for ${days} days; keep them for at least ${minRetentionDays} days (vigil:logRetentionDays).`);
        }
    }),
};

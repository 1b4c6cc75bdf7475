import type { ResourceValidationPolicy } from "@pulumi/policy";
import { isLogGroup, LOG_GROUPS } from "../lib/logGroups";
import { forVigilResources } from "../lib/policy";
import { describe } from "../lib/resources";

export const cloudwatchLogEncrypted: ResourceValidationPolicy = {
    name: "vigil-cloudwatch-log-encrypted",
    description: "Every log group Vigil creates is encrypted with a customer-managed KMS key, since control-plane and audit logs reveal how the cluster is used.",
    enforcementLevel: "mandatory",
    severity: "medium",
    tags: ["checkov:CKV_AWS_158", "avd:AVD-AWS-0017"],
    remediationSteps: "Set kmsKeyId to the log key (AccountMonitoring's logKeyArn).",
    // The dynamic resource that creates or adopts a control-plane log group is held to the same rule.
    validateResource: forVigilResources(isLogGroup, LOG_GROUPS, (props, args, report) => {
        if (typeof props.kmsKeyId !== "string" || props.kmsKeyId === "") {
            report(`The log group ${describe(args)} must be encrypted: set kmsKeyId to a customer-managed KMS key whose policy admits logs.<region>.amazonaws.com.`);
        }
    }),
};

import type { ResourceValidationPolicy } from "@pulumi/policy";
import { forVigilTypes } from "../lib/policy";
import { describe } from "../lib/resources";

export const snsTopicEncrypted: ResourceValidationPolicy = {
    name: "vigil-sns-topic-encrypted",
    description:
        "Vigil's SNS topics are encrypted with a customer-managed KMS key; the AWS-managed alias/aws/sns key cannot grant AMP, EventBridge and CloudWatch the right to publish.",
    enforcementLevel: "mandatory",
    severity: "medium",
    framework: { name: "AWS Security Hub", version: "NIST 800-53 r5", reference: "SNS.1", specification: "SNS topics should be encrypted at-rest using AWS KMS." },
    tags: ["checkov:CKV_AWS_26", "avd:AVD-AWS-0095", "avd:AVD-AWS-0136"],
    remediationSteps: "Set kmsMasterKeyId to the customer-managed key (AccountMonitoring's keyArn).",
    validateResource: forVigilTypes(["aws:sns/topic:Topic"], (props, args, report) => {
        const key = props.kmsMasterKeyId;
        if (typeof key !== "string" || key === "") {
            report(`The SNS topic ${describe(args)} must be encrypted: set kmsMasterKeyId to a customer-managed KMS key.`);
        } else if (/(^|:)alias\/aws\/sns$/.test(key)) {
            report(`The SNS topic ${describe(args)} uses the AWS-managed key alias/aws/sns, whose policy cannot let AMP, EventBridge or CloudWatch publish; set kmsMasterKeyId to a customer-managed KMS key.`);
        }
    }),
};

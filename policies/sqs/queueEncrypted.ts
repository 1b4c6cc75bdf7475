import type { ResourceValidationPolicy } from "@pulumi/policy";
import { forVigilTypes } from "../lib/policy";
import { describe } from "../lib/resources";

interface QueueConfig {
    readonly allowSqsManagedEncryption: boolean;
}

export const sqsQueueEncrypted: ResourceValidationPolicy = {
    name: "vigil-sqs-queue-encrypted",
    description:
        "Vigil's SQS queues are encrypted with a customer-managed KMS key, which the encrypted SNS topics and EventBridge need to be able to deliver to them (the AWS-managed alias/aws/sqs key cannot grant them).",
    enforcementLevel: "mandatory",
    severity: "medium",
    tags: ["checkov:CKV_AWS_27"],
    configSchema: {
        properties: {
            allowSqsManagedEncryption: {
                type: "boolean",
                default: false,
                description: "Also accept SQS-managed encryption (sqsManagedSseEnabled) for queues nothing but SQS writes to.",
            },
        },
    },
    remediationSteps: "Set kmsMasterKeyId to the customer-managed key (AccountMonitoring's keyArn).",
    validateResource: forVigilTypes(["aws:sqs/queue:Queue"], (props, args, report) => {
        const key = props.kmsMasterKeyId;
        const what = describe(args);
        if (typeof key === "string" && /(^|:)alias\/aws\/sqs$/.test(key)) {
            report(`The SQS queue ${what} uses the AWS-managed key alias/aws/sqs, whose policy cannot let SNS or EventBridge deliver; set kmsMasterKeyId to a customer-managed KMS key.`);
            return;
        }
        if (typeof key === "string" && key !== "") {
            return;
        }
        if (props.sqsManagedSseEnabled === true && args.getConfig<QueueConfig>().allowSqsManagedEncryption) {
            return;
        }
        report(`The SQS queue ${what} must be encrypted with a customer-managed KMS key: set kmsMasterKeyId.`);
    }),
};

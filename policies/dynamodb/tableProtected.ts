import type { ResourceValidationPolicy } from "@pulumi/policy";
import { forVigilTypes } from "../lib/policy";
import { describe } from "../lib/resources";

interface TableConfig {
    readonly requireCustomerManagedKey: boolean;
}

export const dynamodbTableProtected: ResourceValidationPolicy = {
    name: "vigil-dynamodb-table-protected",
    description: "The triage state table, which holds every case and its history, has point-in-time recovery and KMS encryption.",
    enforcementLevel: "mandatory",
    severity: "medium",
    tags: ["checkov:CKV_AWS_28", "checkov:CKV_AWS_119"],
    configSchema: {
        properties: {
            requireCustomerManagedKey: {
                type: "boolean",
                default: false,
                description: "Also require a customer-managed key (serverSideEncryption.kmsKeyArn) instead of the AWS-managed DynamoDB key.",
            },
        },
    },
    remediationSteps: "Set pointInTimeRecovery { enabled: true } and serverSideEncryption { enabled: true } (with kmsKeyArn when required).",
    validateResource: forVigilTypes(["aws:dynamodb/table:Table"], (props, args, report) => {
        const what = describe(args);
        if (props.pointInTimeRecovery?.enabled !== true) {
            report(`The DynamoDB table ${what} must have point-in-time recovery: set pointInTimeRecovery.enabled to true.`);
        }
        if (props.serverSideEncryption?.enabled !== true) {
            report(`The DynamoDB table ${what} must be encrypted with KMS: set serverSideEncryption.enabled to true.`);
        } else if (args.getConfig<TableConfig>().requireCustomerManagedKey && typeof props.serverSideEncryption.kmsKeyArn !== "string") {
            report(`The DynamoDB table ${what} must be encrypted with a customer-managed KMS key: set serverSideEncryption.kmsKeyArn.`);
        }
    }),
};

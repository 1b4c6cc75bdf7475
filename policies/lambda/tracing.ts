import type { ResourceValidationPolicy } from "@pulumi/policy";
import { LAMBDA_FUNCTION } from "../lib/lambda";
import { forVigilTypes } from "../lib/policy";
import { describe } from "../lib/resources";

export const lambdaTracing: ResourceValidationPolicy = {
    name: "vigil-lambda-tracing",
    description: "Vigil's Lambda functions have X-Ray active tracing, so that a slow or failing triage can be followed across SQS, DynamoDB and SNS.",
    enforcementLevel: "advisory",
    severity: "low",
    framework: { name: "AWS Security Hub", version: "NIST 800-53 r5", reference: "Lambda.7", specification: "Lambda functions should have AWS X-Ray active tracing enabled." },
    tags: ["checkov:CKV_AWS_50"],
    remediationSteps: "Set tracingConfig.mode to Active.",
    validateResource: forVigilTypes([LAMBDA_FUNCTION], (props, args, report) => {
        if (props.tracingConfig?.mode !== "Active") {
            report(`The Lambda function ${describe(args)} must have active tracing: set tracingConfig.mode to Active.`);
        }
    }),
};

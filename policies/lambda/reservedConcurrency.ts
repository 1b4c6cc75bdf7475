import type { ResourceValidationPolicy } from "@pulumi/policy";
import { LAMBDA_FUNCTION } from "../lib/lambda";
import { forVigilTypes } from "../lib/policy";
import { describe } from "../lib/resources";

export const lambdaReservedConcurrency: ResourceValidationPolicy = {
    name: "vigil-lambda-reserved-concurrency",
    description:
        "Vigil's Lambda functions reserve their concurrency (at least 1), so that an alert storm can neither starve the account's other functions nor be starved by them.",
    enforcementLevel: "mandatory",
    severity: "medium",
    tags: ["checkov:CKV_AWS_115"],
    remediationSteps: "Set reservedConcurrentExecutions to a positive number sized for an alert storm.",
    validateResource: forVigilTypes([LAMBDA_FUNCTION], (props, args, report) => {
        const reserved = props.reservedConcurrentExecutions;
        if (reserved === 0) {
            report(`The Lambda function ${describe(args)} reserves 0 concurrent executions, which stops it from running at all; reserve at least 1.`);
        } else if (typeof reserved !== "number" || reserved < 1) {
            report(`The Lambda function ${describe(args)} must reserve its concurrency: set reservedConcurrentExecutions to at least 1.`);
        }
    }),
};

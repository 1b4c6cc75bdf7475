import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { EVENT_INVOKE_CONFIG, EVENT_SOURCE_MAPPING, FUNCTION_URL, isSqsArn, LAMBDA_FUNCTION, LAMBDA_PERMISSION } from "../lib/lambda";
import { describe, refersToFunction, vigilResources } from "../lib/resources";

/** Why a function needs no failure destination of its own, or undefined when it does. */
function invokedSynchronously(fn: PolicyResource, resources: readonly PolicyResource[]): string | undefined {
    if (resources.some((r) => r.type === EVENT_SOURCE_MAPPING && isSqsArn(r.props.eventSourceArn) && refersToFunction(r.props.functionName, fn))) {
        return "an SQS event source mapping invokes it (failed messages return to the queue)";
    }
    if (resources.some((r) => r.type === FUNCTION_URL && refersToFunction(r.props.functionName, fn))) {
        return "it answers a function URL (the caller sees failures)";
    }
    if (resources.some((r) => r.type === LAMBDA_PERMISSION && r.props.principal === "apigateway.amazonaws.com" && refersToFunction(r.props.function, fn))) {
        return "it answers an API Gateway API (the caller sees failures)";
    }
    return undefined;
}

export const lambdaFailureDestination: StackValidationPolicy = {
    name: "vigil-lambda-failure-destination",
    description:
        "Every Vigil Lambda function invoked asynchronously (by EventBridge, EventBridge Scheduler or another function) has a dead-letter queue or an on-failure destination, so that a failed timer, sweep or diagnostics run is kept; functions behind an SQS mapping, a function URL or API Gateway are exempt.",
    enforcementLevel: "mandatory",
    severity: "high",
    tags: ["checkov:CKV_AWS_116"],
    remediationSteps: "Set deadLetterConfig.targetArn to an SQS queue, or add an aws.lambda.FunctionEventInvokeConfig with destinationConfig.onFailure.destination.",
    validateStack: (args, report) => {
        const resources = vigilResources(args.resources);
        const functions = resources.filter((r) => r.type === LAMBDA_FUNCTION);
        if (functions.length === 0) {
            args.notApplicable("the stack has no Vigil Lambda functions");
        }
        for (const fn of functions) {
            if (invokedSynchronously(fn, resources)) {
                continue;
            }
            const dlq = fn.props.deadLetterConfig?.targetArn;
            const destination = resources.some(
                (r) => r.type === EVENT_INVOKE_CONFIG && refersToFunction(r.props.functionName, fn) && typeof r.props.destinationConfig?.onFailure?.destination === "string",
            );
            if ((typeof dlq !== "string" || dlq === "") && !destination) {
                report(
                    `The Lambda function ${describe(fn)} is invoked asynchronously but keeps no failed events: set deadLetterConfig.targetArn to an SQS queue or add a FunctionEventInvokeConfig with an on-failure destination.`,
                    fn.urn,
                );
            }
        }
    },
};

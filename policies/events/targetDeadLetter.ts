import type { ResourceValidationPolicy } from "@pulumi/policy";
import { forVigilTypes } from "../lib/policy";
import { describe } from "../lib/resources";

export const eventsTargetDeadLetter: ResourceValidationPolicy = {
    name: "vigil-events-target-dead-letter",
    description:
        "Every EventBridge target Vigil creates has a dead-letter queue and an explicit retry policy, so that events EventBridge cannot deliver to the alert topic or the triage service are kept.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: "Set deadLetterConfig.arn to an SQS queue and retryPolicy { maximumRetryAttempts, maximumEventAgeInSeconds } on the target.",
    validateResource: forVigilTypes(["aws:cloudwatch/eventTarget:EventTarget"], (props, args, report) => {
        const what = describe(args);
        const dlq = props.deadLetterConfig?.arn;
        if (typeof dlq !== "string" || !/^arn:aws[a-z-]*:sqs:/.test(dlq)) {
            report(`The EventBridge target ${what} must have a dead-letter queue: set deadLetterConfig.arn to an SQS queue ARN.`);
        }
        const retry = props.retryPolicy;
        if (typeof retry?.maximumRetryAttempts !== "number" || typeof retry?.maximumEventAgeInSeconds !== "number") {
            report(`The EventBridge target ${what} must set retryPolicy with maximumRetryAttempts and maximumEventAgeInSeconds.`);
        }
    }),
};

import type { ResourceValidationPolicy } from "@pulumi/policy";
import { forVigilTypes } from "../lib/policy";
import { describe } from "../lib/resources";

const DELIVERED_TO_CODE = ["sqs", "lambda"];

export const snsIntakeRedrive: ResourceValidationPolicy = {
    name: "vigil-sns-intake-redrive",
    description:
        "Every SNS subscription that delivers to a queue or a function has a redrive policy with a dead-letter queue, so that no alert is lost when delivery fails.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: "Set redrivePolicy to JSON {\"deadLetterTargetArn\": <dead-letter queue ARN>} on the subscription.",
    validateResource: forVigilTypes(["aws:sns/topicSubscription:TopicSubscription"], (props, args, report) => {
        if (!DELIVERED_TO_CODE.includes(props.protocol)) {
            args.notApplicable(`protocol ${JSON.stringify(props.protocol)} delivers to people, not to the pipeline`);
        }
        let target: unknown;
        try {
            target = typeof props.redrivePolicy === "string" ? (JSON.parse(props.redrivePolicy) as { deadLetterTargetArn?: unknown }).deadLetterTargetArn : undefined;
        } catch {
            target = undefined;
        }
        if (typeof target !== "string" || !/^arn:aws[a-z-]*:sqs:/.test(target)) {
            report(`The SNS subscription ${describe(args)} (${props.protocol}) must have a redrive policy: set redrivePolicy to JSON with deadLetterTargetArn naming an SQS dead-letter queue.`);
        }
    }),
};

import type { StackValidationPolicy } from "@pulumi/policy";
import { EVENT_SOURCE_MAPPING } from "../lib/lambda";
import { SNS_SUBSCRIPTION } from "../lib/pipeline";
import { describe, str, vigilResources } from "../lib/resources";

interface RedriveConfig {
    readonly minReceiveCount: number;
}

export const sqsRedrive: StackValidationPolicy = {
    name: "vigil-sqs-redrive",
    description:
        "Every Vigil queue that receives from SNS or feeds a Lambda function moves a message it cannot deliver after several receives (at least minReceiveCount, 5 by default) to a dead-letter queue of the stack instead of losing it.",
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema: {
        properties: {
            minReceiveCount: {
                type: "integer",
                minimum: 1,
                default: 5,
                description: "The fewest receives before a message goes to the dead-letter queue (AWS recommends at least 5 for Lambda event sources).",
            },
        },
    },
    remediationSteps: "Set redrivePolicy to JSON {\"deadLetterTargetArn\": <DLQ ARN>, \"maxReceiveCount\": 5} on the queue.",
    validateStack: (args, report) => {
        const resources = vigilResources(args.resources);
        const queues = resources.filter((r) => r.type === "aws:sqs/queue:Queue");
        const queueArns = new Set(queues.map((q) => str(q.props.arn)));
        const fed = new Set<string>();
        for (const r of resources) {
            if (r.type === SNS_SUBSCRIPTION && r.props.protocol === "sqs") {
                fed.add(String(r.props.endpoint));
            }
            if (r.type === EVENT_SOURCE_MAPPING) {
                fed.add(String(r.props.eventSourceArn));
            }
        }
        const relevant = queues.filter((q) => fed.has(String(q.props.arn)));
        if (relevant.length === 0) {
            args.notApplicable("no Vigil queue receives from SNS or feeds a function");
        }
        const { minReceiveCount } = args.getConfig<RedriveConfig>();
        for (const queue of relevant) {
            let policy: { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown } | undefined;
            try {
                policy = typeof queue.props.redrivePolicy === "string" ? JSON.parse(queue.props.redrivePolicy) : undefined;
            } catch {
                policy = undefined;
            }
            const what = describe(queue);
            if (!policy || typeof policy.deadLetterTargetArn !== "string") {
                report(`The SQS queue ${what} must move undeliverable messages to a dead-letter queue: set redrivePolicy with deadLetterTargetArn and maxReceiveCount.`, queue.urn);
                continue;
            }
            if (!queueArns.has(policy.deadLetterTargetArn)) {
                report(`The SQS queue ${what} sends dead letters to ${policy.deadLetterTargetArn}, which is not a queue of this stack; create the dead-letter queue alongside it.`, queue.urn);
            }
            const count = Number(policy.maxReceiveCount);
            if (!Number.isInteger(count) || count < minReceiveCount) {
                report(`The SQS queue ${what} gives up after ${policy.maxReceiveCount ?? "an unset number of"} receives; allow at least ${minReceiveCount} (maxReceiveCount) so that a throttled or briefly failing consumer does not send good messages to the dead-letter queue.`, queue.urn);
            }
        }
    },
};

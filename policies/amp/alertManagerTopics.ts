import type { StackValidationPolicy } from "@pulumi/policy";
import { ALERTS_RECEIVER, HEARTBEAT_RECEIVER } from "../lib/alertmanager";
import { pipelines, queueSubscribers, topicsByArn } from "../lib/pipeline";
import { describe } from "../lib/resources";

export const ampAlertManagerTopics: StackValidationPolicy = {
    name: "vigil-amp-alert-manager-topics",
    description:
        "The alert manager sends to topics of the same stack: the alerts receiver to the alert topic and the heartbeat receiver to a separate heartbeat topic, and the triage intake queue subscribes to both.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: "Point the receivers at AccountMonitoring's alertTopicArn and heartbeatTopicArn, and subscribe TriageService's intake queue to both topics.",
    validateStack: (args, report) => {
        const found = pipelines(args.resources);
        if (found.length === 0) {
            args.notApplicable("the stack has no readable alert manager definition");
        }
        const topics = topicsByArn(args.resources);
        for (const p of found) {
            const what = describe(p.definitionResource);
            const urn = p.definitionResource.urn;
            for (const [receiver, arns] of [[ALERTS_RECEIVER, p.alertTopics], [HEARTBEAT_RECEIVER, p.heartbeatTopics]] as const) {
                for (const arn of arns.filter((a) => !topics.has(a))) {
                    report(`The receiver ${JSON.stringify(receiver)} of ${what} sends to ${arn}, which is not a topic of this stack; use the topic AccountMonitoring creates.`, urn);
                }
            }
            const shared = p.alertTopics.filter((a) => p.heartbeatTopics.includes(a));
            if (shared.length > 0) {
                report(`The receivers "alerts" and "heartbeat" of ${what} share the topic ${shared.join(", ")}; the heartbeat needs its own topic so that its absence can be alarmed on.`, urn);
            }
            const alertQueues = new Set(p.alertTopics.flatMap((t) => queueSubscribers(args.resources, t)));
            if (p.alertTopics.length > 0 && alertQueues.size === 0) {
                report(`No SQS queue subscribes to the alert topic ${p.alertTopics.join(", ")} of ${what}; subscribe the triage intake queue to it.`, urn);
            }
            for (const heartbeat of p.heartbeatTopics) {
                const subscribed = queueSubscribers(args.resources, heartbeat);
                if (alertQueues.size > 0 && !subscribed.some((q) => alertQueues.has(q))) {
                    report(`The triage intake queue (${[...alertQueues].join(", ")}) does not subscribe to the heartbeat topic ${heartbeat} of ${what}; subscribe it so that the engine records heartbeats.`, urn);
                }
            }
        }
    },
};

import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { heartbeatAlarms, METRIC_ALARM } from "../lib/alarms";
import { pipelines, SNS_SUBSCRIPTION, topicsByArn } from "../lib/pipeline";
import { strings } from "../lib/policy";
import { describe, str, vigilResources } from "../lib/resources";

// Advisory: the subscription may live in another project (the pipelineTopicArn output), which this
// stack cannot see; the finding says that nothing in this stack reaches a person.
export const snsPipelineTopicSubscribed: StackValidationPolicy = {
    name: "vigil-sns-pipeline-topic-subscribed",
    description:
        "The pipeline topic, which the Watchdog's dead-man's switch and the pipeline's own alarms notify, has a subscriber in the stack other than the alert path, so that a silent or broken pipeline reaches the operators independently of the alert topic.",
    enforcementLevel: "advisory",
    severity: "high",
    remediationSteps:
        "Set vigil:operatorEmails (AccountMonitoring operatorEmails) to the operators' addresses, or subscribe the operators' paging or ticketing system to the pipelineTopicArn stack output from another project.",
    validateStack: (args, report) => {
        const resources = vigilResources(args.resources);
        const found = pipelines(args.resources).filter((p) => p.heartbeatTopics.length > 0);
        const alarms = resources.filter((r) => r.type === METRIC_ALARM);
        const topics = topicsByArn(resources);
        const pipelineTopics = new Map<string, PolicyResource>();
        for (const p of found) {
            const alertPath = new Set([...p.alertTopics, ...p.heartbeatTopics]);
            for (const alarm of heartbeatAlarms(alarms, p.heartbeatTopics)) {
                for (const action of strings(alarm.props.alarmActions)) {
                    const topic = topics.get(action);
                    if (topic && !alertPath.has(action)) {
                        pipelineTopics.set(action, topic);
                    }
                }
            }
        }
        if (pipelineTopics.size === 0) {
            args.notApplicable("the stack has no topic of its own that a dead-man's switch on the heartbeat notifies");
        }
        const subscriptions = args.resources.filter((r) => r.type === SNS_SUBSCRIPTION);
        // An endpoint that also receives the alert or heartbeat topic (the triage intake queue) is part
        // of the pipeline the switch watches, not independent of it.
        const alertPathTopics = new Set(found.flatMap((p) => [...p.alertTopics, ...p.heartbeatTopics]));
        const alertPathEndpoints = new Set(subscriptions.filter((s) => alertPathTopics.has(str(s.props.topic) ?? "")).map((s) => str(s.props.endpoint)));
        for (const [arn, topic] of pipelineTopics) {
            if (!subscriptions.some((s) => s.props.topic === arn && !alertPathEndpoints.has(str(s.props.endpoint)))) {
                report(
                    `The pipeline topic ${describe(topic)} (${arn}), which the heartbeat's dead-man's switch and the pipeline alarms notify, has no subscription in the stack: the dead-man's switch reaches nobody independently of the alert topic. Set vigil:operatorEmails, or subscribe from another project via the pipelineTopicArn stack output.`,
                    topic.urn,
                );
            }
        }
    },
};

import type { StackValidationPolicy } from "@pulumi/policy";
import { alarmWindowSeconds, heartbeatAlarms, METRIC_ALARM } from "../lib/alarms";
import { pipelines } from "../lib/pipeline";
import { strings } from "../lib/policy";
import { arnName, describe, durationSeconds, vigilResources } from "../lib/resources";

export const cloudwatchHeartbeatAlarm: StackValidationPolicy = {
    name: "vigil-cloudwatch-heartbeat-alarm",
    description:
        "The Watchdog heartbeat has a dead-man's switch: a CloudWatch alarm on the heartbeat topic's NumberOfMessagesPublished that treats missing data as breaching, looks back longer than the heartbeat interval, and notifies through a topic other than the alert and heartbeat topics.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
        "Alarm on AWS/SNS NumberOfMessagesPublished (TopicName = the heartbeat topic) with LessThanThreshold 1, treatMissingData breaching, period × evaluationPeriods above the heartbeat's repeat plus group interval, and alarmActions on the pipeline topic.",
    validateStack: (args, report) => {
        const found = pipelines(args.resources).filter((p) => p.heartbeatTopics.length > 0);
        if (found.length === 0) {
            args.notApplicable("the stack has no alert manager definition with a heartbeat receiver");
        }
        const alarms = vigilResources(args.resources).filter((r) => r.type === METRIC_ALARM);
        for (const p of found) {
            const forbidden = new Set([...p.alertTopics, ...p.heartbeatTopics]);
            for (const topic of p.heartbeatTopics) {
                const name = arnName(topic);
                const watching = heartbeatAlarms(alarms, [topic]);
                if (watching.length === 0) {
                    report(`The heartbeat topic ${topic} has no CloudWatch alarm on AWS/SNS NumberOfMessagesPublished (TopicName ${name}); without it a silent pipeline goes unnoticed.`, p.definitionResource.urn);
                    continue;
                }
                const repeat = durationSeconds(p.heartbeatRepeatInterval) ?? 0;
                const group = durationSeconds(p.heartbeatGroupInterval) ?? 0;
                for (const alarm of watching) {
                    const what = describe(alarm);
                    if (alarm.props.treatMissingData !== "breaching") {
                        report(`The heartbeat alarm ${what} must treat missing data as breaching (treatMissingData: breaching); a stopped heartbeat publishes nothing.`, alarm.urn);
                    }
                    if (!["LessThanThreshold", "LessThanOrEqualToThreshold", "LessThanLowerThreshold"].includes(alarm.props.comparisonOperator)) {
                        report(`The heartbeat alarm ${what} must fire when too few heartbeats arrive (comparisonOperator LessThanThreshold); it uses ${JSON.stringify(alarm.props.comparisonOperator)}.`, alarm.urn);
                    }
                    const window = alarmWindowSeconds(alarm);
                    if (window === undefined || window < repeat + group) {
                        report(`The heartbeat alarm ${what} looks back ${window ?? "an unknown number of"} seconds, less than the heartbeat's repeat interval plus group interval (${repeat + group} s); it would fire between heartbeats. Raise period × evaluationPeriods.`, alarm.urn);
                    }
                    const actions = strings(alarm.props.alarmActions);
                    const looped = actions.filter((a) => forbidden.has(a));
                    if (actions.length === 0) {
                        report(`The heartbeat alarm ${what} has no alarm actions; notify the operators through the pipeline topic.`, alarm.urn);
                    } else if (looped.length > 0) {
                        report(`The heartbeat alarm ${what} notifies ${looped.join(", ")}, a topic of the pipeline it watches; notify through an independent topic (the pipeline topic).`, alarm.urn);
                    }
                }
            }
        }
    },
};

// The alert pipeline's own CloudWatch alarms (issue item 6), as data. Every alarm notifies the
// pipeline topic (operators, independent of the alert topic and the triage service), and its name
// starts with the pipeline prefix so that the `pipeline-alarms` EventBridge rule also brings its
// state changes to triage.
//
// Metric names and dimensions (AWS/Prometheus `Workspace`; AWS/Usage `Service=Prometheus`,
// `Type=Resource`, `Resource=IngestionRate`, `ResourceId=<workspace id>`, `Class=None`) are the
// ones AMP vends, as the AWS Observability Accelerator's AMP dashboard queries them.

import type * as pulumi from "@pulumi/pulumi";

/** Names of the pipeline's alarms start with this; other components name their alarms with it too. */
export function pipelineAlarmPrefix(componentName: string): string {
    return `${componentName}-pipeline-`;
}

/** CloudWatch evaluates alarm periods of 10, 30 or a multiple of 60 seconds; Vigil uses 5 minutes. */
export const ALARM_PERIOD_SECONDS = 300;
/** CloudWatch refuses metric-math alarms over more than 10 metrics. */
export const MAX_ALARM_METRICS = 10;

export interface AlarmMetric {
    readonly namespace: string;
    readonly metricName: string;
    readonly dimensions: Readonly<Record<string, pulumi.Input<string>>>;
    readonly stat: "Sum" | "Maximum" | "Average" | "Minimum";
}

export interface AlarmSpec {
    /** Suffix of the alarm name (after the pipeline prefix). */
    readonly id: string;
    readonly description: string;
    readonly comparisonOperator: "GreaterThanThreshold" | "LessThanThreshold" | "LessThanOrEqualToThreshold";
    readonly threshold: number;
    readonly evaluationPeriods: number;
    readonly datapointsToAlarm: number;
    /** `breaching` where silence itself is the failure (heartbeat, ingestion). */
    readonly treatMissingData: "breaching" | "notBreaching";
    /** One metric, or several summed with metric math. */
    readonly metrics?: readonly AlarmMetric[];
    /** A CloudWatch Metrics Insights query, for metrics whose full dimension set varies. */
    readonly insightsQuery?: pulumi.Input<string>;
}

export interface PipelineAlarmInputs {
    readonly workspaceId: pulumi.Input<string>;
    /** Metrics Insights query summing the workspace's rule evaluation failures ({@link ruleEvaluationFailuresQuery}). */
    readonly ruleEvaluationFailuresQuery: pulumi.Input<string>;
    readonly heartbeatTopicName: pulumi.Input<string>;
    /** Topics whose deliveries to subscribers are watched, by id. */
    readonly deliveryTopics: readonly { readonly id: string; readonly name: pulumi.Input<string> }[];
    /** Vigil's EventBridge rule names. */
    readonly eventRuleNames: readonly pulumi.Input<string>[];
    readonly deadLetterQueueName: pulumi.Input<string>;
    /** The heartbeat's repeat interval; three intervals without a message is an alarm. */
    readonly heartbeatIntervalSeconds: number;
}

/**
 * Rule evaluation failures are published per workspace and rule group; Metrics Insights sums
 * them for the workspace whatever the groups are.
 */
export function ruleEvaluationFailuresQuery(workspaceId: string): string {
    if (!/^ws-[0-9a-f-]+$/.test(workspaceId)) {
        throw new Error(`workspaceId must be an AMP workspace id (ws-...), got ${JSON.stringify(workspaceId)}`);
    }
    return `SELECT SUM(RuleEvaluationFailures) FROM "AWS/Prometheus" WHERE Workspace = '${workspaceId}'`;
}

function sumOf(namespace: string, metricName: string, dimension: string, values: readonly pulumi.Input<string>[]): AlarmMetric[] {
    if (values.length === 0 || values.length > MAX_ALARM_METRICS) {
        throw new Error(`an alarm sums 1 to ${MAX_ALARM_METRICS} metrics; ${metricName} would sum ${values.length}`);
    }
    return values.map((value) => ({ namespace, metricName, dimensions: { [dimension]: value }, stat: "Sum" }));
}

/** The pipeline alarms, in a stable order. */
export function pipelineAlarms(inputs: PipelineAlarmInputs): AlarmSpec[] {
    const heartbeatPeriods = Math.max(3, Math.ceil((3 * inputs.heartbeatIntervalSeconds) / ALARM_PERIOD_SECONDS));
    const failing = { comparisonOperator: "GreaterThanThreshold", threshold: 0, evaluationPeriods: 1, datapointsToAlarm: 1, treatMissingData: "notBreaching" } as const;
    return [
        {
            id: "amp-notifications-failed",
            description: "The AMP alert manager failed to deliver notifications to SNS (check the workspace's alert manager log).",
            ...failing,
            metrics: [{ namespace: "AWS/Prometheus", metricName: "AlertManagerNotificationsFailed", dimensions: { Workspace: inputs.workspaceId }, stat: "Sum" }],
        },
        {
            id: "amp-rule-evaluation-failures",
            description: "AMP failed to evaluate alerting or recording rules; affected alerts cannot fire (check the workspace's ruler log).",
            ...failing,
            insightsQuery: inputs.ruleEvaluationFailuresQuery,
        },
        {
            id: "amp-ingestion-stopped",
            description: "No samples reached the AMP workspace for 15 minutes: no cluster is remote-writing.",
            comparisonOperator: "LessThanOrEqualToThreshold",
            threshold: 0,
            evaluationPeriods: 3,
            datapointsToAlarm: 3,
            treatMissingData: "breaching",
            metrics: [
                {
                    namespace: "AWS/Usage",
                    metricName: "ResourceCount",
                    dimensions: { Service: "Prometheus", Type: "Resource", Resource: "IngestionRate", ResourceId: inputs.workspaceId, Class: "None" },
                    stat: "Maximum",
                },
            ],
        },
        ...inputs.deliveryTopics.map(
            (topic): AlarmSpec => ({
                id: `sns-${topic.id}-delivery-failures`,
                description: `SNS failed to deliver messages from the ${topic.id} topic to a subscriber.`,
                ...failing,
                metrics: [{ namespace: "AWS/SNS", metricName: "NumberOfNotificationsFailed", dimensions: { TopicName: topic.name }, stat: "Sum" }],
            }),
        ),
        {
            id: "events-failed-invocations",
            description: "EventBridge failed to deliver matched events to the alert topic after retries (they went to the dead-letter queue).",
            ...failing,
            metrics: sumOf("AWS/Events", "FailedInvocations", "RuleName", inputs.eventRuleNames),
        },
        {
            id: "events-dead-letters-lost",
            description: "EventBridge could not put failed events into the dead-letter queue either: events were lost.",
            ...failing,
            metrics: sumOf("AWS/Events", "InvocationsFailedToBeSentToDlq", "RuleName", inputs.eventRuleNames),
        },
        {
            id: "events-dlq-not-empty",
            description: "Events wait in the EventBridge dead-letter queue; replay them to the alert topic once delivery works.",
            ...failing,
            metrics: [{ namespace: "AWS/SQS", metricName: "ApproximateNumberOfMessagesVisible", dimensions: { QueueName: inputs.deadLetterQueueName }, stat: "Maximum" }],
        },
        {
            id: "heartbeat-missing",
            description:
                "Dead-man's switch: the Watchdog heartbeat stopped arriving on the heartbeat topic, so the AMP ruler, alert manager or SNS path is broken.",
            comparisonOperator: "LessThanThreshold",
            threshold: 1,
            evaluationPeriods: heartbeatPeriods,
            datapointsToAlarm: heartbeatPeriods,
            treatMissingData: "breaching",
            metrics: [{ namespace: "AWS/SNS", metricName: "NumberOfMessagesPublished", dimensions: { TopicName: inputs.heartbeatTopicName }, stat: "Sum" }],
        },
    ];
}

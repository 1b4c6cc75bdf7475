import type { StackValidationPolicy } from "@pulumi/policy";
import { alarmMetrics, METRIC_ALARM } from "../lib/alarms";
import { vigilResources } from "../lib/resources";

interface PipelineAlarmsConfig {
    readonly requiredMetrics: readonly string[];
}

interface MetricSpec {
    readonly text: string;
    readonly namespace: string;
    readonly metricName: string;
    readonly dimensions: Readonly<Record<string, string>>;
}

/** `AWS/Usage/ResourceCount{Resource=IngestionRate}` → namespace, metric name, dimensions. */
export function parseMetricSpec(text: string): MetricSpec | undefined {
    const m = /^(.+)\/([A-Za-z0-9_.-]+)(?:\{([^}]*)\})?$/.exec(text);
    if (!m) {
        return undefined;
    }
    const dimensions: Record<string, string> = {};
    for (const pair of (m[3] ?? "").split(",").filter((p) => p.trim() !== "")) {
        const eq = pair.indexOf("=");
        if (eq <= 0) {
            return undefined;
        }
        dimensions[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
    }
    return { text, namespace: m[1], metricName: m[2], dimensions };
}

export const cloudwatchPipelineAlarms: StackValidationPolicy = {
    name: "vigil-cloudwatch-pipeline-alarms",
    description:
        "The monitoring pipeline watches itself: the operator's stack alarms on AMP notification and rule-evaluation failures, AMP ingestion, SNS delivery failures, EventBridge failed invocations, and the triage functions' errors, throttles and dead-letter queue.",
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema: {
        properties: {
            requiredMetrics: {
                type: "array",
                items: { type: "string" },
                default: [
                    "AWS/Prometheus/AlertManagerNotificationsFailed",
                    "AWS/Prometheus/RuleEvaluationFailures",
                    "AWS/Usage/ResourceCount{Resource=IngestionRate}",
                    "AWS/SNS/NumberOfNotificationsFailed",
                    "AWS/Events/FailedInvocations",
                    "AWS/Lambda/Errors",
                    "AWS/Lambda/Throttles",
                    "AWS/SQS/ApproximateNumberOfMessagesVisible",
                ],
                description: "Metrics that need an alarm, as Namespace/MetricName with optional {Dimension=value,...}.",
            },
        },
    },
    remediationSteps: "Create the alarms with AccountMonitoring and TriageService (each with alarm actions on the pipeline topic).",
    validateStack: (args, report) => {
        const resources = vigilResources(args.resources);
        if (!resources.some((r) => r.type === "aws:amp/workspace:Workspace")) {
            args.notApplicable("the stack runs no Vigil pipeline (no AMP workspace)");
        }
        const metrics = resources.filter((r) => r.type === METRIC_ALARM).flatMap(alarmMetrics);
        for (const text of args.getConfig<PipelineAlarmsConfig>().requiredMetrics) {
            const spec = parseMetricSpec(text);
            if (!spec) {
                report(`The policy configuration requiredMetrics has ${JSON.stringify(text)}; write Namespace/MetricName or Namespace/MetricName{Dimension=value}.`);
                continue;
            }
            const alarmed = metrics.some(
                (m) => m.namespace === spec.namespace && m.metricName === spec.metricName && Object.entries(spec.dimensions).every(([k, v]) => m.dimensions[k] === v),
            );
            if (!alarmed) {
                report(`The stack has no CloudWatch alarm on ${spec.text}; the pipeline would fail there unnoticed.`);
            }
        }
    },
};

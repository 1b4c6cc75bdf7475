// CloudWatch metric alarms as the stack policies read them: a single metric, or metric math.

import type { PolicyResource } from "@pulumi/policy";
import { arnName } from "./resources";

export const METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";

export interface AlarmMetric {
    readonly namespace?: string;
    readonly metricName?: string;
    readonly dimensions: Readonly<Record<string, unknown>>;
}

// A Metrics Insights query: SELECT FN(Metric) FROM "Namespace" | SCHEMA("Namespace", ...) [WHERE ...].
const INSIGHTS = /^\s*SELECT\s+[A-Z]+\(\s*"?([A-Za-z0-9_.-]+)"?\s*\)\s+FROM\s+(?:SCHEMA\(\s*)?"?([A-Za-z0-9/_.:-]+)"?/i;

/** The metric a Metrics Insights expression reads, with the dimensions its WHERE clause fixes. */
export function insightsMetric(expression: string): AlarmMetric | undefined {
    const m = INSIGHTS.exec(expression);
    if (!m) {
        return undefined;
    }
    const dimensions: Record<string, string> = {};
    const where = /\sWHERE\s(.*?)(?:\sGROUP\s+BY\s|\sORDER\s+BY\s|\sLIMIT\s|$)/is.exec(expression)?.[1] ?? "";
    for (const [, key, value] of where.matchAll(/"?([A-Za-z0-9_.-]+)"?\s*=\s*'([^']*)'/g)) {
        dimensions[key] = value;
    }
    return { namespace: m[2], metricName: m[1], dimensions };
}

/** The metrics an alarm watches: its own, those of its metric queries, and Metrics Insights queries. */
export function alarmMetrics(alarm: PolicyResource): AlarmMetric[] {
    const p = alarm.props;
    const out: AlarmMetric[] = [];
    if (typeof p.metricName === "string") {
        out.push({ namespace: p.namespace, metricName: p.metricName, dimensions: p.dimensions ?? {} });
    }
    for (const q of Array.isArray(p.metricQueries) ? p.metricQueries : []) {
        if (q?.metric && typeof q.metric.metricName === "string") {
            out.push({ namespace: q.metric.namespace, metricName: q.metric.metricName, dimensions: q.metric.dimensions ?? {} });
        } else if (typeof q?.expression === "string") {
            const metric = insightsMetric(q.expression);
            if (metric) {
                out.push(metric);
            }
        }
    }
    return out;
}

/** The alarms on the NumberOfMessagesPublished of heartbeat topics (given by ARN): the Watchdog's dead-man's switches. */
export function heartbeatAlarms(alarms: readonly PolicyResource[], heartbeatTopics: readonly string[]): PolicyResource[] {
    const names = new Set(heartbeatTopics.map(arnName));
    return alarms.filter((a) => alarmMetrics(a).some((m) => m.namespace === "AWS/SNS" && m.metricName === "NumberOfMessagesPublished" && names.has(m.dimensions.TopicName as string)));
}

/** The seconds an alarm looks back before it fires: period × evaluation periods. */
export function alarmWindowSeconds(alarm: PolicyResource): number | undefined {
    const p = alarm.props;
    const periods = typeof p.evaluationPeriods === "number" ? p.evaluationPeriods : undefined;
    const queryPeriods = (Array.isArray(p.metricQueries) ? p.metricQueries : []).map((q: any) => q?.metric?.period ?? q?.period).filter((v: unknown) => typeof v === "number");
    const period = typeof p.period === "number" ? p.period : queryPeriods.length > 0 ? Math.max(...queryPeriods) : undefined;
    return periods !== undefined && period !== undefined ? periods * period : undefined;
}

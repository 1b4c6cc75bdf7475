// CloudWatch metric alarms as the stack policies read them: a single metric, or metric math.

import type { PolicyResource } from "@pulumi/policy";

export const METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";

export interface AlarmMetric {
    readonly namespace?: string;
    readonly metricName?: string;
    readonly dimensions: Readonly<Record<string, unknown>>;
}

/** The metrics an alarm watches (its own, or those of its metric queries). */
export function alarmMetrics(alarm: PolicyResource): AlarmMetric[] {
    const p = alarm.props;
    const out: AlarmMetric[] = [];
    if (typeof p.metricName === "string") {
        out.push({ namespace: p.namespace, metricName: p.metricName, dimensions: p.dimensions ?? {} });
    }
    for (const q of Array.isArray(p.metricQueries) ? p.metricQueries : []) {
        if (q?.metric && typeof q.metric.metricName === "string") {
            out.push({ namespace: q.metric.namespace, metricName: q.metric.metricName, dimensions: q.metric.dimensions ?? {} });
        }
    }
    return out;
}

/** The seconds an alarm looks back before it fires: period × evaluation periods. */
export function alarmWindowSeconds(alarm: PolicyResource): number | undefined {
    const p = alarm.props;
    const periods = typeof p.evaluationPeriods === "number" ? p.evaluationPeriods : undefined;
    const period = typeof p.period === "number" ? p.period : Array.isArray(p.metricQueries) ? p.metricQueries.find((q: any) => typeof q?.metric?.period === "number")?.metric.period : undefined;
    return periods !== undefined && period !== undefined ? periods * period : undefined;
}

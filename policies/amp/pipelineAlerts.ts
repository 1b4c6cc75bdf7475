import type { StackValidationPolicy } from "@pulumi/policy";
import { HEARTBEAT_ALERT } from "../lib/alertmanager";
import { listing } from "../lib/policy";
import { namespaceAlerts, RULE_GROUP_NAMESPACE } from "../lib/prometheus";
import { vigilResources } from "../lib/resources";

interface PipelineAlertsConfig {
    readonly requiredAlerts: readonly string[];
}

const HEARTBEAT_LABELS: Record<string, string> = { severity: "info", impact: "none", level: "pipeline" };

export const ampPipelineAlerts: StackValidationPolicy = {
    name: "vigil-amp-pipeline-alerts",
    description:
        "The rule namespaces include the pipeline's own alerts (Watchdog, ClusterMetricsAbsent, PrometheusRemoteWriteBehind, PrometheusRemoteStorageFailures, TargetDown), with Watchdog labelled severity info, impact none, level pipeline, so that a broken pipeline is noticed.",
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema: {
        properties: {
            requiredAlerts: {
                type: "array",
                items: { type: "string" },
                default: [HEARTBEAT_ALERT, "ClusterMetricsAbsent", "PrometheusRemoteWriteBehind", "PrometheusRemoteStorageFailures", "TargetDown"],
                description: "Alert names the rule namespaces must contain.",
            },
        },
    },
    remediationSteps: "Deploy rules/pipeline.yaml as a rule group namespace (AccountMonitoring deploys every file of rules/).",
    validateStack: (args, report) => {
        const namespaces = vigilResources(args.resources).filter((r) => r.type === RULE_GROUP_NAMESPACE);
        if (namespaces.length === 0) {
            args.notApplicable("the stack deploys no rule namespaces (vigil-raci-completeness reports it)");
        }
        const alerts = namespaces.flatMap((r) => namespaceAlerts(r.props.data) ?? []);
        const names = new Set(alerts.map((a) => a.alert));
        const { requiredAlerts } = args.getConfig<PipelineAlertsConfig>();
        const missing = requiredAlerts.filter((a) => !names.has(a));
        if (missing.length > 0) {
            report(`The rule namespaces lack the pipeline alert${missing.length > 1 ? "s" : ""} ${listing(missing)}; deploy rules/pipeline.yaml.`);
        }
        for (const watchdog of alerts.filter((a) => a.alert === HEARTBEAT_ALERT)) {
            const wrong = Object.entries(HEARTBEAT_LABELS).filter(([k, v]) => watchdog.labels?.[k] !== v);
            if (wrong.length > 0) {
                report(`The ${HEARTBEAT_ALERT} alert must be labelled ${Object.entries(HEARTBEAT_LABELS).map(([k, v]) => `${k}=${v}`).join(", ")}; it has ${wrong.map(([k]) => `${k}=${JSON.stringify(watchdog.labels?.[k] ?? null)}`).join(", ")}.`);
            }
        }
    },
};

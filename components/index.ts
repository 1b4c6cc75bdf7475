// Vigil's public library surface for other Pulumi projects.

export * from "./tags";
export { keepList, loadRuleFiles, loadDashboards, ruleMetricNames, dashboardMetricNames } from "./metrics";
export { metricNames } from "./promql";
export * from "./cluster";
export * from "./customer";
export type { AccountMonitoringArgs, GuardDutyMode } from "./account";
export {
    AccountMonitoring,
    alertmanagerConfig,
    alertmanagerDefinition,
    messageTemplate,
    splitDefinition,
    eventRules,
    pipelineAlarmPrefix,
} from "./account";
export type { TriageServiceArgs } from "./triage";
export { TriageService, buildBundle, ensureBundle, BUNDLE_DIR } from "./triage";

// Cluster-level monitoring: the ClusterMonitoring component and the pure functions behind it.

export {
    ClusterMonitoring,
    CLOUDWATCH_RETENTION_DAYS,
    DEFAULT_NAMESPACE,
    k8sRules,
    managedCollectorProblems,
    resolveClusterMonitoringArgs,
} from "./clusterMonitoring";
export type { ClusterLike, ClusterMonitoringArgs, CollectorIdentity, ManagedCollectorFacts } from "./clusterMonitoring";
export { ControlPlaneLogging } from "./controlPlaneLogging";
export type { ControlPlaneLoggingArgs } from "./controlPlaneLogging";
export { CONTROL_PLANE_LOG_TYPES, CONTROL_PLANE_LOGGING_KIND } from "./logging";
export { AdoptableLogGroup } from "./adoptableLogGroup";
export type { AdoptableLogGroupArgs } from "./adoptableLogGroup";
export { LOG_GROUP_KIND } from "./logGroup";
export {
    keepRelabelConfig,
    KUBE_STATE_METRICS_TELEMETRY_ENDPOINT,
    kubeStateMetricsAllowlist,
    managedScrapeConfiguration,
    normaliseKeepList,
    prometheusConfig,
    scrapeJobs,
    ScrapeConfigError,
} from "./scrape";
export type { Collector, ManagedScrapeOptions, PrometheusConfigOptions, RelabelConfig, RemoteWriteTarget, ScrapeConfig, ScrapeJobOptions } from "./scrape";
export {
    CHART_REPOSITORY,
    CHARTS,
    CLUSTER_ROLE_NAMES,
    controlPlaneMetricsRules,
    DEFAULT_RESOURCES,
    ETHTOOL_METRICS_INCLUDE,
    KUBE_STATE_METRICS_LABELS,
    kubeStateMetricsClusterRules,
    kubeStateMetricsLabelsAllowlist,
    NODE_EXPORTER_ARGS,
    prometheusClusterRules,
    RELEASES,
    SERVICE_ACCOUNTS,
} from "./values";
export type { PolicyRule, Resources } from "./values";
export { irsaTrustPolicy, podIdentityTrustPolicy, remoteWritePolicy } from "./iam";

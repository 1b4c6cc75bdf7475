// Cluster-level monitoring: the ClusterMonitoring component and the pure functions behind it.

export {
    ClusterMonitoring,
    ClusterMonitoringArgs,
    ClusterLike,
    CollectorIdentity,
    CLOUDWATCH_RETENTION_DAYS,
    DEFAULT_NAMESPACE,
    managedCollectorProblems,
    resolveClusterMonitoringArgs,
} from "./clusterMonitoring";
export { ControlPlaneLogging, ControlPlaneLoggingArgs } from "./controlPlaneLogging";
export { CONTROL_PLANE_LOG_TYPES, CONTROL_PLANE_LOGGING_KIND } from "./logging";
export {
    Collector,
    keepRelabelConfig,
    kubeStateMetricsAllowlist,
    managedScrapeConfiguration,
    prometheusConfig,
    PrometheusConfigOptions,
    RemoteWriteTarget,
    ScrapeConfig,
    scrapeJobs,
    ScrapeJobOptions,
} from "./scrape";
export { CHARTS, CHART_REPOSITORY, CLUSTER_ROLE_NAMES, RELEASES, SERVICE_ACCOUNTS, controlPlaneMetricsRules, kubeStateMetricsClusterRules, PolicyRule, prometheusClusterRules } from "./values";
export { irsaTrustPolicy, podIdentityTrustPolicy, remoteWritePolicy } from "./iam";

// The collector's scrape and remote-write configuration, as pure functions.
//
// The same scrape jobs serve both collectors: Prometheus in agent mode in the cluster
// (`prometheusConfig`, remote write with SigV4 and the keep-list as `write_relabel_configs`) and the
// AMP managed collector (`managedScrapeConfiguration`, which has no remote_write section, so the
// keep-list becomes a `metric_relabel_configs` rule on every job). The end-to-end harness reuses
// these functions to run a real Prometheus locally.
//
// Decisions (README, "Cluster-level monitoring"):
// - kubelet and cAdvisor are scraped through the API server's node proxy
//   (`kubernetes.default.svc:443/api/v1/nodes/<node>/proxy/metrics[/cadvisor]`), not on node IPs:
//   TLS is verified against the cluster CA (no insecure_skip_verify against kubelet serving
//   certificates), the collector needs no network path to port 10250 on every node, and the managed
//   collector, which only resolves `kubernetes.default.svc`, can use the very same job.
// - EKS's scheduler and controller-manager metrics (Kubernetes 1.28 and later) are read through the
//   API server as well, from one `service` target, so each series exists once.
// - Exporters are discovered with the `pod` role and kept by their pod label and container port;
//   node-level series get `instance` and `node` set to the node name.

import * as yaml from "js-yaml";

/** Where in-cluster collectors read their service-account credentials. */
export const SERVICE_ACCOUNT_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token";
export const SERVICE_ACCOUNT_CA = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";

/** The API server as the managed collector and in-cluster clients address it. */
export const API_SERVER_ADDRESS = "kubernetes.default.svc:443";

/** EKS exposes kube-scheduler and kube-controller-manager metrics from this Kubernetes minor version on. */
export const CONTROL_PLANE_METRICS_MIN_VERSION = "1.28";
export const SCHEDULER_METRICS_PATH = "/apis/metrics.eks.amazonaws.com/v1/ksh/container/metrics";
export const CONTROLLER_MANAGER_METRICS_PATH = "/apis/metrics.eks.amazonaws.com/v1/kcm/container/metrics";

/** Ports the exporters listen on. */
export const PORTS = {
    nodeExporter: 9100,
    kubeStateMetrics: 8080,
    /** kube-state-metrics' own telemetry (list/watch results): KubeStateMetricsListErrors/WatchErrors read it. */
    kubeStateMetricsTelemetry: 8081,
    coreDns: 9153,
    awsNode: 61678,
    prometheus: 9090,
} as const;

/** The `endpoint` label of kube-state-metrics' telemetry target. */
export const KUBE_STATE_METRICS_TELEMETRY_ENDPOINT = "telemetry";

/** Pod labels (`app.kubernetes.io/name`) the exporter charts give their pods. */
export const EXPORTER_POD_NAMES = {
    nodeExporter: "prometheus-node-exporter",
    kubeStateMetrics: "kube-state-metrics",
} as const;

/** The AMP managed collector rejects scrape intervals below this (AMP user guide, scraper limitations). */
export const MANAGED_MIN_SCRAPE_INTERVAL_SECONDS = 30;

/** Remote-write queue settings recommended by the AMP user guide for Prometheus. */
export const REMOTE_WRITE_QUEUE = {
    capacity: 2500,
    max_shards: 200,
    max_samples_per_send: 1000,
} as const;

export type Collector = "prometheus" | "managed";

export interface RelabelConfig {
    readonly source_labels?: readonly string[];
    readonly separator?: string;
    readonly regex?: string;
    readonly target_label?: string;
    readonly replacement?: string;
    readonly action?: "replace" | "keep" | "drop" | "labelmap" | "labeldrop" | "labelkeep" | "hashmod";
}

/** One Prometheus `scrape_config` (the subset Vigil writes). */
export interface ScrapeConfig {
    readonly job_name: string;
    readonly scheme?: "http" | "https";
    readonly metrics_path?: string;
    readonly honor_labels?: boolean;
    readonly honor_timestamps?: boolean;
    readonly authorization?: { readonly type?: "Bearer"; readonly credentials_file: string };
    readonly tls_config?: { readonly ca_file: string };
    readonly kubernetes_sd_configs?: readonly {
        readonly role: "node" | "pod" | "service" | "endpoints";
        readonly namespaces?: { readonly names: readonly string[] };
    }[];
    readonly static_configs?: readonly { readonly targets: readonly string[]; readonly labels?: Readonly<Record<string, string>> }[];
    readonly relabel_configs?: readonly RelabelConfig[];
    readonly metric_relabel_configs?: readonly RelabelConfig[];
}

/** Bad input to one of the configuration functions; the message names the argument. */
export class ScrapeConfigError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "ScrapeConfigError";
    }
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const MINOR_VERSION = /^(\d+)\.(\d+)$/;
// Prometheus label values are free text, but a cluster label that is also an EKS cluster name is
// letters, digits, hyphens and underscores.
const CLUSTER_LABEL = /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/;

/** True when Kubernetes minor version `version` ("1.29") is at least `minimum` ("1.28"). */
export function versionAtLeast(version: string, minimum: string): boolean {
    const v = MINOR_VERSION.exec(version);
    const m = MINOR_VERSION.exec(minimum);
    if (!v) {
        throw new ScrapeConfigError(`kubernetesVersion: got ${JSON.stringify(version)}; allowed: a Kubernetes minor version such as "1.31"`);
    }
    if (!m) {
        throw new ScrapeConfigError(`minimum version: got ${JSON.stringify(minimum)}; allowed: a Kubernetes minor version such as "1.28"`);
    }
    const [vMajor, vMinor, mMajor, mMinor] = [v[1], v[2], m[1], m[2]].map(Number);
    return vMajor > mMajor || (vMajor === mMajor && vMinor >= mMinor);
}

export interface ScrapeJobOptions {
    /** Kubernetes minor version of the cluster ("1.31"): decides the EKS control-plane jobs. */
    readonly kubernetesVersion: string;
    /** Namespace where node-exporter and kube-state-metrics run. */
    readonly namespace: string;
    /**
     * `prometheus`: the in-cluster agent (verifies the API server against the service-account CA
     * and scrapes itself). `managed`: the AMP managed collector's accepted subset (no `tls_config`,
     * no self-scrape).
     */
    readonly collector: Collector;
}

/** Credentials for jobs that talk to the API server. */
function apiServerAuth(collector: Collector): Pick<ScrapeConfig, "scheme" | "authorization" | "tls_config"> {
    return {
        scheme: "https",
        authorization: { type: "Bearer", credentials_file: SERVICE_ACCOUNT_TOKEN },
        // The managed collector accepts no tls_config and verifies the API server itself.
        ...(collector === "prometheus" ? { tls_config: { ca_file: SERVICE_ACCOUNT_CA } } : {}),
    };
}

/** A kubelet endpoint (`/metrics` or `/metrics/cadvisor`) of every node, through the API server proxy. */
function kubeletJob(jobName: string, kubeletPath: "/metrics" | "/metrics/cadvisor", collector: Collector): ScrapeConfig {
    return {
        job_name: jobName,
        ...apiServerAuth(collector),
        // cAdvisor stamps its samples; honouring those stamps keeps series of deleted containers
        // alive until they go stale (kube-prometheus turns this off for the same reason).
        ...(kubeletPath === "/metrics/cadvisor" ? { honor_timestamps: false } : {}),
        kubernetes_sd_configs: [{ role: "node" }],
        relabel_configs: [
            { target_label: "__address__", replacement: API_SERVER_ADDRESS },
            { source_labels: ["__meta_kubernetes_node_name"], regex: "(.+)", target_label: "__metrics_path__", replacement: `/api/v1/nodes/$1/proxy${kubeletPath}` },
            { source_labels: ["__meta_kubernetes_node_name"], target_label: "instance" },
            { source_labels: ["__meta_kubernetes_node_name"], target_label: "node" },
            // Both kubelet endpoints are job "kubelet"; rules tell them apart by metrics_path (C3).
            { target_label: "job", replacement: "kubelet" },
            { target_label: "metrics_path", replacement: kubeletPath },
        ],
    };
}

/** Keeps Running pods of one namespace whose label matches, one target per listed container port. */
function podSelector(namespace: string, labelMeta: string, labelValue: string, ports: readonly number[]): RelabelConfig[] {
    return [
        {
            source_labels: ["__meta_kubernetes_namespace", labelMeta, "__meta_kubernetes_pod_container_port_number"],
            regex: `${namespace};${labelValue};${ports.length === 1 ? ports[0] : `(${ports.join("|")})`}`,
            action: "keep",
        },
        // Completed and failed pods of a rollout are not targets.
        { source_labels: ["__meta_kubernetes_pod_phase"], regex: "Running", action: "keep" },
    ];
}

/** Labels of a workload pod target: where it runs. */
const POD_TARGET_LABELS: readonly RelabelConfig[] = [
    { source_labels: ["__meta_kubernetes_namespace"], target_label: "namespace" },
    { source_labels: ["__meta_kubernetes_pod_name"], target_label: "pod" },
    { source_labels: ["__meta_kubernetes_pod_node_name"], target_label: "node" },
];

/** The EKS control-plane component behind the API server's metrics.eks.amazonaws.com group. */
function controlPlaneJob(jobName: string, metricsPath: string, collector: Collector): ScrapeConfig {
    return {
        job_name: jobName,
        ...apiServerAuth(collector),
        metrics_path: metricsPath,
        // The `kubernetes` service is one target (kubernetes.default.svc:443); the endpoints role
        // would read the same component once per API server instance and duplicate every series.
        kubernetes_sd_configs: [{ role: "service", namespaces: { names: ["default"] } }],
        relabel_configs: [
            { source_labels: ["__meta_kubernetes_service_name", "__meta_kubernetes_service_port_name"], regex: "kubernetes;https", action: "keep" },
        ],
    };
}

/**
 * The scrape jobs, named as contract C3 says: `kubelet` (two jobs: `/metrics` and cAdvisor on
 * `/metrics/cadvisor`, both labelled job="kubelet"), `apiserver`, `kube-scheduler` and
 * `kube-controller-manager` (Kubernetes 1.28 and later), `kube-dns`, `aws-node`, `node-exporter`,
 * `kube-state-metrics` and, for the in-cluster agent, `prometheus`.
 */
export function scrapeJobs(options: ScrapeJobOptions): ScrapeConfig[] {
    const { namespace, collector } = options;
    if (collector !== "prometheus" && collector !== "managed") {
        throw new ScrapeConfigError(`collector: got ${JSON.stringify(collector)}; allowed: "prometheus", "managed"`);
    }
    if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(namespace)) {
        throw new ScrapeConfigError(`namespace: got ${JSON.stringify(namespace)}; allowed: a DNS-1123 label`);
    }
    const controlPlane = versionAtLeast(options.kubernetesVersion, CONTROL_PLANE_METRICS_MIN_VERSION);

    const jobs: ScrapeConfig[] = [
        kubeletJob("kubelet", "/metrics", collector),
        kubeletJob("kubelet-cadvisor", "/metrics/cadvisor", collector),
        {
            job_name: "apiserver",
            ...apiServerAuth(collector),
            // One target per API server instance: the endpoints of the default/kubernetes service.
            kubernetes_sd_configs: [{ role: "endpoints", namespaces: { names: ["default"] } }],
            relabel_configs: [
                {
                    source_labels: ["__meta_kubernetes_namespace", "__meta_kubernetes_service_name", "__meta_kubernetes_endpoint_port_name"],
                    regex: "default;kubernetes;https",
                    action: "keep",
                },
            ],
        },
    ];
    if (controlPlane) {
        jobs.push(controlPlaneJob("kube-scheduler", SCHEDULER_METRICS_PATH, collector));
        jobs.push(controlPlaneJob("kube-controller-manager", CONTROLLER_MANAGER_METRICS_PATH, collector));
    }
    jobs.push(
        {
            job_name: "kube-dns",
            kubernetes_sd_configs: [{ role: "pod", namespaces: { names: ["kube-system"] } }],
            relabel_configs: [...podSelector("kube-system", "__meta_kubernetes_pod_label_k8s_app", "kube-dns", [PORTS.coreDns]), ...POD_TARGET_LABELS],
        },
        {
            job_name: "aws-node",
            kubernetes_sd_configs: [{ role: "pod", namespaces: { names: ["kube-system"] } }],
            relabel_configs: [...podSelector("kube-system", "__meta_kubernetes_pod_label_k8s_app", "aws-node", [PORTS.awsNode]), ...POD_TARGET_LABELS],
        },
        {
            job_name: "node-exporter",
            kubernetes_sd_configs: [{ role: "pod", namespaces: { names: [namespace] } }],
            relabel_configs: [
                ...podSelector(namespace, "__meta_kubernetes_pod_label_app_kubernetes_io_name", EXPORTER_POD_NAMES.nodeExporter, [PORTS.nodeExporter]),
                // Node-level series: one instance per node, named after it (as kube-prometheus does).
                { source_labels: ["__meta_kubernetes_pod_node_name"], target_label: "instance" },
                { source_labels: ["__meta_kubernetes_pod_node_name"], target_label: "node" },
            ],
        },
        {
            job_name: "kube-state-metrics",
            // kube-state-metrics reports other objects' namespace and pod; those labels must win,
            // and its target gets no namespace/pod labels that would stick to cluster-level series.
            honor_labels: true,
            kubernetes_sd_configs: [{ role: "pod", namespaces: { names: [namespace] } }],
            relabel_configs: [
                // Two targets per pod: the object metrics, and its own telemetry (list/watch
                // results), which the pipeline alerts select with job="kube-state-metrics" too.
                ...podSelector(namespace, "__meta_kubernetes_pod_label_app_kubernetes_io_name", EXPORTER_POD_NAMES.kubeStateMetrics, [
                    PORTS.kubeStateMetrics,
                    PORTS.kubeStateMetricsTelemetry,
                ]),
                // The telemetry target is told apart by endpoint="telemetry" (and its port);
                // the object metrics get no extra label.
                {
                    source_labels: ["__meta_kubernetes_pod_container_port_number"],
                    regex: String(PORTS.kubeStateMetricsTelemetry),
                    target_label: "endpoint",
                    replacement: KUBE_STATE_METRICS_TELEMETRY_ENDPOINT,
                },
            ],
        },
    );
    if (collector === "prometheus") {
        // The agent's own health, including its remote-write queue (PrometheusRemoteWriteBehind).
        jobs.push({ job_name: "prometheus", static_configs: [{ targets: [`localhost:${PORTS.prometheus}`] }] });
    }
    return jobs;
}

/** Checks and normalises a keep-list: valid names, sorted, without duplicates, not empty. */
export function normaliseKeepList(keep: readonly string[]): string[] {
    keep.forEach((name, index) => {
        if (typeof name !== "string" || !METRIC_NAME.test(name)) {
            throw new ScrapeConfigError(`keep[${index}]: got ${JSON.stringify(name)}; allowed: a metric name matching ${METRIC_NAME}`);
        }
    });
    const names = [...new Set(keep)].sort();
    if (names.length === 0) {
        throw new ScrapeConfigError(
            "keep: got an empty list; allowed: at least one metric name (the shipped rules and dashboards use none, so remote write would send nothing; add rules or vigil:extraKeepMetrics)",
        );
    }
    return names;
}

/**
 * The remote-write keep rule: only series whose metric name is in `keep` leave the cluster.
 * Prometheus anchors the regex at both ends, and metric names hold no regex metacharacters.
 */
export function keepRelabelConfig(keep: readonly string[]): RelabelConfig {
    return { source_labels: ["__name__"], regex: normaliseKeepList(keep).join("|"), action: "keep" };
}

/** The prefix of kube-state-metrics' telemetry series (port 8081), which its allowlist does not govern. */
export const KUBE_STATE_METRICS_TELEMETRY_PREFIX = "kube_state_metrics_";

/**
 * kube-state-metrics allowlist (`--metric-allowlist`): the `kube_*` names of the keep-list (empty
 * means "expose all"), without the exporter's own telemetry series, which the telemetry endpoint
 * serves whatever the allowlist says.
 */
export function kubeStateMetricsAllowlist(keep: readonly string[]): string[] {
    return [...new Set(keep)].filter((name) => name.startsWith("kube_") && !name.startsWith(KUBE_STATE_METRICS_TELEMETRY_PREFIX)).sort();
}

function checkCluster(cluster: string): void {
    if (!CLUSTER_LABEL.test(cluster)) {
        throw new ScrapeConfigError(`cluster: got ${JSON.stringify(cluster)}; allowed: an EKS cluster name (letters, digits, - and _)`);
    }
}

function checkInterval(seconds: number, minimum: number, argument = "scrapeIntervalSeconds"): void {
    if (!Number.isInteger(seconds) || seconds < minimum || seconds > 300) {
        throw new ScrapeConfigError(`${argument}: got ${seconds}; allowed: a whole number of seconds between ${minimum} and 300`);
    }
}

/** Default scrape timeout: 10 s, never above the interval. */
function scrapeTimeout(intervalSeconds: number): string {
    return `${Math.min(10, intervalSeconds)}s`;
}

export interface RemoteWriteTarget {
    /** `<workspace prometheusEndpoint>api/v1/remote_write`. */
    readonly url: string;
    /**
     * Region for SigV4 signing with the pod's AWS credentials (IRSA or Pod Identity). Leave it out
     * only for a local receiver that takes unsigned writes (the end-to-end harness).
     */
    readonly region?: string;
}

export interface PrometheusConfigOptions {
    /** Value of the `cluster` external label on every series. */
    readonly cluster: string;
    readonly scrapeIntervalSeconds: number;
    readonly jobs: readonly ScrapeConfig[];
    readonly remoteWrite: RemoteWriteTarget;
    /** Metric names remote write keeps (see `keepList` in components/metrics.ts). */
    readonly keep: readonly string[];
}

const HEADER = "# Rendered by Vigil (components/cluster/scrape.ts). Do not edit: changes are overwritten on the next deployment.\n";

/** The in-cluster agent's standalone `prometheus.yml`. */
export function prometheusConfig(options: PrometheusConfigOptions): string {
    checkCluster(options.cluster);
    checkInterval(options.scrapeIntervalSeconds, 10);
    if (!/^https?:\/\/\S+$/.test(options.remoteWrite.url)) {
        throw new ScrapeConfigError(`remoteWrite.url: got ${JSON.stringify(options.remoteWrite.url)}; allowed: an http(s) URL`);
    }
    if (options.remoteWrite.region !== undefined && !/^[a-z]{2}(?:-[a-z]+)+-\d$/.test(options.remoteWrite.region)) {
        throw new ScrapeConfigError(`remoteWrite.region: got ${JSON.stringify(options.remoteWrite.region)}; allowed: an AWS region such as eu-west-1`);
    }
    checkJobNames(options.jobs);
    const doc = {
        global: {
            scrape_interval: `${options.scrapeIntervalSeconds}s`,
            scrape_timeout: scrapeTimeout(options.scrapeIntervalSeconds),
            external_labels: { cluster: options.cluster },
        },
        scrape_configs: options.jobs,
        remote_write: [
            {
                url: options.remoteWrite.url,
                name: "vigil-amp",
                ...(options.remoteWrite.region !== undefined ? { sigv4: { region: options.remoteWrite.region } } : {}),
                queue_config: { ...REMOTE_WRITE_QUEUE },
                write_relabel_configs: [keepRelabelConfig(options.keep)],
            },
        ],
    };
    return HEADER + yaml.dump(doc, { noRefs: true, lineWidth: -1 });
}

export interface ManagedScrapeOptions {
    readonly cluster: string;
    readonly scrapeIntervalSeconds: number;
    readonly jobs: readonly ScrapeConfig[];
    readonly keep: readonly string[];
}

/**
 * The AMP managed collector's scrape configuration: the same jobs, with the keep-list applied to
 * every job's samples (the managed collector has no remote_write section). Rejects what the
 * collector does not accept: intervals under 30 s, `tls_config`, static targets other than IPs.
 */
export function managedScrapeConfiguration(options: ManagedScrapeOptions): string {
    checkCluster(options.cluster);
    checkInterval(options.scrapeIntervalSeconds, MANAGED_MIN_SCRAPE_INTERVAL_SECONDS);
    checkJobNames(options.jobs);
    const keep = keepRelabelConfig(options.keep);
    const jobs = options.jobs.map((job) => {
        if (job.tls_config) {
            throw new ScrapeConfigError(`jobs[${job.job_name}].tls_config: the AMP managed collector accepts no tls_config; build the jobs with collector "managed"`);
        }
        for (const target of (job.static_configs ?? []).flatMap((s) => s.targets)) {
            if (!/^\d{1,3}(?:\.\d{1,3}){3}:\d+$/.test(target)) {
                throw new ScrapeConfigError(`jobs[${job.job_name}].static_configs: got target ${JSON.stringify(target)}; allowed: IP:port (the managed collector resolves no other names)`);
            }
        }
        return { ...job, metric_relabel_configs: [...(job.metric_relabel_configs ?? []), keep] };
    });
    const doc = {
        global: {
            scrape_interval: `${options.scrapeIntervalSeconds}s`,
            scrape_timeout: scrapeTimeout(options.scrapeIntervalSeconds),
            external_labels: { cluster: options.cluster },
        },
        scrape_configs: jobs,
    };
    return HEADER + yaml.dump(doc, { noRefs: true, lineWidth: -1 });
}

function checkJobNames(jobs: readonly ScrapeConfig[]): void {
    const seen = new Set<string>();
    for (const job of jobs) {
        if (seen.has(job.job_name)) {
            throw new ScrapeConfigError(`jobs: job_name ${JSON.stringify(job.job_name)} appears twice; allowed: unique job names`);
        }
        seen.add(job.job_name);
    }
}

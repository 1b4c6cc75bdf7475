// What Vigil runs inside a cluster, as pure functions: pinned Helm charts and their values, the
// Kubernetes RBAC the collectors get, the namespace's labels and the kubeconfig of the provider.

import { Activity, vigilLabels } from "../tags";
import { PORTS } from "./scrape";

/** Where the charts come from. */
export const CHART_REPOSITORY = "https://prometheus-community.github.io/helm-charts";

/**
 * Pinned chart versions (prometheus-community). Bump deliberately: value names are checked against
 * these versions' values.yaml (prometheus 27.37.0 ships Prometheus v3.5.0, node-exporter 4.49.2
 * ships node_exporter 1.10.2, kube-state-metrics 7.0.1 ships kube-state-metrics 2.17.0).
 */
export const CHARTS = {
    prometheus: { chart: "prometheus", version: "27.37.0" },
    nodeExporter: { chart: "prometheus-node-exporter", version: "4.49.2" },
    kubeStateMetrics: { chart: "kube-state-metrics", version: "7.0.1" },
} as const;

/** The keys all three charts' helpers render (`app.kubernetes.io/*` and `helm.sh/chart`). */
const COMMON_CHART_LABELS: readonly string[] = [
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/component",
    "app.kubernetes.io/version",
    "app.kubernetes.io/part-of",
    "app.kubernetes.io/managed-by",
    "helm.sh/chart",
];

/**
 * Label keys each chart renders itself, on every object or on its pods. Chart values must never set
 * one: the charts append user labels after their own, so the rendered YAML would hold the key twice
 * (Helm fails with "mapping key ... already defined"), and a pod label could stop matching its
 * controller's selector. Read from the templates in prometheus-community/helm-charts as stored for
 * review, which are not exactly the pinned versions (prometheus: a helper of the 27.x/28.x line,
 * whose Chart.yaml is stored at 27.19.0 and 28.10.0; node-exporter: two 4.x helpers, which render
 * the same keys; kube-state-metrics: a 5.x+ helper with `customLabels`, whose keys match a rendered
 * 6.4.2 Deployment). Re-read them when bumping `CHARTS`:
 * - prometheus, templates/_helpers.tpl: `prometheus.common.matchLabels` (name, instance),
 *   `prometheus.server.matchLabels` (component: server), `prometheus.common.metaLabels` (version,
 *   helm.sh/chart, part-of), all of them on the server's objects and its pod template
 *   (templates/deploy.yaml). managed-by is listed too: older releases of the same helper render it,
 *   and it is Helm's key on every release.
 * - prometheus-node-exporter, templates/_helpers.tpl: `prometheus-node-exporter.labels`
 *   (helm.sh/chart, managed-by, component: metrics, part-of, version, `release` with releaseLabel)
 *   and `prometheus-node-exporter.selectorLabels` (name, instance), on the DaemonSet and its pods
 *   (templates/daemonset.yaml).
 * - kube-state-metrics, templates/_helpers.tpl: `kube-state-metrics.labels` (helm.sh/chart,
 *   managed-by, component: metrics, part-of, version, `release` with releaseLabel) and
 *   `kube-state-metrics.selectorLabels` (name, instance), on the Deployment and its pods.
 */
export const CHART_OWNED_LABELS: Readonly<Record<keyof typeof CHARTS, readonly string[]>> = {
    prometheus: COMMON_CHART_LABELS,
    // Both render `release` too (releaseLabel).
    nodeExporter: [...COMMON_CHART_LABELS, "release"],
    kubeStateMetrics: [...COMMON_CHART_LABELS, "release"],
};

/**
 * The labels Vigil gives the objects a chart renders: only the `vigil.dev/` keys of `vigilLabels`
 * (activity and responsible party). The `app.kubernetes.io/*` keys belong to the chart
 * (`CHART_OWNED_LABELS`); objects Vigil declares itself (namespace, RBAC, ConfigMap) carry all of
 * `vigilLabels`. `kubectl get -l vigil.dev/activity` lists both.
 */
export function chartLabels(activity: Activity): Record<string, string> {
    return Object.fromEntries(Object.entries(vigilLabels(activity, "chart")).filter(([key]) => key.startsWith("vigil.dev/")));
}

/** Helm release names; fixed, because object names in the cluster derive from them. */
export const RELEASES = {
    prometheus: "vigil-prometheus",
    nodeExporter: "vigil-node-exporter",
    kubeStateMetrics: "vigil-kube-state-metrics",
} as const;

/** Names of the cluster-scoped RBAC objects Vigil creates (ClusterRoles and their bindings). */
export const CLUSTER_ROLE_NAMES = {
    prometheus: "vigil-prometheus",
    controlPlaneMetrics: "vigil-prometheus-control-plane",
    kubeStateMetrics: "vigil-kube-state-metrics",
} as const;

/** Service accounts; the collector role's trust policy names the Prometheus one exactly. */
export const SERVICE_ACCOUNTS = {
    prometheus: "vigil-prometheus",
    kubeStateMetrics: "vigil-kube-state-metrics",
} as const;

/** The chart mounts `<release>-<configMapOverrideName>`; Vigil owns that ConfigMap. */
export const PROMETHEUS_CONFIG_OVERRIDE = "config";
export const PROMETHEUS_CONFIGMAP = `${RELEASES.prometheus}-${PROMETHEUS_CONFIG_OVERRIDE}`;
/** Data key the chart reads (`server.configPath` is `/etc/config/prometheus.yml`). */
export const PROMETHEUS_CONFIG_KEY = "prometheus.yml";

/** The IRSA annotation EKS's pod identity webhook reads. */
export const IRSA_ANNOTATION = "eks.amazonaws.com/role-arn";

export interface Resources {
    readonly requests: { readonly cpu: string; readonly memory: string };
    readonly limits: { readonly cpu: string; readonly memory: string };
}

/** Requests and limits: sized for clusters of up to a few hundred nodes; override per component. */
export const DEFAULT_RESOURCES = {
    prometheus: { requests: { cpu: "200m", memory: "512Mi" }, limits: { cpu: "1", memory: "2Gi" } },
    configReloader: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
    nodeExporter: { requests: { cpu: "20m", memory: "32Mi" }, limits: { cpu: "250m", memory: "96Mi" } },
    kubeStateMetrics: { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
} as const satisfies Record<string, Resources>;

/** A container that satisfies the `restricted` Pod Security Standard. */
const RESTRICTED_CONTAINER = {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ["ALL"] },
} as const;

const RESTRICTED_POD = {
    runAsUser: 65534,
    runAsGroup: 65534,
    fsGroup: 65534,
    runAsNonRoot: true,
    seccompProfile: { type: "RuntimeDefault" },
} as const;

/**
 * Pod Security labels of the Vigil namespace. node-exporter needs the host's network and PID
 * namespaces and hostPath mounts of /, /proc and /sys, which the `baseline` standard forbids, so the
 * namespace enforces `privileged`. Everything else Vigil runs there meets `restricted`, and the
 * namespace audits and warns at `restricted`: the API server's audit log (shipped to CloudWatch with
 * control-plane logging) records every pod that is not, so node-exporter is the only expected entry.
 */
export function namespaceLabels(): Record<string, string> {
    return {
        ...vigilLabels("on-cluster-components", "namespace"),
        "pod-security.kubernetes.io/enforce": "privileged",
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/audit-version": "latest",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/warn-version": "latest",
    };
}

export interface PrometheusValuesOptions<T = string> {
    /**
     * Annotations of the Prometheus service account (the IRSA role ARN, or none for Pod Identity).
     * Values may be Pulumi Inputs: Helm release values accept them.
     */
    readonly serviceAccountAnnotations: Readonly<Record<string, T>>;
    readonly resources?: Resources;
}

/**
 * Values for the `prometheus` chart: the server only, in agent mode (no TSDB, no rules, no local
 * queries; a write-ahead log on an emptyDir that remote write drains), reading Vigil's ConfigMap.
 * The chart's RBAC is off: Vigil declares the collector's ClusterRole itself (`prometheusClusterRules`).
 */
export function prometheusValues<T = string>(options: PrometheusValuesOptions<T>): Record<string, unknown> {
    return {
        rbac: { create: false },
        serviceAccounts: {
            server: { create: true, name: SERVICE_ACCOUNTS.prometheus, annotations: { ...options.serviceAccountAnnotations } },
        },
        alertmanager: { enabled: false },
        "kube-state-metrics": { enabled: false },
        "prometheus-node-exporter": { enabled: false },
        "prometheus-pushgateway": { enabled: false },
        // On every object of the server, its pod template included (`prometheus.server.labels`);
        // server.podLabels would add the same keys to the pod template a second time.
        commonMetaLabels: chartLabels("on-cluster-components"),
        configmapReload: {
            prometheus: {
                enabled: true,
                resources: DEFAULT_RESOURCES.configReloader,
                containerSecurityContext: RESTRICTED_CONTAINER,
            },
        },
        server: {
            fullnameOverride: RELEASES.prometheus,
            configMapOverrideName: PROMETHEUS_CONFIG_OVERRIDE,
            // Prometheus 3 runs in agent mode with --agent; the chart's default flags are for a server.
            defaultFlagsOverride: [
                "--agent",
                `--config.file=/etc/config/${PROMETHEUS_CONFIG_KEY}`,
                "--storage.agent.path=/data",
                "--web.enable-lifecycle",
                `--web.listen-address=:${PORTS.prometheus}`,
            ],
            persistentVolume: { enabled: false },
            emptyDir: { sizeLimit: "4Gi" },
            replicaCount: 1,
            resources: options.resources ?? DEFAULT_RESOURCES.prometheus,
            securityContext: RESTRICTED_POD,
            containerSecurityContext: RESTRICTED_CONTAINER,
            service: { enabled: true, type: "ClusterIP" },
            ingress: { enabled: false },
        },
    };
}

/**
 * The ENA driver's allowance counters (`ethtool -S` on an EC2 instance): how many packets EC2 queued
 * or dropped because the instance exceeded a network allowance. rules/network.yaml reads them as
 * `node_ethtool_<stat>`; nothing else shows that EC2 is dropping an instance's traffic.
 */
const ENA_ALLOWANCES = ["bw_in", "bw_out", "pps", "conntrack", "linklocal"];
export const ENA_ALLOWANCE_STATS: readonly string[] = ENA_ALLOWANCES.map((a) => `${a}_allowance_exceeded`);

/** node-exporter's ethtool stat filter (a Go regexp): exactly the ENA allowance counters. */
export const ETHTOOL_METRICS_INCLUDE = `^(${ENA_ALLOWANCES.join("|")})_allowance_exceeded$`;

/**
 * Flags Vigil adds to the chart's (node-exporter 1.5 and later spell them this way). The ethtool
 * collector is off by default; without the filter it would export every driver statistic, dozens
 * per ENA queue, only for the keep-list to drop them. Reading statistics (ETHTOOL_GSTATS,
 * GDRVINFO, GLINKSETTINGS) needs no capability, so the container keeps dropping all of them; it
 * sees the node's interfaces because the pod already uses the host network namespace.
 */
export const NODE_EXPORTER_ARGS: readonly string[] = ["--collector.ethtool", `--collector.ethtool.metrics-include=${ETHTOOL_METRICS_INCLUDE}`];

/**
 * Values for `prometheus-node-exporter`: on every Linux node, including tainted ones (a toleration
 * of every taint), with requests and limits; the chart's default affinity keeps it off Fargate.
 * The ethtool collector reads the ENA allowance counters (`NODE_EXPORTER_ARGS`).
 */
export function nodeExporterValues(resources: Resources = DEFAULT_RESOURCES.nodeExporter): Record<string, unknown> {
    return {
        fullnameOverride: RELEASES.nodeExporter,
        // node-exporter never calls the Kubernetes API: no ClusterRole, no service account of its
        // own (the namespace's default one, with no token mounted).
        rbac: { create: false },
        serviceAccount: { create: false, automountServiceAccountToken: false },
        tolerations: [{ operator: "Exists" }],
        resources,
        // On the DaemonSet and its pods (`prometheus-node-exporter.labels`); podLabels would
        // repeat the keys in the pod template.
        commonLabels: chartLabels("on-cluster-components"),
        // Vigil scrapes the pods; a Service annotated for scraping would invite other collectors.
        service: { enabled: false, port: PORTS.nodeExporter, targetPort: PORTS.nodeExporter },
        // The chart passes these after its own --path.* and --web.listen-address flags.
        extraArgs: [...NODE_EXPORTER_ARGS],
        hostNetwork: true,
        hostPID: true,
        containerSecurityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
        prometheus: { monitor: { enabled: false } },
    };
}

/**
 * kube-state-metrics collectors Vigil enables: the chart's defaults without `secrets`, whose RBAC
 * (list/watch on every Secret in the cluster) would hand the exporter every secret's contents.
 */
export const KUBE_STATE_METRICS_COLLECTORS: Readonly<Record<string, { readonly apiGroups: readonly string[]; readonly resource: string }>> = {
    certificatesigningrequests: { apiGroups: ["certificates.k8s.io"], resource: "certificatesigningrequests" },
    configmaps: { apiGroups: [""], resource: "configmaps" },
    cronjobs: { apiGroups: ["batch"], resource: "cronjobs" },
    daemonsets: { apiGroups: ["apps"], resource: "daemonsets" },
    deployments: { apiGroups: ["apps"], resource: "deployments" },
    endpointslices: { apiGroups: ["discovery.k8s.io"], resource: "endpointslices" },
    horizontalpodautoscalers: { apiGroups: ["autoscaling"], resource: "horizontalpodautoscalers" },
    ingresses: { apiGroups: ["networking.k8s.io"], resource: "ingresses" },
    jobs: { apiGroups: ["batch"], resource: "jobs" },
    leases: { apiGroups: ["coordination.k8s.io"], resource: "leases" },
    limitranges: { apiGroups: [""], resource: "limitranges" },
    mutatingwebhookconfigurations: { apiGroups: ["admissionregistration.k8s.io"], resource: "mutatingwebhookconfigurations" },
    namespaces: { apiGroups: [""], resource: "namespaces" },
    networkpolicies: { apiGroups: ["networking.k8s.io"], resource: "networkpolicies" },
    nodes: { apiGroups: [""], resource: "nodes" },
    persistentvolumeclaims: { apiGroups: [""], resource: "persistentvolumeclaims" },
    persistentvolumes: { apiGroups: [""], resource: "persistentvolumes" },
    poddisruptionbudgets: { apiGroups: ["policy"], resource: "poddisruptionbudgets" },
    pods: { apiGroups: [""], resource: "pods" },
    replicasets: { apiGroups: ["apps"], resource: "replicasets" },
    replicationcontrollers: { apiGroups: [""], resource: "replicationcontrollers" },
    resourcequotas: { apiGroups: [""], resource: "resourcequotas" },
    services: { apiGroups: [""], resource: "services" },
    statefulsets: { apiGroups: ["apps"], resource: "statefulsets" },
    storageclasses: { apiGroups: ["storage.k8s.io"], resource: "storageclasses" },
    validatingwebhookconfigurations: { apiGroups: ["admissionregistration.k8s.io"], resource: "validatingwebhookconfigurations" },
    volumeattachments: { apiGroups: ["storage.k8s.io"], resource: "volumeattachments" },
};

/**
 * Object labels kube-state-metrics exports, by collector, as `label_<key>` on `kube_<object>_labels`
 * (it exports none unless allowed): the ones rules select on. A PersistentVolumeClaim labelled
 * excluded_from_alerts=true stays out of the volume alerts (rules/storage.yaml).
 */
export const KUBE_STATE_METRICS_LABELS: Readonly<Record<string, readonly string[]>> = {
    persistentvolumeclaims: ["excluded_from_alerts"],
};

/** `--metric-labels-allowlist` entries (`<collector>=[<key>,...]`), one per collector. */
export function kubeStateMetricsLabelsAllowlist(labels: Readonly<Record<string, readonly string[]>> = KUBE_STATE_METRICS_LABELS): string[] {
    return Object.entries(labels).map(([collector, keys]) => {
        if (!(collector in KUBE_STATE_METRICS_COLLECTORS)) {
            throw new Error(`kube-state-metrics label allowlist: got collector ${JSON.stringify(collector)}; allowed: one of ${Object.keys(KUBE_STATE_METRICS_COLLECTORS).join(", ")}`);
        }
        const bad = keys.find((k) => !/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(k));
        if (keys.length === 0 || bad !== undefined) {
            throw new Error(`kube-state-metrics label allowlist for ${collector}: got ${JSON.stringify(keys)}; allowed: one or more Kubernetes label keys`);
        }
        return `${collector}=[${keys.join(",")}]`;
    });
}

/**
 * Values for `kube-state-metrics`, exposing only the `kube_*` metrics the keep-list needs and the
 * object labels rules select on, with its telemetry endpoint (list/watch results) on its own port.
 */
export function kubeStateMetricsValues(allowlist: readonly string[], resources: Resources = DEFAULT_RESOURCES.kubeStateMetrics): Record<string, unknown> {
    return {
        fullnameOverride: RELEASES.kubeStateMetrics,
        // Vigil declares the ClusterRole (`kubeStateMetricsClusterRules`) to match the collectors.
        rbac: { create: false },
        serviceAccount: { create: true, name: SERVICE_ACCOUNTS.kubeStateMetrics },
        collectors: Object.keys(KUBE_STATE_METRICS_COLLECTORS),
        metricAllowlist: [...allowlist],
        metricLabelsAllowlist: kubeStateMetricsLabelsAllowlist(),
        resources,
        // On every object and the pod template (`kube-state-metrics.labels`); podLabels would
        // repeat the keys in the pod template.
        customLabels: chartLabels("on-cluster-components"),
        prometheusScrape: false,
        // Declares the telemetry container port, so the pod-role scrape job finds it; no
        // ServiceMonitor (prometheus.monitor is off).
        selfMonitor: { enabled: true, telemetryPort: PORTS.kubeStateMetricsTelemetry },
        prometheus: { monitor: { enabled: false } },
    };
}

/** One Kubernetes RBAC policy rule. */
export interface PolicyRule {
    readonly apiGroups?: readonly string[];
    readonly resources?: readonly string[];
    readonly resourceNames?: readonly string[];
    readonly verbs: readonly string[];
    readonly nonResourceURLs?: readonly string[];
}

/**
 * What the in-cluster Prometheus may do: service discovery (nodes, pods, services, endpoints), the
 * kubelet through the API server's node proxy, and the API server's own /metrics. `get` on
 * `nodes/proxy` is not read-only: it reaches the whole kubelet API, exec into containers over a
 * websocket included (CIS EKS 4.1.10). Vigil takes it for the reasons at the top of ./scrape; the
 * README's "`nodes/proxy` is not read-only" says who holds it, and a test pins this exact rule set.
 */
export function prometheusClusterRules(): PolicyRule[] {
    return [
        { apiGroups: [""], resources: ["nodes", "nodes/proxy", "services", "endpoints", "pods"], verbs: ["get", "list", "watch"] },
        { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["get", "list", "watch"] },
        { nonResourceURLs: ["/metrics"], verbs: ["get"] },
    ];
}

/**
 * EKS's scheduler and controller-manager metrics (Kubernetes 1.28 and later). On older clusters the
 * API group does not exist and the rule grants nothing.
 */
export function controlPlaneMetricsRules(): PolicyRule[] {
    return [{ apiGroups: ["metrics.eks.amazonaws.com"], resources: ["kcm/metrics", "ksh/metrics"], verbs: ["get"] }];
}

/** kube-state-metrics: list and watch of exactly the resources its collectors read. */
export function kubeStateMetricsClusterRules(): PolicyRule[] {
    return Object.values(KUBE_STATE_METRICS_COLLECTORS).map(({ apiGroups, resource }) => ({
        apiGroups: [...apiGroups],
        resources: [resource],
        verbs: ["list", "watch"],
    }));
}

export interface KubeconfigOptions {
    readonly clusterName: string;
    readonly endpoint: string;
    /** Base64 PEM of the cluster CA, as EKS returns it. */
    readonly certificateAuthority: string;
    readonly region: string;
}

/**
 * A kubeconfig that authenticates with `aws eks get-token` (client-go exec plugin), so it holds no
 * credentials: the Pulumi deployer's AWS identity is what the cluster's access entry admits.
 */
export function kubeconfig(options: KubeconfigOptions): string {
    const name = options.clusterName;
    return JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name, cluster: { server: options.endpoint, "certificate-authority-data": options.certificateAuthority } }],
        contexts: [{ name, context: { cluster: name, user: name } }],
        "current-context": name,
        preferences: {},
        users: [
            {
                name,
                user: {
                    exec: {
                        apiVersion: "client.authentication.k8s.io/v1beta1",
                        command: "aws",
                        args: ["--region", options.region, "eks", "get-token", "--cluster-name", name, "--output", "json"],
                        interactiveMode: "Never",
                    },
                },
            },
        ],
    });
}

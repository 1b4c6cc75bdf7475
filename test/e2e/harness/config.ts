// What the end-to-end harness runs, as pure functions over the components' own renderers.
//
// Every configuration starts from what a deployment renders and changes only what a laptop cannot
// have, so the test proves the shipped configuration and not a copy of it:
// - the collector (Prometheus in agent mode): `prometheusConfig` with the cluster component's
//   `node-exporter` and `prometheus` jobs; only the service discovery becomes `static_configs`
//   (with the `__meta_kubernetes_*` labels the pod role would attach, so every relabel rule runs
//   as in a cluster) and the remote-write URL points at the local receiver;
// - the alert manager: the account component's AMP definition, with `sns_configs[].api_url` set
//   to the local SNS endpoint; optionally (the default, see `AlertmanagerTimers`) the root route
//   flushes groups sooner;
// - the rules: the shipped files, copied verbatim, except that `for` windows named in
//   `FOR_OVERRIDES` are shortened in the copies; plus one test-only file (`E2E_RULE_FILE`).

import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { alertmanagerDefinition, AlertmanagerArgs, splitDefinition } from "../../../components/account/alertmanager";
import { EXPORTER_POD_NAMES, PORTS, prometheusConfig, RelabelConfig, ScrapeConfig, scrapeJobs } from "../../../components/cluster/scrape";
import { loadRuleFiles, RuleFile, RULES_DIR } from "../../../components/metrics";

export const REGION = "eu-west-1";
export const ACCOUNT_ID = "111122223333";
/** The cluster label the collector stamps on every series (its external label). */
export const CLUSTER = "vigil-e2e";
/** ClusterMonitoring's default namespace (DEFAULT_NAMESPACE in components/cluster/clusterMonitoring.ts). */
export const NAMESPACE = "vigil-monitoring";
/** A supported EKS version (it decides only the control-plane jobs, which the harness does not run). */
export const KUBERNETES_VERSION = "1.31";
/**
 * The smallest scrape interval ClusterMonitoring accepts (its default is 30 s): a real argument
 * value, not an override, and short enough that a stopped exporter shows within seconds.
 */
export const SCRAPE_INTERVAL_SECONDS = 10;
/** The node the node-exporter pod runs on (what the pod role's `__meta_kubernetes_pod_node_name` says). */
export const NODE_NAME = "ip-10-0-1-23.eu-west-1.compute.internal";
/** The DaemonSet pod's name (release `vigil-node-exporter`). */
export const NODE_EXPORTER_POD = "vigil-node-exporter-7xk2p";
/** The remote-write URL a deployment renders (AMP's `prometheusEndpoint` + `api/v1/remote_write`). */
export const AMP_REMOTE_WRITE_URL = `https://aps-workspaces.${REGION}.amazonaws.com/workspaces/ws-0e2e0000-0000-4000-8000-000000000000/api/v1/remote_write`;

export const TOPICS = {
    alerts: `arn:aws:sns:${REGION}:${ACCOUNT_ID}:vigil-alerts`,
    heartbeat: `arn:aws:sns:${REGION}:${ACCOUNT_ID}:vigil-heartbeat`,
    notifications: `arn:aws:sns:${REGION}:${ACCOUNT_ID}:vigil-notifications`,
    /** The operators' topic (AccountMonitoring.pipelineTopicArn). */
    pipeline: `arn:aws:sns:${REGION}:${ACCOUNT_ID}:vigil-pipeline`,
} as const;

/** The account component's defaults (AccountMonitoringArgs: repeat 4 h, heartbeat 5 min). */
export const ALERTMANAGER_ARGS: AlertmanagerArgs = {
    region: REGION,
    alertTopicArn: TOPICS.alerts,
    heartbeatTopicArn: TOPICS.heartbeat,
    repeatIntervalSeconds: 14_400,
    heartbeatIntervalSeconds: 300,
};

/** A bad harness input; the message names it. */
export class HarnessConfigError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "HarnessConfigError";
    }
}

// ---- collector ----------------------------------------------------------------------------------

/** The jobs the harness runs: the collector's node-exporter job and its self-scrape. */
export const COLLECTOR_JOBS = ["node-exporter", "prometheus"] as const;

/** The collector's jobs exactly as ClusterMonitoring builds them, restricted to COLLECTOR_JOBS. */
export function collectorJobs(): ScrapeConfig[] {
    const all = scrapeJobs({ kubernetesVersion: KUBERNETES_VERSION, namespace: NAMESPACE, collector: "prometheus" });
    const jobs = all.filter((job) => (COLLECTOR_JOBS as readonly string[]).includes(job.job_name));
    if (jobs.length !== COLLECTOR_JOBS.length) {
        throw new HarnessConfigError(`scrapeJobs() no longer renders the jobs ${COLLECTOR_JOBS.join(", ")}; got ${all.map((j) => j.job_name).join(", ")}`);
    }
    return jobs;
}

/** `prometheus.yml` exactly as ClusterMonitoring renders it for this cluster (SigV4 to AMP, keep-list). */
export function renderedCollectorConfig(keep: readonly string[]): string {
    return prometheusConfig({
        cluster: CLUSTER,
        scrapeIntervalSeconds: SCRAPE_INTERVAL_SECONDS,
        jobs: collectorJobs(),
        remoteWrite: { url: AMP_REMOTE_WRITE_URL, region: REGION },
        keep,
    });
}

/**
 * The labels Kubernetes pod discovery attaches to the node-exporter pod's container port: the
 * harness hands them to the job's relabel rules through `static_configs`, so those rules (keep by
 * namespace, pod label, port and phase; instance and node from the node name) run unchanged.
 */
export function nodeExporterPodLabels(): Record<string, string> {
    return {
        __meta_kubernetes_namespace: NAMESPACE,
        __meta_kubernetes_pod_name: NODE_EXPORTER_POD,
        __meta_kubernetes_pod_node_name: NODE_NAME,
        __meta_kubernetes_pod_phase: "Running",
        __meta_kubernetes_pod_label_app_kubernetes_io_name: EXPORTER_POD_NAMES.nodeExporter,
        __meta_kubernetes_pod_container_name: "node-exporter",
        __meta_kubernetes_pod_container_port_number: String(PORTS.nodeExporter),
        __meta_kubernetes_pod_container_port_protocol: "TCP",
    };
}

export interface LocalCollectorTargets {
    /** host:port of the local node-exporter. */
    readonly nodeExporter: string;
    /** host:port the collector itself listens on. */
    readonly prometheus: string;
    /** The local remote-write receiver. */
    readonly remoteWriteUrl: string;
}

interface PrometheusDoc {
    global: Record<string, unknown>;
    scrape_configs: (ScrapeConfig & Record<string, unknown>)[];
    remote_write: ({ url: string; write_relabel_configs: RelabelConfig[] } & Record<string, unknown>)[];
}

/**
 * The rendered configuration with service discovery replaced by the local targets and remote
 * write sent to the local receiver. Everything else (relabeling, SigV4, queue, keep rule) stays.
 */
export function localCollectorConfig(rendered: string, targets: LocalCollectorTargets): string {
    const doc = yaml.load(rendered) as PrometheusDoc;
    doc.scrape_configs = doc.scrape_configs.map((job) => {
        if (job.job_name === "node-exporter") {
            const { kubernetes_sd_configs: sd, ...rest } = job;
            if (!sd || sd.length !== 1 || sd[0].role !== "pod") {
                throw new HarnessConfigError(`job node-exporter: expected one kubernetes_sd_configs entry with role pod, got ${JSON.stringify(sd)}`);
            }
            return { ...rest, static_configs: [{ targets: [targets.nodeExporter], labels: nodeExporterPodLabels() }] };
        }
        if (job.job_name === "prometheus") {
            if (!job.static_configs || job.static_configs.length !== 1) {
                throw new HarnessConfigError(`job prometheus: expected one static_configs entry, got ${JSON.stringify(job.static_configs)}`);
            }
            return { ...job, static_configs: [{ ...job.static_configs[0], targets: [targets.prometheus] }] };
        }
        throw new HarnessConfigError(`job ${job.job_name}: the harness has no local target for it (it runs ${COLLECTOR_JOBS.join(", ")})`);
    });
    if (doc.remote_write.length !== 1) {
        throw new HarnessConfigError(`remote_write: expected one entry, got ${doc.remote_write.length}`);
    }
    doc.remote_write[0].url = targets.remoteWriteUrl;
    return yaml.dump(doc, { noRefs: true, lineWidth: -1 });
}

/** The keep rule the rendered configuration applies to remote write. */
export function renderedKeepRule(rendered: string): RelabelConfig {
    const doc = yaml.load(rendered) as PrometheusDoc;
    return doc.remote_write[0].write_relabel_configs[0];
}

// ---- rules --------------------------------------------------------------------------------------

/**
 * The test override: alerts the scenarios wait for get these `for` windows in the copies the
 * harness evaluates (the shipped files say 10 and 15 minutes). Nothing else in any rule changes.
 */
export const FOR_OVERRIDES: Readonly<Record<string, string>> = {
    TargetDown: "5s",
    NodeExporterDown: "5s",
};

export interface OverriddenRule {
    readonly file: string;
    readonly alert: string;
    readonly from: string | undefined;
    readonly to: string;
}

interface RuleDoc {
    groups: { name: string; rules: Record<string, unknown>[] }[];
}

/**
 * Writes the rule files of `sourceDir` into `targetDir`: verbatim, except the `for` of the alerts
 * named in `overrides`. Fails when an override names no alert (a renamed alert must not silently
 * turn the override off). `sourceDir` is never written.
 */
export function writeRuleFiles(targetDir: string, overrides: Readonly<Record<string, string>> = FOR_OVERRIDES, sourceDir: string = RULES_DIR): { files: string[]; overridden: OverriddenRule[] } {
    if (path.resolve(targetDir) === path.resolve(sourceDir)) {
        throw new HarnessConfigError(`targetDir: got the rules directory itself (${sourceDir}); the overrides go to copies`);
    }
    for (const [alert, duration] of Object.entries(overrides)) {
        if (!/^(\d+(ms|s|m|h))+$/.test(duration)) {
            throw new HarnessConfigError(`overrides.${alert}: got ${JSON.stringify(duration)}; allowed: a Prometheus duration such as "5s"`);
        }
    }
    fs.mkdirSync(targetDir, { recursive: true });
    const overridden: OverriddenRule[] = [];
    const files = loadRuleFiles(sourceDir).map((file: RuleFile) => {
        const target = path.join(targetDir, path.basename(file.path));
        const doc = yaml.load(file.content) as RuleDoc;
        let changed = false;
        for (const group of doc.groups) {
            for (const rule of group.rules) {
                const name = rule.alert;
                if (typeof name === "string" && name in overrides) {
                    overridden.push({ file: path.basename(file.path), alert: name, from: rule.for as string | undefined, to: overrides[name] });
                    rule.for = overrides[name];
                    changed = true;
                }
            }
        }
        fs.writeFileSync(target, changed ? yaml.dump(doc, { noRefs: true, lineWidth: -1 }) : file.content);
        return target;
    });
    const missing = Object.keys(overrides).filter((alert) => !overridden.some((o) => o.alert === alert));
    if (missing.length > 0) {
        throw new HarnessConfigError(`overrides: no rule file in ${sourceDir} has an alert named ${missing.join(", ")}`);
    }
    return { files, overridden };
}

/**
 * Alerts that report a component of a reporting cluster as missing (`group by (cluster) (up) unless
 * on (cluster) group by (cluster) (up{job="X"} == 1)`) for a job the harness does not run: its
 * cluster has no API server, CoreDNS, kubelet or kube-state-metrics, so once their `for` window has
 * passed these fire, rightly. Alert name → the missing job and the rule's `for`.
 */
export function missingComponentAlerts(files: readonly RuleFile[] = loadRuleFiles(), localJobs: readonly string[] = COLLECTOR_JOBS): Map<string, { job: string; for: string }> {
    const out = new Map<string, { job: string; for: string }>();
    const pattern = /^\s*group by \(cluster\) \(up\)\s+unless on \(cluster\)\s+group by \(cluster\) \(up\{job="([^"]+)"[^}]*\} == 1\)\s*$/;
    for (const file of files) {
        for (const group of file.groups) {
            for (const rule of group.rules) {
                const m = rule.alert ? pattern.exec(rule.expr) : null;
                if (m && rule.alert && !localJobs.includes(m[1])) {
                    out.set(rule.alert, { job: m[1], for: rule.for ?? "0s" });
                }
            }
        }
    }
    return out;
}

/** Labels and annotations that JSON must escape and the template must carry through untouched. */
export const HARD_TEXT = {
    labels: {
        quote: 'she said "stop" and it\'s done',
        backslash: "C:\\Program Files\\vigil\\ and \\' and a trailing \\",
        newline: "line one\nline two\r\nline three",
        tab: "col1\tcol2",
        markup: "<b>a & b = c</b>",
        unicode: "Grüße aus Köln, 東京, Ελληνικά, emoji 🚨",
        control: "bell\u0007 and \u0001",
        separators: "line\u2028para\u2029end",
    },
    annotations: {
        summary: 'Disk "data" on C:\\vol is 95% full — Grüße 🚨',
        description: 'First line with "quotes" and \\backslashes\\.\nSecond line:\ttabbed, <markup> & more.\nDritte Zeile: ÄÖÜ ß, 日本語.',
        runbook_url: "https://runbooks.vigil.example/e2e?a=1&b=<2>",
        mitigation: '- Check "the disk" on C:\\vol\n- Then ring the owner: Zoë',
    },
} as const;

/** Test-only alerts: they fire while the collector's self-scrape arrives (so they carry its cluster label). */
export const E2E_ALERTS = {
    text: { alert: "VigilE2EHardText", impact: "known", namespace: "e2e-text" },
    noImpact: { alert: "VigilE2EAskNoImpact", impact: "uncertain", namespace: "e2e-reply-no-impact" },
    confirm: { alert: "VigilE2EAskConfirm", impact: "uncertain", namespace: "e2e-reply-confirm" },
    backstop: { alert: "VigilE2EAskConfirmBackstop", impact: "uncertain", namespace: "e2e-reply-backstop" },
} as const;

/** File name of the test-only rule file (next to the copies of the shipped ones). */
export const E2E_RULE_FILE = "zz-vigil-e2e.yaml";

/** The test-only rule file's text. */
export function e2eRuleFile(): string {
    const expr = 'group by (cluster) (up{job="prometheus"})';
    const common = (impact: string, namespace: string) => ({ severity: "warning", impact, level: "workload", namespace });
    const doc = {
        groups: [
            {
                name: "vigil-e2e",
                rules: [
                    {
                        alert: E2E_ALERTS.text.alert,
                        expr,
                        labels: { ...common(E2E_ALERTS.text.impact, E2E_ALERTS.text.namespace), ...HARD_TEXT.labels },
                        annotations: { ...HARD_TEXT.annotations },
                    },
                    ...[E2E_ALERTS.noImpact, E2E_ALERTS.confirm, E2E_ALERTS.backstop].map((a) => ({
                        alert: a.alert,
                        expr,
                        labels: common(a.impact, a.namespace),
                        annotations: {
                            summary: `End-to-end check ${a.alert} on cluster {{ $labels.cluster }}.`,
                            description: "Fires while the collector's own metrics arrive; its impact is uncertain, so the customer is asked.",
                            runbook_url: "https://github.com/vigil-eks/vigil/blob/main/README.md#end-to-end-test",
                            mitigation: "Answer with one of the two links.",
                        },
                    })),
                ],
            },
        ],
    };
    return yaml.dump(doc, { noRefs: true, lineWidth: -1 });
}

/** The ruler: the workspace's stand-in, evaluating the rule copies on what remote write delivers. */
export function rulerConfig(ruleFiles: readonly string[], alertmanager: string, evaluationIntervalSeconds = 1): string {
    if (!Number.isInteger(evaluationIntervalSeconds) || evaluationIntervalSeconds < 1 || evaluationIntervalSeconds > 2) {
        throw new HarnessConfigError(`evaluationIntervalSeconds: got ${evaluationIntervalSeconds}; allowed: 1 or 2`);
    }
    return yaml.dump(
        {
            global: { evaluation_interval: `${evaluationIntervalSeconds}s` },
            rule_files: [...ruleFiles],
            alerting: { alertmanagers: [{ static_configs: [{ targets: [alertmanager] }] }] },
        },
        { noRefs: true, lineWidth: -1 },
    );
}

// ---- alert manager ------------------------------------------------------------------------------

/**
 * `rendered`: the route timers exactly as the account component renders them (group_wait 30s,
 * group_interval 5m: a resolve arrives up to five minutes after the target recovers, so a run
 * takes about seven minutes). `fast` (default): the root route flushes a new group after 1s and
 * changes after 5s; the heartbeat route, receivers, template, matchers and inhibition stay as
 * rendered.
 */
export type AlertmanagerTimers = "rendered" | "fast";

export const FAST_TIMERS = { group_wait: "1s", group_interval: "5s" } as const;

export interface AlertmanagerFiles {
    /** alertmanager.yml text. */
    readonly config: string;
    /** Template file name → text, written next to the configuration. */
    readonly templates: Readonly<Record<string, string>>;
}

/** The AMP definition's configuration with the SNS receivers pointed at `snsApiUrl`. */
export function localAlertmanagerFiles(snsApiUrl: string, timers: AlertmanagerTimers = "fast"): AlertmanagerFiles {
    if (timers !== "rendered" && timers !== "fast") {
        throw new HarnessConfigError(`timers: got ${JSON.stringify(timers)}; allowed: "rendered", "fast"`);
    }
    const { config, templates } = splitDefinition(alertmanagerDefinition(ALERTMANAGER_ARGS));
    const doc = yaml.load(config) as { route: Record<string, unknown>; receivers: { name: string; sns_configs: Record<string, unknown>[] }[] };
    for (const receiver of doc.receivers) {
        for (const sns of receiver.sns_configs) {
            sns.api_url = snsApiUrl;
        }
    }
    if (timers === "fast") {
        Object.assign(doc.route, FAST_TIMERS);
    }
    return { config: yaml.dump(doc, { noRefs: true, lineWidth: -1 }), templates };
}

/** Parses a Prometheus duration ("5m", "1h30m", "500ms") into milliseconds. */
export function durationMs(text: string): number {
    const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
    const parts = [...text.matchAll(/(\d+)(ms|s|m|h|d)/g)];
    if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) {
        throw new HarnessConfigError(`duration: got ${JSON.stringify(text)}; allowed: a Prometheus duration such as "5m"`);
    }
    return parts.reduce((sum, p) => sum + Number(p[1]) * units[p[2]], 0);
}

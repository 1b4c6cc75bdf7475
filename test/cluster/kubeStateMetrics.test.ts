// kube-state-metrics as the alerts need it: its telemetry endpoint (port 8081) scraped under job
// kube-state-metrics for KubeStateMetricsListErrors/WatchErrors, and the label allowlist for the
// persistent-volume opt-out. The values are checked as rendered, the allowlists against what the
// rules read, and the scrape job by a real Prometheus that runs its relabeling on targets carrying
// the metadata Kubernetes pod discovery gives kube-state-metrics' ports.

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { allRules, keepList, loadRuleFiles, ruleMetricNames } from "../../components/metrics";
import { KUBE_STATE_METRICS_TELEMETRY_PREFIX, kubeStateMetricsAllowlist, ScrapeConfig, scrapeJobs } from "../../components/cluster/scrape";
import { KUBE_STATE_METRICS_COLLECTORS, KUBE_STATE_METRICS_LABELS, kubeStateMetricsLabelsAllowlist, kubeStateMetricsValues } from "../../components/cluster/values";
import { requireTool } from "../support/tools";
import { freePort } from "../../tools/loopback";
import { exposition, query, Running, start, stop, vectorSelectors, waitFor } from "./processes";

const NAMESPACE = "vigil-monitoring";
const ksmJob = (): ScrapeConfig => {
    const job = scrapeJobs({ kubernetesVersion: "1.31", namespace: NAMESPACE, collector: "prometheus" }).find((j) => j.job_name === "kube-state-metrics");
    assert.ok(job);
    return job;
};

/** Label matchers of a selector: `{label="value"}` → [["label", "=", "value"]]. */
const matchers = (selector: string) => [...selector.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!=|!~|=)\s*"((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2], m[3]]);

describe("kube-state-metrics values", () => {
    it("declares the telemetry port and exports the label the volume opt-out selects", () => {
        const values = kubeStateMetricsValues(["kube_pod_info"]);
        assert.deepEqual(values.selfMonitor, { enabled: true, telemetryPort: 8081 });
        assert.deepEqual(values.metricLabelsAllowlist, ["persistentvolumeclaims=[excluded_from_alerts]"]);
        assert.deepEqual(values.prometheus, { monitor: { enabled: false } }, "no ServiceMonitor");
        assert.equal(values.prometheusScrape, false, "no scrape annotations for other collectors");
    });

    it("renders label allowlist entries and rejects unknown collectors and bad keys, naming them", () => {
        assert.deepEqual(kubeStateMetricsLabelsAllowlist({ pods: ["team", "app.kubernetes.io/name"], namespaces: ["tier"] }), ["pods=[team,app.kubernetes.io/name]", "namespaces=[tier]"]);
        assert.throws(() => kubeStateMetricsLabelsAllowlist({ secrets: ["x"] }), /got collector "secrets"; allowed: one of certificatesigningrequests/);
        assert.throws(() => kubeStateMetricsLabelsAllowlist({ pods: ["bad key"] }), /for pods: got \["bad key"\]; allowed: one or more Kubernetes label keys/);
        assert.throws(() => kubeStateMetricsLabelsAllowlist({ pods: [] }), /for pods: got \[\]/);
    });

    it("allows every object label a rule selects on (label_<key> of kube_<object>_labels)", () => {
        const selected = new Map<string, Set<string>>();
        for (const { rule } of allRules(loadRuleFiles())) {
            for (const selector of vectorSelectors(rule.expr)) {
                const metric = /^kube_([a-z]+)_labels\b/.exec(selector);
                if (!metric) {
                    continue;
                }
                // kube_<singular>_labels belongs to the collector named by its plural.
                const collector = Object.keys(KUBE_STATE_METRICS_COLLECTORS).find((c) => c.slice(0, -1) === metric[1] || c.slice(0, -2) === metric[1]);
                assert.ok(collector, `${selector}: no kube-state-metrics collector exports kube_${metric[1]}_labels`);
                for (const [label] of matchers(selector).filter(([l]) => l.startsWith("label_"))) {
                    selected.set(collector, (selected.get(collector) ?? new Set()).add(label.slice("label_".length)));
                }
            }
        }
        assert.deepEqual([...selected.keys()], ["persistentvolumeclaims"], "rules/storage.yaml selects on a claim label");
        for (const [collector, labels] of selected) {
            for (const label of labels) {
                assert.ok((KUBE_STATE_METRICS_LABELS[collector] ?? []).includes(label), `kube-state-metrics must export ${collector} label ${label}`);
            }
        }
    });

    it("serves every kube_* metric a rule reads: object metrics through the allowlist, telemetry on its own port", () => {
        const files = loadRuleFiles();
        const allowlist = kubeStateMetricsAllowlist(keepList([], files, []));
        const read = ruleMetricNames(files).filter((n) => n.startsWith("kube_"));
        const telemetry = read.filter((n) => n.startsWith(KUBE_STATE_METRICS_TELEMETRY_PREFIX));
        assert.deepEqual(telemetry, ["kube_state_metrics_list_total", "kube_state_metrics_watch_total"]);
        for (const name of read) {
            assert.ok(telemetry.includes(name) || allowlist.includes(name), `${name} is exposed`);
        }
        assert.ok(!allowlist.some((n) => n.startsWith(KUBE_STATE_METRICS_TELEMETRY_PREFIX)), "telemetry names stay out of --metric-allowlist");
    });
});

describe("kube-state-metrics scrape job", () => {
    it("keeps both ports of the kube-state-metrics pods and labels the telemetry target", () => {
        const job = ksmJob();
        assert.equal(job.honor_labels, true);
        assert.deepEqual(job.relabel_configs, [
            {
                source_labels: ["__meta_kubernetes_namespace", "__meta_kubernetes_pod_label_app_kubernetes_io_name", "__meta_kubernetes_pod_container_port_number"],
                regex: "vigil-monitoring;kube-state-metrics;(8080|8081)",
                action: "keep",
            },
            { source_labels: ["__meta_kubernetes_pod_phase"], regex: "Running", action: "keep" },
            { source_labels: ["__meta_kubernetes_pod_container_port_number"], regex: "8081", target_label: "endpoint", replacement: "telemetry" },
        ]);
    });
});

describe("kube-state-metrics scrape job, run by a real Prometheus", function () {
    this.timeout(60_000);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-ksm-"));
    const servers: { close: () => Promise<void> }[] = [];
    let prometheus: Running | undefined;
    let port = 0;

    // What kube-state-metrics 2.x serves on each port (object metrics with the allowed label, and
    // its list/watch telemetry), and a port that is not kube-state-metrics'.
    const MAIN = [
        '# TYPE kube_pod_info gauge',
        'kube_pod_info{namespace="shop",pod="web-1",uid="0c1f",host_ip="10.0.0.1",pod_ip="10.0.1.5",node="ip-10-0-0-1",created_by_kind="ReplicaSet",created_by_name="web-7d9f",priority_class="",host_network="false"} 1',
        '# TYPE kube_persistentvolumeclaim_labels gauge',
        'kube_persistentvolumeclaim_labels{namespace="shop",persistentvolumeclaim="scratch",label_excluded_from_alerts="true"} 1',
        "",
    ].join("\n");
    const TELEMETRY = [
        "# TYPE kube_state_metrics_list_total counter",
        'kube_state_metrics_list_total{resource="*v1.Pod",result="success"} 12',
        'kube_state_metrics_list_total{resource="*v1.Pod",result="error"} 1',
        "# TYPE kube_state_metrics_watch_total counter",
        'kube_state_metrics_watch_total{resource="*v1.Pod",result="success"} 40',
        'kube_state_metrics_watch_total{resource="*v1.Pod",result="error"} 2',
        "",
    ].join("\n");
    const OTHER = "# TYPE unrelated_metric gauge\nunrelated_metric 1\n";

    before(async function () {
        requireTool("prometheus");
        const [main, telemetry, other] = [await exposition(MAIN), await exposition(TELEMETRY), await exposition(OTHER)];
        servers.push(main, telemetry, other);
        // The metadata pod discovery attaches to each container port of the kube-state-metrics pod
        // (Debian's Prometheus has no Kubernetes discovery, so static targets carry it instead).
        const target = (serverPort: number, containerPort: string, name = "kube-state-metrics") => ({
            targets: [`127.0.0.1:${serverPort}`],
            labels: {
                __meta_kubernetes_namespace: NAMESPACE,
                __meta_kubernetes_pod_label_app_kubernetes_io_name: name,
                __meta_kubernetes_pod_container_port_number: containerPort,
                __meta_kubernetes_pod_phase: "Running",
            },
        });
        const { kubernetes_sd_configs: _discovery, ...job } = ksmJob();
        const config = {
            global: { scrape_interval: "1s", scrape_timeout: "1s", external_labels: { cluster: "ksm-test" } },
            scrape_configs: [{ ...job, static_configs: [target(main.port, "8080"), target(telemetry.port, "8081"), target(other.port, "9090"), target(other.port, "8080", "some-app")] }],
        };
        fs.writeFileSync(path.join(tmp, "prometheus.yml"), yaml.dump(config));
        port = await freePort();
        prometheus = start("prometheus", [
            `--config.file=${path.join(tmp, "prometheus.yml")}`,
            `--storage.tsdb.path=${path.join(tmp, "data")}`,
            `--web.listen-address=127.0.0.1:${port}`,
        ]);
        try {
            await waitFor("both kube-state-metrics targets scraped", 30_000, async () => ((await query(port, 'up{job="kube-state-metrics"} == 1')).length === 2 ? true : undefined));
        } catch (err) {
            throw new Error(`${(err as Error).message}\n--- prometheus\n${prometheus.output.join("").slice(-3000)}`);
        }
    });

    after(async () => {
        await stop(prometheus);
        await Promise.all(servers.map((s) => s.close()));
        fs.rmSync(tmp, { recursive: true, force: true });
    });

    it("scrapes exactly the two kube-state-metrics ports, the telemetry one with endpoint=telemetry", async () => {
        const up = await query(port, "up");
        assert.deepEqual(up.map((s) => s.metric.endpoint ?? "(none)").sort(), ["(none)", "telemetry"]);
        for (const s of up) {
            assert.equal(s.metric.job, "kube-state-metrics");
        }
        assert.deepEqual(await query(port, "unrelated_metric"), [], "other pods and ports are not scraped");
    });

    it("keeps kube-state-metrics' own namespace and pod labels on object metrics, with no endpoint label", async () => {
        const [info] = await query(port, 'kube_pod_info{job="kube-state-metrics"}');
        assert.equal(info.metric.namespace, "shop");
        assert.equal(info.metric.pod, "web-1");
        assert.equal(info.metric.endpoint, undefined);
    });

    it("makes every series the kube-state-metrics telemetry alerts and the volume opt-out select exist", async () => {
        const selectors = new Set<string>();
        for (const { rule } of allRules(loadRuleFiles())) {
            for (const selector of vectorSelectors(rule.expr)) {
                if (selector.startsWith(KUBE_STATE_METRICS_TELEMETRY_PREFIX) || /^kube_[a-z]+_labels\b/.test(selector)) {
                    selectors.add(selector);
                }
            }
        }
        // KubeStateMetricsListErrors and WatchErrors (both parts of each ratio) and the storage opt-out.
        assert.equal(selectors.size, 5, [...selectors].join("\n"));
        for (const selector of selectors) {
            const series = await query(port, selector);
            assert.ok(series.length > 0, `${selector} selects nothing`);
        }
    });
});

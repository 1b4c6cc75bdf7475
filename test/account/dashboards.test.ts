import * as assert from "node:assert/strict";
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { parser } from "@prometheus-io/lezer-promql";
import { dashboardConfig, dashboardUid } from "../../components/account";
import { Dashboard, dashboardMetricNames, dashboardQueries, loadDashboards, substituteGrafanaVariables } from "../../components/metrics";
import { freePort } from "../../tools/loopback";
import { promtool, requireTool } from "../support/tools";

/** The scrape job names of contract C3. */
const C3_JOBS = ["kubelet", "apiserver", "kube-dns", "aws-node", "node-exporter", "kube-state-metrics", "prometheus", "kube-scheduler", "kube-controller-manager"];

/**
 * Metric names of exporters that cannot run here, as their documentation lists them
 * (kube-state-metrics 2.x, cAdvisor via the kubelet, kube-apiserver, kube-scheduler and
 * kube-controller-manager of Kubernetes 1.28+, CoreDNS 1.10/1.11): a guard against typos.
 * node-exporter and Prometheus metrics are checked against the real binaries below.
 */
const DOCUMENTED = new Set([
    "kube_daemonset_status_desired_number_scheduled",
    "kube_daemonset_status_number_ready",
    "kube_deployment_spec_replicas",
    "kube_deployment_status_replicas_available",
    "kube_job_status_failed",
    "kube_node_spec_unschedulable",
    "kube_node_status_allocatable",
    "kube_node_status_condition",
    "kube_pod_container_resource_limits",
    "kube_pod_container_resource_requests",
    "kube_pod_container_status_last_terminated_reason",
    "kube_pod_container_status_restarts_total",
    "kube_pod_container_status_waiting_reason",
    "kube_pod_info",
    "kube_pod_status_phase",
    "kube_statefulset_replicas",
    "kube_statefulset_status_replicas_ready",
    "container_cpu_cfs_periods_total",
    "container_cpu_cfs_throttled_periods_total",
    "container_cpu_usage_seconds_total",
    "container_memory_working_set_bytes",
    "apiserver_current_inflight_requests",
    "apiserver_flowcontrol_rejected_requests_total",
    "apiserver_request_duration_seconds_bucket",
    "apiserver_request_total",
    "scheduler_pending_pods",
    "scheduler_schedule_attempts_total",
    "scheduler_scheduling_attempt_duration_seconds_bucket",
    "workqueue_adds_total",
    "workqueue_depth",
    "coredns_cache_entries",
    "coredns_cache_hits_total",
    "coredns_cache_misses_total",
    "coredns_dns_request_duration_seconds_bucket",
    "coredns_dns_requests_total",
    "coredns_dns_responses_total",
    "coredns_panics_total",
]);
/** Series Prometheus adds for every scrape (not on any /metrics page). */
const SCRAPE_SERIES = new Set(["up", "scrape_duration_seconds", "scrape_samples_post_metric_relabeling", "scrape_samples_scraped", "scrape_series_added"]);

interface Panel {
    readonly id: number;
    readonly type: string;
    readonly title: string;
    readonly datasource?: { type: string; uid: string };
    readonly gridPos: { h: number; w: number; x: number; y: number };
    readonly targets?: { expr: string; datasource?: { uid: string } }[];
    readonly panels?: Panel[];
}

function panelsOf(d: Dashboard): Panel[] {
    const out: Panel[] = [];
    const visit = (list: unknown) => {
        for (const p of (list as Panel[] | undefined) ?? []) {
            out.push(p);
            visit(p.panels);
        }
    };
    visit(d.model.panels);
    return out;
}

/** For each vector selector of an expression: does it match `cluster="$cluster"`? */
function selectorsWithoutCluster(expr: string): string[] {
    const missing: string[] = [];
    parser.parse(expr).iterate({
        enter: (ref) => {
            if (ref.name !== "VectorSelector") {
                return undefined;
            }
            const text = expr.slice(ref.from, ref.to);
            if (!/cluster="\$cluster"/.test(text)) {
                missing.push(text);
            }
            return false;
        },
    });
    return missing;
}

/** Metric families on a /metrics page. */
function families(exposition: string): Set<string> {
    const names = new Set<string>();
    for (const line of exposition.split("\n")) {
        const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{|\s)/.exec(line);
        if (m) {
            names.add(m[1]);
        }
    }
    return names;
}


async function scrape(url: string, log: () => string, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last = "";
    while (Date.now() < deadline) {
        try {
            const response = await fetch(url);
            if (response.ok) {
                return await response.text();
            }
            last = `HTTP ${response.status}`;
        } catch (err) {
            last = (err as Error).message;
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`${url} did not answer (${last}); log:\n${log()}`);
}

/** Stops a child: SIGTERM, then SIGKILL if it is still flushing after 5 seconds. */
async function stop(child: ChildProcess | undefined): Promise<void> {
    if (child && child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(timer);
    }
}

describe("dashboards (dashboards/*.json)", function () {
    this.timeout(60_000);
    const dashboards = loadDashboards();
    const queries = dashboards.flatMap((d) => dashboardQueries(d).map((q) => ({ dashboard: d.id, query: q })));
    const used = dashboardMetricNames(dashboards);

    it("ships the six dashboards of the issue with stable uids", () => {
        assert.deepEqual(
            dashboards.map((d) => [d.id, d.model.title]),
            [
                ["cluster", "Vigil / Cluster overview"],
                ["control-plane", "Vigil / API server and control plane"],
                ["coredns", "Vigil / CoreDNS"],
                ["nodes", "Vigil / Nodes"],
                ["pipeline", "Vigil / Alert pipeline health"],
                ["workloads", "Vigil / Workloads"],
            ],
        );
        for (const d of dashboards) {
            assert.equal(d.model.uid, dashboardUid(d));
        }
    });

    it("lays out panels on Grafana's 24-column grid without overlaps, ids unique, every panel querying", () => {
        for (const d of dashboards) {
            const panels = panelsOf(d);
            assert.ok(panels.filter((p) => p.type !== "row").length >= 6, `${d.id} has real content`);
            assert.equal(new Set(panels.map((p) => p.id)).size, panels.length, `${d.id}: panel ids are unique`);
            for (const p of panels) {
                assert.ok(p.gridPos.x >= 0 && p.gridPos.x + p.gridPos.w <= 24, `${d.id}/${p.title} fits the grid`);
                if (p.type === "row") {
                    continue;
                }
                assert.deepEqual(p.datasource, { type: "prometheus", uid: "${datasource}" }, `${d.id}/${p.title} uses the datasource variable`);
                assert.ok((p.targets ?? []).length > 0 && p.targets?.every((t) => t.expr.trim() !== ""), `${d.id}/${p.title} has queries`);
            }
            for (const a of panels) {
                for (const b of panels) {
                    if (a === b) {
                        continue;
                    }
                    const overlap =
                        a.gridPos.x < b.gridPos.x + b.gridPos.w && b.gridPos.x < a.gridPos.x + a.gridPos.w && a.gridPos.y < b.gridPos.y + b.gridPos.h && b.gridPos.y < a.gridPos.y + a.gridPos.h;
                    assert.ok(!overlap, `${d.id}: ${a.title} overlaps ${b.title}`);
                }
            }
        }
    });

    it("has a datasource variable and a cluster variable on every dashboard; query variables name their metric", () => {
        for (const d of dashboards) {
            const list = (d.model.templating as { list: Record<string, any>[] }).list;
            assert.deepEqual(
                list.find((v) => v.name === "datasource"),
                { name: "datasource", label: "Data source", type: "datasource", query: "prometheus", current: {}, hide: 0, refresh: 1, regex: "" },
            );
            assert.ok(list.some((v) => v.name === "cluster" && v.type === "query"), `${d.id} selects a cluster`);
            for (const v of list.filter((x) => x.type === "query")) {
                assert.match(v.query.query, /^label_values\([a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})?, \w+\)$/, `${d.id} variable ${v.name}`);
            }
        }
    });

    it("yields the metric names the collector keeps (dashboardMetricNames succeeds)", () => {
        assert.ok(used.length > 40);
        assert.ok(used.includes("node_cpu_seconds_total") && used.includes("coredns_dns_requests_total") && used.includes("apiserver_request_total"));
    });

    it("scopes every selector to the selected cluster (one workspace holds many clusters)", () => {
        const panelQueries = dashboards.flatMap((d) => panelsOf(d).flatMap((p) => (p.targets ?? []).map((t) => ({ d: d.id, p: p.title, expr: t.expr }))));
        for (const q of panelQueries) {
            assert.deepEqual(selectorsWithoutCluster(q.expr), [], `${q.d}/${q.p}: ${q.expr}`);
        }
        // Mutation: a selector without the cluster matcher is caught.
        assert.deepEqual(selectorsWithoutCluster('sum(up{job="x"}) / sum(up{cluster="$cluster"})'), ['up{job="x"}']);
    });

    it("filters jobs only by the C3 job names", () => {
        for (const { dashboard, query } of queries) {
            for (const [, op, value] of query.matchAll(/\bjob(=~|=)"([^"]*)"/g)) {
                const jobs = op === "=" ? [value] : value.split("|");
                for (const job of jobs) {
                    assert.ok(C3_JOBS.includes(job), `${dashboard}: job ${JSON.stringify(job)} in ${query}`);
                }
            }
        }
    });

    it("parses every query with promtool (as recording rules, Grafana variables substituted)", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-dash-"));
        const file = path.join(dir, "dashboard-queries.yml");
        const rules = queries.map((q, i) => ({ record: `vigil:dashboard_query_${i}`, expr: substituteGrafanaVariables(q.query) }));
        fs.writeFileSync(file, yaml.dump({ groups: [{ name: "dashboards", rules }] }));
        const out = promtool(["check", "rules", file]);
        assert.match(out, new RegExp(`SUCCESS: ${rules.length} rules found`));
    });

    it("uses only metric names the exporters document (kube-state-metrics, cAdvisor, control plane, CoreDNS)", () => {
        const unknown = used.filter((n) => !n.startsWith("node_") && !n.startsWith("prometheus_") && !SCRAPE_SERIES.has(n) && !DOCUMENTED.has(n));
        assert.deepEqual(unknown, []);
    });

    describe("against the real exporters", () => {
        const children: ChildProcess[] = [];
        let receiver: http.Server | undefined;
        let logs = "";
        const spawnLogged = (cmd: string, args: string[]) => {
            const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
            child.stdout?.on("data", (d) => (logs += d));
            child.stderr?.on("data", (d) => (logs += d));
            children.push(child);
            return child;
        };

        after(async () => {
            await Promise.all(children.map(stop));
            await new Promise((resolve) => (receiver ? receiver.close(resolve) : resolve(undefined)));
        });

        it("every node_* metric the dashboards use is exported by node-exporter 1.5", async () => {
            requireTool("prometheus-node-exporter");
            const port = await freePort();
            spawnLogged("prometheus-node-exporter", [`--web.listen-address=127.0.0.1:${port}`]);
            const exported = families(await scrape(`http://127.0.0.1:${port}/metrics`, () => logs));
            const missing = used.filter((n) => n.startsWith("node_") && !exported.has(n));
            assert.deepEqual(missing, []);
            // Mutation: a misspelt name would be reported.
            assert.equal(exported.has("node_memory_MemAvailable"), false);
        });

        it("every prometheus_* metric the dashboards use is exported by Prometheus 2.42 in agent mode with remote write", async () => {
            requireTool("prometheus");
            const port = await freePort();
            // A remote-write endpoint that accepts everything, so the queue's "sent" metrics appear.
            receiver = http.createServer((req, res) => {
                req.resume();
                req.on("end", () => {
                    res.statusCode = 204;
                    res.end();
                });
            });
            await new Promise<void>((resolve) => receiver?.listen(0, "127.0.0.1", resolve));
            const writeUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/api/v1/write`;
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-agent-"));
            fs.writeFileSync(
                path.join(dir, "prometheus.yml"),
                yaml.dump({
                    global: { scrape_interval: "1s", external_labels: { cluster: "test" } },
                    scrape_configs: [{ job_name: "prometheus", static_configs: [{ targets: [`127.0.0.1:${port}`] }] }],
                    remote_write: [{ url: writeUrl, name: "amp", queue_config: { batch_send_deadline: "1s" } }],
                }),
            );
            spawnLogged("prometheus", [
                "--enable-feature=agent",
                `--config.file=${path.join(dir, "prometheus.yml")}`,
                `--storage.agent.path=${path.join(dir, "wal")}`,
                `--web.listen-address=127.0.0.1:${port}`,
            ]);
            let exported = new Set<string>();
            const wanted = used.filter((n) => n.startsWith("prometheus_"));
            const deadline = Date.now() + 20_000;
            while (Date.now() < deadline) {
                exported = families(await scrape(`http://127.0.0.1:${port}/metrics`, () => logs));
                if (wanted.every((n) => exported.has(n))) {
                    break;
                }
                await new Promise((resolve) => setTimeout(resolve, 500));
            }
            assert.deepEqual(
                wanted.filter((n) => !exported.has(n)),
                [],
            );
        });
    });

    describe("as Grafana receives them (dashboardConfig)", () => {
        it("sets the stable uid, drops the database id and points the datasource variable at the AMP data source", () => {
            const d = dashboards[0];
            const config = dashboardConfig({ ...d, model: { ...d.model, id: 42 } }, { uid: "vigil-amp", name: "vigil AMP" }) as any;
            assert.equal(config.uid, `vigil-${d.id}`);
            assert.equal(config.id, undefined);
            assert.deepEqual(config.templating.list.find((v: any) => v.name === "datasource").current, { selected: true, text: "vigil AMP", value: "vigil-amp" });
            assert.deepEqual(d.model.templating, dashboards[0].model.templating, "the loaded model is not modified");
        });

        it("refuses a dashboard without the datasource variable, naming the file", () => {
            const d: Dashboard = { id: "x", path: "/tmp/x.json", model: { templating: { list: [] } } };
            assert.throws(() => dashboardConfig(d, { uid: "u", name: "n" }), /\/tmp\/x\.json: a dashboard needs a "datasource" variable/);
            assert.throws(() => dashboardUid({ id: "a b", path: "/tmp/a b.json", model: {} }), /dashboard file names become uids/);
        });
    });
});

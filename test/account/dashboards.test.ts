import * as assert from "node:assert/strict";
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { parser } from "@prometheus-io/lezer-promql";
import { AlarmMetric, AlarmSpec, dashboardConfig, dashboardUid, pipelineAlarms, ruleEvaluationFailuresQuery } from "../../components/account";
import { triageAlarms } from "../../components/triage";
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

/** A Grafana CloudWatch metrics query (builder mode). */
interface CloudWatchTarget {
    readonly refId: string;
    readonly datasource: { type: string; uid: string };
    readonly namespace: string;
    readonly metricName: string;
    readonly dimensions: Record<string, string>;
    readonly statistic: string;
    readonly matchExact: boolean;
    readonly [field: string]: unknown;
}

interface Panel {
    readonly id: number;
    readonly type: string;
    readonly title: string;
    readonly datasource?: { type: string; uid: string };
    readonly gridPos: { h: number; w: number; x: number; y: number };
    readonly targets?: ({ expr: string; datasource?: { uid: string } } | CloudWatchTarget)[];
    readonly panels?: Panel[];
}

const PROMETHEUS = { type: "prometheus", uid: "${datasource}" };
const CLOUDWATCH = { type: "cloudwatch", uid: "${cloudwatch}" };
const isCloudWatch = (p: Panel) => p.datasource?.type === "cloudwatch";
const cloudWatchTargets = (p: Panel) => (p.targets ?? []) as CloudWatchTarget[];
const promTargets = (p: Panel) => (isCloudWatch(p) ? [] : ((p.targets ?? []) as { expr: string }[]));

/**
 * What the stack's alarms watch, with each watched resource's name replaced by the dashboard
 * variable that provisioning fills with that same resource's name (AccountMonitoring and the
 * stack program fill them; the component tests check that they do).
 */
function alarmedMetrics(): AlarmMetric[] {
    const pipeline = pipelineAlarms({
        workspaceId: "$workspace_id",
        ruleEvaluationFailuresQuery: ruleEvaluationFailuresQuery("ws-0").replace("ws-0", "$workspace_id"),
        heartbeatTopicName: "$heartbeat_topic",
        deliveryTopics: [{ id: "any", name: "$sns_topic" }],
        eventRuleNames: ["$event_rule"],
        deadLetterQueueName: "$events_dlq",
        heartbeatIntervalSeconds: 300,
    });
    const metrics: AlarmMetric[] = pipeline.flatMap((a: AlarmSpec) => [...(a.metrics ?? []), ...(a.insightsQuery === undefined ? [] : [insightsMetric(String(a.insightsQuery))])]);
    const targets: Parameters<typeof triageAlarms>[0] = {
        functionNames: { intake: "$f", reply: "$f", timer: "$f" },
        intakeQueueName: "$triage_intake_queue",
        deadLetterQueueName: "$triage_dlq",
        timerDeadLetterQueueName: "$triage_timer_dlq",
        queueAgeAlarmSeconds: 600,
        unparsedMetric: { namespace: "Vigil/triage", metricName: "$unparsed" },
    };
    const triage = triageAlarms(targets);
    for (const t of triage) {
        metrics.push({ namespace: t.namespace, metricName: t.metricName, dimensions: t.dimensions as Record<string, string>, stat: "Sum" });
    }
    return metrics;
}

/** The metric of a Metrics Insights alarm query (`SELECT SUM(m) FROM "ns" WHERE Dim = 'value'`). */
function insightsMetric(query: string): AlarmMetric {
    const m = /^SELECT SUM\((\w+)\) FROM "([^"]+)" WHERE (\w+) = '([^']+)'$/.exec(query);
    assert.ok(m, `a Metrics Insights query of the expected shape: ${query}`);
    return { namespace: m[2], metricName: m[1], dimensions: { [m[3]]: m[4] }, stat: "Sum" };
}

/**
 * Why a CloudWatch panel query does not show what an alarm watches, or undefined when it does:
 * same namespace and metric, same dimension values (the variables standing for the resources), and
 * exactly the alarm's dimensions unless the query searches (matchExact false) over more.
 */
function unalarmed(target: CloudWatchTarget, alarmed: readonly AlarmMetric[]): string | undefined {
    const candidates = alarmed.filter((m) => m.namespace === target.namespace && m.metricName === target.metricName);
    if (candidates.length === 0) {
        return `no alarm watches ${target.namespace} ${target.metricName}`;
    }
    const fits = candidates.some((m) => {
        const want = Object.entries(m.dimensions).map(([k, v]) => [k, String(v)]);
        const have = Object.entries(target.dimensions);
        const same = want.every(([k, v]) => target.dimensions[k] === v);
        return same && (target.matchExact === false || have.length === want.length);
    });
    return fits ? undefined : `${target.namespace} ${target.metricName} ${JSON.stringify(target.dimensions)} is not on a resource an alarm watches`;
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
                if (isCloudWatch(p)) {
                    assert.deepEqual(p.datasource, CLOUDWATCH, `${d.id}/${p.title} uses the cloudwatch variable`);
                    assert.ok(cloudWatchTargets(p).length > 0, `${d.id}/${p.title} has queries`);
                    for (const t of cloudWatchTargets(p)) {
                        assert.deepEqual(t.datasource, CLOUDWATCH, `${d.id}/${p.title}/${t.refId}`);
                        assert.ok(t.namespace && t.metricName && t.statistic, `${d.id}/${p.title}/${t.refId} names namespace, metric and statistic`);
                    }
                    continue;
                }
                assert.deepEqual(p.datasource, PROMETHEUS, `${d.id}/${p.title} uses the datasource variable`);
                assert.ok((p.targets ?? []).length > 0 && promTargets(p).every((t) => t.expr.trim() !== ""), `${d.id}/${p.title} has queries`);
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
        const panelQueries = dashboards.flatMap((d) => panelsOf(d).flatMap((p) => promTargets(p).map((t) => ({ d: d.id, p: p.title, expr: t.expr }))));
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

    describe("the alert path on the pipeline dashboard (CloudWatch panels)", () => {
        const pipeline = dashboards.find((d) => d.id === "pipeline") as Dashboard;
        const panels = panelsOf(pipeline).filter(isCloudWatch);
        const targets = panels.flatMap(cloudWatchTargets);
        const alarmed = alarmedMetrics();

        it("shows AMP notification and rule failures, ingestion, SNS deliveries, EventBridge, dead letters, triage intake and the heartbeat", () => {
            const shown = new Set(targets.map((t) => `${t.namespace} ${t.metricName} ${Object.values(t.dimensions).join(",")}`));
            assert.deepEqual([...shown].sort(), [
                "AWS/Events FailedInvocations $event_rule",
                "AWS/Events InvocationsFailedToBeSentToDlq $event_rule",
                "AWS/Prometheus AlertManagerNotificationsFailed $workspace_id",
                "AWS/Prometheus RuleEvaluationFailures $workspace_id",
                "AWS/SNS NumberOfMessagesPublished $heartbeat_topic",
                "AWS/SNS NumberOfNotificationsFailed $sns_topic",
                "AWS/SQS ApproximateAgeOfOldestMessage $triage_intake_queue",
                "AWS/SQS ApproximateNumberOfMessagesVisible $events_dlq",
                "AWS/SQS ApproximateNumberOfMessagesVisible $triage_dlq",
                "AWS/Usage ResourceCount Prometheus,Resource,IngestionRate,$workspace_id,None",
            ]);
        });

        it("queries only metrics one of the stack's alarms watches, on the resources it watches", () => {
            assert.ok(alarmed.length > 10);
            for (const t of targets) {
                assert.equal(unalarmed(t, alarmed), undefined, `${pipeline.id}/${t.refId}`);
            }
            // Mutations: a metric nobody alarms on, another resource, and a dimension the alarm lacks are caught.
            const [heartbeat] = targets.filter((t) => t.metricName === "NumberOfMessagesPublished");
            assert.match(unalarmed({ ...heartbeat, metricName: "NumberOfNotificationsDelivered" }, alarmed) ?? "", /no alarm watches AWS\/SNS NumberOfNotificationsDelivered/);
            assert.match(unalarmed({ ...heartbeat, dimensions: { TopicName: "$events_dlq" } }, alarmed) ?? "", /not on a resource an alarm watches/);
            assert.match(unalarmed({ ...heartbeat, dimensions: { TopicName: "$heartbeat_topic", Extra: "x" } }, alarmed) ?? "", /not on a resource an alarm watches/);
        });

        it("takes resource names only from hidden variables that provisioning fills, and the region from the data source", () => {
            const list = (pipeline.model.templating as { list: Record<string, any>[] }).list;
            const resourceVariables = list.filter((v) => v.type === "constant" || v.type === "custom");
            assert.deepEqual(resourceVariables.map((v) => v.name).sort(), ["event_rule", "events_dlq", "heartbeat_topic", "sns_topic", "triage_dlq", "triage_intake_queue", "workspace_id"]);
            for (const v of resourceVariables) {
                assert.equal(v.hide, 2, `${v.name} is hidden`);
                assert.equal(v.query, "", `${v.name} holds no name of its own (provisioning fills it)`);
            }
            assert.deepEqual(list.find((v) => v.name === "cloudwatch"), { name: "cloudwatch", label: "CloudWatch", type: "datasource", query: "cloudwatch", current: {}, hide: 0, refresh: 1, regex: "" });
            for (const t of targets) {
                assert.equal(t.region, "default", `${t.refId} queries the data source's region (the stack's)`);
                for (const value of Object.values(t.dimensions)) {
                    assert.ok(!value.startsWith("$") || resourceVariables.some((v) => `$${v.name}` === value), `${value} is a resource variable`);
                }
            }
        });

        it("keeps CloudWatch queries out of the PromQL checks (no expr, no metric names in the keep-list)", () => {
            for (const t of targets) {
                assert.equal("expr" in t, false, `${t.refId} has no PromQL expression`);
            }
            const promql = panelsOf(pipeline).flatMap(promTargets).map((t) => t.expr);
            assert.deepEqual(dashboardQueries(pipeline), [...promql, "up"], "the panels' PromQL and the cluster variable's metric, nothing else");
            for (const t of targets) {
                assert.ok(!used.includes(t.metricName), `${t.metricName} is not a Prometheus metric`);
            }
        });
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
            const config = dashboardConfig({ ...d, model: { ...d.model, id: 42 } }, { prometheus: { uid: "vigil-amp", name: "vigil AMP" } }) as any;
            assert.equal(config.uid, `vigil-${d.id}`);
            assert.equal(config.id, undefined);
            assert.deepEqual(config.templating.list.find((v: any) => v.name === "datasource").current, { selected: true, text: "vigil AMP", value: "vigil-amp" });
            assert.deepEqual(d.model.templating, dashboards[0].model.templating, "the loaded model is not modified");
        });

        const SOURCES = { prometheus: { uid: "vigil-amp", name: "vigil AMP" }, cloudwatch: { uid: "vigil-cloudwatch", name: "vigil CloudWatch" } };
        const RESOURCES = {
            workspace_id: "ws-1",
            heartbeat_topic: "vigil-heartbeat-1",
            sns_topic: ["vigil-alerts-1", "vigil-heartbeat-1", "vigil-notifications-1", "vigil-pipeline-1"],
            event_rule: ["vigil-r1-1", "vigil-r2-1"],
            events_dlq: "vigil-events-dlq-1",
            triage_intake_queue: "vigil-triage-intake-1",
            triage_dlq: "vigil-triage-dlq-1",
        };
        const pipeline = () => dashboards.find((d) => d.id === "pipeline") as Dashboard;
        const variable = (config: any, name: string) => config.templating.list.find((v: any) => v.name === name);

        it("fills the pipeline dashboard's CloudWatch data source and resource names", () => {
            const config = dashboardConfig(pipeline(), SOURCES, RESOURCES) as any;
            assert.deepEqual(variable(config, "cloudwatch").current, { selected: true, text: "vigil CloudWatch", value: "vigil-cloudwatch" });
            assert.deepEqual(variable(config, "workspace_id").current, { selected: true, text: "ws-1", value: "ws-1" });
            assert.equal(variable(config, "workspace_id").query, "ws-1");
            const topics = variable(config, "sns_topic");
            assert.equal(topics.query, "vigil-alerts-1,vigil-heartbeat-1,vigil-notifications-1,vigil-pipeline-1");
            assert.deepEqual(topics.current.value, RESOURCES.sns_topic, "every topic selected");
            assert.equal(topics.multi, true);
            assert.equal(panelsOf({ ...pipeline(), model: config }).length, panelsOf(pipeline()).length, "no panel left out");
        });

        it("leaves out the panels of resources that do not exist (no triage queues), and nothing else", () => {
            const config = dashboardConfig(pipeline(), SOURCES, { ...RESOURCES, triage_intake_queue: undefined, triage_dlq: undefined }) as any;
            const titles = panelsOf({ ...pipeline(), model: config }).map((p) => p.title);
            const dropped = panelsOf(pipeline()).filter((p) => !titles.includes(p.title)).map((p) => p.title);
            assert.deepEqual(dropped, ["Triage intake: oldest message", "Triage intake: age of oldest message", "Triage dead-letter queue depth"]);
            assert.equal(variable(config, "triage_dlq"), undefined);
            assert.ok(variable(config, "events_dlq"));
        });

        it("refuses a resource variable nobody fills, a missing CloudWatch data source, and names that break a list", () => {
            const { workspace_id: _unused, ...withoutWorkspace } = RESOURCES;
            assert.throws(() => dashboardConfig(pipeline(), SOURCES, withoutWorkspace), /pipeline\.json: variable workspace_id names a resource the stack does not provide/);
            assert.throws(() => dashboardConfig(pipeline(), { prometheus: SOURCES.prometheus }, RESOURCES), /variable cloudwatch needs the CloudWatch data source/);
            assert.throws(() => dashboardConfig(pipeline(), SOURCES, { ...RESOURCES, event_rule: ["a,b"] }), /variable event_rule needs resource names without commas/);
            assert.throws(() => dashboardConfig(pipeline(), SOURCES, { ...RESOURCES, workspace_id: ["ws-1", "ws-2"] }), /constant variable workspace_id takes one resource name/);
        });

        it("refuses a dashboard without the datasource variable, naming the file", () => {
            const d: Dashboard = { id: "x", path: "/tmp/x.json", model: { templating: { list: [] } } };
            assert.throws(() => dashboardConfig(d, { prometheus: { uid: "u", name: "n" } }), /\/tmp\/x\.json: a dashboard needs a "datasource" variable/);
            assert.throws(() => dashboardUid({ id: "a b", path: "/tmp/a b.json", model: {} }), /dashboard file names become uids/);
        });
    });
});

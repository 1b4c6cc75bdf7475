// Benchmark 1, ingestion cost: a real node-exporter (Vigil's flags, unprivileged as in the chart)
// scraped by a real Prometheus in agent mode with Vigil's rendered configuration, which gets a second
// remote-write queue without the keep rule. A local receiver counts what each queue sends per scrape:
// the keep-list's series against everything, against the minimum the rules and dashboards read, and
// the AMP ingestion cost per node that follows.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { allRules, dashboardMetricNames, dashboardQueries, keepList, loadDashboards, loadRuleFiles, recordedMetricNames, ruleMetricNames, substituteGrafanaVariables } from "../../components/metrics";
import { prometheusConfig, scrapeJobs, ScrapeConfig } from "../../components/cluster/scrape";
import { NODE_EXPORTER_ARGS } from "../../components/cluster/values";
import { loadProject } from "../../tools/offline/stackConfig";
import { parseDuration } from "../../stacks/config";
import { formatNumber, Result } from "../lib/results";
import { freePort } from "../../tools/loopback";
import { httpOk, Scope, stopProcess, waitFor } from "../lib/scope";
import { AMP_INGESTION_PRICE, countScrape, Counted, HOURS_PER_MONTH, largestFamilies, matches, monthlyIngestionUsd, samplesPerMonth, scrapeTimestamps, Selector, selectors, seriesAt } from "./analysis";
import { RemoteWriteReceiver } from "./remoteWrite";

export const JOB = "node-exporter";
export const NODE_NAME = "bench-node";
export const CLUSTER = "bench";
/** Scrape interval of the run: short so the run is quick; series per scrape do not depend on it. */
export const BENCH_INTERVAL_SECONDS = 2;

export interface IngestionOptions {
    /** Scrapes to compare. */
    readonly scrapes: number;
}

function requireCommand(command: string, packageName: string): void {
    if (spawnSync("sh", ["-c", `command -v ${command}`]).status !== 0) {
        throw new Error(`${command} is not installed (Debian package ${packageName}; tools/ensure-tools.sh installs it)`);
    }
}

/** Vigil's node-exporter job with its pod discovery replaced by the local target, labelled as in the cluster. */
export function staticNodeExporterJob(target: string, nodeName: string): ScrapeConfig {
    const job = scrapeJobs({ kubernetesVersion: "1.31", namespace: "vigil-monitoring", collector: "prometheus" }).find((j) => j.job_name === JOB);
    if (!job) {
        throw new Error(`scrapeJobs no longer renders a ${JOB} job`);
    }
    // Debian's Prometheus 2.42 has no Kubernetes discovery; the relabelling sets instance and node
    // to the node name, which the static labels do here.
    const { kubernetes_sd_configs: _sd, relabel_configs: _relabel, ...rest } = job;
    return { ...rest, static_configs: [{ targets: [target], labels: { instance: nodeName, node: nodeName } }] };
}

/**
 * Vigil's rendered prometheus.yml (remote write to `keptUrl` with the keep rule) plus a second queue,
 * `everything`, to `rawUrl` without it; scrape interval shortened to `intervalSeconds`.
 */
export function benchPrometheusConfig(options: { target: string; keptUrl: string; rawUrl: string; keep: readonly string[]; intervalSeconds: number }): string {
    const rendered = prometheusConfig({
        cluster: CLUSTER,
        // The smallest interval the renderer accepts; overridden below for a quick run.
        scrapeIntervalSeconds: 10,
        jobs: [staticNodeExporterJob(options.target, NODE_NAME)],
        remoteWrite: { url: options.keptUrl },
        keep: options.keep,
    });
    const doc = yaml.load(rendered) as { global: Record<string, unknown>; remote_write: Record<string, unknown>[] };
    doc.global.scrape_interval = `${options.intervalSeconds}s`;
    doc.global.scrape_timeout = `${options.intervalSeconds}s`;
    const vigil = doc.remote_write[0];
    if (!vigil || !Array.isArray(vigil.write_relabel_configs) || vigil.write_relabel_configs.length === 0) {
        throw new Error("prometheusConfig no longer renders a remote_write queue with write_relabel_configs");
    }
    const { write_relabel_configs: _keep, ...everything } = vigil;
    doc.remote_write.push({ ...everything, name: "everything", url: options.rawUrl });
    return yaml.dump(doc, { noRefs: true, lineWidth: -1 });
}

/** The selectors of every rule and dashboard query (Grafana variables match anything). */
export function usedSelectors(): { names: Set<string>; selectors: Selector[] } {
    const files = loadRuleFiles();
    const dashboards = loadDashboards();
    const recorded = new Set(recordedMetricNames(files));
    const names = new Set([...ruleMetricNames(files), ...dashboardMetricNames(dashboards)].filter((n) => !recorded.has(n)));
    const exprs = [...allRules(files).map(({ rule }) => String(rule.expr)), ...dashboards.flatMap((d) => dashboardQueries(d).map(substituteGrafanaVariables))];
    return { names, selectors: exprs.flatMap((e) => selectors(e)).filter((s) => !recorded.has(s.name)) };
}

export async function runIngestion(options: IngestionOptions, scope: Scope): Promise<Result[]> {
    requireCommand("prometheus", "prometheus");
    requireCommand("prometheus-node-exporter", "prometheus-node-exporter");
    const dir = scope.tempDir("ingestion");

    // node-exporter as the chart runs it: Vigil's extra flags, uid/gid 65534, no capabilities.
    const exporterPort = await freePort();
    const exporterCommand = ["prometheus-node-exporter", ...NODE_EXPORTER_ARGS, `--web.listen-address=127.0.0.1:${exporterPort}`];
    const exporterArgv = process.getuid?.() === 0 ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", ...exporterCommand] : exporterCommand;
    const exporterLog = path.join(dir, "node-exporter.log");
    const exporter = scope.spawn("node-exporter", exporterArgv[0], exporterArgv.slice(1), { logFile: exporterLog });
    await waitFor("node-exporter", () => httpOk(`http://127.0.0.1:${exporterPort}/metrics`), 15_000, exporter, exporterLog);

    const receiver = new RemoteWriteReceiver();
    await receiver.start();
    scope.defer(() => receiver.close());

    const keep = keepList();
    const configFile = path.join(dir, "prometheus.yml");
    fs.writeFileSync(configFile, benchPrometheusConfig({ target: `127.0.0.1:${exporterPort}`, keptUrl: receiver.url("kept"), rawUrl: receiver.url("raw"), keep, intervalSeconds: BENCH_INTERVAL_SECONDS }));
    const promPort = await freePort();
    const promLog = path.join(dir, "prometheus.log");
    const prometheus = scope.spawn(
        "prometheus",
        "prometheus",
        ["--enable-feature=agent", `--config.file=${configFile}`, `--storage.agent.path=${path.join(dir, "wal")}`, `--web.listen-address=127.0.0.1:${promPort}`],
        { logFile: promLog },
    );
    await waitFor("prometheus", () => httpOk(`http://127.0.0.1:${promPort}/-/ready`), 30_000, prometheus, promLog);

    // Enough scrapes delivered by both queues (one more than compared, so the compared ones are complete).
    const raw = receiver.queue("raw");
    const kept = receiver.queue("kept");
    const wanted = options.scrapes + 1;
    await waitFor(
        `remote write of ${wanted} scrapes`,
        () => {
            const r = scrapeTimestamps(raw, JOB);
            const k = new Set(scrapeTimestamps(kept, JOB));
            return r.length >= wanted && r.slice(0, wanted).every((t) => k.has(t));
        },
        (wanted + 2) * BENCH_INTERVAL_SECONDS * 1000 + 60_000,
        prometheus,
        promLog,
    );
    // The batch deadline (5 s by default) sends whatever of those scrapes was still queued.
    await new Promise((r) => setTimeout(r, 6000));
    await stopProcess(prometheus);
    await stopProcess(exporter);
    if (receiver.refused.length > 0) {
        throw new Error(`the receiver refused requests: ${receiver.refused.slice(0, 3).join("; ")}`);
    }

    const used = usedSelectors();
    const timestamps = scrapeTimestamps(raw, JOB).slice(0, options.scrapes);
    const counts: Counted[] = timestamps.map((t) => countScrape(seriesAt(raw, t, JOB), seriesAt(kept, t, JOB), used.names, used.selectors));
    const pick = (f: (c: Counted) => number) => counts.map(f).sort((a, b) => a - b)[Math.floor(counts.length / 2)];
    const rawN = pick((c) => c.raw);
    const keptN = pick((c) => c.kept);
    const minName = pick((c) => c.minimumByName);
    const minSelector = pick((c) => c.minimumBySelector);
    const spread = (f: (c: Counted) => number) => {
        const v = counts.map(f);
        return Math.min(...v) === Math.max(...v) ? `${v[0]} in every scrape` : `${Math.min(...v)}–${Math.max(...v)}`;
    };
    const keptUnused = [...new Set(counts.flatMap((c) => c.keptUnused))];
    const droppedUsed = [...new Set(counts.flatMap((c) => c.droppedUsed))];
    const medianAt = timestamps[Math.floor(timestamps.length / 2)];
    const medianScrape = seriesAt(raw, medianAt, JOB);
    const medianKept = seriesAt(kept, medianAt, JOB);
    const unmatched = largestFamilies(
        medianKept.filter((l) => !used.selectors.some((sel) => matches(sel, l))),
        20,
    );
    const interval = parseDuration(String(loadProject().config.scrapeInterval?.default ?? "30s"));
    if (interval === undefined) {
        throw new Error("Pulumi.yaml: vigil:scrapeInterval has no default duration");
    }
    const usd = (n: number) => `USD ${monthlyIngestionUsd(n, interval).toFixed(2)}`;

    return [
        {
            benchmark: "ingestion",
            name: "node-exporter series (= samples) per scrape that remote write sends",
            value: `${formatNumber(keptN)} with the keep-list`,
            baseline: `${formatNumber(rawN)} without it`,
            ratio: keptN / rawN,
            checked: keptN / rawN,
            goal: { op: "<=", limit: 0.1, text: "≤ 10% of raw" },
            notes: [
                `median of ${counts.length} scrapes (raw ${spread((c) => c.raw)}, kept ${spread((c) => c.kept)}); node-exporter ${NODE_EXPORTER_ARGS.join(" ")}, as uid 65534 without capabilities, on this machine (${medianScrape.filter((l) => l.__name__ === "node_cpu_seconds_total" && l.mode === "idle").length} CPUs, ${new Set(medianScrape.filter((l) => l.__name__ === "node_network_up").map((l) => l.device)).size} network interfaces, ${new Set(medianScrape.filter((l) => l.__name__ === "node_filesystem_size_bytes").map((l) => l.mountpoint)).size} filesystems)`,
                `largest raw families: ${largestFamilies(medianScrape, 5).map((f) => `${f.name} ${f.series}`).join(", ")}`,
                `kept families: ${largestFamilies(medianKept, 100).map((f) => `${f.name} ${f.series}`).join(", ")}`,
            ],
        },
        {
            benchmark: "ingestion",
            name: "kept series against the minimum (series of the metrics rules and dashboards read)",
            value: `${formatNumber(keptN)} kept`,
            baseline: `${formatNumber(minName)} minimum`,
            ratio: keptN / minName,
            checked: keptUnused.length === 0 ? keptN / minName : Number.POSITIVE_INFINITY,
            goal: { op: "<=", limit: 1, text: "no more than the minimum" },
            notes: [
                keptUnused.length === 0 ? "every kept series is of a metric a rule or dashboard reads" : `kept although nothing reads them: ${keptUnused.join(", ")}`,
                droppedUsed.length === 0 ? "no series a rule or dashboard reads was dropped" : `dropped although read: ${droppedUsed.join(", ")}`,
                `${used.names.size} metric names are read by rules and dashboards (${keep.length} in the keep-list)`,
            ],
        },
        {
            benchmark: "ingestion",
            name: "kept series against those the rules' and dashboards' selectors match (label matchers included)",
            value: `${formatNumber(keptN)} kept`,
            baseline: `${formatNumber(minSelector)} matched by a selector`,
            ratio: keptN / minSelector,
            notes: [
                `the keep-list filters by metric name only; series of a kept metric that no selector matches (e.g. other label values) are still sent: ${formatNumber(keptN - minSelector)} per scrape here${unmatched.length > 0 ? ` (${unmatched.map((f) => `${f.name} ${f.series}`).join(", ")})` : ""}`,
            ],
        },
        {
            benchmark: "ingestion",
            name: `AMP ingestion per node per month at the default ${interval} s scrape interval, node-exporter only`,
            value: `${usd(keptN)} with the keep-list`,
            baseline: `${usd(rawN)} without it`,
            ratio: keptN / rawN,
            notes: [
                `${AMP_INGESTION_PRICE.text} (${AMP_INGESTION_PRICE.source}), ${HOURS_PER_MONTH} hours a month: ${formatNumber(samplesPerMonth(keptN, interval))} samples a month kept, ${formatNumber(samplesPerMonth(rawN, interval))} without the keep-list`,
            ],
        },
    ];
}

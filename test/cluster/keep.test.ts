// Proves with real Prometheus processes that every metric a shipped alert rule or dashboard reads
// survives the collector's remote-write keep rule, and that nothing else leaves the cluster.
//
// A local HTTP server exposes one sample of every metric the rules and dashboards read (the
// shipped content in rules/ and dashboards/ plus the test fixtures, so the proof never runs on an
// empty list), plus metrics nobody reads. A Prometheus agent runs the `prometheus.yml` that
// `prometheusConfig` renders, scraping that server and remote-writing, through the rendered
// write_relabel_configs, to a second Prometheus that accepts remote writes. The second one's
// metric names are then exactly what the keep rule let through.

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { prometheusConfig } from "../../components/cluster/scrape";
import { dashboardMetricNames, keepList, loadDashboards, loadRuleFiles, recordedMetricNames, ruleMetricNames } from "../../components/metrics";
import { requireTool } from "../support/tools";
import { freePort } from "../../tools/loopback";
import { exposition, Running, start, stop, waitFor } from "./processes";

const FIXTURES = path.join(__dirname, "..", "fixtures", "metrics");
/** Series Prometheus makes for every target itself; the exporter must not expose them. */
const SYNTHETIC = ["up", "scrape_duration_seconds", "scrape_samples_scraped", "scrape_samples_post_metric_relabeling", "scrape_series_added"];
const NOT_READ = ["vigil_keep_test_unused_total", "go_memstats_alloc_bytes", "process_open_fds"];
const EXTRA = ["vigil_keep_test_extra_total"];

async function getJson(url: string): Promise<any> {
    const response = await fetch(url);
    if (!response.ok) {
        throw new Error(`${url}: HTTP ${response.status}`);
    }
    return response.json();
}

describe("keep-list, evaluated by a real Prometheus", function () {
    this.timeout(90_000);
    const processes: Running[] = [];
    let exporter: { port: number; close: () => Promise<void> } | undefined;
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-keep-"));
    const logs = () => processes.map((p, i) => `[${i === 0 ? "receiver" : "agent"}] ${p.output.join("")}`).join("\n");

    after(async () => {
        // The agent first (it writes to the receiver), then the receiver.
        for (const p of [...processes].reverse()) {
            await stop(p);
        }
        await exporter?.close();
        fs.rmSync(tmp, { recursive: true, force: true });
    });

    it("lets through every metric the rules and dashboards read, the extra names, and nothing else", async () => {
        requireTool("prometheus");
        const files = [...loadRuleFiles(path.join(FIXTURES, "rules")), ...loadRuleFiles()];
        const dashboards = [...loadDashboards(path.join(FIXTURES, "dashboards")), ...loadDashboards()];
        const recorded = new Set(recordedMetricNames(files));
        const read = [...new Set([...ruleMetricNames(files), ...dashboardMetricNames(dashboards)])].filter((n) => !recorded.has(n)).sort();
        assert.ok(read.length > 0, "the proof has metrics to carry");
        const keep = keepList(EXTRA, files, dashboards);

        const exposed = [...new Set([...read, ...EXTRA, ...NOT_READ])].filter((n) => !SYNTHETIC.includes(n)).sort();
        const body = exposed.map((n) => `# TYPE ${n} untyped\n${n}{source="keep-test"} 1\n`).join("");
        exporter = await exposition(body);
        const exporterPort = exporter.port;
        const [receiverPort, agentPort] = [await freePort(), await freePort()];

        fs.writeFileSync(path.join(tmp, "receiver.yml"), "scrape_configs: []\n");
        processes.push(
            start("prometheus", [
                `--config.file=${path.join(tmp, "receiver.yml")}`,
                `--storage.tsdb.path=${path.join(tmp, "receiver-data")}`,
                `--web.listen-address=127.0.0.1:${receiverPort}`,
                "--web.enable-remote-write-receiver",
            ]),
        );

        const rendered = prometheusConfig({
            cluster: "keep-test",
            scrapeIntervalSeconds: 10,
            jobs: [{ job_name: "exporter", static_configs: [{ targets: [`127.0.0.1:${exporterPort}`] }] }],
            remoteWrite: { url: `http://127.0.0.1:${receiverPort}/api/v1/write` },
            keep,
        });
        // Only the scrape interval changes, so the first scrape comes within a second; the
        // remote_write section under test is used exactly as rendered.
        const doc = yaml.load(rendered) as { global: Record<string, unknown>; remote_write: unknown };
        doc.global.scrape_interval = "1s";
        doc.global.scrape_timeout = "1s";
        assert.deepEqual(doc.remote_write, (yaml.load(rendered) as { remote_write: unknown }).remote_write);
        fs.writeFileSync(path.join(tmp, "agent.yml"), yaml.dump(doc));
        processes.push(
            start("prometheus", [
                "--enable-feature=agent",
                `--config.file=${path.join(tmp, "agent.yml")}`,
                `--storage.agent.path=${path.join(tmp, "agent-data")}`,
                `--web.listen-address=127.0.0.1:${agentPort}`,
                // On SIGTERM, do not spend the default minute flushing to the receiver.
                "--storage.remote.flush-deadline=1s",
            ]),
        );

        const keptSet = new Set(keep);
        const expected = [...exposed, ...SYNTHETIC].filter((n) => keptSet.has(n)).sort();
        const names = async (): Promise<string[]> => ((await getJson(`http://127.0.0.1:${receiverPort}/api/v1/label/__name__/values`)).data as string[]).sort();
        try {
            await waitFor("the kept metrics at the receiver", 45_000, async () => {
                const got = await names();
                return expected.every((n) => got.includes(n)) ? got : undefined;
            });
            // A few more scrapes and sends, so a metric that should have been dropped has had its chance.
            await new Promise((r) => setTimeout(r, 3_000));
            const got = await names();
            assert.deepEqual(got, expected);
            for (const name of read) {
                assert.ok(got.includes(name), `${name}, read by a rule or dashboard, reaches AMP`);
            }
            for (const name of EXTRA) {
                assert.ok(got.includes(name), `extra metric ${name} reaches AMP`);
            }
            for (const name of NOT_READ) {
                assert.ok(!got.includes(name), `${name}, read by nothing, stays in the cluster`);
            }
            const series = await getJson(`http://127.0.0.1:${receiverPort}/api/v1/series?match[]=${encodeURIComponent(`{__name__="${read[0]}"}`)}`);
            assert.equal(series.data[0].cluster, "keep-test", "the cluster external label is on every series");
        } catch (err) {
            throw new Error(`${(err as Error).message}\n--- process output\n${logs().slice(-4000)}`);
        }
    });
});

// The ingestion benchmark's parts: the remote-write receiver, the analysis of what it received, the
// selectors read from PromQL, the cost arithmetic, and the Prometheus configuration it runs (checked
// by the real promtool).

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { keepRelabelConfig } from "../../components/cluster/scrape";
import { keepList } from "../../components/metrics";
import { countScrape, matches, monthlyIngestionUsd, samplesPerMonth, scrapeTimestamps, selectors, seriesAt } from "../../bench/ingestion/analysis";
import { benchPrometheusConfig, JOB, NODE_NAME, staticNodeExporterJob, usedSelectors } from "../../bench/ingestion";
import { encodeWriteRequest, QueueRecord, RemoteWriteReceiver, seriesKey } from "../../bench/ingestion/remoteWrite";
import { promtool } from "../support/tools";

describe("bench ingestion: remote-write receiver", () => {
    let receiver: RemoteWriteReceiver;
    before(async () => {
        receiver = new RemoteWriteReceiver();
        await receiver.start();
    });
    after(() => receiver.close());

    const post = (url: string, body: Uint8Array, headers: Record<string, string> = { "Content-Encoding": "snappy", "Content-Type": "application/x-protobuf" }) => fetch(url, { method: "POST", headers, body });

    it("records each queue's series by timestamp, once per series and timestamp", async () => {
        const series = [
            { labels: { __name__: "up", job: JOB, instance: NODE_NAME }, timestamps: [1000, 2000] },
            { labels: { __name__: "node_load1", job: JOB, instance: NODE_NAME }, timestamps: [1000] },
        ];
        assert.equal((await post(receiver.url("raw"), encodeWriteRequest(series))).status, 204);
        // A resend of the same samples (remote write retries) is not counted twice per scrape.
        assert.equal((await post(receiver.url("raw"), encodeWriteRequest(series.slice(0, 1)))).status, 204);
        assert.equal((await post(receiver.url("kept"), encodeWriteRequest(series.slice(0, 1)))).status, 204);
        const raw = receiver.queue("raw");
        assert.equal(raw.requests, 2);
        assert.equal(raw.samplesReceived, 5);
        assert.deepEqual(scrapeTimestamps(raw, JOB), [1000, 2000]);
        assert.deepEqual(seriesAt(raw, 1000, JOB).map((l) => l.__name__).sort(), ["node_load1", "up"]);
        assert.deepEqual(seriesAt(receiver.queue("kept"), 2000, JOB).map((l) => l.__name__), ["up"]);
        assert.deepEqual(scrapeTimestamps(raw, "another-job"), []);
    });

    it("refuses what is not a snappy protobuf write, and keeps the reason", async () => {
        const before = receiver.refused.length;
        assert.equal((await post(receiver.url("raw"), new Uint8Array([1, 2, 3]), { "Content-Type": "text/plain" })).status, 415);
        assert.equal((await post(receiver.url("raw"), new Uint8Array([1, 2, 3]))).status, 400);
        assert.equal((await fetch(receiver.url("raw"))).status, 404);
        assert.equal(receiver.refused.length, before + 3);
    });

    it("identifies a series by its label set, whatever the label order", () => {
        assert.equal(seriesKey({ b: "2", a: "1" }), seriesKey({ a: "1", b: "2" }));
        assert.notEqual(seriesKey({ a: "1" }), seriesKey({ a: "1", b: "" }));
    });
});

describe("bench ingestion: selectors and matching", () => {
    it("reads every selector's metric name and matchers", () => {
        assert.deepEqual(selectors('sum(rate(node_cpu_seconds_total{job="node-exporter", mode!~"idle|iowait"}[5m])) / on() group_left up{"instance"="a"}'), [
            {
                name: "node_cpu_seconds_total",
                matchers: [
                    { label: "job", op: "=", value: "node-exporter" },
                    { label: "mode", op: "!~", value: "idle|iowait" },
                ],
            },
            { name: "up", matchers: [{ label: "instance", op: "=", value: "a" }] },
        ]);
        assert.deepEqual(selectors('{__name__="up", job!="x"}'), [{ name: "up", matchers: [{ label: "job", op: "!=", value: "x" }] }]);
        assert.throws(() => selectors('{job="x"}'), /names no metric/);
        assert.throws(() => selectors("sum(up"), /syntax error/);
    });

    it("matches as Prometheus does: anchored regexes, a missing label is empty, Grafana variables match anything", () => {
        const [sel] = selectors('node_filesystem_avail_bytes{fstype=~"ext[234]|xfs", device!=""}');
        assert.ok(matches(sel, { __name__: "node_filesystem_avail_bytes", fstype: "ext4", device: "/dev/nvme0n1p1" }));
        assert.ok(!matches(sel, { __name__: "node_filesystem_avail_bytes", fstype: "ext4x", device: "/dev/x" }), "anchored");
        assert.ok(!matches(sel, { __name__: "node_filesystem_avail_bytes", fstype: "xfs" }), "missing device is empty");
        assert.ok(!matches(sel, { __name__: "node_filesystem_size_bytes", fstype: "xfs", device: "d" }), "another metric");
        const [dashboard] = selectors('node_cpu_seconds_total{cluster="grafana_variable", node=~"grafana_variable", mode="idle"}');
        assert.ok(matches(dashboard, { __name__: "node_cpu_seconds_total", cluster: "c1", node: "n1", mode: "idle" }));
        assert.ok(!matches(dashboard, { __name__: "node_cpu_seconds_total", cluster: "c1", node: "n1", mode: "user" }));
    });

    it("compares a scrape with the minimum by name and by selector", () => {
        const cpu = (mode: string) => ({ __name__: "node_cpu_seconds_total", job: JOB, mode });
        const raw = [cpu("idle"), cpu("user"), { __name__: "go_goroutines", job: JOB }, { __name__: "up", job: JOB }];
        const used = new Set(["node_cpu_seconds_total", "up"]);
        const sels = selectors('node_cpu_seconds_total{mode="idle"} + up');
        assert.deepEqual(countScrape(raw, [cpu("idle"), cpu("user"), raw[3]], used, sels), { raw: 4, kept: 3, minimumByName: 3, minimumBySelector: 2, keptUnused: [], droppedUsed: [] });
        // A keep-list that sends an unused metric and drops a used one is caught both ways.
        const wrong = countScrape(raw, [cpu("idle"), cpu("user"), raw[2]], used, sels);
        assert.deepEqual(wrong.keptUnused, ["go_goroutines"]);
        assert.deepEqual(wrong.droppedUsed, ["up"]);
    });

    it("finds the selectors of the shipped rules and dashboards, and the names agree with the keep-list", () => {
        const used = usedSelectors();
        assert.deepEqual([...used.names].sort(), keepList());
        for (const s of used.selectors) {
            assert.ok(used.names.has(s.name), `${s.name} is read, so it is kept`);
        }
    });
});

describe("bench ingestion: cost", () => {
    it("prices samples at AMP's first tier, 730 hours a month", () => {
        assert.equal(samplesPerMonth(100, 30), 8_760_000);
        assert.ok(Math.abs(monthlyIngestionUsd(100, 30) - 0.7884) < 1e-9);
        assert.ok(Math.abs(monthlyIngestionUsd(100, 60) - 0.3942) < 1e-9, "halving the rate halves the cost");
        assert.throws(() => samplesPerMonth(1, 0), /intervalSeconds: got 0/);
    });
});

describe("bench ingestion: the Prometheus it runs", () => {
    const config = () =>
        benchPrometheusConfig({ target: "127.0.0.1:9100", keptUrl: "http://127.0.0.1:1/kept", rawUrl: "http://127.0.0.1:1/raw", keep: keepList(), intervalSeconds: 2 });

    it("is Vigil's rendered configuration plus an unfiltered queue, on a static node-exporter target", () => {
        const doc = yaml.load(config()) as { global: Record<string, unknown>; scrape_configs: Record<string, any>[]; remote_write: Record<string, any>[] };
        assert.equal(doc.global.scrape_interval, "2s");
        assert.deepEqual(doc.global.external_labels, { cluster: "bench" });
        assert.equal(doc.scrape_configs.length, 1);
        assert.deepEqual(doc.scrape_configs[0], staticNodeExporterJob("127.0.0.1:9100", NODE_NAME));
        assert.deepEqual(doc.scrape_configs[0].static_configs, [{ targets: ["127.0.0.1:9100"], labels: { instance: NODE_NAME, node: NODE_NAME } }]);
        assert.equal(doc.scrape_configs[0].job_name, "node-exporter");
        assert.equal(doc.scrape_configs[0].kubernetes_sd_configs, undefined);
        assert.equal(doc.remote_write.length, 2);
        const [vigil, everything] = doc.remote_write;
        assert.equal(vigil.url, "http://127.0.0.1:1/kept");
        assert.deepEqual(vigil.write_relabel_configs, [keepRelabelConfig(keepList())]);
        assert.equal(everything.url, "http://127.0.0.1:1/raw");
        assert.equal(everything.name, "everything");
        assert.equal(everything.write_relabel_configs, undefined);
        assert.deepEqual(everything.queue_config, vigil.queue_config, "both queues send alike");
    });

    it("passes promtool check config", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-bench-test-"));
        try {
            fs.writeFileSync(path.join(dir, "prometheus.yml"), config());
            promtool(["check", "config", "--agent", path.join(dir, "prometheus.yml")]);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("bench ingestion: queue record", () => {
    it("keeps the last label set per series and counts every sample", () => {
        const q = new QueueRecord();
        q.add([{ labels: { __name__: "up", job: JOB }, timestamps: [1, 2, 3] }]);
        assert.equal(q.samplesReceived, 3);
        assert.equal(q.series.size, 1);
        assert.deepEqual([...q.byTimestamp.keys()], [1, 2, 3]);
    });
});

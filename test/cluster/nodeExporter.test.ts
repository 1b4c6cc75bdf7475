// node-exporter's ethtool collector, which the EC2 network allowance alerts (rules/network.yaml)
// read: the rendered chart values carry the flags, the stat filter admits exactly the counters the
// rules read, and a real node-exporter accepts the flags and reads ethtool statistics as an
// unprivileged user with no capabilities (the posture the chart's pod runs with).

import * as assert from "node:assert/strict";
import { loadRuleFiles, ruleMetricNames } from "../../components/metrics";
import { ENA_ALLOWANCE_STATS, ETHTOOL_METRICS_INCLUDE, NODE_EXPORTER_ARGS, nodeExporterValues } from "../../components/cluster/values";
import { requireTool } from "../support/tools";
import { freePort } from "../../tools/loopback";
import { Running, start, stop } from "./processes";

const NODE_EXPORTER = "prometheus-node-exporter";

describe("node-exporter values: the ethtool collector", () => {
    it("passes the ethtool collector and its ENA allowance filter to the chart", () => {
        const values = nodeExporterValues();
        assert.deepEqual(values.extraArgs, [
            "--collector.ethtool",
            "--collector.ethtool.metrics-include=^(bw_in|bw_out|pps|conntrack|linklocal)_allowance_exceeded$",
        ]);
        assert.deepEqual(values.extraArgs, [...NODE_EXPORTER_ARGS]);
    });

    it("admits exactly the ENA counters the network rules read", () => {
        // node-exporter names a stat node_ethtool_<stat>, rewriting rx/tx tokens; these have none.
        const read = ruleMetricNames(loadRuleFiles())
            .filter((n) => n.startsWith("node_ethtool_"))
            .map((n) => n.slice("node_ethtool_".length))
            .sort();
        assert.ok(read.length > 0, "rules/network.yaml reads ethtool counters");
        assert.deepEqual(read, [...ENA_ALLOWANCE_STATS].sort());
        const filter = new RegExp(ETHTOOL_METRICS_INCLUDE);
        for (const stat of read) {
            assert.ok(filter.test(stat), stat);
            assert.ok(!/(^|_)(rx|tx)(_|$)/.test(stat), `${stat} keeps its name in node-exporter`);
        }
        for (const other of ["rx_bytes", "queue_0_tx_cnt", "bw_in_allowance_exceeded_total", "ena_bw_in_allowance_exceeded", "pps_allowance"]) {
            assert.ok(!filter.test(other), `${other} stays out`);
        }
    });

    it("keeps the container unprivileged: every capability dropped, none added, no privilege escalation", () => {
        const values = nodeExporterValues() as { containerSecurityContext: Record<string, any>; hostNetwork: boolean };
        assert.deepEqual(values.containerSecurityContext, { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
        assert.equal(values.hostNetwork, true, "the node's interfaces are visible only in the host network namespace");
    });
});

describe("node-exporter with Vigil's flags, run for real", function () {
    this.timeout(30_000);
    const running: Running[] = [];

    after(async () => {
        await Promise.all(running.map(stop));
    });

    /** Starts node-exporter with only the ethtool collector, as uid/gid 65534 without capabilities, and returns its /metrics text. */
    const scrape = async (args: readonly string[]): Promise<string> => {
        requireTool(NODE_EXPORTER);
        const port = await freePort();
        const command = [NODE_EXPORTER, "--collector.disable-defaults", ...args, `--web.listen-address=127.0.0.1:${port}`];
        // As root, drop to the chart's user and clear every capability set; otherwise the test
        // already runs unprivileged.
        const argv = process.getuid?.() === 0 ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", ...command] : command;
        const exporter = start(argv[0], argv.slice(1));
        running.push(exporter);
        const { child, output } = exporter;
        const deadline = Date.now() + 15_000;
        while (Date.now() < deadline) {
            if (child.exitCode !== null) {
                throw new Error(`node-exporter exited ${child.exitCode}:\n${output.join("")}`);
            }
            try {
                const response = await fetch(`http://127.0.0.1:${port}/metrics`);
                if (response.ok) {
                    const text = await response.text();
                    await stop(exporter);
                    return text;
                }
            } catch {
                // not listening yet
            }
            await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error(`node-exporter did not answer:\n${output.join("")}`);
    };
    const samples = (text: string, prefix: string) => text.split("\n").filter((l) => l.startsWith(prefix));

    it("accepts the flags, and the collector succeeds without any capability", async () => {
        const text = await scrape(NODE_EXPORTER_ARGS);
        assert.deepEqual(samples(text, 'node_scrape_collector_success{collector="ethtool"}'), ['node_scrape_collector_success{collector="ethtool"} 1']);
        // This machine has no ENA interface: the filter leaves driver info and no statistics.
        const stats = samples(text, "node_ethtool_").filter((l) => !l.startsWith("node_ethtool_info"));
        assert.deepEqual(stats, []);
    });

    it("reads driver statistics unprivileged, so the filter is what keeps other statistics out", async function () {
        const text = await scrape(["--collector.ethtool", "--collector.ethtool.metrics-include=.*"]);
        assert.deepEqual(samples(text, 'node_scrape_collector_success{collector="ethtool"}'), ['node_scrape_collector_success{collector="ethtool"} 1']);
        const stats = samples(text, "node_ethtool_").filter((l) => !l.startsWith("node_ethtool_info"));
        if (stats.length === 0) {
            // No interface here reports driver statistics (loopback only); nothing to compare.
            this.skip();
        }
        for (const line of stats) {
            assert.match(line, /^node_ethtool_[a-z0-9_]+\{device="[^"]+"\} \d/);
        }
    });

    it("rejects a misspelt flag (the check is real)", async () => {
        await assert.rejects(scrape(["--collector.ethtool.metric-include=.*"]), /node-exporter exited 1[\s\S]*unknown long flag/);
    });
});

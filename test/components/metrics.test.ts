import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
    ContentError,
    dashboardMetricNames,
    keepList,
    loadDashboards,
    loadRuleFiles,
    recordedMetricNames,
    ruleMetricNames,
} from "../../components/metrics";

const FIXTURES = path.join(__dirname, "..", "fixtures", "metrics");

describe("rule and dashboard metrics", () => {
    const files = loadRuleFiles(path.join(FIXTURES, "rules"));
    const dashboards = loadDashboards(path.join(FIXTURES, "dashboards"));

    it("loads rule files by area, skipping the impact table, keeping the exact text", () => {
        assert.deepEqual(files.map((f) => f.area), ["nodes"]);
        assert.equal(files[0].content, fs.readFileSync(path.join(FIXTURES, "rules", "nodes.yaml"), "utf8"));
        assert.equal(files[0].groups.length, 2);
    });

    it("derives what the rules read from scrapes, not what they record", () => {
        assert.deepEqual(ruleMetricNames(files), ["node_cpu_seconds_total"]);
        assert.deepEqual(recordedMetricNames(files), ["cluster:node_cpu:ratio"]);
    });

    it("reads panel targets (nested in rows) and query variables, with Grafana variables substituted", () => {
        assert.deepEqual(dashboardMetricNames(dashboards), ["cluster:node_cpu:ratio", "kube_node_info", "node_network_receive_bytes_total", "node_uname_info"]);
    });

    it("builds the keep-list: rules + dashboards + extra, minus recorded series", () => {
        assert.deepEqual(keepList(["my_app_requests_total"], files, dashboards), [
            "kube_node_info",
            "my_app_requests_total",
            "node_cpu_seconds_total",
            "node_network_receive_bytes_total",
            "node_uname_info",
        ]);
    });

    it("names the file and rule when an expression cannot be used", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-rules-"));
        fs.writeFileSync(path.join(dir, "bad.yaml"), 'groups:\n  - name: g\n    rules:\n      - alert: Broken\n        expr: count({job="x"})\n');
        assert.throws(() => ruleMetricNames(loadRuleFiles(dir)), (err: Error) => err instanceof ContentError && /bad\.yaml: rule Broken: .*does not name a metric/.test(err.message));
    });

    it("rejects a dashboard variable that does not name a metric", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-dash-"));
        fs.writeFileSync(path.join(dir, "d.json"), JSON.stringify({ templating: { list: [{ name: "job", type: "query", query: "label_values(job)" }] } }));
        assert.throws(() => dashboardMetricNames(loadDashboards(dir)), /variable job runs "label_values\(job\)"/);
    });

    it("rejects a rule file without groups", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-rules-"));
        fs.writeFileSync(path.join(dir, "empty.yaml"), "rules: []\n");
        assert.throws(() => loadRuleFiles(dir), /needs a top-level "groups" list/);
    });
});

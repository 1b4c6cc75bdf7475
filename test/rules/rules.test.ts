// The shipped rule files: promtool accepts them and their tests pass, every alert follows the
// label/annotation vocabulary and has a firing and a silent case, every expression keeps the
// cluster label, and the collector's keep-list can be derived from them.

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { allRules, loadRuleFiles, recordedMetricNames, ruleMetricNames, RULES_DIR } from "../../components/metrics";
import { alertProblems, alertRules, orphanRunbookSections, RUNBOOKS_FILE } from "../../tools/docs";
import { promtool, runTool } from "../support/tools";
import { clusterProblems, coverageProblems, labelMatchers, loadPromtoolTests } from "./support";

const TESTS_DIR = path.join(RULES_DIR, "tests");

describe("shipped alert rules", () => {
    const files = loadRuleFiles();
    const alerts = alertRules(files);
    const tests = loadPromtoolTests(TESTS_DIR);
    const runbooks = fs.readFileSync(RUNBOOKS_FILE, "utf8");

    it("are at least 95 alerts covering every area the baseline needs, one rule file per area", () => {
        assert.ok(alerts.length >= 95, `only ${alerts.length} alerts`);
        const areas = files.map((f) => f.area);
        for (const area of ["apps", "resources", "storage", "nodes", "kubelet", "pods", "apiserver", "coredns", "control-plane", "vpc-cni", "baseline", "pipeline"]) {
            assert.ok(areas.includes(area), `rules/${area}.yaml is missing`);
        }
        const groups = files.flatMap((f) => f.groups.map((g) => g.name));
        assert.deepEqual(groups.filter((g, i) => groups.indexOf(g) !== i), [], "rule group names must be unique");
    });

    it("pass promtool check rules with lint findings fatal", function () {
        this.timeout(60_000);
        const out = promtool(["check", "rules", "--lint=all", "--lint-fatal", ...files.map((f) => f.path)]);
        assert.equal((out.match(/SUCCESS: \d+ rules found/g) ?? []).length, files.length, out);
    });

    it("pass every promtool test file, in one promtool run", function () {
        this.timeout(120_000);
        const out = promtool(["test", "rules", ...tests.map((t) => path.basename(t.path))], { cwd: TESTS_DIR });
        assert.equal((out.match(/^\s*SUCCESS\s*$/gm) ?? []).length, tests.length, out);
    });

    it("every rule file has a promtool test file, and every test file tests shipped rules", () => {
        const tested = new Set(tests.flatMap((t) => t.ruleFiles));
        for (const file of files) {
            assert.ok(tested.has(file.path), `${path.basename(file.path)} has no promtool test file in rules/tests/`);
        }
        for (const t of tests) {
            for (const r of t.ruleFiles) {
                assert.ok(files.some((f) => f.path === r), `${path.basename(t.path)} loads ${r}, which is not a shipped rule file`);
            }
        }
    });

    it("test files of rule files with several groups fix the evaluation order (recording rules first)", () => {
        // promtool evaluates groups in random order; an alert reading a recording rule of another
        // group would then fire one step early or late from run to run.
        for (const t of tests) {
            const groups = files.filter((f) => t.ruleFiles.includes(f.path)).flatMap((f) => f.groups);
            if (groups.length > 1) {
                assert.deepEqual([...t.groupEvalOrder].sort(), groups.map((g) => g.name).sort(), `${path.basename(t.path)} needs group_eval_order with every group`);
                const firstAlerting = t.groupEvalOrder.findIndex((name) => groups.find((g) => g.name === name)?.rules.some((r) => r.alert));
                const lastRecording = t.groupEvalOrder.reduce((last, name, i) => (groups.find((g) => g.name === name)?.rules.some((r) => r.record) ? i : last), -1);
                assert.ok(lastRecording < firstAlerting || firstAlerting === -1, `${path.basename(t.path)}: recording groups must come before alerting groups`);
            }
        }
    });

    it("every alert has severity, impact and level labels and summary, description and runbook_url annotations with allowed values", () => {
        assert.deepEqual(alertProblems(files, runbooks), []);
    });

    it("no two alerts share a name", () => {
        const names = alerts.map((a) => a.rule.alert);
        assert.deepEqual(names.filter((n, i) => names.indexOf(n) !== i), []);
    });

    it("every alert has a promtool case where it fires and one where it stays silent", () => {
        assert.deepEqual(coverageProblems(alerts.map((a) => a.rule.alert), tests), []);
    });

    it("every aggregation and join in every alerting and recording rule keeps the cluster label", () => {
        const problems = files.flatMap((file) =>
            file.groups.flatMap((group) =>
                group.rules.flatMap((rule) => clusterProblems(String(rule.expr)).map((p) => `${file.area}: ${rule.alert ?? rule.record}: ${p}`)),
            ),
        );
        assert.deepEqual(problems, []);
    });

    it("every own runbook section belongs to an alert", () => {
        assert.deepEqual(orphanRunbookSections(files, runbooks), []);
    });

    it("contain the pipeline alerts other components rely on (contract C3)", () => {
        const pipeline = alerts.filter((a) => a.file.area === "pipeline").map((a) => a.rule);
        for (const name of ["Watchdog", "ClusterMetricsAbsent", "PrometheusRemoteWriteBehind", "PrometheusRemoteStorageFailures", "TargetDown"]) {
            assert.ok(pipeline.some((r) => r.alert === name), `rules/pipeline.yaml lacks ${name}`);
        }
        const watchdog = pipeline.find((r) => r.alert === "Watchdog");
        assert.deepEqual(watchdog?.labels, { severity: "info", impact: "none", level: "pipeline" });
        assert.equal(watchdog?.for, undefined, "the heartbeat fires at once");
    });

    it("select only the scrape jobs the collector defines (contract C3)", () => {
        const jobs = new Set<string>();
        for (const { rule } of allRules(files)) {
            for (const m of labelMatchers(String(rule.expr)).filter((m) => m.label === "job")) {
                // Selectors name jobs exactly (=) or as an alternation of exact names (=~ "a|b").
                assert.ok(m.op === "=" || m.op === "=~", `${rule.alert ?? rule.record}: job ${m.op} "${m.value}"`);
                m.value.split("|").forEach((j) => jobs.add(j));
            }
        }
        const allowed = ["kubelet", "apiserver", "kube-dns", "aws-node", "node-exporter", "kube-state-metrics", "prometheus", "kube-scheduler", "kube-controller-manager"];
        assert.deepEqual([...jobs].filter((j) => !allowed.includes(j)), []);
    });

    it("let the collector derive its keep-list from the metrics they read", () => {
        const names = ruleMetricNames(files);
        for (const name of ["up", "kube_pod_status_phase", "node_filesystem_avail_bytes", "apiserver_request_sli_duration_seconds_bucket", "coredns_proxy_request_duration_seconds_count", "awscni_no_available_ip_addresses"]) {
            assert.ok(names.includes(name), `keep-list lacks ${name}`);
        }
        for (const recorded of recordedMetricNames(files)) {
            assert.ok(!names.includes(recorded), `recorded series ${recorded} must not be scraped`);
        }
    });

    it("a promtool case that stays silent before the for window fails when the window is removed", function () {
        this.timeout(60_000);
        // Mutate a copy: without `for`, the pod alerts fire at once and the silent cases fail.
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-rules-mutant-"));
        try {
            fs.mkdirSync(path.join(dir, "tests"));
            const pods = fs.readFileSync(path.join(RULES_DIR, "pods.yaml"), "utf8");
            fs.writeFileSync(path.join(dir, "pods.yaml"), pods.replace(/^ +for: .*\n/gm, ""));
            fs.copyFileSync(path.join(TESTS_DIR, "pods.yaml"), path.join(dir, "tests", "pods.yaml"));
            const result = runTool("promtool", ["test", "rules", "pods.yaml"], { cwd: path.join(dir, "tests") });
            assert.equal(result.status, 1, result.stdout + result.stderr);
            for (const name of ["KubePodCrashLooping", "KubePodNotReady", "KubePodPending", "KubeContainerWaiting", "KubeContainerImagePullFailing"]) {
                assert.match(result.stdout + result.stderr, new RegExp(`alertname: ${name}, time`), `${name}'s silent case did not catch the missing window`);
            }
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

// The rule checks themselves: each accepts a compliant rule and reports a broken one.

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadRuleFiles, RuleFile } from "../../components/metrics";
import { alertProblems, githubAnchor, orphanRunbookSections, repositoryUrl, sectionAnchors } from "../../tools/docs";
import { clusterProblems, coverageProblems, labelMatchers, loadPromtoolTests } from "./support";

const OWN = "https://github.com/vigil-eks/vigil/blob/main/docs/runbooks.md";

/** A rule file with one alert, written to a temporary directory and loaded like the real ones. */
function ruleFile(rule: Record<string, unknown>, extra: Record<string, unknown>[] = []): RuleFile[] {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-rule-check-"));
    fs.writeFileSync(path.join(dir, "sample.yaml"), JSON.stringify({ groups: [{ name: "g", rules: [rule, ...extra] }] }));
    return loadRuleFiles(dir);
}

const COMPLIANT = {
    alert: "KubePodPending",
    expr: 'max by (cluster, namespace, pod) (kube_pod_status_phase{job="kube-state-metrics", phase="Pending"} == 1)',
    for: "15m",
    labels: { severity: "warning", impact: "uncertain", level: "pod" },
    annotations: {
        summary: "Pod is pending.",
        description: "Pod {{ $labels.pod }} is pending.",
        runbook_url: `${OWN}#kubepodpending`,
        mitigation: "Read its events.",
    },
};
const RUNBOOKS = "# Runbooks\n\n## KubePodPending\n\nMeaning...\n";

describe("rule checks", () => {
    describe("cluster label", () => {
        it("accepts aggregations by cluster, joins on cluster, without/ignoring other labels", () => {
            for (const expr of [
                'sum by (cluster, job) (rate(up{job="x"}[5m]))',
                "max without (instance) (x)",
                "a / on (cluster, node) group_left (pod) b",
                "a - ignoring (remote_name, url) group_right b",
                "a unless on (cluster) b",
                "histogram_quantile(0.99, sum by (cluster, le) (rate(x_bucket[5m]))) > 1",
                "time() - max by (cluster, namespace, job_name) (x) > 3600",
                "rate(x[5m]) > 0",
            ]) {
                assert.deepEqual(clusterProblems(expr), [], expr);
            }
        });

        it("reports every way of losing cluster", () => {
            const cases: [string, RegExp][] = [
                ["sum(rate(x[5m]))", /^sum without by \(cluster, \.\.\.\) drops cluster/],
                ["count by (namespace) (x)", /^count by \(namespace\) drops cluster/],
                ["max without (cluster, instance) (x)", /^max without \(cluster, instance\) drops cluster/],
                ["a / on (namespace, pod) b", /^join on \(namespace, pod\) does not match on cluster/],
                ["a / on () b", /^join on \(\) does not match on cluster/],
                ["a and ignoring (cluster) b", /^join ignoring \(cluster\) ignores cluster/],
                ['absent(up{job="apiserver"} == 1)', /^absent\(\) returns series without cluster/],
                ["x or vector(0)", /^vector\(\) returns series without cluster/],
                ["sum by (cluster) (x) > bad(", /PromQL syntax error/],
            ];
            for (const [expr, expected] of cases) {
                const problems = clusterProblems(expr);
                assert.equal(problems.length, 1, `${expr}: ${problems.join("; ")}`);
                assert.match(problems[0], expected, expr);
            }
        });

        it("finds a problem nested deep inside a compliant expression", () => {
            assert.equal(clusterProblems("max by (cluster) (a) and on (cluster) (count by (cluster) (b) / sum(c))").length, 1);
        });
    });

    describe("label matchers", () => {
        it("parses the matchers of every selector, unescaping string literals", () => {
            assert.deepEqual(labelMatchers('a{job="kubelet", le=~"1(\\\\.0)?"} / on (cluster) b{job!="x"}'), [
                { label: "job", op: "=", value: "kubelet" },
                { label: "le", op: "=~", value: "1(\\.0)?" },
                { label: "job", op: "!=", value: "x" },
            ]);
        });
    });

    describe("labels, annotations and runbooks", () => {
        it("accepts a compliant alert", () => {
            assert.deepEqual(alertProblems(ruleFile(COMPLIANT), RUNBOOKS, OWN), []);
        });

        it("reports missing and out-of-vocabulary labels and annotations, naming file and alert", () => {
            const broken = {
                ...COMPLIANT,
                for: "fifteen minutes",
                labels: { severity: "page", impact: "maybe", team: "sre" },
                annotations: { summary: "", description: "x", runbook_url: `${OWN}#kubepodpending`, mitigation: " ", dashboard: "d" },
            };
            assert.deepEqual(alertProblems(ruleFile(broken), RUNBOOKS, OWN), [
                "sample.yaml: alert KubePodPending: label team is not one of severity, impact, level, long, short",
                'sample.yaml: alert KubePodPending: label severity is "page"; allowed: critical, warning, info',
                'sample.yaml: alert KubePodPending: label impact is "maybe"; allowed: known, uncertain, none',
                "sample.yaml: alert KubePodPending: label level is undefined; allowed: cluster, node, workload, pod, apiserver, coredns, control-plane, network, pipeline",
                "sample.yaml: alert KubePodPending: annotation dashboard is not one of summary, description, runbook_url, mitigation",
                "sample.yaml: alert KubePodPending: annotation summary is empty",
                "sample.yaml: alert KubePodPending: annotation mitigation is empty",
                'sample.yaml: alert KubePodPending: for "fifteen minutes" is not a Prometheus duration such as 5m or 1h',
            ]);
        });

        it("reports a missing runbook_url and duplicate alert names", () => {
            const { runbook_url: _dropped, ...annotations } = COMPLIANT.annotations;
            const problems = alertProblems(ruleFile({ ...COMPLIANT, annotations }, [COMPLIANT]), RUNBOOKS, OWN);
            assert.deepEqual(problems, [
                "sample.yaml: alert KubePodPending: annotation runbook_url is missing",
                "sample.yaml: alert KubePodPending: the name is already used in sample.yaml; every alert needs its own name",
            ]);
        });

        it("requires the upstream runbook for alerts that have one, and only for those", () => {
            const upstreamAlert = { ...COMPLIANT, alert: "KubePodCrashLooping", annotations: { ...COMPLIANT.annotations, runbook_url: `${OWN}#kubepodcrashlooping` } };
            assert.deepEqual(alertProblems(ruleFile(upstreamAlert), "## KubePodCrashLooping\n", OWN), [
                "sample.yaml: alert KubePodCrashLooping: has an upstream runbook; link https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepodcrashlooping",
            ]);
            const wrongGroup = { ...upstreamAlert, annotations: { ...COMPLIANT.annotations, runbook_url: "https://runbooks.prometheus-operator.dev/runbooks/node/kubepodcrashlooping" } };
            assert.match(alertProblems(ruleFile(wrongGroup), "", OWN)[0], /is not an upstream runbook; use https:\/\/runbooks\.prometheus-operator\.dev\/runbooks\/kubernetes\/kubepodcrashlooping$/);
            const invented = { ...COMPLIANT, annotations: { ...COMPLIANT.annotations, runbook_url: "https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepodpending" } };
            assert.match(alertProblems(ruleFile(invented), RUNBOOKS, OWN)[0], /is not an upstream runbook; write a section in docs\/runbooks\.md and link .*#kubepodpending$/);
        });

        it("requires an own runbook section named after the alert", () => {
            assert.deepEqual(alertProblems(ruleFile(COMPLIANT), "## SomethingElse\n", OWN), [
                'sample.yaml: alert KubePodPending: docs/runbooks.md has no section "## KubePodPending" (anchor #kubepodpending)',
            ]);
            const wrongAnchor = { ...COMPLIANT, annotations: { ...COMPLIANT.annotations, runbook_url: `${OWN}#pending` } };
            assert.deepEqual(alertProblems(ruleFile(wrongAnchor), RUNBOOKS, OWN), [
                "sample.yaml: alert KubePodPending: runbook_url anchor #pending should be #kubepodpending, the section named after the alert",
            ]);
            const elsewhere = { ...COMPLIANT, annotations: { ...COMPLIANT.annotations, runbook_url: "https://wiki.example.com/KubePodPending" } };
            assert.match(alertProblems(ruleFile(elsewhere), RUNBOOKS, OWN)[0], /runbook_url https:\/\/wiki\.example\.com\/KubePodPending is neither/);
        });

        it("finds runbook sections no alert links", () => {
            assert.deepEqual(orphanRunbookSections(ruleFile(COMPLIANT), `${RUNBOOKS}\n## KubePodGone\n`, OWN), ["kubepodgone"]);
        });

        it("derives anchors and the repository address as GitHub does", () => {
            assert.equal(githubAnchor("KubeAPIErrorBudgetBurn1h"), "kubeapierrorbudgetburn1h");
            assert.equal(githubAnchor("Control plane (EKS 1.28+)"), "control-plane-eks-128");
            assert.deepEqual(sectionAnchors("# Title\n## A b\ntext\n### Not this\n## C\n"), ["a-b", "c"]);
            assert.equal(repositoryUrl({ repository: { url: "https://github.com/vigil-eks/vigil.git" } }), "https://github.com/vigil-eks/vigil");
            assert.throws(() => repositoryUrl({ repository: { url: "git@gitlab.com:x/y.git" } }), /repository\.url "git@gitlab\.com:x\/y\.git" is not a https:\/\/github\.com/);
        });
    });

    describe("promtool case coverage", () => {
        function testFile(cases: string): string {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-promtool-cases-"));
            fs.writeFileSync(path.join(dir, "t.yaml"), `rule_files: [../x.yaml]\ntests:\n  - name: t\n    interval: 1m\n    input_series: []\n    alert_rule_test:\n${cases}`);
            return dir;
        }
        const firing = "      - eval_time: 5m\n        alertname: A\n        exp_alerts:\n          - exp_labels: {severity: info}\n            exp_annotations: {summary: s}\n";
        const silent = "      - eval_time: 4m\n        alertname: A\n        exp_alerts: []\n";

        it("accepts an alert with a firing and a silent case", () => {
            assert.deepEqual(coverageProblems(["A"], loadPromtoolTests(testFile(firing + silent))), []);
        });

        it("reports a missing firing or silent case, and a case for an unknown alert", () => {
            assert.deepEqual(coverageProblems(["A"], loadPromtoolTests(testFile(firing))), ["A: no promtool case where it stays silent"]);
            assert.deepEqual(coverageProblems(["A"], loadPromtoolTests(testFile(silent))), ["A: no promtool case where it fires"]);
            assert.deepEqual(coverageProblems(["A"], loadPromtoolTests(testFile(firing + silent + silent.replace("alertname: A", "alertname: B")))), [
                't.yaml: test "t" checks alert B, which no rule file defines',
            ]);
        });

        it("rejects an expected alert without exact labels and annotations", () => {
            const loose = "      - eval_time: 5m\n        alertname: A\n        exp_alerts:\n          - exp_labels: {severity: info}\n";
            assert.throws(() => loadPromtoolTests(testFile(loose)), /every expected alert needs exp_labels and exp_annotations/);
        });
    });
});

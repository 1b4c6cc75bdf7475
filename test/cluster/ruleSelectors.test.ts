// Every scrape job and kubelet endpoint an alert or recording rule selects exists in what the
// collector renders: a rule that selects a job name or metrics_path nobody produces would never fire.

import * as assert from "node:assert/strict";
import { allRules, loadRuleFiles } from "../../components/metrics";
import { ScrapeConfig, scrapeJobs } from "../../components/cluster/scrape";
import { vectorSelectors } from "./processes";

/** The values a target label ends up with in each job: a relabel replacement, or the job name for `job`. */
function targetLabelValues(jobs: readonly ScrapeConfig[], label: string): string[] {
    const values = jobs.flatMap((job) => {
        const set = (job.relabel_configs ?? []).filter((r) => r.target_label === label && r.source_labels === undefined).map((r) => String(r.replacement));
        return set.length > 0 ? set : label === "job" ? [job.job_name] : [];
    });
    return [...new Set(values)].sort();
}

/** `label op "value"` matchers of a selector. */
const matchers = (selector: string) => [...selector.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!=|!~|=)\s*"((?:[^"\\]|\\.)*)"/g)].map((m) => ({ label: m[1], op: m[2], value: JSON.parse(`"${m[3]}"`) as string }));

/** Whether a positive matcher (`=` or `=~`, anchored like PromQL) accepts the value. */
const accepts = (op: string, pattern: string, value: string) => (op === "=" ? value === pattern : new RegExp(`^(?:${pattern})$`).test(value));

/** Selectors of all rules with a positive matcher on `label`: [rule, selector, op, value]. */
function positiveMatchers(label: string): [string, string, string, string][] {
    return allRules(loadRuleFiles()).flatMap(({ rule }) =>
        vectorSelectors(rule.expr).flatMap((selector) =>
            matchers(selector)
                .filter((m) => m.label === label && (m.op === "=" || m.op === "=~"))
                .map((m): [string, string, string, string] => [rule.alert ?? rule.record ?? "?", selector, m.op, m.value]),
        ),
    );
}

describe("rule selectors against the collector's scrape jobs", () => {
    const jobs = scrapeJobs({ kubernetesVersion: "1.31", namespace: "vigil-monitoring", collector: "prometheus" });

    it("produces the job names of contract C3, cAdvisor under kubelet", () => {
        assert.deepEqual(targetLabelValues(jobs, "job"), ["apiserver", "aws-node", "kube-controller-manager", "kube-dns", "kube-scheduler", "kube-state-metrics", "kubelet", "node-exporter", "prometheus"]);
        assert.deepEqual(targetLabelValues(jobs, "metrics_path"), ["/metrics", "/metrics/cadvisor"]);
    });

    it("has a job for every job a rule selects", () => {
        const produced = targetLabelValues(jobs, "job");
        const selected = positiveMatchers("job");
        assert.ok(selected.length > 100, "the rules select jobs");
        for (const [rule, selector, op, value] of selected) {
            assert.ok(produced.some((job) => accepts(op, value, job)), `${rule}: ${selector} selects no job the collector renders (${produced.join(", ")})`);
        }
    });

    it("has a kubelet endpoint for every metrics_path a rule selects, including the negative ones", () => {
        const paths = targetLabelValues(jobs, "metrics_path");
        const negative = allRules(loadRuleFiles()).flatMap(({ rule }) => vectorSelectors(rule.expr).flatMap((s) => matchers(s).filter((m) => m.label === "metrics_path" && (m.op === "!=" || m.op === "!~"))));
        assert.ok(negative.length > 0, "KubeletDown tells the kubelet's own endpoint from cAdvisor");
        for (const m of negative) {
            const left = paths.filter((p) => (m.op === "!=" ? p !== m.value : !new RegExp(`^(?:${m.value})$`).test(p)));
            assert.ok(left.length > 0, `metrics_path${m.op}"${m.value}" leaves no kubelet endpoint`);
        }
        for (const [rule, selector, op, value] of positiveMatchers("metrics_path")) {
            assert.ok(paths.some((p) => accepts(op, value, p)), `${rule}: ${selector}`);
        }
    });

    it("would catch a rule selecting a job the collector does not have", () => {
        const produced = targetLabelValues(jobs, "job");
        assert.ok(!produced.some((job) => accepts("=", "kube-proxy", job)));
        assert.ok(!produced.some((job) => accepts("=~", "etcd|kube-etcd", job)));
    });
});

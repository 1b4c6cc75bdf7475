// Checks for the rule files that promtool cannot make: every aggregation and join keeps the
// cluster label (parsed PromQL, not regular expressions), and every alert has a firing and a
// silent promtool case.

import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { parser } from "@prometheus-io/lezer-promql";
import type { SyntaxNode } from "@lezer/common";

/** Functions whose result has no labels, or only those of equality matchers: they lose cluster. */
const LABEL_DROPPING_FUNCTIONS = new Set(["absent", "absent_over_time", "scalar", "vector"]);

function groupingLabels(expr: string, node: SyntaxNode | null): string[] {
    if (!node) {
        return [];
    }
    const labels: string[] = [];
    for (let child = node.firstChild; child; child = child.nextSibling) {
        if (child.name === "LabelName" || child.name === "QuotedLabelName") {
            labels.push(expr.slice(child.from, child.to).replace(/^["'`]|["'`]$/g, ""));
        }
    }
    return labels;
}

function snippet(expr: string, node: SyntaxNode): string {
    const text = expr.slice(node.from, node.to).replace(/\s+/g, " ");
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * Places where a PromQL expression loses the `label` (default `cluster`): an aggregation without
 * `by (cluster, ...)` or with `without (cluster)`, a join `on (...)` without it or
 * `ignoring (cluster)`, and functions that drop labels (absent, vector, scalar).
 */
export function clusterProblems(expr: string, label = "cluster"): string[] {
    const problems: string[] = [];
    parser.parse(expr).iterate({
        enter: (ref) => {
            if (ref.type.isError) {
                problems.push(`PromQL syntax error at offset ${ref.from}`);
                return false;
            }
            const node = ref.node;
            if (ref.name === "AggregateExpr") {
                const op = node.getChild("AggregateOp");
                const name = op ? expr.slice(op.from, op.to) : "aggregation";
                const modifier = node.getChild("AggregateModifier");
                const labels = groupingLabels(expr, modifier?.getChild("GroupingLabels") ?? null);
                if (!modifier) {
                    problems.push(`${name} without by (${label}, ...) drops ${label}: ${snippet(expr, node)}`);
                } else if (modifier.getChild("By") && !labels.includes(label)) {
                    problems.push(`${name} by (${labels.join(", ")}) drops ${label}: ${snippet(expr, node)}`);
                } else if (modifier.getChild("Without") && labels.includes(label)) {
                    problems.push(`${name} without (${labels.join(", ")}) drops ${label}: ${snippet(expr, node)}`);
                }
            } else if (ref.name === "MatchingModifierClause") {
                const labels = groupingLabels(expr, node.getChild("GroupingLabels"));
                if (node.getChild("On") && !labels.includes(label)) {
                    problems.push(`join on (${labels.join(", ")}) does not match on ${label}: ${snippet(expr, node)}`);
                } else if (node.getChild("Ignoring") && labels.includes(label)) {
                    problems.push(`join ignoring (${labels.join(", ")}) ignores ${label}: ${snippet(expr, node)}`);
                }
            } else if (ref.name === "FunctionIdentifier") {
                const name = expr.slice(node.from, node.to);
                if (LABEL_DROPPING_FUNCTIONS.has(name)) {
                    problems.push(`${name}() returns series without ${label}: ${snippet(expr, node.parent ?? node)}`);
                }
            }
            return undefined;
        },
    });
    return problems;
}

export interface LabelMatcher {
    readonly label: string;
    readonly op: "=" | "!=" | "=~" | "!~";
    readonly value: string;
}

/** The label matchers of every series selector in an expression, parsed, in order. */
export function labelMatchers(expr: string): LabelMatcher[] {
    const matchers: LabelMatcher[] = [];
    parser.parse(expr).iterate({
        enter: (ref) => {
            if (ref.type.isError) {
                throw new Error(`PromQL syntax error at offset ${ref.from}: ${expr}`);
            }
            if (ref.name !== "UnquotedLabelMatcher") {
                return undefined;
            }
            const node = ref.node;
            const name = node.getChild("LabelName");
            const op = node.getChild("MatchOp");
            const value = node.getChild("StringLiteral");
            if (name && op && value) {
                matchers.push({
                    label: expr.slice(name.from, name.to),
                    op: expr.slice(op.from, op.to) as LabelMatcher["op"],
                    value: JSON.parse(`"${expr.slice(value.from + 1, value.to - 1).replace(/"/g, '\\"')}"`) as string,
                });
            }
            return false;
        },
    });
    return matchers;
}

/** One `alert_rule_test` entry of a promtool test file. */
export interface AlertCase {
    readonly file: string;
    readonly test: string;
    readonly alertname: string;
    readonly evalTime: string;
    /** The case expects at least one firing alert. */
    readonly firing: boolean;
}

export interface PromtoolTestFile {
    readonly path: string;
    readonly ruleFiles: readonly string[];
    /** `group_eval_order`: without it promtool evaluates rule groups in random order. */
    readonly groupEvalOrder: readonly string[];
    readonly cases: readonly AlertCase[];
}

interface RawTestFile {
    rule_files?: string[];
    group_eval_order?: string[];
    tests?: {
        name?: string;
        alert_rule_test?: { eval_time?: string; alertname?: string; exp_alerts?: { exp_labels?: object; exp_annotations?: object }[] | null }[];
    }[];
}

/** Reads every promtool test file (`*.yaml`) in `dir`, sorted by name. */
export function loadPromtoolTests(dir: string): PromtoolTestFile[] {
    return fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".yaml"))
        .sort()
        .map((fileName) => {
            const file = path.join(dir, fileName);
            const doc = yaml.load(fs.readFileSync(file, "utf8")) as RawTestFile | undefined;
            if (!doc || !Array.isArray(doc.tests)) {
                throw new Error(`${file}: a promtool test file needs a top-level "tests" list`);
            }
            const cases = doc.tests.flatMap((test, index) =>
                (test.alert_rule_test ?? []).map((c) => {
                    const expected = c.exp_alerts ?? [];
                    if (expected.some((a) => !a.exp_labels || !a.exp_annotations)) {
                        throw new Error(`${file}: test ${test.name ?? index}: alert ${c.alertname} at ${c.eval_time}: every expected alert needs exp_labels and exp_annotations`);
                    }
                    return {
                        file: fileName,
                        test: test.name ?? `#${index}`,
                        alertname: String(c.alertname),
                        evalTime: String(c.eval_time),
                        firing: expected.length > 0,
                    };
                }),
            );
            return { path: file, ruleFiles: (doc.rule_files ?? []).map((r) => path.resolve(dir, r)), groupEvalOrder: doc.group_eval_order ?? [], cases };
        });
}

/**
 * Alerts that lack a firing or a silent case, and cases for alerts that do not exist (promtool
 * passes a silent case for a misspelled alert name without complaint).
 */
export function coverageProblems(alertNames: readonly string[], tests: readonly PromtoolTestFile[]): string[] {
    const cases = tests.flatMap((t) => t.cases);
    const known = new Set(alertNames);
    const problems: string[] = [];
    for (const name of alertNames) {
        const mine = cases.filter((c) => c.alertname === name);
        if (!mine.some((c) => c.firing)) {
            problems.push(`${name}: no promtool case where it fires`);
        }
        if (!mine.some((c) => !c.firing)) {
            problems.push(`${name}: no promtool case where it stays silent`);
        }
    }
    for (const c of cases) {
        if (!known.has(c.alertname)) {
            problems.push(`${c.file}: test "${c.test}" checks alert ${c.alertname}, which no rule file defines`);
        }
    }
    return problems;
}

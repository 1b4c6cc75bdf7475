// Loads the shipped rule files and dashboards and derives the metric names they use.
//
// The collector's remote-write keep-list (and the kube-state-metrics allowlist) is the union of the
// metrics the alert and recording rules read and the metrics the dashboards query, minus the series
// the recording rules produce themselves. Deriving it keeps AMP ingestion (billed per sample) to
// what Vigil actually uses, and a test proves nothing a rule or dashboard needs is dropped.

import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { metricNames, PromQLError } from "./promql";

/** The repository's `rules/` directory. */
export const RULES_DIR = path.join(__dirname, "..", "rules");
/** The repository's `dashboards/` directory. */
export const DASHBOARDS_DIR = path.join(__dirname, "..", "dashboards");

/** Files in `rules/` that are not Prometheus rule files. */
const NOT_RULE_FILES = new Set(["impact.yaml"]);

export interface Rule {
    readonly alert?: string;
    readonly record?: string;
    readonly expr: string;
    readonly for?: string;
    readonly keep_firing_for?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
}

export interface RuleGroup {
    readonly name: string;
    readonly interval?: string;
    readonly limit?: number;
    readonly rules: readonly Rule[];
}

export interface RuleFile {
    /** The area, from the file name (`nodes` for `rules/nodes.yaml`). */
    readonly area: string;
    /** Absolute path. */
    readonly path: string;
    /** The file's exact text: this is what goes to AMP. */
    readonly content: string;
    readonly groups: readonly RuleGroup[];
}

/** A rule file or dashboard that cannot be used. */
export class ContentError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "ContentError";
    }
}

/** Reads every Prometheus rule file (`*.yaml`, except the impact table) in `dir`, sorted by name. */
export function loadRuleFiles(dir: string = RULES_DIR): RuleFile[] {
    return fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".yaml") && !NOT_RULE_FILES.has(f))
        .sort()
        .map((fileName) => {
            const file = path.join(dir, fileName);
            const content = fs.readFileSync(file, "utf8");
            const doc = yaml.load(content) as { groups?: RuleGroup[] } | undefined;
            if (!doc || !Array.isArray(doc.groups)) {
                throw new ContentError(`${file}: a rule file needs a top-level "groups" list`);
            }
            return { area: fileName.replace(/\.yaml$/, ""), path: file, content, groups: doc.groups };
        });
}

/** All rules of the given files, with the file each comes from. */
export function allRules(files: readonly RuleFile[]): { file: RuleFile; group: RuleGroup; rule: Rule }[] {
    return files.flatMap((file) => file.groups.flatMap((group) => group.rules.map((rule) => ({ file, group, rule }))));
}

/**
 * Metric names the rules read from scraped data: every name their expressions use, minus the names
 * the recording rules themselves produce.
 */
export function ruleMetricNames(files: readonly RuleFile[]): string[] {
    const used = new Set<string>();
    const recorded = new Set<string>();
    for (const { file, rule } of allRules(files)) {
        if (rule.record) {
            recorded.add(rule.record);
        }
        try {
            metricNames(String(rule.expr)).forEach((n) => used.add(n));
        } catch (err) {
            if (err instanceof PromQLError) {
                throw new ContentError(`${file.path}: rule ${rule.alert ?? rule.record}: ${err.message}`);
            }
            throw err;
        }
    }
    return [...used].filter((n) => !recorded.has(n)).sort();
}

/** Metric names that series produced by recording rules carry (never scraped, never kept). */
export function recordedMetricNames(files: readonly RuleFile[]): string[] {
    return [...new Set(allRules(files).flatMap(({ rule }) => (rule.record ? [rule.record] : [])))].sort();
}

export interface Dashboard {
    /** File name without `.json`. */
    readonly id: string;
    readonly path: string;
    /** The parsed dashboard model. */
    readonly model: Record<string, unknown>;
}

/** Reads every `*.json` dashboard in `dir`, sorted by name. */
export function loadDashboards(dir: string = DASHBOARDS_DIR): Dashboard[] {
    if (!fs.existsSync(dir)) {
        return [];
    }
    return fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".json"))
        .sort()
        .map((fileName) => {
            const file = path.join(dir, fileName);
            let model: unknown;
            try {
                model = JSON.parse(fs.readFileSync(file, "utf8"));
            } catch (err) {
                throw new ContentError(`${file}: not valid JSON: ${(err as Error).message}`);
            }
            if (typeof model !== "object" || model === null || Array.isArray(model)) {
                throw new ContentError(`${file}: a dashboard must be a JSON object`);
            }
            return { id: fileName.replace(/\.json$/, ""), path: file, model: model as Record<string, unknown> };
        });
}

/**
 * Grafana substitutes its variables before the query reaches Prometheus; replace them with values
 * of the right shape so the expression parses: range variables become durations, others strings.
 */
export function substituteGrafanaVariables(expr: string): string {
    return expr
        .replace(/\$__(rate_interval|interval|range)\b|\$\{__(rate_interval|interval|range)\}/g, "5m")
        .replace(/\[\$\{?\w+\}?\]/g, "[5m]")
        .replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)/g, "grafana_variable");
}

/** Every PromQL query a dashboard runs: panel targets (also nested in rows) and query variables. */
export function dashboardQueries(dashboard: Dashboard): string[] {
    const queries: string[] = [];
    const visitPanels = (panels: unknown): void => {
        if (!Array.isArray(panels)) {
            return;
        }
        for (const panel of panels as Record<string, unknown>[]) {
            for (const target of (panel.targets as Record<string, unknown>[] | undefined) ?? []) {
                if (typeof target.expr === "string" && target.expr.trim() !== "") {
                    queries.push(target.expr);
                }
            }
            visitPanels(panel.panels);
        }
    };
    visitPanels(dashboard.model.panels);
    const templating = dashboard.model.templating as { list?: Record<string, unknown>[] } | undefined;
    for (const variable of templating?.list ?? []) {
        if (variable.type !== "query") {
            continue;
        }
        const raw = variable.query;
        const query = typeof raw === "string" ? raw : typeof raw === "object" && raw ? (raw as { query?: string }).query : undefined;
        if (!query) {
            continue;
        }
        const labelValues = /^\s*label_values\((.*),\s*\w+\s*\)\s*$/s.exec(query);
        const queryResult = /^\s*query_result\((.*)\)\s*$/s.exec(query);
        if (labelValues) {
            queries.push(labelValues[1]);
        } else if (queryResult) {
            queries.push(queryResult[1]);
        } else if (/^\s*label_values\(\s*\w+\s*\)\s*$/.test(query) || /^\s*(label_names|metrics)\(/.test(query)) {
            throw new ContentError(
                `${dashboard.path}: variable ${String(variable.name)} runs ${JSON.stringify(query)}, which does not name a metric; use label_values(<metric>, <label>)`,
            );
        } else {
            queries.push(query);
        }
    }
    return queries;
}

/** Metric names the dashboards query, sorted, without duplicates. */
export function dashboardMetricNames(dashboards: readonly Dashboard[]): string[] {
    const names = new Set<string>();
    for (const dashboard of dashboards) {
        for (const query of dashboardQueries(dashboard)) {
            try {
                metricNames(substituteGrafanaVariables(query)).forEach((n) => names.add(n));
            } catch (err) {
                if (err instanceof PromQLError) {
                    throw new ContentError(`${dashboard.path}: query ${JSON.stringify(query)}: ${err.message}`);
                }
                throw err;
            }
        }
    }
    return [...names].sort();
}

/**
 * The remote-write keep-list: what the rules and dashboards read, plus operator-added names,
 * minus what the recording rules produce (those series are computed in the workspace).
 */
export function keepList(extra: readonly string[] = [], files?: readonly RuleFile[], dashboards?: readonly Dashboard[]): string[] {
    const { read, recorded } =
        files === undefined && dashboards === undefined ? (shipped ??= metricsRead(loadRuleFiles(), loadDashboards())) : metricsRead(files ?? loadRuleFiles(), dashboards ?? loadDashboards());
    return [...new Set([...read, ...extra])].filter((n) => !recorded.has(n)).sort();
}

interface MetricsRead {
    readonly read: readonly string[];
    readonly recorded: ReadonlySet<string>;
}

function metricsRead(files: readonly RuleFile[], dashboards: readonly Dashboard[]): MetricsRead {
    return { read: [...ruleMetricNames(files), ...dashboardMetricNames(dashboards)], recorded: new Set(recordedMetricNames(files)) };
}

/**
 * What the shipped rules and dashboards read, derived once per process: every ClusterMonitoring
 * of a stack asks for it, and parsing every rule's PromQL again per cluster was the bulk of a
 * cluster's program time.
 */
let shipped: MetricsRead | undefined;

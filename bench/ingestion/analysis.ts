// Pure analysis of what the remote-write queues delivered: series per scrape, the minimum the rules
// and dashboards need (by metric name, as the keep-list works, and by their full selectors), and
// the AMP ingestion cost that follows.

import { parser } from "@prometheus-io/lezer-promql";
import type { SyntaxNode } from "@lezer/common";
import { labelMatches, MatchOp, unquote } from "../../components/promql";
import { Labels, QueueRecord } from "./remoteWrite";

/** AMP's published first ingestion tier (https://aws.amazon.com/prometheus/pricing/). */
export const AMP_INGESTION_PRICE = {
    usdPerSample: 0.9 / 10_000_000,
    text: "USD 0.90 per 10 million samples (first 2 billion samples a month)",
    source: "https://aws.amazon.com/prometheus/pricing/",
} as const;

/** The month AWS prices are quoted in. */
export const HOURS_PER_MONTH = 730;

/** Samples one series sends in a month at the given scrape interval. */
export function samplesPerMonth(series: number, intervalSeconds: number): number {
    if (!(intervalSeconds > 0)) {
        throw new RangeError(`intervalSeconds: got ${intervalSeconds}; allowed: a positive number of seconds`);
    }
    return (series * HOURS_PER_MONTH * 3600) / intervalSeconds;
}

/** USD a month for ingesting `series` series at the interval, at the first-tier price. */
export function monthlyIngestionUsd(series: number, intervalSeconds: number): number {
    return samplesPerMonth(series, intervalSeconds) * AMP_INGESTION_PRICE.usdPerSample;
}

/** Timestamps (ascending) at which the queue delivered samples of series with `job`. */
export function scrapeTimestamps(queue: QueueRecord, job: string): number[] {
    const out: number[] = [];
    for (const [t, keys] of queue.byTimestamp) {
        for (const key of keys) {
            if (queue.series.get(key)?.job === job) {
                out.push(t);
                break;
            }
        }
    }
    return out.sort((a, b) => a - b);
}

/** The label sets of `job` the queue delivered at timestamp `t`. */
export function seriesAt(queue: QueueRecord, t: number, job: string): Labels[] {
    return [...(queue.byTimestamp.get(t) ?? [])].map((k) => queue.series.get(k) as Labels).filter((l) => l.job === job);
}

// ---- selectors --------------------------------------------------------------------------------

export interface Matcher {
    readonly label: string;
    readonly op: MatchOp;
    readonly value: string;
}

export interface Selector {
    readonly name: string;
    readonly matchers: readonly Matcher[];
}

const OPS: Record<string, MatchOp> = { EqlSingle: "=", Neq: "!=", EqlRegex: "=~", NeqRegex: "!~" };

function matcherOf(expr: string, node: SyntaxNode): Matcher | undefined {
    const label = node.getChild("LabelName") ?? node.getChild("QuotedLabelName");
    const op = node.getChild("MatchOp")?.firstChild?.name;
    const literals = node.getChildren("StringLiteral");
    const value = literals[literals.length - 1];
    if (!label || !op || !value || !(op in OPS)) {
        return undefined;
    }
    const rawLabel = expr.slice(label.from, label.to);
    return { label: label.name === "QuotedLabelName" ? unquote(rawLabel) : rawLabel, op: OPS[op], value: unquote(expr.slice(value.from, value.to)) };
}

/**
 * Every vector selector of an expression with its metric name and label matchers.
 * @throws Error when the expression does not parse or a selector names no metric.
 */
export function selectors(expr: string): Selector[] {
    const out: Selector[] = [];
    let failure: Error | undefined;
    parser.parse(expr).iterate({
        enter: (ref) => {
            if (failure) {
                return false;
            }
            if (ref.type.isError) {
                failure = new Error(`PromQL syntax error at offset ${ref.from} in ${JSON.stringify(expr)}`);
                return false;
            }
            if (ref.name !== "VectorSelector") {
                return undefined;
            }
            const node = ref.node;
            const list = node.getChild("LabelMatchers");
            const matchers = [...(list?.getChildren("UnquotedLabelMatcher") ?? []), ...(list?.getChildren("QuotedLabelMatcher") ?? [])]
                .map((m) => matcherOf(expr, m))
                .filter((m): m is Matcher => m !== undefined);
            const identifier = node.getChild("Identifier");
            const name = identifier ? expr.slice(identifier.from, identifier.to) : matchers.find((m) => m.label === "__name__" && m.op === "=")?.value;
            if (name === undefined) {
                failure = new Error(`selector ${expr.slice(node.from, node.to)} names no metric`);
                return false;
            }
            out.push({ name, matchers: matchers.filter((m) => m.label !== "__name__") });
            return false;
        },
    });
    if (failure) {
        throw failure;
    }
    return out;
}

/** The placeholder metrics.ts puts where a Grafana variable was: such a matcher matches anything. */
export const GRAFANA_PLACEHOLDER = "grafana_variable";

/** Prometheus matching: regexes are anchored; a missing label is the empty string. */
export function matches(selector: Selector, labels: Labels): boolean {
    if (labels.__name__ !== selector.name) {
        return false;
    }
    return selector.matchers.every((m) => {
        if (m.value.includes(GRAFANA_PLACEHOLDER)) {
            return true;
        }
        return labelMatches(m.op, m.value, labels[m.label] ?? "");
    });
}

export interface Counted {
    readonly raw: number;
    readonly kept: number;
    /** Raw series whose metric name a rule or dashboard reads (the keep-list's own definition). */
    readonly minimumByName: number;
    /** Raw series at least one rule or dashboard selector matches, label matchers included. */
    readonly minimumBySelector: number;
    /** Kept series whose name no rule or dashboard reads (should be none). */
    readonly keptUnused: readonly string[];
    /** Raw series with a used name that remote write did not keep (should be none). */
    readonly droppedUsed: readonly string[];
}

/** Compares one scrape's raw and kept series with what the rules and dashboards read. */
export function countScrape(raw: readonly Labels[], kept: readonly Labels[], usedNames: ReadonlySet<string>, used: readonly Selector[]): Counted {
    const keptNames = new Set(kept.map((l) => l.__name__));
    return {
        raw: raw.length,
        kept: kept.length,
        minimumByName: raw.filter((l) => usedNames.has(l.__name__)).length,
        minimumBySelector: raw.filter((l) => used.some((s) => matches(s, l))).length,
        keptUnused: [...new Set(kept.map((l) => l.__name__).filter((n) => !usedNames.has(n)))].sort(),
        droppedUsed: [...new Set(raw.map((l) => l.__name__).filter((n) => usedNames.has(n) && !keptNames.has(n)))].sort(),
    };
}

/** Metric names by number of series, largest first. */
export function largestFamilies(series: readonly Labels[], top: number): { name: string; series: number }[] {
    const counts = new Map<string, number>();
    for (const l of series) {
        counts.set(l.__name__, (counts.get(l.__name__) ?? 0) + 1);
    }
    return [...counts.entries()]
        .map(([name, n]) => ({ name, series: n }))
        .sort((a, b) => b.series - a.series || (a.name < b.name ? -1 : 1))
        .slice(0, top);
}

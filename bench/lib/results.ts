// What a benchmark reports: one result per measurement, each with the baseline measured in the same
// run, the ratio between the two, and the goal it is held to. Formatting for the terminal and for
// docs/PERFORMANCE.md lives here too, as pure functions.

/** A goal on a number: `value <op> limit`. */
export interface Goal {
    readonly op: "<=" | "<";
    readonly limit: number;
    /** How the goal reads ("≤ 10% of raw", "< 1 MB"). */
    readonly text: string;
}

export interface Result {
    /** The benchmark it belongs to: ingestion, storm, lambda, plan. */
    readonly benchmark: string;
    /** What was measured, in a few words. */
    readonly name: string;
    /** The measurement, with its unit ("148 series/scrape"). */
    readonly value: string;
    /** The baseline measured in the same run, with its unit; absent for results without one. */
    readonly baseline?: string;
    /** measurement ÷ baseline (or the number the goal is held to, when the goal is absolute). */
    readonly ratio?: number;
    /** The number the goal is checked against (the ratio, or the measurement itself). */
    readonly checked?: number;
    readonly goal?: Goal;
    /** Facts a reader needs to interpret the result (one line each). */
    readonly notes?: readonly string[];
}

/** A benchmark that could not run; the run goes on with the others. */
export interface Failure {
    readonly benchmark: string;
    readonly reason: string;
}

export type Verdict = "met" | "missed" | "no goal";

/** Whether a result meets its goal. */
export function verdict(result: Result): Verdict {
    if (!result.goal) {
        return "no goal";
    }
    if (result.checked === undefined || !Number.isFinite(result.checked)) {
        return "missed";
    }
    return result.goal.op === "<=" ? (result.checked <= result.goal.limit ? "met" : "missed") : result.checked < result.goal.limit ? "met" : "missed";
}

/** A ratio as people read it: 0.0734 → "0.073×", 12.5 → "12.5×". */
export function formatRatio(ratio: number): string {
    if (!Number.isFinite(ratio)) {
        return String(ratio);
    }
    const abs = Math.abs(ratio);
    const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
    return `${Number(ratio.toFixed(digits)).toString()}×`;
}

/** Thousands separators, fixed decimals: 12345.678 → "12,345.7". */
export function formatNumber(value: number, decimals = 0): string {
    return value.toLocaleString("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/** Bytes in KiB/MiB with one decimal (binary units, as file sizes are usually read). */
export function formatBytes(bytes: number): string {
    if (bytes < 1024) {
        return `${bytes} B`;
    }
    if (bytes < 1024 * 1024) {
        return `${(bytes / 1024).toFixed(1)} KiB`;
    }
    return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** One terminal line per result: measurement, baseline and ratio, goal and verdict. */
export function formatLine(result: Result): string {
    const parts = [`[${result.benchmark}] ${result.name}: ${result.value}`];
    if (result.baseline !== undefined) {
        parts.push(`baseline ${result.baseline}`);
    }
    if (result.ratio !== undefined) {
        parts.push(`ratio ${formatRatio(result.ratio)}`);
    }
    const v = verdict(result);
    parts.push(result.goal ? `goal ${result.goal.text}: ${v === "met" ? "MET" : "MISSED"}` : "no goal (for information)");
    return parts.join(" | ");
}

export function formatFailure(failure: Failure): string {
    return `[${failure.benchmark}] NOT MEASURED: ${failure.reason}`;
}

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
    if (values.length === 0) {
        throw new RangeError("median of an empty list");
    }
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export interface Machine {
    readonly cpu: string;
    readonly cores: number;
    readonly memoryBytes: number;
    readonly node: string;
    readonly os: string;
    /** Versions of the external tools used (Prometheus, node-exporter). */
    readonly tools: Readonly<Record<string, string>>;
}

export interface Run {
    readonly date: string;
    readonly mode: "full" | "quick";
    /** The commit measured, and uncommitted changes to measured code if any. */
    readonly revision: string;
    readonly machine: Machine;
    readonly durationSeconds: number;
    /** One-minute load average when the run started and ended (other work on the machine skews times). */
    readonly load: { readonly start: number; readonly end: number };
    readonly results: readonly Result[];
    readonly failures: readonly Failure[];
}

function cell(text: string): string {
    return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** The generated block of docs/PERFORMANCE.md: the run, the machine, one table row per result. */
export function markdownResults(run: Run): string {
    const m = run.machine;
    const lines = [
        `Run: ${run.date} (${run.mode}, ${Math.round(run.durationSeconds)} s) of ${run.revision}. Machine: ${m.cpu}, ${m.cores} cores, ${(m.memoryBytes / 1024 ** 3).toFixed(1)} GiB memory, Node.js ${m.node}, ${m.os}` +
            (Object.keys(m.tools).length > 0 ? `; ${Object.entries(m.tools).map(([k, v]) => `${k} ${v}`).join(", ")}` : "") +
            `. Load average (1 min) ${run.load.start.toFixed(2)} at the start, ${run.load.end.toFixed(2)} at the end.`,
        "",
        "| benchmark | measurement | value | baseline (same run) | ratio | goal | verdict |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ];
    for (const r of run.results) {
        const v = verdict(r);
        lines.push(
            `| ${cell(r.benchmark)} | ${cell(r.name)} | ${cell(r.value)} | ${cell(r.baseline ?? "–")} | ${r.ratio === undefined ? "–" : formatRatio(r.ratio)} | ${cell(r.goal?.text ?? "–")} | ${v === "met" ? "met" : v === "missed" ? "**missed**" : "–"} |`,
        );
    }
    for (const f of run.failures) {
        lines.push(`| ${cell(f.benchmark)} | not measured | ${cell(f.reason)} | – | – | – | – |`);
    }
    const notes = run.results.filter((r) => r.notes && r.notes.length > 0);
    if (notes.length > 0) {
        lines.push("", "Notes from the run:", "");
        for (const r of notes) {
            for (const note of r.notes ?? []) {
                lines.push(`- ${r.benchmark}, ${r.name}: ${note}`);
            }
        }
    }
    return lines.join("\n");
}

export const RESULTS_START = "<!-- bench:results:start (written by npm run bench; do not edit by hand) -->";
export const RESULTS_END = "<!-- bench:results:end -->";

/**
 * Puts the generated block between the markers of `document`, keeping everything else. A document
 * without the markers gets them, with the block, appended.
 */
export function replaceResults(document: string, block: string): string {
    const start = document.indexOf(RESULTS_START);
    const end = document.indexOf(RESULTS_END);
    const generated = `${RESULTS_START}\n${block}\n${RESULTS_END}`;
    if (start >= 0 && end > start) {
        return document.slice(0, start) + generated + document.slice(end + RESULTS_END.length);
    }
    if (start >= 0 || end >= 0) {
        throw new Error("docs/PERFORMANCE.md has only one of the bench result markers; restore both (or remove both)");
    }
    return `${document.replace(/\n*$/, "")}\n\n${generated}\n`;
}

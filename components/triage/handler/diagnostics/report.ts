// The diagnostics report: what the read-only checks and log queries found for one case episode.
// The full report is kept on the case record (bounded to fit the item); the follow-up notification
// and the OpsItem get renderings of it within their own limits (render.ts). Runtime code only.

import type { Alert, Level } from "../model";

/**
 * What came of one check:
 * - `ok`: checked, nothing out of the ordinary;
 * - `found`: checked, and it found something worth reading;
 * - `skipped`: not run because the alert does not name what it needs (or it does not apply);
 * - `denied`: the API refused it (missing permission or access entry);
 * - `failed`: it failed for another reason (unreachable endpoint, API error, malformed answer);
 * - `timed-out`: no answer within the diagnostics budget.
 */
export const CHECK_OUTCOMES = ["ok", "found", "skipped", "denied", "failed", "timed-out"] as const;
export type CheckOutcome = (typeof CHECK_OUTCOMES)[number];

/** Outcomes that mean the check could not say anything (the report lists them with the reason). */
export const NOT_CHECKED: ReadonlySet<CheckOutcome> = new Set(["skipped", "denied", "failed", "timed-out"]);

export type CheckSource = "eks" | "kubernetes" | "logs-insights";

export interface CheckResult {
    /** Stable id: `pod-status`, `node-events`, `logs:pod/pod-writes`. */
    readonly id: string;
    readonly title: string;
    readonly source: CheckSource;
    readonly outcome: CheckOutcome;
    /** One line: what was found, or why nothing could be checked. */
    readonly summary: string;
    /** Details (status lines, events, log lines, query rows), bounded. */
    readonly lines: readonly string[];
    /** Set when `lines` were cut (what was dropped and why). */
    readonly truncated?: string;
}

export type DiagnosticsReason = "incident" | "notification";

/** The request the engine records on a case when it opens an incident or asks the customer. */
export interface DiagnosticsRequestState {
    readonly episode: number;
    readonly reason: DiagnosticsReason;
    readonly requestedAt: string;
    /** Runs started for this request (a run that never finished is retried up to a limit). */
    readonly attempts: number;
}

export interface DiagnosticsReport {
    readonly version: 1;
    readonly episode: number;
    readonly reason: DiagnosticsReason;
    /** The request this report answers. */
    readonly requestedAt: string;
    readonly startedAt: string;
    readonly finishedAt: string;
    readonly budgetSeconds: number;
    readonly cluster: string;
    readonly level: Level;
    /** complete: every planned check answered; partial: some could not; failed: none could. */
    readonly outcome: "complete" | "partial" | "failed";
    readonly checks: readonly CheckResult[];
    /** The alert's own guidance, repeated next to the findings. */
    readonly guidance: { readonly runbookUrl?: string; readonly mitigations: readonly string[] };
    /** What was done with the report (follow-up notification, OpsItem update). */
    readonly delivery?: { readonly notificationMessageId?: string; readonly opsItemId?: string; readonly problems: readonly string[] };
    /** Set when the report was cut to fit the case record. */
    readonly truncated?: string;
}

/** The overall outcome of a set of checks. */
export function reportOutcome(checks: readonly CheckResult[]): DiagnosticsReport["outcome"] {
    const ran = checks.filter((c) => c.outcome !== "skipped");
    if (ran.length === 0) {
        return "failed";
    }
    if (ran.every((c) => c.outcome === "ok" || c.outcome === "found")) {
        return checks.some((c) => c.outcome === "skipped") ? "partial" : "complete";
    }
    return ran.some((c) => c.outcome === "ok" || c.outcome === "found") ? "partial" : "failed";
}

/**
 * The report of a run for `request`: when and on which cluster it ran, its checks and their
 * overall outcome, and the alert's own guidance (none without an alert).
 */
export function makeReport(
    request: Pick<DiagnosticsRequestState, "episode" | "reason" | "requestedAt">,
    run: { readonly startedAt: string; readonly finishedAt: string; readonly budgetMs: number; readonly cluster: string },
    alert: Pick<Alert, "level" | "runbookUrl" | "mitigations"> | undefined,
    checks: readonly CheckResult[],
): DiagnosticsReport {
    return {
        version: 1,
        episode: request.episode,
        reason: request.reason,
        requestedAt: request.requestedAt,
        startedAt: run.startedAt,
        finishedAt: run.finishedAt,
        budgetSeconds: Math.round(run.budgetMs / 1000),
        cluster: run.cluster,
        level: alert?.level ?? "cluster",
        outcome: reportOutcome(checks),
        checks,
        guidance: { ...(alert?.runbookUrl ? { runbookUrl: alert.runbookUrl } : {}), mitigations: [...(alert?.mitigations ?? [])] },
    };
}

/** A check that could not run, with the reason. */
export function notChecked(id: string, title: string, source: CheckSource, outcome: Exclude<CheckOutcome, "ok" | "found">, reason: string): CheckResult {
    return { id, title, source, outcome, summary: reason, lines: [] };
}

/** Bytes of `value` as JSON (UTF-8), the measure of the case item's budget. */
export function jsonBytes(value: unknown): number {
    return Buffer.byteLength(JSON.stringify(value), "utf8");
}

/** The most a report may take on the case item (DynamoDB items are at most 400 KB). */
export const MAX_REPORT_BYTES = 48 * 1024;

/**
 * The report cut to `maxBytes` of JSON: detail lines go first, from the largest check down, so
 * that every check keeps its outcome and summary; the cut is noted on the check and the report.
 */
export function boundReport(report: DiagnosticsReport, maxBytes: number = MAX_REPORT_BYTES): DiagnosticsReport {
    if (jsonBytes(report) <= maxBytes) {
        return report;
    }
    const checks = report.checks.map((c) => ({ ...c, lines: [...c.lines] }));
    let current: DiagnosticsReport = { ...report, checks, truncated: `detail lines were cut to keep the report within ${Math.round(maxBytes / 1024)} KiB` };
    while (jsonBytes(current) > maxBytes) {
        const largest = checks.reduce((best, c, i) => (jsonBytes(c.lines) > jsonBytes(checks[best].lines) ? i : best), 0);
        const c = checks[largest];
        if (c.lines.length === 0) {
            // Only summaries are left: cut them too, longest first.
            const longest = checks.reduce((best, x, i) => (x.summary.length > checks[best].summary.length ? i : best), 0);
            if (checks[longest].summary.length <= 200) {
                break;
            }
            checks[longest] = { ...checks[longest], summary: `${checks[longest].summary.slice(0, 180)} …[truncated]` };
        } else {
            const keep = Math.floor(c.lines.length / 2);
            checks[largest] = { ...c, lines: c.lines.slice(0, keep), truncated: `${c.truncated ? `${c.truncated}; ` : ""}report size: ${c.lines.length - keep} more line(s) not kept` };
        }
        current = { ...current, checks: [...checks] };
    }
    return current;
}

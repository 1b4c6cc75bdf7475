// The report for people: the follow-up notification (the customer's channel, within SNS's and an
// e-mail reader's limits) and the OpsItem update (its description within 2,048 characters, the
// full text in the operational data key `vigil:diagnostics` within 20 KB). The report is kept on
// the case record, shortened when it does not fit (boundReport sets `truncated`); the texts say
// which of the two the case holds.

import type { CaseRecord } from "../model";
import { OPSITEM_DATA_VALUE_MAX, OPSITEM_DESCRIPTION_MAX, opsItemText, subject } from "../render";
import { clip, clipBytes } from "../text";
import { oneLine } from "./kubernetes";
import { CheckResult, DiagnosticsReport, NOT_CHECKED } from "./report";

/** The longest follow-up notification body (bytes); SNS takes 256 KB, mail readers want far less. */
export const MAX_FOLLOW_UP_BYTES = 32 * 1024;
/** Detail lines a check shows in the notification (the OpsItem data and the case keep more). */
export const FOLLOW_UP_LINES = 15;
/** Detail lines a check shows in the OpsItem's `vigil:diagnostics` data, when they fit. */
export const OPSITEM_DATA_LINES = 40;

const MARK: Readonly<Record<CheckResult["outcome"], string>> = {
    "found": "found",
    "ok": "fine",
    "skipped": "skipped",
    "denied": "no permission",
    "failed": "failed",
    "timed-out": "timed out",
};

function counts(report: DiagnosticsReport): string {
    const found = report.checks.filter((c) => c.outcome === "found").length;
    const fine = report.checks.filter((c) => c.outcome === "ok").length;
    const not = report.checks.filter((c) => NOT_CHECKED.has(c.outcome)).length;
    return `${report.checks.length} check(s): ${found} found something, ${fine} fine, ${not} could not be checked`;
}

function guidanceLines(report: DiagnosticsReport): string[] {
    const out: string[] = [];
    if (report.guidance.runbookUrl) {
        out.push(`  Runbook: ${report.guidance.runbookUrl}`);
    }
    if (report.guidance.mitigations.length > 0) {
        out.push("  Mitigation options:", ...report.guidance.mitigations.map((m, i) => `    ${i + 1}. ${m}`));
    }
    return out.length > 0 ? ["Guidance", ...out, ""] : [];
}

/** What the case holds: the full report, or (boundReport cut it) a shortened one. */
function keptReport(report: DiagnosticsReport): string {
    return report.truncated ? "a shortened report is kept with the case" : "the full report is kept with the case";
}

/** Where a check's further detail lines are. */
function moreLines(report: DiagnosticsReport): string {
    return report.truncated ? "in the report kept with the case" : "in the full report";
}

/** A title or summary on one line (an error message may hold line breaks). */
const flat = (text: string): string => text.replace(/\s+/g, " ").trim();

/** The report as plain text: findings with their details, then fine checks, then what could not be checked and why. */
export function reportText(report: DiagnosticsReport, linesPerCheck: number): string[] {
    const found = report.checks.filter((c) => c.outcome === "found");
    const fine = report.checks.filter((c) => c.outcome === "ok");
    const not = report.checks.filter((c) => NOT_CHECKED.has(c.outcome));
    const out: string[] = [`Findings (${counts(report)})`];
    if (found.length === 0) {
        out.push("  Nothing out of the ordinary was found.");
    }
    for (const c of found) {
        out.push(`  * ${flat(c.title)}: ${flat(c.summary)}`);
        out.push(...c.lines.slice(0, linesPerCheck).map((l) => `      ${l}`));
        const cut = [c.lines.length > linesPerCheck ? `${c.lines.length - linesPerCheck} more line(s) ${moreLines(report)}` : "", c.truncated ?? ""].filter(Boolean).join("; ");
        if (cut) {
            out.push(`      (${cut})`);
        }
    }
    if (fine.length > 0) {
        out.push("", "Checked, nothing unusual", ...fine.map((c) => `  - ${flat(c.title)}: ${flat(c.summary)}`));
    }
    if (not.length > 0) {
        out.push("", "Could not check", ...not.map((c) => `  - ${flat(c.title)} (${MARK[c.outcome]}): ${flat(c.summary)}`));
    }
    if (report.truncated) {
        out.push("", `(The stored report was shortened: ${report.truncated}.)`);
    }
    return out;
}

/** The follow-up notification that carries the diagnostics of a case. */
export function followUpNotification(record: CaseRecord, report: DiagnosticsReport): { subject: string; body: string } {
    const what = report.reason === "incident" ? `Vigil opened an incident${record.opsItemId ? ` (OpsCenter OpsItem ${record.opsItemId})` : ""}` : "Vigil asked you to confirm customer impact";
    const intro = [
        `Diagnostics for ${record.alertname ?? record.title}${record.cluster ? ` on cluster ${record.cluster}` : ""}: the read-only checks and control-plane log queries Vigil ran when ${what}.`,
        ...(report.reason === "notification" && record.state === "AWAITING_CUSTOMER"
            ? [`To tell us whether your service is affected, use the links of the earlier message (answer by ${record.replyDeadline}).`]
            : []),
        "",
        `Summary:     ${record.alert?.summary || record.title}`,
        `Started:     ${record.alert?.startsAt ?? "(not known)"}`,
        `Checked:     ${report.startedAt} to ${report.finishedAt} (budget ${report.budgetSeconds} s), ${report.outcome}`,
        "",
    ];
    const footer = ["", `Case: ${record.key} (id ${record.caseId}, episode ${report.episode}); ${keptReport(report)}.`, "Sent by Vigil diagnostics."];
    const body = fitted(
        (lines) => [...intro, ...guidanceLines(report), ...reportText(report, lines), ...footer].join("\n"),
        FOLLOW_UP_LINES,
        MAX_FOLLOW_UP_BYTES,
        `\n…[shortened; ${keptReport(report)} ${record.caseId}]`,
    );
    return { subject: subject("Diagnostics", record), body };
}

/**
 * The text `render(lines)` makes with the most detail lines per check (from `most` down) that fits
 * `maxBytes`, so that every check, what could not be checked and the closing lines survive a long
 * report; only when even the summaries do not fit, the text is cut and ends with `note`.
 */
function fitted(render: (linesPerCheck: number) => string, most: number, maxBytes: number, note: string): string {
    for (let lines = most; ; lines = Math.floor(lines / 2)) {
        const text = render(lines);
        if (Buffer.byteLength(text, "utf8") <= maxBytes) {
            return text;
        }
        if (lines === 0) {
            return `${clipBytes(text, maxBytes - Buffer.byteLength(note, "utf8"))}${note}`;
        }
    }
}

/** The OpsItem's new description (what it said, then the findings in brief) and its `vigil:diagnostics` data. */
export function opsItemDiagnostics(record: CaseRecord, report: DiagnosticsReport): { description: string; data: string } {
    const header = `**Diagnostics** (${report.finishedAt}, ${report.outcome}; ${counts(report)}):`;
    const pointer = "Details: operational data vigil:diagnostics.";
    // One Markdown list item per check: titles and summaries may quote multi-line messages.
    const items = report.checks.filter((c) => c.outcome !== "ok").map((c) => `- ${MARK[c.outcome]}: ${oneLine(c.title, 120)}: ${oneLine(c.summary, 160)}`);
    const briefLength = [header, ...items, pointer].join("\n").length;
    const original = opsItemText(record, []).description;
    const kept = clip(original, Math.max(400, OPSITEM_DESCRIPTION_MAX - Math.min(briefLength, 1200) - 2));
    // The brief gets the rest; checks that do not fit are counted, and the pointer to the data stays.
    const room = OPSITEM_DESCRIPTION_MAX - kept.length - 2;
    const shown: string[] = [];
    for (const [i, item] of items.entries()) {
        const left = items.length - i - 1;
        const more = left > 0 ? `\n- …and ${left} more check(s) in the data` : "";
        if ([header, ...shown, item, pointer].join("\n").length + more.length > room) {
            shown.push(`- …and ${items.length - i} more check(s) in the data`);
            break;
        }
        shown.push(item);
    }
    const description = clip(`${kept}\n\n${[header, ...shown, pointer].join("\n")}`, OPSITEM_DESCRIPTION_MAX);
    const closing = `Checked ${report.startedAt} to ${report.finishedAt}; case ${record.caseId}, episode ${report.episode}.`;
    const data = fitted(
        (lines) => [...guidanceLines(report), ...reportText(report, lines), "", closing].join("\n"),
        OPSITEM_DATA_LINES,
        OPSITEM_DATA_VALUE_MAX,
        `\n…[shortened to fit the OpsItem; ${keptReport(report)} ${record.caseId}]`,
    );
    return { description, data };
}

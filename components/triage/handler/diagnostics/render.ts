// The report for people: the follow-up notification (the customer's channel, within SNS's and an
// e-mail reader's limits) and the OpsItem update (its description within 2,048 characters, the
// full text in the operational data key `vigil:diagnostics` within 20 KB). The complete report is
// kept on the case record.

import type { CaseRecord } from "../model";
import { OPSITEM_DATA_VALUE_MAX, OPSITEM_DESCRIPTION_MAX, opsItemText, subject } from "../render";
import { clip, clipBytes } from "../text";
import { CheckResult, DiagnosticsReport, NOT_CHECKED } from "./report";

/** The longest follow-up notification body (bytes); SNS takes 256 KB, mail readers want far less. */
export const MAX_FOLLOW_UP_BYTES = 32 * 1024;
/** Detail lines a check shows in the notification (the OpsItem data and the case keep more). */
export const FOLLOW_UP_LINES = 15;

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
        out.push(`  * ${c.title}: ${c.summary}`);
        out.push(...c.lines.slice(0, linesPerCheck).map((l) => `      ${l}`));
        const cut = [c.lines.length > linesPerCheck ? `${c.lines.length - linesPerCheck} more line(s) in the full report` : "", c.truncated ?? ""].filter(Boolean).join("; ");
        if (cut) {
            out.push(`      (${cut})`);
        }
    }
    if (fine.length > 0) {
        out.push("", "Checked, nothing unusual", ...fine.map((c) => `  - ${c.title}: ${c.summary}`));
    }
    if (not.length > 0) {
        out.push("", "Could not check", ...not.map((c) => `  - ${c.title} (${MARK[c.outcome]}): ${c.summary}`));
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
    const footer = ["", `Case: ${record.key} (id ${record.caseId}, episode ${report.episode}); the full report is kept with the case.`, "Sent by Vigil diagnostics."];
    const body = [...intro, ...guidanceLines(report), ...reportText(report, FOLLOW_UP_LINES), ...footer].join("\n");
    const bounded = Buffer.byteLength(body, "utf8") <= MAX_FOLLOW_UP_BYTES ? body : `${clipBytes(body, MAX_FOLLOW_UP_BYTES - 200)}\n…[shortened; the full report is kept with the case ${record.caseId}]`;
    return { subject: subject("Diagnostics", record), body: bounded };
}

/** The OpsItem's new description (what it said, then the findings in brief) and its `vigil:diagnostics` data. */
export function opsItemDiagnostics(record: CaseRecord, report: DiagnosticsReport): { description: string; data: string } {
    const brief = [
        `**Diagnostics** (${report.finishedAt}, ${report.outcome}; ${counts(report)}):`,
        ...report.checks.filter((c) => c.outcome !== "ok").map((c) => `- ${MARK[c.outcome]}: ${c.title}: ${clip(c.summary, 160)}`),
        "Details: operational data vigil:diagnostics.",
    ].join("\n");
    const original = opsItemText(record, []).description;
    const room = OPSITEM_DESCRIPTION_MAX - Math.min(brief.length, 1200) - 2;
    const description = clip(`${clip(original, Math.max(400, room))}\n\n${brief}`, OPSITEM_DESCRIPTION_MAX);
    const data = clipBytes([...guidanceLines(report), ...reportText(report, 40), "", `Checked ${report.startedAt} to ${report.finishedAt}; case ${record.caseId}, episode ${report.episode}.`].join("\n"), OPSITEM_DATA_VALUE_MAX);
    return { description, data };
}

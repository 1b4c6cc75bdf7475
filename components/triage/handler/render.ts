// Texts the engine sends: notification subjects and bodies, OpsItem fields, and the reply pages.

import { createHash } from "node:crypto";
import { ReplyOutcome } from "./lifecycle";
import { Alert, CaseRecord, ReplyAction } from "./model";
import { Evidence } from "./ports";
import { describeSeconds } from "./time";
import { asciiLine, clip } from "./text";

/** SNS: "less than 100 characters", printable ASCII, no line breaks. */
export const MAX_SUBJECT = 99;
/** OpsCenter field limits (CreateOpsItem). */
export const OPSITEM_TITLE_MAX = 1024;
export const OPSITEM_DESCRIPTION_MAX = 2048;
/** An operational data value: "a maximum size of 20 KB"; AWS does not say 1,000 or 1,024, so the smaller. */
export const OPSITEM_DATA_VALUE_MAX = 20_000;

export function subject(prefix: string, record: Pick<CaseRecord, "title" | "cluster">): string {
    const where = record.cluster ? ` (${record.cluster})` : "";
    const line = asciiLine(`[Vigil] ${prefix}: ${record.title}${where}`);
    return line.length <= MAX_SUBJECT ? line : `${line.slice(0, MAX_SUBJECT - 3)}...`;
}

function alertLines(alert: Alert | undefined, record: CaseRecord): string[] {
    const lines = [
        `Alert:       ${record.alertname ?? record.title}`,
        `Source:      ${record.source}`,
        `Cluster:     ${record.cluster || "(not known)"}`,
        `Severity:    ${record.severity ?? alert?.severity ?? "warning"}`,
        `Impact:      ${record.impact ?? "?"} (${record.impactReason ?? "not classified"})`,
    ];
    if (alert) {
        lines.push(`Started:     ${alert.startsAt ?? "(not known)"}`);
        lines.push(`Status:      ${alert.status}${alert.endsAt ? ` (resolved ${alert.endsAt})` : ""}`);
        if (alert.summary) {
            lines.push(`Summary:     ${alert.summary}`);
        }
        if (alert.description) {
            lines.push("", "Description:", ...alert.description.split(/\r?\n/).map((l) => `  ${l}`));
        }
        if (alert.runbookUrl) {
            lines.push("", `Runbook:     ${alert.runbookUrl}`);
        }
        for (const link of alert.links) {
            lines.push(`${link.label}: ${link.url}`);
        }
    }
    return lines;
}

function mitigationLines(alert: Alert | undefined): string[] {
    if (!alert || alert.mitigations.length === 0) {
        return [];
    }
    return ["", "Mitigation options:", ...alert.mitigations.map((m, i) => `  ${i + 1}. ${m}`)];
}

function evidenceLines(evidence: readonly Evidence[]): string[] {
    if (evidence.length === 0) {
        return [];
    }
    return ["", "Diagnostics:", ...evidence.flatMap((e) => [`  ${e.title}`, ...clip(e.body, 4000).split(/\r?\n/).map((l) => `    ${l}`)])];
}

/** The alert as the first line of a message names it: `<alertname> on cluster <cluster>`. */
function alertOnCluster(record: CaseRecord): string {
    return `${record.alertname ?? record.title}${record.cluster ? ` on cluster ${record.cluster}` : ""}`;
}

function footer(record: CaseRecord): string[] {
    return ["", `Case: ${record.key} (id ${record.caseId}, episode ${record.episode})`, "Sent by Vigil triage."];
}

/** The notification that an incident was opened (known or confirmed impact). */
export function incidentNotification(record: CaseRecord, opsItemId: string | undefined, evidence: readonly Evidence[]): { subject: string; body: string } {
    const why = record.impactReason?.startsWith("customer") ? `Customer impact was confirmed (${record.impactReason}).` : "This alert has known customer impact.";
    const body = [
        `An incident was opened for ${alertOnCluster(record)}.`,
        why,
        opsItemId ? `Incident report: OpsCenter OpsItem ${opsItemId}.` : "",
        "",
        ...alertLines(record.alert, record),
        ...mitigationLines(record.alert),
        ...evidenceLines(evidence),
        ...footer(record),
    ];
    return { subject: subject("Incident", record), body: body.join("\n") };
}

/** The uncertain-impact notification: details, mitigation options and the two reply links. */
export function askNotification(
    record: CaseRecord,
    links: Readonly<Record<ReplyAction, string>>,
    deadline: string,
    windowSeconds: number,
    evidence: readonly Evidence[],
): { subject: string; body: string } {
    const body = [
        `Vigil cannot tell whether this alert affects your service: please tell us.`,
        "",
        ...alertLines(record.alert, record),
        ...mitigationLines(record.alert),
        ...evidenceLines(evidence),
        "",
        `Is your service affected? Please answer by ${deadline} (${describeSeconds(windowSeconds)}).`,
        "Without an answer by then, the alert is resolved.",
        "",
        `  Confirm customer impact (opens an incident):  ${links.confirm}`,
        `  No customer impact (resolves the alert):       ${links["no-impact"]}`,
        "",
        "Each link opens a page where you confirm your answer; opening it changes nothing.",
        ...footer(record),
    ];
    return { subject: subject("Please confirm impact", record), body: body.join("\n") };
}

/**
 * The operator notice: a no-impact alert (closed for the customer) that an operator notice rule
 * says the operator must know about, with what to do first.
 */
export function operatorNoticeText(record: CaseRecord): { subject: string; body: string } {
    const body = [
        `${alertOnCluster(record)} is firing.`,
        `It has no customer impact, so the customer is not told and the alert is closed for them; operator notice rule ${record.operatorNotice ?? "?"} says the operator must know.`,
        "",
        ...alertLines(record.alert, record),
        ...mitigationLines(record.alert),
        "",
        "A second notice follows when the alert resolves.",
        ...footer(record),
    ];
    return { subject: subject("Operator notice", record), body: body.join("\n") };
}

/** The short notice that the episode an operator notice announced has resolved. */
export function operatorRecoveredText(record: CaseRecord): { subject: string; body: string } {
    const body = [
        `${alertOnCluster(record)} recovered.`,
        `Started:     ${record.episodeStart ?? "(not known)"}`,
        `Resolved:    ${record.sourceResolvedAt ?? "(not known)"}`,
        ...footer(record),
    ];
    return { subject: subject("Recovered", record), body: body.join("\n") };
}

/** SNS message attributes for subscription filter policies. */
export function notificationAttributes(record: CaseRecord, kind: string): Record<string, string> {
    const attrs: Record<string, string> = { vigil_event: kind, source: record.source, impact: record.impact ?? "uncertain", severity: record.severity ?? "warning" };
    if (record.cluster) {
        attrs.cluster = record.cluster;
    }
    if (kind.startsWith("operator-") && record.alert) {
        attrs.level = record.alert.level;
    }
    return attrs;
}

/** OpsItem title and Markdown description within OpsCenter's limits. */
export function opsItemText(record: CaseRecord, evidence: readonly Evidence[]): { title: string; description: string } {
    const alert = record.alert;
    const title = clip(`${record.alertname ? `${record.alertname}: ` : ""}${alert?.summary || record.title}${record.cluster ? ` (${record.cluster})` : ""}`, OPSITEM_TITLE_MAX);
    const parts = [
        `**${record.source}** alert on cluster **${record.cluster || "unknown"}**, severity ${record.severity ?? "warning"}.`,
        `Impact: ${record.impact} (${record.impactReason}).`,
        alert?.description ? `\n${alert.description}` : "",
        alert?.runbookUrl ? `\nRunbook: ${alert.runbookUrl}` : "",
        alert && alert.mitigations.length ? `\nMitigation options:\n${alert.mitigations.map((m, i) => `${i + 1}. ${m}`).join("\n")}` : "",
        evidence.length ? `\nDiagnostics: ${evidence.map((e) => e.title).join("; ")} (see operational data vigil:diagnostics)` : "",
        `\nVigil case ${record.caseId}: ${record.key}`,
    ];
    return { title, description: clip(parts.filter((p) => p !== "").join("\n"), OPSITEM_DESCRIPTION_MAX) };
}

// ---- reply pages --------------------------------------------------------------------------------

function escapeHtml(text: string): string {
    return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string);
}

const STYLE = "body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5}" +
    "dt{font-weight:600}dd{margin:0 0 .5rem 0}button{font-size:1rem;padding:.6rem 1.2rem;cursor:pointer}";
/** CSP hash of the one inline style block, so the page needs no 'unsafe-inline'. */
const STYLE_HASH = createHash("sha256").update(STYLE, "utf8").digest("base64");

/** Response headers every reply page carries. */
export const REPLY_PAGE_HEADERS: Readonly<Record<string, string>> = {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
};

function page(title: string, body: string): string {
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
        `<meta name="robots" content="noindex"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>` +
        `<body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

function caseSummary(record: CaseRecord): string {
    const rows: [string, string][] = [
        ["Alert", record.alertname ?? record.title],
        ["Cluster", record.cluster || "not known"],
        ["Severity", record.severity ?? "warning"],
        ["Summary", record.alert?.summary || record.title],
        ["Status", record.state === "RESOLVED" ? `resolved (${(record.resolution ?? "").toLowerCase().replace(/_/g, " ")})` : record.state === "INCIDENT_OPEN" ? "incident open" : record.state === "AWAITING_CUSTOMER" ? `waiting for your answer until ${record.replyDeadline}` : "being triaged"],
    ];
    return `<dl>${rows.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join("")}</dl>`;
}

const ACTION_TEXT: Record<ReplyOutcome, { button: string; explain: string }> = {
    "confirmed": { button: "Confirm customer impact", explain: "Confirming opens an incident: the operator's incident process starts." },
    "late-confirmed": { button: "Confirm customer impact", explain: "This alert was already resolved. Confirming reopens it as an incident." },
    "already-incident": { button: "Confirm customer impact", explain: "An incident is already open for this alert; confirming adds your confirmation to it." },
    "no-impact": { button: "Report no customer impact", explain: "Reporting no impact resolves the alert." },
    "no-impact-ignored": { button: "Report no customer impact", explain: "This alert is no longer waiting for your answer; your answer is recorded but changes nothing." },
};

/**
 * GET: what the link will do, and a button that POSTs it (opening the link changes nothing). The
 * form has no action: it posts to the page's own URL, so the token is written nowhere else.
 */
export function confirmPage(record: CaseRecord, outcome: ReplyOutcome): string {
    const text = ACTION_TEXT[outcome];
    return page(
        outcome.startsWith("no-impact") ? "Report no customer impact?" : "Confirm customer impact?",
        `${caseSummary(record)}<p>${escapeHtml(text.explain)}</p>` +
            `<form method="post"><button type="submit">${escapeHtml(text.button)}</button></form>`,
    );
}

const DONE_TEXT: Record<ReplyOutcome, string> = {
    // The reply function only records the answer; the incident is opened moments later from the
    // case table's stream (or by the sweep), so the page says what is happening, not what has.
    "confirmed": "Thank you. Your confirmation is recorded; an incident is being opened and the operator notified.",
    "late-confirmed": "Thank you. The alert had been resolved; your confirmation is recorded and it is being reopened as an incident, with the operator notified.",
    "already-incident": "Thank you. An incident was already open for this alert; your confirmation has been added.",
    "no-impact": "Thank you. The alert has been resolved as having no customer impact.",
    "no-impact-ignored": "Thank you. This alert was no longer waiting for an answer, so nothing changed; your answer has been recorded.",
};

/** POST result page. */
export function donePage(record: CaseRecord, outcome: ReplyOutcome): string {
    return page("Answer recorded", `<p>${escapeHtml(DONE_TEXT[outcome])}</p>${caseSummary(record)}`);
}

/** Unknown, forged and expired links get the same page (no oracle for guessing). */
export function invalidLinkPage(): string {
    return page("Link not valid", "<p>This link is not valid or has expired. Nothing was changed. If the alert still matters to you, contact your operator.</p>");
}

export function usedLinkPage(): string {
    return page("Link already used", "<p>This link has already been used; your earlier answer stands. Nothing was changed.</p>");
}

export function errorPage(): string {
    return page("Something went wrong", "<p>Your answer could not be recorded right now. Nothing was changed; please try the link again in a few minutes.</p>");
}

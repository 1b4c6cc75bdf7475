// What people get from a diagnostics report: the follow-up notification (SNS: subject under 100
// printable ASCII characters without line breaks, message at most 256 KB; Vigil keeps it to 32 KiB)
// and the OpsItem update (UpdateOpsItem: Description 1-2048 characters, an OperationalData value at
// most 20 KB), each carrying the runbook, the mitigations, the findings and what could not be
// checked and why, cut with a note when too long; the full report stays on the case (boundReport).

import * as assert from "node:assert/strict";
import { MAX_SUBJECT, OPSITEM_DATA_VALUE_MAX, OPSITEM_DESCRIPTION_MAX } from "../../components/triage/handler/render";
import { FOLLOW_UP_LINES, followUpNotification, MAX_FOLLOW_UP_BYTES, opsItemDiagnostics, reportText } from "../../components/triage/handler/diagnostics/render";
import { boundReport, jsonBytes, MAX_REPORT_BYTES } from "../../components/triage/handler/diagnostics/report";
import { CaseRecord } from "../../components/triage/handler/model";
import { caseAfter, check, reportOf } from "./support";

const bytes = (s: string) => Buffer.byteLength(s, "utf8");
/** A detail line of `n` characters (log lines are kept to 400). */
const line = (i: number, n = 390) => `line ${i} ${"é".repeat(Math.max(0, n - 8))}`.slice(0, n);

/** A report with one finding, one fine check and every kind of check that could not run. */
function mixedChecks() {
    return [
        check("pod-status", "found", "Running; cart: CrashLoopBackOff, 14 restart(s), last Error (exit 1)", ["Phase Running", "Container cart: not ready"]),
        check("pod-logs", "found", "50 line(s) of the previous instance", Array.from({ length: 30 }, (_, i) => `log ${i}: CART_REDIS_PASSWORD is empty`), { truncated: "the log's last 50 lines are 1.2Mi; only the last 16Ki were kept" }),
        check("cluster", "ok", "ACTIVE, Kubernetes 1.30", [], { source: "eks" }),
        check("node-status", "denied", 'not allowed to read it (403 Forbidden): nodes "ip-10-0-1-23" is forbidden'),
        check("logs:pod/pod-writes", "timed-out", "the query was still running when the diagnostics budget ran out; it was stopped", [], { source: "logs-insights" }),
        check("apiserver-health", "failed", "could not get an answer from the API server (ECONNREFUSED)"),
        check("workload-status", "skipped", "the alert names no workload"),
    ];
}

describe("diagnostics: the follow-up notification and the OpsItem update", () => {
    let question: CaseRecord;
    let incident: CaseRecord;

    before(async () => {
        question = await caseAfter("amp/01-crashloop-firing.sns.json");
        incident = await caseAfter("amp/04-apiserver-burn-known.sns.json");
        assert.equal(question.state, "AWAITING_CUSTOMER");
        assert.equal(incident.state, "INCIDENT_OPEN");
        assert.ok(incident.opsItemId);
    });

    describe("follow-up notification", () => {
        it("carries the runbook, the numbered mitigations, the findings with details, the fine checks and what could not be checked and why", () => {
            const { subject, body } = followUpNotification(question, reportOf(question, mixedChecks()));
            assert.equal(subject, "[Vigil] Diagnostics: KubePodCrashLooping (payments-prod)");
            const lines = body.split("\n");
            assert.match(lines[0], /^Diagnostics for KubePodCrashLooping on cluster payments-prod: .* when Vigil asked you to confirm customer impact\.$/);
            assert.equal(lines[1], `To tell us whether your service is affected, use the links of the earlier message (answer by ${question.replyDeadline}).`);
            assert.ok(lines.includes("  Runbook: https://runbooks.vigil.dev/pod/KubePodCrashLooping.md"));
            const mitigations = lines.indexOf("  Mitigation options:");
            assert.ok(mitigations > 0);
            assert.match(lines[mitigations + 1], /^ {4}1\. Read the previous container's logs/);
            assert.match(lines[mitigations + 2], /^ {4}2\. Roll back the last deployment/);
            assert.ok(lines.includes("Findings (7 check(s): 2 found something, 1 fine, 4 could not be checked)"));
            assert.ok(lines.includes("  * Check pod-status: Running; cart: CrashLoopBackOff, 14 restart(s), last Error (exit 1)"));
            assert.ok(lines.includes("      Container cart: not ready"));
            // Details are limited per check, with a note of what the full report has and why the log was cut.
            const logLines = lines.filter((l) => /^ {6}log \d+:/.test(l));
            assert.equal(logLines.length, FOLLOW_UP_LINES);
            assert.ok(lines.includes(`      (${30 - FOLLOW_UP_LINES} more line(s) in the full report; the log's last 50 lines are 1.2Mi; only the last 16Ki were kept)`));
            const fine = lines.indexOf("Checked, nothing unusual");
            assert.equal(lines[fine + 1], "  - Check cluster: ACTIVE, Kubernetes 1.30");
            const not = lines.indexOf("Could not check");
            assert.ok(not > fine);
            assert.deepEqual(lines.slice(not + 1, not + 5), [
                '  - Check node-status (no permission): not allowed to read it (403 Forbidden): nodes "ip-10-0-1-23" is forbidden',
                "  - Check logs:pod/pod-writes (timed out): the query was still running when the diagnostics budget ran out; it was stopped",
                "  - Check apiserver-health (failed): could not get an answer from the API server (ECONNREFUSED)",
                "  - Check workload-status (skipped): the alert names no workload",
            ]);
            assert.match(body, new RegExp(`Case: ${question.key} \\(id ${question.caseId}, episode 1\\); the full report is kept with the case\\.\\nSent by Vigil diagnostics\\.$`));
            assert.ok(!body.includes("shortened"), "nothing was cut");
        });

        it("for an incident names the OpsItem and asks nothing; a report with nothing found says so", () => {
            const { subject, body } = followUpNotification(incident, reportOf(incident, [check("cluster", "ok", "ACTIVE")]));
            assert.equal(subject, "[Vigil] Diagnostics: KubeAPIErrorBudgetBurn (payments-prod)");
            assert.match(body, new RegExp(`^Diagnostics for KubeAPIErrorBudgetBurn on cluster payments-prod: .* when Vigil opened an incident \\(OpsCenter OpsItem ${incident.opsItemId}\\)\\.\\n\\n`));
            assert.ok(!body.includes("answer by"));
            assert.ok(body.includes("\n  Nothing out of the ordinary was found.\n"));
            assert.ok(!body.includes("Could not check"));
        });

        it("keeps the subject to SNS's rule (under 100 printable ASCII characters, one line) whatever the alert's title", () => {
            const odd: CaseRecord = { ...question, title: `Ünïcode\ttitle\r\nwith a line break ${"x".repeat(200)}`, cluster: "payments-prod" };
            const { subject } = followUpNotification(odd, reportOf(odd, mixedChecks()));
            assert.ok(subject.length <= MAX_SUBJECT && MAX_SUBJECT < 100, `${subject.length} characters`);
            assert.match(subject, /^\[Vigil\] Diagnostics: \?n\?code title with a line break x+\.\.\.$/);
            assert.match(subject, /^[\x20-\x7e]+$/);
        });

        it("a huge report stays within its byte limit, every check keeping its line and what could not be checked, with a note of the cut", () => {
            // 40 findings of 15 long multi-byte lines each: ~470 KB of details before any cut.
            const checks = [
                ...Array.from({ length: 40 }, (_, i) => check(`found-${i}`, "found", `finding ${i}`, Array.from({ length: 20 }, (_, j) => line(j)))),
                check("node-status", "denied", "not allowed to read it (403 Forbidden)"),
            ];
            const { body } = followUpNotification(question, reportOf(question, checks));
            assert.ok(bytes(body) <= MAX_FOLLOW_UP_BYTES, `${bytes(body)} bytes`);
            assert.ok(MAX_FOLLOW_UP_BYTES < 256 * 1024);
            assert.ok(!body.includes("\uFFFD"), "no character split at a cut");
            for (let i = 0; i < 40; i++) {
                assert.ok(body.includes(`  * Check found-${i}: finding ${i}`), `finding ${i} is listed`);
            }
            assert.ok(body.includes("  - Check node-status (no permission): not allowed to read it (403 Forbidden)"), "what could not be checked survives the cut");
            assert.match(body, /the full report is kept with the case/);
            assert.match(body, /more line\(s\) in the full report/);
        });
        it("when even one line a check is too much, the body is cut at a character boundary and ends with a note", () => {
            const checks = Array.from({ length: 400 }, (_, i) => check(`found-${i}`, "found", `finding ${i}: ${"ü".repeat(100)}`, ["detail"]));
            const { body } = followUpNotification(question, reportOf(question, checks));
            assert.ok(bytes(body) <= MAX_FOLLOW_UP_BYTES, `${bytes(body)} bytes`);
            assert.ok(!body.includes("\uFFFD"));
            assert.ok(body.endsWith(`\n…[shortened; the full report is kept with the case ${question.caseId}]`));
            assert.ok(bytes(body) > MAX_FOLLOW_UP_BYTES - 400, "the room is used");
        });
    });

    describe("OpsItem update", () => {
        it("keeps what the description said and adds the findings in brief; the data holds guidance, details and what could not be checked", () => {
            const { description, data } = opsItemDiagnostics(incident, reportOf(incident, mixedChecks()));
            assert.ok(description.length <= OPSITEM_DESCRIPTION_MAX && description.length >= 1);
            assert.match(description, /^\*\*prometheus\*\* alert on cluster \*\*payments-prod\*\*, severity critical\./);
            const brief = description.slice(description.indexOf("**Diagnostics**"));
            assert.deepEqual(brief.split("\n"), [
                "**Diagnostics** (2024-05-01T12:00:07.000Z, partial; 7 check(s): 2 found something, 1 fine, 4 could not be checked):",
                "- found: Check pod-status: Running; cart: CrashLoopBackOff, 14 restart(s), last Error (exit 1)",
                "- found: Check pod-logs: 50 line(s) of the previous instance",
                '- no permission: Check node-status: not allowed to read it (403 Forbidden): nodes "ip-10-0-1-23" is forbidden',
                "- timed out: Check logs:pod/pod-writes: the query was still running when the diagnostics budget ran out; it was stopped",
                "- failed: Check apiserver-health: could not get an answer from the API server (ECONNREFUSED)",
                "- skipped: Check workload-status: the alert names no workload",
                "Details: operational data vigil:diagnostics.",
            ]);
            assert.ok(bytes(data) <= OPSITEM_DATA_VALUE_MAX);
            assert.match(data, /^Guidance\n {2}Runbook: https:\/\/runbooks\.vigil\.dev\//);
            assert.ok(data.includes("      log 29: CART_REDIS_PASSWORD is empty"), "the data keeps up to 40 lines a check");
            assert.ok(data.includes("Could not check\n  - Check node-status (no permission):"));
            assert.match(data, new RegExp(`Checked 2024-05-01T12:00:00\\.000Z to 2024-05-01T12:00:07\\.000Z; case ${incident.caseId}, episode 1\\.$`));
        });

        it("the limits are AWS's: description 2,048 characters, an operational data value 20 KB", () => {
            assert.equal(OPSITEM_DESCRIPTION_MAX, 2048);
            assert.ok(OPSITEM_DATA_VALUE_MAX <= 20 * 1024);
        });

        it("many problems: the description stays within 2,048 characters, one line per check, and still points to the data", () => {
            const checks = Array.from({ length: 14 }, (_, i) =>
                check(`denied-${i}`, "denied", `not allowed to read it (403 Forbidden):\nsecond line of the message ${"a long reason from the API server ".repeat(8)}`),
            );
            const { description } = opsItemDiagnostics(incident, reportOf(incident, checks));
            assert.ok(description.length <= OPSITEM_DESCRIPTION_MAX, `${description.length} characters`);
            const brief = description.slice(description.indexOf("**Diagnostics**")).split("\n");
            assert.ok(brief.length >= 3, "the findings are there");
            assert.ok(brief.slice(1, -1).every((l) => l.startsWith("- ")), "one line per check");
            assert.match(brief[1], /^- no permission: Check denied-0: not allowed to read it \(403 Forbidden\): second line of the message a long/);
            assert.match(brief[brief.length - 2], /^- …and \d+ more check\(s\) in the data$/);
            assert.equal(brief[brief.length - 1], "Details: operational data vigil:diagnostics.");
            assert.match(description, /^\*\*prometheus\*\* alert/, "the original text still leads");
        });

        it("a huge report: the data stays within 20 KB, keeps every check and what could not be checked, and says it was cut", () => {
            const checks = [
                ...Array.from({ length: 20 }, (_, i) => check(`found-${i}`, "found", `finding ${i}`, Array.from({ length: 40 }, (_, j) => line(j)))),
                check("logs:apiserver/top-callers", "timed-out", "the query was still running when the budget ran out", [], { source: "logs-insights" }),
            ];
            const { data } = opsItemDiagnostics(incident, reportOf(incident, checks));
            assert.ok(bytes(data) <= OPSITEM_DATA_VALUE_MAX, `${bytes(data)} bytes`);
            assert.ok(!data.includes("\uFFFD"));
            for (let i = 0; i < 20; i++) {
                assert.ok(data.includes(`  * Check found-${i}: finding ${i}`), `finding ${i}`);
            }
            assert.ok(data.includes("  - Check logs:apiserver/top-callers (timed out): the query was still running when the budget ran out"));
            assert.match(data, /more line\(s\) in the full report/);
            assert.match(data, new RegExp(`case ${incident.caseId}, episode 1\\.$`));
        });
    });

    describe("the report kept on the case", () => {
        it("is whole when it fits, and cut to its byte budget otherwise: details first, every check keeping its outcome and summary, with notes", () => {
            const small = reportOf(question, mixedChecks());
            assert.equal(boundReport(small), small);
            const huge = reportOf(question, [
                ...Array.from({ length: 12 }, (_, i) => check(`found-${i}`, "found", `finding ${i}`, Array.from({ length: 50 }, (_, j) => line(j)))),
                check("node-status", "denied", "not allowed to read it"),
            ]);
            assert.ok(jsonBytes(huge) > MAX_REPORT_BYTES);
            const bounded = boundReport(huge);
            assert.ok(jsonBytes(bounded) <= MAX_REPORT_BYTES, `${jsonBytes(bounded)} bytes`);
            assert.deepEqual(bounded.checks.map((c) => [c.id, c.outcome, c.summary]), huge.checks.map((c) => [c.id, c.outcome, c.summary]));
            assert.equal(bounded.truncated, "detail lines were cut to keep the report within 48 KiB");
            assert.ok(bounded.checks.filter((c) => c.outcome === "found").every((c) => /report size: \d+ more line\(s\) not kept$/.test(c.truncated ?? "")));
            assert.ok(bounded.checks.every((c) => c.lines.length > 0 || c.outcome !== "found"), "each finding keeps some details");
            // The notification says the stored report was shortened.
            assert.match(reportText(bounded, FOLLOW_UP_LINES).join("\n"), /\(The stored report was shortened: detail lines were cut to keep the report within 48 KiB\.\)$/);
        });

        it("the notification and the OpsItem say a shortened report is kept when it was cut, and the full one only when it was not", () => {
            const huge = reportOf(incident, Array.from({ length: 12 }, (_, i) => check(`found-${i}`, "found", `finding ${i}`, Array.from({ length: 50 }, (_, j) => line(j)))));
            const bounded = boundReport(huge);
            assert.ok(bounded.truncated);
            const cut = followUpNotification(incident, bounded).body;
            assert.match(cut, new RegExp(`Case: ${incident.key} \\(id ${incident.caseId}, episode 1\\); a shortened report is kept with the case\\.\\nSent by Vigil diagnostics\\.$`));
            assert.match(cut, /more line\(s\) in the report kept with the case/);
            const cutData = opsItemDiagnostics(incident, bounded).data;
            assert.match(cutData, /more line\(s\) in the report kept with the case/);
            for (const text of [cut, cutData]) {
                assert.ok(!text.includes("full report"), "no claim that the full report is kept");
            }
            // When even the summaries do not fit, the closing note says the same.
            const many = Array.from({ length: 400 }, (_, i) => check(`found-${i}`, "found", `finding ${i}: ${"ü".repeat(100)}`, ["detail"]));
            const shortened = followUpNotification(question, reportOf(question, many, { truncated: "summaries were cut to keep the report within 48 KiB" })).body;
            assert.ok(shortened.endsWith(`\n…[shortened; a shortened report is kept with the case ${question.caseId}]`), shortened.slice(-200));
            // A whole report keeps saying so.
            const whole = followUpNotification(incident, reportOf(incident, mixedChecks())).body;
            assert.match(whole, /; the full report is kept with the case\.\nSent by Vigil diagnostics\.$/);
            assert.match(whole, /more line\(s\) in the full report/);
            assert.doesNotMatch(whole, /shortened report/);
        });
    });
});

import * as assert from "node:assert/strict";
import { CaseRecord } from "../../components/triage/handler/model";
import { askNotification, confirmPage, incidentNotification, invalidLinkPage, REPLY_PAGE_HEADERS, subject } from "../../components/triage/handler/render";

const RECORD: CaseRecord = {
    caseId: "U6fgZ7NisRr1LsJ2udryvp",
    key: "prometheus:3f1c9a4be07d2e11",
    source: "prometheus",
    version: 3,
    state: "AWAITING_CUSTOMER",
    impact: "uncertain",
    impactReason: "label impact=uncertain",
    cluster: "payments-prod",
    alertname: "KubePodCrashLooping",
    title: 'KubePodCrashLooping <script>alert("x")</script>',
    severity: "warning",
    episode: 1,
    firstSeen: "2024-05-01T12:00:00.000Z",
    lastSeen: "2024-05-01T12:00:00.000Z",
    occurrences: 1,
    lastOrder: "",
    claims: {},
    tokens: {},
    attempts: 0,
    history: [],
    historyDropped: 0,
    replyDeadline: "2024-05-04T12:00:00.000Z",
};

describe("triage texts", () => {
    it("subjects are printable ASCII, one line, under 100 characters", () => {
        const long = subject("Please confirm impact", { title: `Zürich — 東京\n${"x".repeat(200)}`, cluster: "payments-prod" });
        assert.equal(long.length, 99);
        assert.match(long, /^\[Vigil\] Please confirm impact: Z\?rich \? \?\? x+\.\.\.$/);
        assert.equal(subject("Incident", { title: "KubeAPIErrorBudgetBurn", cluster: "" }), "[Vigil] Incident: KubeAPIErrorBudgetBurn");
    });

    it("the ask names the deadline and both links; the incident notification names the OpsItem", () => {
        const ask = askNotification(RECORD, { confirm: "https://r.example/r/a.b", "no-impact": "https://r.example/r/c.d" }, "2024-05-04T12:00:00.000Z", 259200, []);
        assert.match(ask.body, /Please answer by 2024-05-04T12:00:00\.000Z \(3 days\)/);
        assert.match(ask.body, /Confirm customer impact \(opens an incident\): {2}https:\/\/r\.example\/r\/a\.b/);
        assert.match(ask.body, /No customer impact \(resolves the alert\): {7}https:\/\/r\.example\/r\/c\.d/);
        const incident = incidentNotification({ ...RECORD, state: "INCIDENT_OPEN", impact: "known", impactReason: "customer confirmed impact" }, "oi-1", [{ title: "events", body: "OOMKilled" }]);
        assert.match(incident.body, /Customer impact was confirmed/);
        assert.match(incident.body, /OpsCenter OpsItem oi-1/);
        assert.match(incident.body, /Diagnostics:\n {2}events\n {4}OOMKilled/);
    });

    it("reply pages escape what the alert says and load nothing from elsewhere", () => {
        const html = confirmPage(RECORD, "confirmed");
        assert.ok(!html.includes("<script>"));
        assert.match(html, /&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt;/);
        assert.doesNotMatch(html, /(src|href)=/);
        assert.match(html, /<meta name="robots" content="noindex">/);
        assert.match(invalidLinkPage(), /not valid or has expired/);
        const csp = REPLY_PAGE_HEADERS["Content-Security-Policy"];
        assert.match(csp, /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/]+=*'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'$/);
    });
});

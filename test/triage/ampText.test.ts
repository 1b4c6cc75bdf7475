// AMP's default text body (no JSON template applied): read into alerts keyed by the fingerprint
// Alertmanager itself computes, and placed against the case by delivery time so that repeats are
// duplicates and a text message and a JSON message about one alert are one case.
//
// The bodies below are real: rendered by Alertmanager 0.25 (`amtool template render` with its
// template/default.tmpl, `sns.default.message`) from the alerts they show; the fingerprints were
// read back from a running Alertmanager 0.25 (API v2, GET /api/v2/alerts) given the same labels.

import * as assert from "node:assert/strict";
import { alertFingerprint, parseAmpText } from "../../components/triage/handler/amp";
import { caseIdFor, placeUntimed } from "../../components/triage/handler/lifecycle";
import { Alert, CaseRecord } from "../../components/triage/handler/model";
import { InboundMessage, parseMessage } from "../../components/triage/handler/normalize";
import { dynaliteForSuite, editAmp, Harness, harness, replyTokens } from "./support";

const CRASH_FIRING_TEXT = "\n\nAlerts Firing:\nLabels:\n - alertname = KubePodCrashLooping\n - cluster = payments-prod\n - container = cart\n - impact = uncertain\n - job = kube-state-metrics\n - level = pod\n - namespace = shop\n - pod = cart-7d9c6b5f4-x2lkq\n - severity = warning\nAnnotations:\n - description = Pod shop/cart-7d9c6b5f4-x2lkq (cart) is restarting 3 times / 10 minutes.\n - mitigation = - Read the previous container's logs: kubectl -n shop logs cart-7d9c6b5f4-x2lkq -c cart --previous\n- Roll back the last deployment if the crashes started with it: kubectl -n shop rollout undo deployment/cart\n - runbook_url = https://runbooks.vigil.dev/pod/KubePodCrashLooping.md\n - summary = Pod shop/cart-7d9c6b5f4-x2lkq (cart) is in waiting state (reason: \"CrashLoopBackOff\").\nSource: https://prometheus.vigil.internal/graph?g0.expr=max_over_time(kube_pod_container_status_waiting_reason%7Breason%3D%22CrashLoopBackOff%22%7D%5B5m%5D)%20%3E%3D%201&g0.tab=1\n\n\n\n";
const CRASH_RESOLVED_TEXT = "Pod shop/cart-7d9c6b5f4-x2lkq (cart) is restarting 3 times / 10 minutes. - Read the previous container's logs: kubectl -n shop logs cart-7d9c6b5f4-x2lkq -c cart --previous\n- Roll back the last deployment if the crashes started with it: kubectl -n shop rollout undo deployment/cart https://runbooks.vigil.dev/pod/KubePodCrashLooping.md Pod shop/cart-7d9c6b5f4-x2lkq (cart) is in waiting state (reason: \"CrashLoopBackOff\").\n\n\nAlerts Resolved:\nLabels:\n - alertname = KubePodCrashLooping\n - cluster = payments-prod\n - container = cart\n - impact = uncertain\n - job = kube-state-metrics\n - level = pod\n - namespace = shop\n - pod = cart-7d9c6b5f4-x2lkq\n - severity = warning\nAnnotations:\n - description = Pod shop/cart-7d9c6b5f4-x2lkq (cart) is restarting 3 times / 10 minutes.\n - mitigation = - Read the previous container's logs: kubectl -n shop logs cart-7d9c6b5f4-x2lkq -c cart --previous\n- Roll back the last deployment if the crashes started with it: kubectl -n shop rollout undo deployment/cart\n - runbook_url = https://runbooks.vigil.dev/pod/KubePodCrashLooping.md\n - summary = Pod shop/cart-7d9c6b5f4-x2lkq (cart) is in waiting state (reason: \"CrashLoopBackOff\").\nSource: https://prometheus.vigil.internal/graph?g0.expr=max_over_time(kube_pod_container_status_waiting_reason%7Breason%3D%22CrashLoopBackOff%22%7D%5B5m%5D)%20%3E%3D%201&g0.tab=1\n\n\n";
/** A group message: the crash loop firing, and a resolved alert with non-ASCII values, " = " in values, and annotations with line breaks that look like the template's own lines. */
const MIXED_TEXT = "\n\nAlerts Firing:\nLabels:\n - alertname = KubePodCrashLooping\n - cluster = payments-prod\n - container = cart\n - impact = uncertain\n - job = kube-state-metrics\n - level = pod\n - namespace = shop\n - pod = cart-7d9c6b5f4-x2lkq\n - severity = warning\nAnnotations:\n - description = Pod shop/cart-7d9c6b5f4-x2lkq (cart) is restarting 3 times / 10 minutes.\n - mitigation = - Read the previous container's logs: kubectl -n shop logs cart-7d9c6b5f4-x2lkq -c cart --previous\n- Roll back the last deployment if the crashes started with it: kubectl -n shop rollout undo deployment/cart\n - runbook_url = https://runbooks.vigil.dev/pod/KubePodCrashLooping.md\n - summary = Pod shop/cart-7d9c6b5f4-x2lkq (cart) is in waiting state (reason: \"CrashLoopBackOff\").\nSource: https://prometheus.vigil.internal/graph?g0.expr=max_over_time(kube_pod_container_status_waiting_reason%7Breason%3D%22CrashLoopBackOff%22%7D%5B5m%5D)%20%3E%3D%201&g0.tab=1\n\n\n\nAlerts Resolved:\nLabels:\n - alertname = KubeJobFailed\n - cluster = zürich-prod\n - impact = uncertain\n - job_name = nightly = backup\n - namespace = données\n - reason = a = b = c\n - severity = warning\nAnnotations:\n - description = Line one\nSource: not the end\n - looks = like a pair\n - summary = Job données/nightly = backup failed — «sauvegarde» 🚨\nSource: \n\n\n";
const WATCHDOG_TEXT = "The alerting pipeline works.\n\nAlerts Firing:\nLabels:\n - alertname = Watchdog\n - cluster = payments-prod\n - severity = none\nAnnotations:\n - summary = The alerting pipeline works.\nSource: \n\n\n\n";

const CRASH = "prometheus:43a1a9650adfa8f6";
const CRASH_LABELS = {
    alertname: "KubePodCrashLooping",
    cluster: "payments-prod",
    container: "cart",
    impact: "uncertain",
    job: "kube-state-metrics",
    level: "pod",
    namespace: "shop",
    pod: "cart-7d9c6b5f4-x2lkq",
    severity: "warning",
};
const TOPIC = "arn:aws:sns:eu-west-1:111122223333:vigil-alerts";

/** A text body as SNS delivers it: its own MessageId, SNS's Timestamp. */
function textMessage(messageId: string, body: string, receivedAt: string, attributes: Record<string, string> = {}): InboundMessage {
    return { messageId, body, attributes, receivedAt, topicArn: TOPIC, subject: "[FIRING:1] KubePodCrashLooping" };
}

/** The crash-loop alert as the JSON template renders it, with the fingerprint Alertmanager really gives its labels. */
function crashJson(messageId: string, status: "firing" | "resolved", endsAt?: string): InboundMessage {
    return editAmp("amp/01-crashloop-firing.sns.json", messageId, (body) => {
        body.status = status;
        body.alerts[0].status = status;
        body.alerts[0].fingerprint = "43a1a9650adfa8f6";
        body.alerts[0].endsAt = endsAt ?? "0001-01-01T00:00:00.000Z";
    });
}

function alertsOf(text: string, deliveredAt = "2024-05-01T12:00:00.000Z") {
    return parseAmpText(text, deliveredAt, "m-1");
}

describe("triage: AMP's default text body", () => {
    describe("the fingerprint", () => {
        it("is Alertmanager's: prometheus/common's test vectors and what a running Alertmanager 0.25 computed", () => {
            const hex = (decimal: string) => BigInt(decimal).toString(16).padStart(16, "0");
            // prometheus/common model/signature_test.go
            assert.equal(alertFingerprint({}), hex("14695981039346656037"));
            assert.equal(alertFingerprint({ name: "garland, briggs", fear: "love is not enough" }), hex("5799056148416392346"));
            assert.equal(alertFingerprint({ "first-label": "first-label-value" }), hex("5146282821936882169"));
            assert.equal(alertFingerprint({ "first-label": "first-label-value", "second-label": "second-label-value", "third-label": "third-label-value" }), hex("13843036195897128121"));
            // Alertmanager 0.25, GET /api/v2/alerts
            assert.equal(alertFingerprint(CRASH_LABELS), "43a1a9650adfa8f6");
            assert.equal(
                alertFingerprint({ alertname: "KubeJobFailed", cluster: "zürich-prod", impact: "uncertain", job_name: "nightly = backup", namespace: "données", reason: "a = b = c", severity: "warning" }),
                "5b8eb8f6fc26737b",
            );
            assert.equal(
                alertFingerprint({ alertname: "KubeDaemonSetMisScheduled", cluster: "payments-prod", daemonset: "fluent-bit", impact: "none", job: "kube-state-metrics", level: "workload", namespace: "logging", severity: "warning" }),
                "85c049965f11a4fa",
            );
        });

        it("depends on every name and value, not on the order they are given in; always 16 hex digits", () => {
            const reordered = Object.fromEntries(Object.entries(CRASH_LABELS).reverse());
            assert.equal(alertFingerprint(reordered), "43a1a9650adfa8f6");
            assert.notEqual(alertFingerprint({ ...CRASH_LABELS, pod: "cart-7d9c6b5f4-x2lkr" }), "43a1a9650adfa8f6");
            assert.notEqual(alertFingerprint({ ...CRASH_LABELS, pod2: "cart-7d9c6b5f4-x2lkq" }), "43a1a9650adfa8f6");
            // The separator keeps name/value boundaries apart: {a: "bc"} is not {ab: "c"}.
            assert.notEqual(alertFingerprint({ a: "bc" }), alertFingerprint({ ab: "c" }));
            for (const labels of [{}, { a: "" }, { alertname: "X" }, CRASH_LABELS] as Record<string, string>[]) {
                assert.match(alertFingerprint(labels), /^[0-9a-f]{16}$/);
            }
        });
    });

    describe("reading the body", () => {
        it("reads a firing alert: labels, annotations with line breaks, runbook, mitigations, source link; no times", () => {
            const { alerts, heartbeats, problems } = alertsOf(CRASH_FIRING_TEXT, "2024-05-01T11:55:31.402Z");
            assert.deepEqual([heartbeats, problems], [[], []]);
            assert.equal(alerts.length, 1);
            const [alert] = alerts;
            assert.equal(alert.key, CRASH);
            assert.equal(alert.status, "firing");
            assert.deepEqual(alert.attributes, CRASH_LABELS);
            assert.deepEqual([alert.cluster, alert.alertname, alert.severity, alert.level, alert.impactLabel], ["payments-prod", "KubePodCrashLooping", "warning", "pod", "uncertain"]);
            assert.equal(alert.summary, 'Pod shop/cart-7d9c6b5f4-x2lkq (cart) is in waiting state (reason: "CrashLoopBackOff").');
            assert.equal(alert.runbookUrl, "https://runbooks.vigil.dev/pod/KubePodCrashLooping.md");
            assert.deepEqual(alert.mitigations, [
                "Read the previous container's logs: kubectl -n shop logs cart-7d9c6b5f4-x2lkq -c cart --previous",
                "Roll back the last deployment if the crashes started with it: kubectl -n shop rollout undo deployment/cart",
            ]);
            assert.equal(alert.links[0].url, "https://prometheus.vigil.internal/graph?g0.expr=max_over_time(kube_pod_container_status_waiting_reason%7Breason%3D%22CrashLoopBackOff%22%7D%5B5m%5D)%20%3E%3D%201&g0.tab=1");
            assert.deepEqual([alert.untimed, alert.observedAt, alert.startsAt, alert.endsAt, alert.order], [true, "2024-05-01T11:55:31.402Z", undefined, undefined, ""]);
            assert.equal(alert.messageId, "m-1");
        });

        it("reads a group: firing and resolved sections, non-ASCII values, ' = ' inside values, lines that only look like the template's", () => {
            const { alerts, problems } = alertsOf(MIXED_TEXT);
            assert.deepEqual(problems, []);
            assert.deepEqual(alerts.map((a) => [a.key, a.status]), [
                [CRASH, "firing"],
                ["prometheus:5b8eb8f6fc26737b", "resolved"],
            ]);
            const job = alerts[1];
            assert.deepEqual(job.attributes, { alertname: "KubeJobFailed", cluster: "zürich-prod", impact: "uncertain", job_name: "nightly = backup", namespace: "données", reason: "a = b = c", severity: "warning" });
            assert.equal(job.cluster, "zürich-prod");
            assert.equal(job.summary, "Job données/nightly = backup failed — «sauvegarde» 🚨");
            // "Source: …" in a value does not end the alert; the empty Source line (no generator URL) does.
            assert.equal(job.description, "Line one\nSource: not the end");
            assert.deepEqual(job.links, []);
        });

        it("accepts the indented layout AWS's documentation shows for the template", () => {
            const indented = CRASH_FIRING_TEXT.replace("\n\nAlerts Firing:\nLabels:\n", "\n  Alerts Firing:\n    Labels:\n");
            assert.notEqual(indented, CRASH_FIRING_TEXT);
            const { alerts, problems } = alertsOf(indented);
            assert.deepEqual([alerts.map((a) => a.key), problems], [[CRASH], []]);
        });

        it("a body cut short (AMP truncates long messages) keeps the complete alerts and reports the cut one", () => {
            const cut = MIXED_TEXT.slice(0, MIXED_TEXT.indexOf(" - namespace = données"));
            const { alerts, problems } = alertsOf(cut);
            assert.deepEqual(alerts.map((a) => a.key), [CRASH]);
            assert.deepEqual(problems, ['text body alert 2 (KubeJobFailed) is incomplete (no "Source:" line: the message was cut short)']);
            const parsed = parseMessage(textMessage("cut", cut, "2024-05-01T12:00:00.000Z", { truncated: "true" }));
            assert.equal(parsed.kind, "alerts");
            if (parsed.kind === "alerts") {
                assert.equal(parsed.alerts.length, 1);
                assert.match(parsed.problems[0], /incomplete .*; AMP changed the message \(truncated="true"\)$/);
                assert.match(parsed.warnings[0], /^AMP default text body \(the alert manager's JSON template is not applied\): 1 alert\(s\) triaged/);
            }
        });

        it("a body with nothing usable is a parse failure with the raw body kept", () => {
            const cut = CRASH_FIRING_TEXT.slice(0, CRASH_FIRING_TEXT.indexOf(" - severity"));
            const inbound = textMessage("nothing", cut, "2024-05-01T12:00:00.000Z");
            const parsed = parseMessage(inbound);
            assert.equal(parsed.kind, "unparsed");
            if (parsed.kind === "unparsed") {
                assert.equal(parsed.unparsed.kind, "parse-failure");
                assert.equal(parsed.unparsed.raw, cut);
                assert.match(parsed.unparsed.reason, /^AMP default text body \(the alert manager's JSON template is not applied\); alerts: KubePodCrashLooping; text body alert 1 \(KubePodCrashLooping\) is incomplete/);
            }
            const garbled = CRASH_FIRING_TEXT.replace(" - alertname = KubePodCrashLooping\n", "alertname: KubePodCrashLooping\n");
            const broken = alertsOf(garbled);
            assert.deepEqual(broken.alerts, []);
            assert.match(broken.problems[0], /^text body alert 1: line 5 "alertname: KubePodCrashLooping" is not a "- name = value" pair$/);
        });

        it("the Watchdog in a text body is a heartbeat at the delivery time", () => {
            const parsed = parseMessage(textMessage("wd", WATCHDOG_TEXT, "2024-05-01T12:30:00.981Z"));
            assert.equal(parsed.kind, "alerts");
            if (parsed.kind === "alerts") {
                assert.deepEqual(parsed.alerts, []);
                assert.deepEqual(parsed.heartbeats, [{ cluster: "payments-prod", status: "firing", at: "2024-05-01T12:30:00.981Z" }]);
            }
        });

        it("only the template's shape counts as a text body: other text stays a parse failure", () => {
            for (const body of ["Alerts Firing: none", "hello\nAlerts Firing:\nnothing here", "Labels:\n - a = b"]) {
                const parsed = parseMessage(textMessage("other", body, "2024-05-01T12:00:00.000Z"));
                assert.equal(parsed.kind, "unparsed", body);
                assert.match(parsed.kind === "unparsed" ? parsed.unparsed.reason : "", /^body is not JSON/, body);
            }
        });
    });

    describe("placing an untimed observation against the case", () => {
        const S = "2024-05-01T11:55:00.000Z";
        const text = (status: "firing" | "resolved", at: string): Alert => ({ ...alertsOf(status === "firing" ? CRASH_FIRING_TEXT : CRASH_RESOLVED_TEXT, at).alerts[0], status });
        const caseWith = (latest: Partial<Alert> & Pick<Alert, "status" | "order">, more: Partial<CaseRecord> = {}): CaseRecord =>
            ({
                caseId: caseIdFor(CRASH),
                key: CRASH,
                lastOrder: latest.order,
                claims: {},
                alert: { ...text(latest.status, S), ...latest },
                sourceStatus: latest.status,
                episodeStart: latest.startsAt,
                ...more,
            }) as unknown as CaseRecord;

        it("with no case: below every source-timed order, firing from the delivery time", () => {
            const firing = placeUntimed(undefined, text("firing", "2024-05-01T12:00:00.000Z"));
            assert.deepEqual([firing?.order, firing?.startsAt, firing?.endsAt], ["+0", "2024-05-01T12:00:00.000Z", undefined]);
            const resolved = placeUntimed(undefined, text("resolved", "2024-05-01T12:00:00.000Z"));
            assert.deepEqual([resolved?.order, resolved?.startsAt, resolved?.endsAt], ["+1", undefined, "2024-05-01T12:00:00.000Z"]);
            assert.ok("+1" < `${S}|0`, "the JSON messages of the episode still come after it");
        });

        it("a repeat of what the case knows is nothing new; a resolve takes the order of the episode's JSON resolve", () => {
            const firingCase = caseWith({ status: "firing", order: `${S}|0`, startsAt: S });
            assert.equal(placeUntimed(firingCase, text("firing", "2024-05-01T16:00:00.000Z")), undefined, "repeat_interval re-sends: a duplicate");
            const resolved = placeUntimed(firingCase, text("resolved", "2024-05-01T16:20:31.000Z"));
            assert.deepEqual([resolved?.order, resolved?.endsAt], [`${S}|1`, "2024-05-01T16:20:31.000Z"]);
            assert.equal(placeUntimed(firingCase, text("resolved", "2024-05-01T11:50:00.000Z")), undefined, "sent before the episode started: an older episode's");
            const resolvedCase = caseWith({ status: "resolved", order: `${S}|1`, startsAt: S, endsAt: "2024-05-01T16:20:00.000Z" });
            assert.equal(placeUntimed(resolvedCase, text("resolved", "2024-05-01T17:00:00.000Z")), undefined);
        });

        it("a firing after a resolve is new only when sent after it, and sorts below the next episode's JSON orders", () => {
            const R = "2024-05-01T16:20:00.000Z";
            const resolvedCase = caseWith({ status: "resolved", order: `${S}|1`, startsAt: S, endsAt: R });
            assert.equal(placeUntimed(resolvedCase, text("firing", "2024-05-01T16:19:59.000Z")), undefined, "sent before the resolve: stale");
            assert.equal(placeUntimed(resolvedCase, text("firing", R)), undefined);
            const again = placeUntimed(resolvedCase, text("firing", "2024-05-01T18:00:00.000Z"));
            assert.deepEqual([again?.order, again?.startsAt], [`${R}|1+0`, "2024-05-01T18:00:00.000Z"]);
            const order = again?.order ?? "";
            assert.ok(order > `${S}|1` && order < "2024-05-01T16:30:00.000Z|0", "above the resolve, below a later episode's JSON firing");
            // The case's latest observation may still be claimed (being applied): it counts.
            const claimed = caseWith(
                { status: "firing", order: `${S}|0`, startsAt: S },
                { lastOrder: `${S}|1`, claims: { [`obs|${S}|1`]: { until: "2024-05-01T17:00:00.000Z", alert: { ...text("resolved", R), order: `${S}|1`, endsAt: R } } } },
            );
            assert.equal(placeUntimed(claimed, text("resolved", "2024-05-01T17:00:00.000Z")), undefined);
            assert.equal(placeUntimed(claimed, text("firing", "2024-05-01T18:00:00.000Z"))?.order, `${R}|1+0`);
        });
    });

    describe("in the engine (dynalite)", function () {
        this.timeout(30_000);
        const dynamo = dynaliteForSuite();

        async function caseOf(h: Harness): Promise<CaseRecord> {
            const record = await h.store.load(caseIdFor(CRASH));
            assert.ok(record);
            return record;
        }

        it("a text firing is triaged like the JSON one; repeats of it (every repeat interval, also after the cooldown) notify nobody again", async () => {
            const h = await harness(dynamo.endpoint);
            const first = await h.engine.ingest(textMessage("t1", CRASH_FIRING_TEXT, "2024-05-01T11:55:31.402Z"));
            assert.deepEqual(first.alerts.map((a) => [a.key, a.result, a.state]), [[CRASH, "triaged", "AWAITING_CUSTOMER"]]);
            assert.match(first.kept ?? "", /^AMP default text body/);
            assert.equal(h.notifier.sent.length, 1);
            assert.match(h.notifier.sent[0].body, /Mitigation options:\n {2}1\. Read the previous container's logs/);
            const record = await caseOf(h);
            assert.equal(record.episodeStart, "2024-05-01T11:55:31.402Z");
            assert.deepEqual(record.history[0], { at: "2024-05-01T12:00:00.000Z", by: "source:prometheus", event: "firing", detail: "started 2024-05-01T11:55:31.402Z or earlier (delivery time: AMP's JSON template is not applied)" });
            const kept = await h.store.unparsed();
            assert.equal(kept.length, 1, "the message is kept with the warning, for the operator to fix the template");

            for (const [i, hours] of [4, 8, 30].entries()) {
                h.clock.advance(4 * 3600);
                h.requests.length = 0;
                const at = new Date(Date.parse("2024-05-01T11:55:31.402Z") + hours * 3600_000).toISOString();
                const repeat = await h.engine.ingest(textMessage(`t-repeat-${i}`, CRASH_FIRING_TEXT, at));
                assert.deepEqual(repeat.alerts.map((a) => a.result), ["duplicate"], `repeat after ${hours}h`);
                assert.ok(!h.requests.includes("UpdateItemCommand"), "a repeat is settled by one read: the case is not written");
            }
            assert.equal(h.notifier.sent.length, 1, "no second notification");
            assert.deepEqual(await caseOf(h), record);

            // Answered "no impact", the alert keeps firing: still nothing new.
            const { noImpact } = replyTokens(h.notifier.sent[0].body);
            await h.engine.answerReply(noImpact, "ip 203.0.113.7");
            h.clock.advance(3600);
            const afterAnswer = await h.engine.ingest(textMessage("t-after-answer", CRASH_FIRING_TEXT, "2024-05-02T14:00:00.000Z"));
            assert.deepEqual(afterAnswer.alerts.map((a) => a.result), ["duplicate"]);
            assert.equal((await caseOf(h)).episode, 1);
            assert.equal(h.notifier.sent.length, 1);
        });

        it("a text resolve lands on the case a JSON firing opened; the JSON resolve after it is the same observation", async () => {
            const h = await harness(dynamo.endpoint);
            await h.engine.ingest(crashJson("j1", "firing"));
            assert.equal((await caseOf(h)).state, "AWAITING_CUSTOMER");
            h.clock.set("2024-05-01T16:21:00.000Z");
            const resolved = await h.engine.ingest(textMessage("t-resolved", CRASH_RESOLVED_TEXT, "2024-05-01T16:20:31.000Z"));
            assert.deepEqual(resolved.alerts.map((a) => [a.key, a.result]), [[CRASH, "source-resolved"]]);
            let record = await caseOf(h);
            assert.deepEqual([record.sourceStatus, record.sourceResolvedAt, record.state], ["resolved", "2024-05-01T16:20:31.000Z", "AWAITING_CUSTOMER"]);
            assert.equal(record.history.at(-1)?.detail, "resolved at 2024-05-01T16:20:31.000Z or earlier (delivery time: AMP's JSON template is not applied); still waiting for the customer until 2024-05-04T12:00:00.000Z");
            const json = await h.engine.ingest(crashJson("j-resolved", "resolved", "2024-05-01T16:20:00.000Z"));
            assert.deepEqual(json.alerts.map((a) => a.result), ["duplicate"], "the JSON resolve of the same episode");
            assert.equal(h.notifier.sent.length, 1);
            // The reply window closes the case as for any alert.
            h.clock.set("2024-05-04T12:00:00.000Z");
            assert.equal(await h.engine.timeout(caseIdFor(CRASH)), "resolved");
            record = await caseOf(h);
            assert.deepEqual([record.state, record.resolution], ["RESOLVED", "REPLY_TIMEOUT"]);

            // A text firing sent before that resolve (delivered late) changes nothing; one sent after it (and
            // after the flap cooldown since the case closed) is a new episode.
            const stale = await h.engine.ingest(textMessage("t-stale", CRASH_FIRING_TEXT, "2024-05-01T16:00:00.000Z"));
            assert.deepEqual(stale.alerts.map((a) => a.result), ["duplicate"]);
            h.clock.set("2024-05-04T13:00:30.000Z");
            const again = await h.engine.ingest(textMessage("t-again", CRASH_FIRING_TEXT, "2024-05-04T13:00:00.000Z"));
            assert.deepEqual(again.alerts.map((a) => [a.result, a.state]), [["new-episode", "AWAITING_CUSTOMER"]]);
            assert.equal((await caseOf(h)).episode, 2);
            assert.equal(h.notifier.sent.length, 2);
        });

        it("once the template is fixed, the JSON messages of an episode first seen as text are applied to the same case", async () => {
            const h = await harness(dynamo.endpoint);
            await h.engine.ingest(textMessage("t1", CRASH_FIRING_TEXT, "2024-05-01T11:55:31.402Z"));
            const json = await h.engine.ingest(crashJson("j1", "firing"));
            assert.deepEqual(json.alerts.map((a) => a.result), ["repeat"], "the JSON firing started before the text's delivery: same episode");
            assert.equal(h.notifier.sent.length, 1);
            h.clock.set("2024-05-01T16:21:00.000Z");
            const resolved = await h.engine.ingest(crashJson("j-resolved", "resolved", "2024-05-01T16:20:00.000Z"));
            assert.deepEqual(resolved.alerts.map((a) => a.result), ["source-resolved"]);
            assert.equal((await caseOf(h)).sourceResolvedAt, "2024-05-01T16:20:00.000Z");
            assert.equal((await h.store.allCases()).length, 1);
        });
    });
});

// The triage engine against a real DynamoDB-protocol server (dynalite on 127.0.0.1), with recording
// notifier/incident/timer ports and a manual clock: every lifecycle path and edge case of issue 6.

import * as assert from "node:assert/strict";
import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { TriageEngine } from "../../components/triage/handler/engine";
import { caseIdFor } from "../../components/triage/handler/lifecycle";
import { CaseRecord } from "../../components/triage/handler/model";
import { CaseStore } from "../../components/triage/handler/ports";
import { parseMessage } from "../../components/triage/handler/normalize";
import { addSeconds } from "../../components/triage/handler/time";
import { hashToken } from "../../components/triage/handler/tokens";
import { parseImpactTable } from "../../components/triage/handler/impact";
import { impactTableText } from "../../components/triage/handler/impactSource";
import { ampEpisode, dynaliteForSuite, editAmp, fixtureJson, Harness, harness, IMPACT_TABLE, message, replyTokens, START } from "./support";

const CRASH = "prometheus:3f1c9a4be07d2e11";
const BURN = "prometheus:9a8b7c6d5e4f3a2b";
const GD = "guardduty:111122223333:eu-west-1:6ec4a3b2f1e0d9c8b7a6958473625140";
const TARGET_DOWN = "prometheus:5a6b7c8d9e0f1a2b";
const OVERCOMMIT = "prometheus:0c1d2e3f4a5b6c7d";
const WHO = 'ip 203.0.113.7, user agent "Mozilla/5.0"';

async function caseOf(h: Harness, key: string): Promise<CaseRecord> {
    const record = await h.store.load(caseIdFor(key));
    assert.ok(record, `a case for ${key}`);
    return record;
}

function events(record: CaseRecord): string[] {
    return record.history.map((e) => e.event);
}

/** The TargetDown pipeline alert (impact none, level pipeline) with another status/times (a new SNS message). */
function targetDown(messageId: string, status: "firing" | "resolved", startsAt: string, endsAt?: string) {
    return ampEpisode("amp/11-target-down-pipeline.sns.json", messageId, status, startsAt, endsAt);
}

/** An alert manager message for the crash-loop alert with another status/times (a new SNS message). */
function crash(messageId: string, status: "firing" | "resolved", startsAt: string, endsAt?: string) {
    return ampEpisode("amp/01-crashloop-firing.sns.json", messageId, status, startsAt, endsAt);
}

describe("triage engine on dynalite", function () {
    this.timeout(30_000);
    const dynamo = dynaliteForSuite();

    describe("classes", () => {
        it("known impact opens an OpsItem keyed by the case and notifies, in two store requests", async () => {
            const h = await harness(dynamo.endpoint);
            const report = await h.engine.ingest(message("amp/04-apiserver-burn-known.sns.json"));
            assert.deepEqual(report.alerts.map((a) => [a.key, a.result, a.state]), [[BURN, "triaged", "INCIDENT_OPEN"]]);
            assert.deepEqual(h.requests, ["UpdateItemCommand", "PutItemCommand"]);
            assert.equal(h.incidents.opened.length, 1);
            assert.equal(h.incidents.opened[0].dedupKey, BURN);
            assert.equal(h.incidents.opened[0].impact, "known");
            assert.equal(h.notifier.sent.length, 1);
            assert.equal(h.notifier.sent[0].kind, "incident");
            assert.equal(h.notifier.sent[0].subject, "[Vigil] Incident: KubeAPIErrorBudgetBurn (payments-prod)");
            assert.match(h.notifier.sent[0].body, /OpsCenter OpsItem oi-000000000001/);
            assert.deepEqual(h.notifier.sent[0].attributes, { vigil_event: "incident", source: "prometheus", impact: "known", severity: "critical", cluster: "payments-prod" });
            const record = await caseOf(h, BURN);
            assert.equal(record.opsItemId, "oi-000000000001");
            assert.deepEqual(events(record), ["firing", "classified", "incident-opened", "notified"]);
            assert.deepEqual(record.claims, {});
            assert.equal(record.dueAt, undefined, "nothing left for the sweep");
            assert.equal(h.timers.created.length, 0);
        });

        it("uncertain impact asks the customer with two links and starts the reply timer after the send", async () => {
            const h = await harness(dynamo.endpoint);
            await h.engine.ingest(message("amp/01-crashloop-firing.sns.json"));
            assert.deepEqual(h.requests, ["UpdateItemCommand", "PutItemCommand"]);
            const record = await caseOf(h, CRASH);
            const deadline = addSeconds(START, 72 * 3600);
            assert.equal(record.state, "AWAITING_CUSTOMER");
            assert.equal(record.replyDeadline, deadline);
            assert.equal(record.dueAt, deadline);
            assert.equal(h.notifier.sent.length, 1);
            const sent = h.notifier.sent[0];
            assert.equal(sent.kind, "ask");
            assert.equal(sent.subject, "[Vigil] Please confirm impact: KubePodCrashLooping (payments-prod)");
            assert.ok(sent.subject.length <= 99 && /^[\x20-\x7e]+$/.test(sent.subject));
            assert.match(sent.body, /Mitigation options:\n {2}1\. Read the previous container's logs/);
            assert.match(sent.body, new RegExp(`answer by ${deadline.replace(/\./g, "\\.")} \\(3 days\\)`));
            const tokens = replyTokens(sent.body);
            assert.match(sent.body, new RegExp(`https://reply\\.vigil\\.example/r/${tokens.confirm}`));
            assert.match(tokens.confirm, new RegExp(`^${record.caseId}\\.[A-Za-z0-9_-]{22}$`), "case id + 128-bit secret");
            assert.notEqual(tokens.confirm, tokens.noImpact);
            // Stored hashed, bound to one action, expiring after the deadline plus the grace period.
            assert.deepEqual(Object.keys(record.tokens).sort(), [hashToken(tokens.confirm), hashToken(tokens.noImpact)].sort());
            assert.equal(record.tokens[hashToken(tokens.confirm)].action, "confirm");
            assert.equal(record.tokens[hashToken(tokens.noImpact)].action, "no-impact");
            assert.equal(record.tokens[hashToken(tokens.confirm)].expiresAt, addSeconds(deadline, 96 * 3600));
            const raw = await h.client.send(new GetItemCommand({ TableName: h.tableName, Key: { pk: { S: `case#${record.caseId}` }, sk: { S: "case" } } }));
            const stored = JSON.stringify(raw.Item);
            assert.ok(!stored.includes(tokens.confirm.split(".")[1]) && !stored.includes(tokens.noImpact.split(".")[1]), "no token secret in the table");
            assert.deepEqual([...h.timers.schedules.entries()], [[`vigil-reply-${record.caseId}-1`, { at: deadline, payload: { kind: "reply-timeout", caseId: record.caseId, deadline } }]]);
        });

        it("no impact closes the alert without a notification", async () => {
            const h = await harness(dynamo.endpoint);
            await h.engine.ingest(message("amp/05-cpu-overcommit-none.sns.json"));
            const record = await caseOf(h, "prometheus:0c1d2e3f4a5b6c7d");
            assert.equal(record.state, "RESOLVED");
            assert.equal(record.resolution, "NO_IMPACT_AUTO");
            assert.equal(h.notifier.sent.length + h.incidents.opened.length + h.timers.created.length, 0);
            assert.deepEqual(events(record), ["firing", "classified", "resolved"]);
        });
    });

    describe("operator notices (no-impact alerts the operator must know about)", () => {
        it("a no-impact pipeline alert is closed for the customer and notifies the operator once; its resolve sends a short recovered notice", async () => {
            const h = await harness(dynamo.endpoint);
            const report = await h.engine.ingest(message("amp/11-target-down-pipeline.sns.json"));
            assert.deepEqual(report.alerts.map((a) => [a.key, a.result, a.state]), [[TARGET_DOWN, "triaged", "RESOLVED"]]);
            assert.deepEqual(h.requests, ["UpdateItemCommand", "PutItemCommand"], "the notice costs no extra store request");
            assert.equal(h.notifier.sent.length + h.incidents.opened.length + h.timers.created.length, 0, "nothing reaches the customer");
            assert.equal(h.operatorNotifier.sent.length, 1);
            const notice = h.operatorNotifier.sent[0];
            assert.equal(notice.kind, "operator-notice");
            assert.equal(notice.subject, "[Vigil] Operator notice: TargetDown (payments-prod)");
            assert.deepEqual(notice.attributes, { vigil_event: "operator-notice", source: "prometheus", impact: "none", severity: "warning", cluster: "payments-prod", level: "pipeline" });
            assert.match(notice.body, /^TargetDown on cluster payments-prod is firing\.\nIt has no customer impact, so the customer is not told and the alert is closed for them; operator notice rule pipeline-alerts says the operator must know\./);
            assert.match(notice.body, /Mitigation options:\n {2}1\. Open the collector's targets page/);
            assert.match(notice.body, /Runbook: {5}https:\/\/runbooks\.prometheus-operator\.dev\/runbooks\/general\/targetdown/);
            let record = await caseOf(h, TARGET_DOWN);
            assert.equal(record.state, "RESOLVED");
            assert.equal(record.resolution, "NO_IMPACT_AUTO");
            assert.deepEqual([record.operatorNotice, record.operatorNoticeEpisode, record.operatorNotifiedEpisode], ["pipeline-alerts", 1, 1]);
            assert.deepEqual(events(record), ["firing", "classified", "resolved", "operator-notified"]);
            assert.equal(record.history[2].detail, "no customer impact: closed; the operator gets a notice (operator notice rule pipeline-alerts)");
            assert.equal(record.history[3].detail, "operator notice sent to the pipeline topic (rule pipeline-alerts; SNS message notification-1)");
            assert.deepEqual(record.claims, {});
            assert.equal(record.dueAt, undefined);

            // Redelivered, or repeated in a later group message: one episode, one notice.
            await h.engine.ingest(message("amp/11-target-down-pipeline.sns.json"));
            await h.engine.ingest(targetDown("repeat", "firing", "2024-05-01T12:20:00.000Z"));
            assert.equal(h.operatorNotifier.sent.length, 1);

            h.clock.set("2024-05-01T12:49:00.000Z");
            await h.engine.ingest(message("amp/12-target-down-resolved.sns.json"));
            await h.engine.ingest(message("amp/12-target-down-resolved.sns.json"));
            assert.deepEqual(h.operatorNotifier.sent.map((n) => n.kind), ["operator-notice", "operator-recovered"]);
            const recovered = h.operatorNotifier.sent[1];
            assert.equal(recovered.subject, "[Vigil] Recovered: TargetDown (payments-prod)");
            assert.equal(recovered.attributes.vigil_event, "operator-recovered");
            assert.match(recovered.body, /^TargetDown on cluster payments-prod recovered\.\nStarted: {5}2024-05-01T12:20:00\.000Z\nResolved: {4}2024-05-01T12:48:00\.000Z\n/);
            record = await caseOf(h, TARGET_DOWN);
            assert.deepEqual(events(record).slice(-2), ["source-resolved", "operator-recovered"]);
            assert.equal(record.operatorRecoveredEpisode, 1);
            assert.equal(record.state, "RESOLVED");
            assert.equal(h.notifier.sent.length, 0);
        });

        it("a critical no-impact alert of any level notifies the operator; a warning one outside the pipeline does not", async () => {
            const h = await harness(dynamo.endpoint);
            await h.engine.ingest(message("amp/05-cpu-overcommit-none.sns.json"));
            assert.equal(h.operatorNotifier.sent.length, 0);
            assert.deepEqual(events(await caseOf(h, OVERCOMMIT)), ["firing", "classified", "resolved"]);
            assert.equal((await caseOf(h, OVERCOMMIT)).operatorNotice, undefined);

            const critical = editAmp("amp/05-cpu-overcommit-none.sns.json", "critical", (body) => {
                body.alerts[0].labels.severity = "critical";
                body.alerts[0].fingerprint = "0c1d2e3f4a5b6c7e";
            });
            await h.engine.ingest(critical);
            assert.equal(h.operatorNotifier.sent.length, 1);
            assert.equal(h.operatorNotifier.sent[0].attributes.severity, "critical");
            assert.equal((await caseOf(h, "prometheus:0c1d2e3f4a5b6c7e")).operatorNotice, "critical-alerts");
            assert.equal(h.notifier.sent.length, 0);
        });

        it("alerts with customer impact go to the customer only, also at pipeline level", async () => {
            const h = await harness(dynamo.endpoint);
            const uncertain = editAmp("amp/11-target-down-pipeline.sns.json", "uncertain", (body) => {
                body.alerts[0].labels.impact = "uncertain";
            });
            await h.engine.ingest(uncertain);
            assert.equal(h.operatorNotifier.sent.length, 0);
            assert.deepEqual(h.notifier.sent.map((n) => n.kind), ["ask"]);
        });

        it("after the recovered notice a recurrence is a new episode with a new notice, even within the flap cooldown", async () => {
            const h = await harness(dynamo.endpoint);
            await h.engine.ingest(targetDown("t1", "firing", "2024-05-01T12:00:00.000Z"));
            await h.engine.ingest(targetDown("t1r", "resolved", "2024-05-01T12:00:00.000Z", "2024-05-01T12:10:00.000Z"));
            await h.engine.ingest(targetDown("t2", "firing", "2024-05-01T12:15:00.000Z"));
            const record = await caseOf(h, TARGET_DOWN);
            assert.equal(record.episode, 2);
            assert.deepEqual(h.operatorNotifier.sent.map((n) => n.kind), ["operator-notice", "operator-recovered", "operator-notice"]);
            assert.deepEqual(events(record).slice(-4), ["new-episode", "classified", "resolved", "operator-notified"]);

            // Without a notice the customer-facing flap rule still applies: the no-notice alert reattaches.
            await h.engine.ingest(crash("c1", "firing", "2024-05-01T11:00:00.000Z"));
            const quiet = editAmp("amp/05-cpu-overcommit-none.sns.json", "q1", () => undefined);
            await h.engine.ingest(quiet);
            await h.engine.ingest(
                editAmp("amp/05-cpu-overcommit-none.sns.json", "q1r", (body) => {
                    body.alerts[0].status = "resolved";
                    body.alerts[0].endsAt = "2024-05-01T12:20:00.000Z";
                }),
            );
            await h.engine.ingest(
                editAmp("amp/05-cpu-overcommit-none.sns.json", "q2", (body) => {
                    body.alerts[0].startsAt = "2024-05-01T12:30:00.000Z";
                }),
            );
            assert.equal((await caseOf(h, OVERCOMMIT)).episode, 1, "reattached within the cooldown");
        });

        it("a failed notice is retried by the sweep; a resolve arriving first sends both notices, in order", async () => {
            const h = await harness(dynamo.endpoint);
            h.operatorNotifier.failNext = 1;
            const report = await h.engine.ingest(message("amp/11-target-down-pipeline.sns.json"));
            assert.equal(report.alerts[0].error, "SNS Publish failed (simulated)");
            let record = await caseOf(h, TARGET_DOWN);
            assert.equal(record.state, "RESOLVED", "the customer's side is closed regardless");
            assert.equal(record.history.at(-1)?.event, "notify-operator-failed");
            assert.equal(record.dueAt, addSeconds(START, 300));
            h.clock.advance(300);
            assert.deepEqual(await h.engine.sweep(), { examined: 1, timedOut: 0, resumed: 1 });
            assert.deepEqual(h.operatorNotifier.sent.map((n) => n.kind), ["operator-notice"]);
            record = await caseOf(h, TARGET_DOWN);
            assert.deepEqual([record.attempts, record.lastError, record.dueAt], [0, undefined, undefined]);

            const h2 = await harness(dynamo.endpoint);
            h2.operatorNotifier.failNext = 1;
            await h2.engine.ingest(message("amp/11-target-down-pipeline.sns.json"));
            await h2.engine.ingest(message("amp/12-target-down-resolved.sns.json"));
            assert.deepEqual(h2.operatorNotifier.sent.map((n) => n.kind), ["operator-notice", "operator-recovered"]);
            assert.deepEqual(events(await caseOf(h2, TARGET_DOWN)).slice(-4), ["notify-operator-failed", "source-resolved", "operator-notified", "operator-recovered"]);
            h2.clock.advance(300);
            assert.deepEqual(await h2.engine.sweep(), { examined: 0, timedOut: 0, resumed: 0 }, "nothing left to retry");
        });

        it("a function without the operator's channel records the notice as failed; one with it sends it", async () => {
            const h = await harness(dynamo.endpoint);
            const without = new TriageEngine({ store: h.store, notifier: h.notifier, incidents: h.incidents, timers: h.timers, clock: h.clock, impactTable: IMPACT_TABLE, settings: h.settings });
            await without.ingest(message("amp/11-target-down-pipeline.sns.json"));
            const record = await caseOf(h, TARGET_DOWN);
            assert.equal(record.lastError, "cannot notify the operator: OPERATOR_TOPIC_ARN is not configured for this function");
            h.clock.advance(300);
            await h.engine.sweep();
            assert.equal(h.operatorNotifier.sent.length, 1);
        });

        it("the impact table decides: a notify: false rule makes an exception, and an empty list turns notices off", async () => {
            const shipped = impactTableText();
            const exception = parseImpactTable(
                shipped.replace("operatorNotices:\n", "operatorNotices:\n  - name: quiet-node-exporter\n    source: prometheus\n    match: { alertname: TargetDown, job: node-exporter }\n    notify: false\n"),
            );
            const quiet = await harness(dynamo.endpoint, { impactTable: exception });
            await quiet.engine.ingest(message("amp/11-target-down-pipeline.sns.json"));
            await quiet.engine.ingest(message("amp/12-target-down-resolved.sns.json"));
            assert.equal(quiet.operatorNotifier.sent.length, 0);
            assert.equal((await caseOf(quiet, TARGET_DOWN)).resolution, "NO_IMPACT_AUTO");

            const off = await harness(dynamo.endpoint, { impactTable: parseImpactTable(`${shipped.split(/^operatorNotices:/m)[0]}operatorNotices: []\n`) });
            assert.deepEqual((await off.engine.ingest(message("amp/11-target-down-pipeline.sns.json"))).alerts.map((a) => a.state), ["RESOLVED"]);
            assert.equal(off.operatorNotifier.sent.length, 0);
            assert.equal((await caseOf(off, TARGET_DOWN)).operatorNotice, undefined);
        });
    });

    describe("duplicates and ordering", () => {
        it("the same SNS message delivered twice costs one request and notifies once", async () => {
            const h = await harness(dynamo.endpoint);
            await h.engine.ingest(message("amp/01-crashloop-firing.sns.json"));
            h.requests.length = 0;
            const again = await h.engine.ingest(message("amp/01-crashloop-firing.sns.json"));
            assert.deepEqual(again.alerts.map((a) => a.result), ["duplicate"]);
            assert.deepEqual(h.requests, ["UpdateItemCommand"]);
            assert.equal(h.notifier.sent.length, 1);
        });

        it("the same alert in a later group message (repeat interval, new alerts in the group) is a duplicate", async () => {
            const h = await harness(dynamo.endpoint);
            await h.engine.ingest(message("amp/01-crashloop-firing.sns.json"));
            h.requests.length = 0;
            assert.deepEqual((await h.engine.ingest(message("amp/02-crashloop-repeat.sns.json"))).alerts.map((a) => a.result), ["duplicate"]);
            assert.deepEqual(h.requests, ["UpdateItemCommand"]);
            const grown = editAmp("amp/02-crashloop-repeat.sns.json", "grown-group", (body) => {
                body.alerts.push({ ...body.alerts[0], labels: { ...body.alerts[0].labels, pod: "cart-7d9c6b5f4-q8zzm" }, fingerprint: "3f1c9a4be07d2e12", startsAt: "2024-05-01T12:00:00.000Z" });
            });
            const report = await h.engine.ingest(grown);
            assert.deepEqual(report.alerts.map((a) => [a.key, a.result]), [
                [CRASH, "duplicate"],
                ["prometheus:3f1c9a4be07d2e12", "triaged"],
            ]);
            assert.equal(h.notifier.sent.length, 2);
            assert.equal((await caseOf(h, CRASH)).version, 2, "the duplicate wrote nothing");
        });

        it("a resolve in the same message as an unseen alert resolves it before triage; the firing one is asked", async () => {
            const h = await harness(dynamo.endpoint);
            await h.engine.ingest(message("amp/06-node-group-mixed.sns.json"));
            const resolved = await caseOf(h, "prometheus:1f2e3d4c5b6a7980");
            assert.equal(resolved.state, "RESOLVED");
            assert.equal(resolved.resolution, "SOURCE_RESOLVED_BEFORE_TRIAGE");
            assert.equal(resolved.sourceResolvedAt, "2024-05-01T12:24:30.000Z");
            assert.equal((await caseOf(h, "prometheus:7e6d5c4b3a291807")).state, "AWAITING_CUSTOMER");
            assert.equal(h.notifier.sent.length, 1);
            assert.match(h.notifier.sent[0].body, /ip-10-0-1-23/);
        });

        it("a resolve arriving without (before) its firing leaves a tombstone; the late firing changes nothing", async () => {
            const h = await harness(dynamo.endpoint);
            await h.engine.ingest(message("amp/03-crashloop-resolved.sns.json"));
            const tombstone = await caseOf(h, CRASH);
            assert.equal(tombstone.state, "RESOLVED");
            assert.equal(tombstone.resolution, "SOURCE_RESOLVED_BEFORE_TRIAGE");
            assert.equal(tombstone.impact, "uncertain");
            const late = await h.engine.ingest(message("amp/01-crashloop-firing.sns.json"));
            assert.deepEqual(late.alerts.map((a) => a.result), ["duplicate"], "older than what was accepted");
            assert.equal(h.notifier.sent.length, 0);
            assert.deepEqual(await caseOf(h, CRASH), tombstone);
        });

        it("out-of-order messages: an older episode's resolve after a newer firing does not resolve it", async () => {
            const h = await harness(dynamo.endpoint);
            await h.engine.ingest(crash("e1", "firing", "2024-05-01T08:00:00.000Z"));
            await h.engine.ingest(crash("e2", "firing", "2024-05-01T11:00:00.000Z"));
            const before = await caseOf(h, CRASH);
            await h.engine.ingest(crash("e1-resolved-late", "resolved", "2024-05-01T08:00:00.000Z", "2024-05-01T08:20:00.000Z"));
            const after = await caseOf(h, CRASH);
            assert.equal(after.sourceStatus, "firing");
            assert.equal(after.version, before.version);
        });
    });

    describe("flapping", () => {
        it("a recurrence within the cooldown reattaches without a second notification; after it, a new episode asks again", async () => {
            const h = await harness(dynamo.endpoint);
            await h.engine.ingest(crash("f1", "firing", "2024-05-01T11:00:00.000Z"));
            await h.engine.ingest(crash("r1", "resolved", "2024-05-01T11:00:00.000Z", "2024-05-01T11:20:00.000Z"));
            await h.engine.ingest(crash("f2", "firing", "2024-05-01T11:30:00.000Z"));
            let record = await caseOf(h, CRASH);
            assert.equal(record.state, "AWAITING_CUSTOMER");
            assert.deepEqual(events(record), ["firing", "classified", "notified", "source-resolved", "recurred"]);
            assert.equal(h.notifier.sent.length, 1);

            const { noImpact } = replyTokens(h.notifier.sent[0].body);
            assert.equal((await h.engine.answerReply(noImpact, WHO)).status, "ok");
            await h.engine.ingest(crash("r2", "resolved", "2024-05-01T11:30:00.000Z", "2024-05-01T11:40:00.000Z"));
            h.clock.set("2024-05-01T12:05:00.000Z");
            await h.engine.ingest(crash("f3", "firing", "2024-05-01T12:00:00.000Z"));
            record = await caseOf(h, CRASH);
            assert.equal(record.state, "RESOLVED");
            assert.equal(record.resolution, "CUSTOMER_NO_IMPACT", "the customer's answer is reused");
            assert.equal(record.history.at(-1)?.event, "recurred");
            assert.equal(h.notifier.sent.length, 1);

            await h.engine.ingest(crash("r3", "resolved", "2024-05-01T12:00:00.000Z", "2024-05-01T12:10:00.000Z"));
            h.clock.set("2024-05-01T15:00:00.000Z");
            await h.engine.ingest(crash("f4", "firing", "2024-05-01T14:55:00.000Z"));
            record = await caseOf(h, CRASH);
            assert.equal(record.state, "AWAITING_CUSTOMER");
            assert.equal(record.episode, 2);
            assert.equal(record.episodeStart, "2024-05-01T14:55:00.000Z");
            assert.equal(h.notifier.sent.length, 2);
            assert.deepEqual(h.timers.created, [`vigil-reply-${record.caseId}-1`, `vigil-reply-${record.caseId}-2`]);
        });

        it("an open incident's alert firing again after the cooldown goes through OpsCenter dedup", async () => {
            const h = await harness(dynamo.endpoint);
            const burn = (id: string, status: "firing" | "resolved", startsAt: string, endsAt?: string) =>
                editAmp("amp/04-apiserver-burn-known.sns.json", id, (body) => {
                    body.alerts[0].status = status;
                    body.alerts[0].startsAt = startsAt;
                    body.alerts[0].endsAt = endsAt ?? "0001-01-01T00:00:00.000Z";
                });
            await h.engine.ingest(burn("b1", "firing", "2024-05-01T10:00:00.000Z"));
            await h.engine.ingest(burn("b1r", "resolved", "2024-05-01T10:00:00.000Z", "2024-05-01T10:30:00.000Z"));
            await h.engine.ingest(burn("b2", "firing", "2024-05-01T10:40:00.000Z"));
            assert.equal(h.notifier.sent.length, 1, "within the cooldown: reattached");
            await h.engine.ingest(burn("b2r", "resolved", "2024-05-01T10:40:00.000Z", "2024-05-01T10:50:00.000Z"));
            await h.engine.ingest(burn("b3", "firing", "2024-05-01T11:50:00.000Z"));
            let record = await caseOf(h, BURN);
            assert.equal(record.episode, 2);
            assert.equal(record.history.at(-2)?.event, "incident-linked", "the OpsItem is still open: reused");
            assert.equal(record.opsItemId, "oi-000000000001");
            assert.equal(h.notifier.sent.length, 2);
            h.incidents.close(BURN);
            await h.engine.ingest(burn("b3r", "resolved", "2024-05-01T11:50:00.000Z", "2024-05-01T11:55:00.000Z"));
            await h.engine.ingest(burn("b4", "firing", "2024-05-01T13:00:00.000Z"));
            record = await caseOf(h, BURN);
            assert.equal(record.opsItemId, "oi-000000000002", "people resolved it: a new OpsItem");
            assert.equal(h.incidents.opened.length, 2);
        });
    });

    describe("replies", () => {
        it("GET changes nothing; POST confirm opens an incident and cancels the timer; the link is single-use", async () => {
            const h = await harness(dynamo.endpoint);
            await h.engine.ingest(message("amp/01-crashloop-firing.sns.json"));
            const { confirm } = replyTokens(h.notifier.sent[0].body);
            const before = await caseOf(h, CRASH);
            const view = await h.engine.viewReply(confirm);
            assert.equal(view.status, "ok");
            assert.equal(view.status === "ok" && view.outcome, "confirmed");
            await h.engine.viewReply(confirm);
            assert.deepEqual(await caseOf(h, CRASH), before, "viewing twice wrote nothing");

            h.clock.advance(3600);
            const answer = await h.engine.answerReply(confirm, WHO);
            assert.equal(answer.status, "ok");
            assert.equal(answer.status === "ok" && answer.outcome, "confirmed");
            const record = await caseOf(h, CRASH);
            assert.equal(record.state, "INCIDENT_OPEN");
            assert.equal(record.impact, "known");
            assert.equal(record.impactReason, "customer confirmed impact");
            assert.equal(record.opsItemId, "oi-000000000001");
            assert.deepEqual(record.claims, {});
            assert.deepEqual(h.timers.cancelled, [`vigil-reply-${record.caseId}-1`]);
            assert.deepEqual(h.notifier.sent.map((n) => n.kind), ["ask", "incident"]);
            const confirmed = record.history.find((e) => e.event === "customer-confirmed");
            assert.deepEqual(confirmed, { at: "2024-05-01T13:00:00.000Z", by: "customer", event: "customer-confirmed", detail: `${WHO}; opening an incident` });
            assert.ok(record.tokens[hashToken(confirm)].usedAt);
            assert.deepEqual(await h.engine.answerReply(confirm, WHO), { status: "used" });
            assert.deepEqual(await h.engine.viewReply(confirm), { status: "used" });
            assert.equal(h.incidents.opened.length, 1);
        });

        it("POST no impact resolves the notification and the alert", async () => {
            const h = await harness(dynamo.endpoint);
            await h.engine.ingest(message("amp/01-crashloop-firing.sns.json"));
            const { noImpact } = replyTokens(h.notifier.sent[0].body);
            const answer = await h.engine.answerReply(noImpact, WHO);
            assert.equal(answer.status === "ok" && answer.outcome, "no-impact");
            const record = await caseOf(h, CRASH);
            assert.equal(record.state, "RESOLVED");
            assert.equal(record.resolution, "CUSTOMER_NO_IMPACT");
            assert.equal(record.dueAt, undefined);
            assert.equal(h.timers.cancelled.length, 1);
            assert.equal(h.incidents.opened.length, 0);
        });

        it("forged, malformed and expired tokens get no state change", async () => {
            const h = await harness(dynamo.endpoint);
            await h.engine.ingest(message("amp/01-crashloop-firing.sns.json"));
            const { confirm } = replyTokens(h.notifier.sent[0].body);
            const caseId = confirm.split(".")[0];
            const before = await caseOf(h, CRASH);
            for (const token of [`${caseId}.AAAAAAAAAAAAAAAAAAAAAA`, `${"B".repeat(22)}.${confirm.split(".")[1]}`, "nonsense", `${confirm}x`, ""]) {
                assert.deepEqual(await h.engine.viewReply(token), { status: "invalid" }, token);
                assert.deepEqual(await h.engine.answerReply(token, WHO), { status: "invalid" }, token);
            }
            // Expired: past deadline (72h) + grace (96h).
            h.clock.set(addSeconds(START, (72 + 96) * 3600 + 1));
            assert.deepEqual(await h.engine.answerReply(confirm, WHO), { status: "invalid" });
            assert.deepEqual(await caseOf(h, CRASH), before);
        });
    });

    describe("timeouts", () => {
        it("the reply timer resolves a case still waiting at its deadline; early or repeated timers do nothing", async () => {
            const h = await harness(dynamo.endpoint);
            await h.engine.ingest(message("amp/01-crashloop-firing.sns.json"));
            const record = await caseOf(h, CRASH);
            h.clock.set(addSeconds(START, 72 * 3600 - 1));
            assert.equal(await h.engine.timeout(record.caseId), "not-due");
            h.clock.set(record.replyDeadline as string);
            assert.equal(await h.engine.timeout(record.caseId), "resolved");
            assert.equal(await h.engine.timeout(record.caseId), "not-due");
            assert.equal(await h.engine.timeout("nonexistent-case-id-00"), "missing");
            const resolved = await caseOf(h, CRASH);
            assert.equal(resolved.resolution, "REPLY_TIMEOUT");
            assert.deepEqual(resolved.history.at(-1), { at: record.replyDeadline, by: "timer", event: "reply-timeout", detail: `no reply by ${record.replyDeadline}; notification and alert resolved` });
        });

        it("the sweep resolves overdue cases whose timer never fired, once", async () => {
            const h = await harness(dynamo.endpoint);
            await h.engine.ingest(message("amp/01-crashloop-firing.sns.json"));
            await h.engine.ingest(message("guardduty/01-eks-finding-medium.json"));
            await h.engine.ingest(message("amp/04-apiserver-burn-known.sns.json"));
            h.clock.set(addSeconds(START, 71 * 3600));
            assert.deepEqual(await h.engine.sweep(), { examined: 0, timedOut: 0, resumed: 0 });
            h.clock.set(addSeconds(START, 73 * 3600));
            assert.deepEqual(await h.engine.sweep(), { examined: 2, timedOut: 2, resumed: 0 });
            assert.deepEqual(await h.engine.sweep(), { examined: 0, timedOut: 0, resumed: 0 });
            assert.equal((await caseOf(h, GD)).resolution, "REPLY_TIMEOUT");
            assert.equal((await caseOf(h, BURN)).state, "INCIDENT_OPEN");
            assert.equal(h.timers.cancelled.length, 2, "the sweep deletes the timers it made moot");
        });

        it("late replies: confirm after the timeout reopens as an incident; no impact changes nothing", async () => {
            const h = await harness(dynamo.endpoint);
            await h.engine.ingest(message("amp/01-crashloop-firing.sns.json"));
            await h.engine.ingest(message("guardduty/01-eks-finding-medium.json"));
            const crashLinks = replyTokens(h.notifier.sent[0].body);
            const gdLinks = replyTokens(h.notifier.sent[1].body);
            h.clock.set(addSeconds(START, 80 * 3600));
            await h.engine.sweep();

            const late = await h.engine.answerReply(crashLinks.confirm, WHO);
            assert.equal(late.status === "ok" && late.outcome, "late-confirmed");
            const reopened = await caseOf(h, CRASH);
            assert.equal(reopened.state, "INCIDENT_OPEN");
            assert.equal(reopened.lateConfirmation, true);
            assert.equal(reopened.resolution, undefined);
            assert.equal(reopened.opsItemId, "oi-000000000001");
            assert.ok(events(reopened).includes("late-confirmation"));

            const before = await caseOf(h, GD);
            const ignored = await h.engine.answerReply(gdLinks.noImpact, WHO);
            assert.equal(ignored.status === "ok" && ignored.outcome, "no-impact-ignored");
            const after = await caseOf(h, GD);
            assert.equal(after.state, "RESOLVED");
            assert.equal(after.resolution, "REPLY_TIMEOUT");
            assert.equal(after.resolvedAt, before.resolvedAt);
            assert.equal(after.history.at(-1)?.event, "customer-no-impact");
        });

        it("timer and reply racing: the loser re-reads and follows the winner (late confirm still opens an incident)", async () => {
            for (const action of ["confirm", "noImpact"] as const) {
                const h = await harness(dynamo.endpoint);
                await h.engine.ingest(message("amp/01-crashloop-firing.sns.json"));
                const token = replyTokens(h.notifier.sent[0].body)[action];
                h.clock.set(addSeconds(START, 72 * 3600));
                // The reply reads the case, then the timer resolves it, then the reply writes.
                let release!: () => void;
                const gate = new Promise<void>((r) => (release = r));
                let held = false;
                const gated: CaseStore = Object.create(h.store);
                gated.save = async (record, expected) => {
                    if (!held) {
                        held = true;
                        await gate;
                    }
                    return h.store.save(record, expected);
                };
                const replying = new TriageEngine({ store: gated, notifier: h.notifier, incidents: h.incidents, timers: h.timers, clock: h.clock, impactTable: IMPACT_TABLE, settings: h.settings });
                const answer = replying.answerReply(token, WHO);
                await new Promise((r) => setTimeout(r, 50));
                assert.equal(await h.engine.timeout(caseIdFor(CRASH)), "resolved");
                release();
                const result = await answer;
                const record = await caseOf(h, CRASH);
                if (action === "confirm") {
                    assert.equal(result.status === "ok" && result.outcome, "late-confirmed");
                    assert.equal(record.state, "INCIDENT_OPEN");
                    assert.equal(h.incidents.opened.length, 1);
                } else {
                    assert.equal(result.status === "ok" && result.outcome, "no-impact-ignored");
                    assert.equal(record.resolution, "REPLY_TIMEOUT");
                }
                assert.equal(events(record).filter((e) => e === "reply-timeout").length, 1);
            }
        });

        it("timer racing a reply that wins: the timer finds the case answered and does nothing", async () => {
            const h = await harness(dynamo.endpoint);
            await h.engine.ingest(message("amp/01-crashloop-firing.sns.json"));
            const { noImpact } = replyTokens(h.notifier.sent[0].body);
            h.clock.set(addSeconds(START, 72 * 3600));
            const [answer, timer] = await Promise.all([h.engine.answerReply(noImpact, WHO), h.engine.timeout(caseIdFor(CRASH))]);
            const record = await caseOf(h, CRASH);
            assert.equal(record.state, "RESOLVED");
            const resolutions = events(record).filter((e) => e === "reply-timeout" || e === "customer-no-impact");
            if (timer === "resolved") {
                assert.equal(answer.status === "ok" && answer.outcome, "no-impact-ignored");
                assert.equal(record.resolution, "REPLY_TIMEOUT");
            } else {
                assert.equal(timer, "not-due");
                assert.equal(record.resolution, "CUSTOMER_NO_IMPACT");
                assert.deepEqual(resolutions, ["customer-no-impact"]);
            }
        });
    });

    describe("other sources and records", () => {
        it("a GuardDuty finding repeating with a higher count stays one case; a rise to high severity opens an incident", async () => {
            const h = await harness(dynamo.endpoint);
            await h.engine.ingest(message("guardduty/01-eks-finding-medium.json"));
            const repeat = await h.engine.ingest(message("guardduty/02-eks-finding-medium-repeat.json"));
            assert.deepEqual(repeat.alerts.map((a) => a.result), ["repeat"]);
            let record = await caseOf(h, GD);
            assert.equal(record.alert?.count, 4);
            assert.equal(record.state, "AWAITING_CUSTOMER");
            assert.equal(h.notifier.sent.length, 1);
            assert.deepEqual(record.history.at(-1), { at: START, by: "source:guardduty", event: "repeat", detail: "while waiting for the customer; no new notification (count 4)" });

            const higher = fixtureJson("guardduty/02-eks-finding-medium-repeat.json");
            higher.detail.severity = 8;
            higher.detail.service.count = 9;
            higher.detail.updatedAt = "2024-05-02T00:41:09.000Z";
            await h.engine.ingest({ messageId: "gd-higher", body: JSON.stringify(higher), attributes: {} });
            record = await caseOf(h, GD);
            assert.equal(record.state, "INCIDENT_OPEN");
            assert.equal(record.impactReason, "rule guardduty-high");
            assert.deepEqual(h.notifier.sent.map((n) => n.kind), ["ask", "incident"]);
            assert.equal(h.timers.cancelled.length, 1);
        });

        it("the Watchdog heartbeat is recorded per cluster, only forward, and never opens a case", async () => {
            const h = await harness(dynamo.endpoint);
            await h.engine.ingest(message("amp/07-watchdog-heartbeat.sns.json"));
            const older = { ...message("amp/07-watchdog-heartbeat.sns.json"), messageId: "older", receivedAt: "2024-05-01T12:25:00.000Z" };
            await h.engine.ingest(older);
            const other = editAmp("amp/07-watchdog-heartbeat.sns.json", "other-cluster", (body) => {
                body.alerts[0].labels.cluster = "platform-staging";
            });
            await h.engine.ingest({ ...other, receivedAt: "2024-05-01T12:31:00.000Z" });
            const beats = (await h.store.heartbeats()).sort((a, b) => (a.cluster < b.cluster ? -1 : 1));
            assert.deepEqual(beats.map((b) => [b.cluster, b.at, b.status]), [
                ["payments-prod", "2024-05-01T12:30:00.981Z", "firing"],
                ["platform-staging", "2024-05-01T12:31:00.000Z", "firing"],
            ]);
            assert.deepEqual(await h.store.allCases(), []);
            assert.equal(h.notifier.sent.length, 0);
        });

        it("truncated, invalid and unknown messages are kept with their raw body, once", async () => {
            const h = await harness(dynamo.endpoint);
            for (const file of ["amp/10-truncated.sns.json", "amp/09-default-text-body.sns.json", "other/01-unknown-source.sns.json", "amp/10-truncated.sns.json"]) {
                await h.engine.ingest(message(file));
            }
            const kept = (await h.store.unparsed()).sort((a, b) => (a.messageId < b.messageId ? -1 : 1));
            assert.equal(kept.length, 3, "a redelivery is not stored twice");
            const truncated = kept.find((k) => k.attributes.truncated === "true");
            assert.ok(truncated);
            assert.equal(truncated.raw, message("amp/10-truncated.sns.json").body);
            assert.equal(truncated.kind, "parse-failure");
            assert.equal(truncated.topicArn, "arn:aws:sns:eu-west-1:111122223333:vigil-alerts");
            assert.ok(kept.some((k) => k.kind === "unknown-source" && k.raw.includes('"aws.s3"')));
            const text = kept.find((k) => k.reason.startsWith("AMP default text body"));
            assert.ok(text, "a text body is kept too, with the warning the operator acts on");
            assert.equal(text.raw, message("amp/09-default-text-body.sns.json").body);
            // Only the text body had a usable alert; the others opened nothing.
            assert.deepEqual((await h.store.allCases()).map((c) => [c.key, c.state]), [["prometheus:85c049965f11a4fa", "RESOLVED"]]);
        });

        it("EC2 events take the node's cluster from the node directory; other instances are ignored", async () => {
            const nodes = new Map([
                ["i-0a1b2c3d4e5f67890", "payments-prod"],
                ["i-0f9e8d7c6b5a43210", ""],
            ]);
            const h = await harness(dynamo.endpoint, { nodes: { clusterOfInstance: async (id) => nodes.get(id) } });
            await h.engine.ingest(message("ec2/01-instance-stopped.json"));
            const spot = await h.engine.ingest(message("ec2/02-spot-interruption.json"));
            assert.deepEqual(spot.alerts.map((a) => a.result), ["not-a-node"]);
            const cases = await h.store.allCases();
            assert.deepEqual(cases.map((c) => [c.key, c.cluster]), [["ec2:111122223333:eu-west-1:i-0a1b2c3d4e5f67890:state", "payments-prod"]]);
            assert.match(h.notifier.sent[0].subject, /\(payments-prod\)$/);
        });
    });

    describe("retention (DynamoDB TTL on closed cases only)", () => {
        const DAY = 86400;
        const epoch = (iso: string) => Math.floor(Date.parse(iso) / 1000);
        /** The case item as DynamoDB holds it (what TTL reads). */
        async function item(h: Harness, key: string) {
            const out = await h.client.send(new GetItemCommand({ TableName: h.tableName, Key: { pk: { S: `case#${caseIdFor(key)}` }, sk: { S: "case" } }, ConsistentRead: true }));
            assert.ok(out.Item);
            return out.Item;
        }

        it("a resolved case expires the retention period after its last activity (or its last reply link); a waiting one never", async () => {
            const h = await harness(dynamo.endpoint);
            await h.engine.ingest(message("amp/05-cpu-overcommit-none.sns.json"));
            assert.equal((await caseOf(h, OVERCOMMIT)).expiresAt, epoch(START) + 90 * DAY);
            assert.deepEqual((await item(h, OVERCOMMIT)).expiresAt, { N: String(epoch(START) + 90 * DAY) });

            await h.engine.ingest(message("amp/01-crashloop-firing.sns.json"));
            assert.equal((await caseOf(h, CRASH)).state, "AWAITING_CUSTOMER");
            assert.equal((await item(h, CRASH)).expiresAt, undefined, "an open question is never deleted");
            const deadline = addSeconds(START, 72 * 3600);
            h.clock.set(deadline);
            await h.engine.timeout(caseIdFor(CRASH));
            // Kept until its reply links expire (a late confirmation must find it), then the retention period.
            assert.deepEqual((await item(h, CRASH)).expiresAt, { N: String(epoch(addSeconds(deadline, 96 * 3600)) + 90 * DAY) });
        });

        it("an incident expires only once its alert resolved at the source; firing again (or a late confirmation) removes the expiry", async () => {
            const h = await harness(dynamo.endpoint);
            await h.engine.ingest(message("amp/04-apiserver-burn-known.sns.json"));
            assert.equal((await caseOf(h, BURN)).state, "INCIDENT_OPEN");
            assert.equal((await item(h, BURN)).expiresAt, undefined, "an open incident whose alert still fires is kept");
            const burn = (id: string, status: "firing" | "resolved", startsAt: string, endsAt?: string) => ampEpisode("amp/04-apiserver-burn-known.sns.json", id, status, startsAt, endsAt);
            const startsAt = JSON.parse(message("amp/04-apiserver-burn-known.sns.json").body).alerts[0].startsAt;
            h.clock.advance(3600);
            await h.engine.ingest(burn("burn-resolved", "resolved", startsAt, "2024-05-01T12:50:00.000Z"));
            const resolved = await caseOf(h, BURN);
            assert.deepEqual([resolved.state, resolved.sourceStatus], ["INCIDENT_OPEN", "resolved"]);
            assert.equal(resolved.expiresAt, epoch(h.clock.now().toISOString()) + 90 * DAY, "the engine is done: the OpsItem is the incident's record");
            h.clock.advance(600);
            await h.engine.ingest(burn("burn-again", "firing", "2024-05-01T13:05:00.000Z"));
            assert.equal((await caseOf(h, BURN)).sourceStatus, "firing");
            assert.equal((await item(h, BURN)).expiresAt, undefined, "the attribute is removed, not left behind");

            // A late confirmation reopens a resolved case as an incident: no longer closed.
            await h.engine.ingest(message("amp/01-crashloop-firing.sns.json"));
            const { confirm } = replyTokens(h.notifier.sent.find((n) => n.kind === "ask")?.body ?? "");
            h.clock.set(addSeconds(START, 80 * 3600));
            await h.engine.sweep();
            assert.ok((await caseOf(h, CRASH)).expiresAt !== undefined);
            await h.engine.answerReply(confirm, WHO);
            assert.equal((await caseOf(h, CRASH)).state, "INCIDENT_OPEN");
            assert.equal((await item(h, CRASH)).expiresAt, undefined);
        });
    });

    describe("failures and recovery", () => {
        it("a failed notification keeps the case and the sweep retries it after the retry delay", async () => {
            const h = await harness(dynamo.endpoint);
            h.notifier.failNext = 1;
            const report = await h.engine.ingest(message("amp/01-crashloop-firing.sns.json"));
            assert.equal(report.alerts[0].error, "SNS Publish failed (simulated)");
            let record = await caseOf(h, CRASH);
            assert.equal(record.state, "NEW");
            assert.equal(record.attempts, 1);
            assert.equal(record.lastError, "SNS Publish failed (simulated)");
            assert.equal(record.dueAt, addSeconds(START, 300));
            assert.equal(record.history.at(-1)?.event, "ask-failed");
            assert.equal(h.timers.created.length, 0, "no timer before a successful send");
            h.clock.advance(299);
            assert.equal((await h.engine.sweep()).resumed, 0);
            h.clock.advance(1);
            assert.equal((await h.engine.sweep()).resumed, 1);
            record = await caseOf(h, CRASH);
            assert.equal(record.state, "AWAITING_CUSTOMER");
            assert.equal(record.replyDeadline, addSeconds(START, 300 + 72 * 3600), "the window starts at the successful send");
            assert.equal(record.attempts, 0);
            assert.deepEqual(record.claims, {});
            assert.equal(h.notifier.sent.length, 1);
        });

        it("an incident that could not be opened is retried; a sent notification is not repeated", async () => {
            const h = await harness(dynamo.endpoint);
            h.incidents.failNext = 1;
            await h.engine.ingest(message("amp/04-apiserver-burn-known.sns.json"));
            let record = await caseOf(h, BURN);
            assert.equal(record.state, "INCIDENT_OPEN");
            assert.equal(record.opsItemId, undefined);
            assert.equal(h.notifier.sent.length, 0);
            h.clock.advance(300);
            await h.engine.sweep();
            record = await caseOf(h, BURN);
            assert.equal(record.opsItemId, "oi-000000000001");
            assert.equal(h.notifier.sent.length, 1);

            // Incident opened, notification failed: the retry only notifies.
            const h2 = await harness(dynamo.endpoint);
            h2.notifier.failNext = 1;
            await h2.engine.ingest(message("amp/04-apiserver-burn-known.sns.json"));
            h2.clock.advance(300);
            await h2.engine.sweep();
            assert.equal(h2.incidents.opened.length, 1);
            assert.equal(h2.notifier.sent.length, 1);
            assert.deepEqual(events(await caseOf(h2, BURN)), ["firing", "classified", "incident-opened", "notify-incident-failed", "notified"]);
        });

        it("a crash between accepting an alert and writing its case is resumed by the sweep from the claim", async () => {
            const h = await harness(dynamo.endpoint);
            const parsed = parseMessage(message("amp/01-crashloop-firing.sns.json"));
            assert.equal(parsed.kind, "alerts");
            const alert = parsed.kind === "alerts" ? parsed.alerts[0] : undefined;
            assert.ok(alert);
            // The first invocation accepted it and died.
            await h.store.observe({ caseId: caseIdFor(CRASH), alert, now: START, claimUntil: addSeconds(START, 300) });
            // SQS redelivers before the claim expires: treated as a duplicate (the claim owns it).
            assert.deepEqual((await h.engine.ingest(message("amp/01-crashloop-firing.sns.json"))).alerts.map((a) => a.result), ["duplicate"]);
            assert.equal(h.notifier.sent.length, 0);
            h.clock.advance(300);
            assert.deepEqual(await h.engine.sweep(), { examined: 1, timedOut: 0, resumed: 1 });
            const record = await caseOf(h, CRASH);
            assert.equal(record.state, "AWAITING_CUSTOMER");
            assert.deepEqual(record.claims, {});
            assert.equal(h.notifier.sent.length, 1);
        });

        it("the same message processed by two invocations at once notifies once", async () => {
            const h = await harness(dynamo.endpoint);
            const second = await harness(dynamo.endpoint, { tableName: h.tableName });
            const reports = await Promise.all([h.engine.ingest(message("amp/01-crashloop-firing.sns.json")), second.engine.ingest(message("amp/01-crashloop-firing.sns.json"))]);
            assert.deepEqual(reports.map((r) => r.alerts[0].result).sort(), ["duplicate", "triaged"]);
            assert.equal(h.notifier.sent.length + second.notifier.sent.length, 1);
        });

        it("an alert arriving while a reply is opening the incident leaves the work to the reply (one incident notification)", async () => {
            const h = await harness(dynamo.endpoint);
            await h.engine.ingest(message("amp/01-crashloop-firing.sns.json"));
            const { confirm } = replyTokens(h.notifier.sent[0].body);
            let release!: () => void;
            const gate = new Promise<void>((r) => (release = r));
            let entered!: () => void;
            const publishing = new Promise<void>((r) => (entered = r));
            const blocked = {
                publish: async (n: Parameters<typeof h.notifier.publish>[0]) => {
                    entered();
                    await gate;
                    return h.notifier.publish(n);
                },
            };
            const replying = new TriageEngine({ store: h.store, notifier: blocked, incidents: h.incidents, timers: h.timers, clock: h.clock, impactTable: IMPACT_TABLE, settings: h.settings });
            const answering = replying.answerReply(confirm, WHO);
            await publishing;
            const during = await h.engine.ingest(crash("f2", "firing", "2024-05-01T11:58:00.000Z"));
            assert.deepEqual(during.alerts.map((a) => a.result), ["recurred"]);
            release();
            assert.equal((await answering).status, "ok");
            assert.deepEqual(h.notifier.sent.map((n) => n.kind), ["ask", "incident"]);
            assert.equal(h.incidents.opened.length, 1);
            const record = await caseOf(h, CRASH);
            assert.equal(record.incidentNotifiedEpisode, 1);
            assert.deepEqual(record.claims, {});
        });

        it("diagnostics are requested in the write that records the question or incident, and never waited for or allowed to fail triage", async () => {
            const handed: { caseId: string; stored: CaseRecord | undefined }[] = [];
            const h: Harness = await harness(dynamo.endpoint, { diagnostics: { requested: async (caseId) => void handed.push({ caseId, stored: await h.store.load(caseId) }) } });
            await h.engine.ingest(message("amp/01-crashloop-firing.sns.json"));
            await h.engine.ingest(message("amp/04-apiserver-burn-known.sns.json"));
            assert.deepEqual(handed.map((x) => x.caseId), [caseIdFor(CRASH), caseIdFor(BURN)]);
            // Handed over only after the case that carries the request is stored.
            assert.equal(handed[0].stored?.state, "AWAITING_CUSTOMER");
            assert.deepEqual(handed[0].stored?.diagnosticsRequest, { episode: 1, reason: "notification", requestedAt: START, attempts: 0 });
            assert.equal(handed[0].stored?.diagnosticsWork, "pending");
            assert.deepEqual(handed[1].stored?.diagnosticsRequest, { episode: 1, reason: "incident", requestedAt: START, attempts: 0 });
            assert.deepEqual(events(await caseOf(h, BURN)), ["firing", "classified", "incident-opened", "notified", "diagnostics-requested"]);
            // The notification went out at once, without evidence (the report follows it).
            assert.doesNotMatch(h.notifier.sent[0].body, /Diagnostics:/);
            // A repeat does not request again; a confirmation (new reason) does.
            await h.engine.ingest(message("amp/02-crashloop-repeat.sns.json"));
            assert.equal(handed.length, 2);
            await h.engine.answerReply(replyTokens(h.notifier.sent[0].body).confirm, WHO);
            assert.equal(handed.length, 3);
            assert.deepEqual((await caseOf(h, CRASH)).diagnosticsRequest?.reason, "incident");

            const failing = await harness(dynamo.endpoint, { diagnostics: { requested: async () => Promise.reject(new Error("stream hand-over failed")) } });
            const report = await failing.engine.ingest(message("amp/01-crashloop-firing.sns.json"));
            assert.equal(report.alerts[0].state, "AWAITING_CUSTOMER");
            assert.equal(failing.notifier.sent.length, 1);
            assert.equal((await caseOf(failing, CRASH)).diagnosticsWork, "pending", "the request stays for the stream");

            const off = await harness(dynamo.endpoint);
            await off.engine.ingest(message("amp/01-crashloop-firing.sns.json"));
            const quiet = await caseOf(off, CRASH);
            assert.equal(quiet.diagnosticsRequest, undefined, "no diagnostics port: no request");
            assert.equal(quiet.diagnosticsWork, undefined);
        });
    });
});

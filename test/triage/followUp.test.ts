// Immediate follow-up of customer replies. The deployed reply function only records an answer and
// claims the work it requires; the case item then carries `replyWork: "pending"`, the table's
// stream hands such items to the timer function, which takes the claim over (a conditional write)
// and does the work. dynalite has no streams: these tests read the items the store really wrote
// and build the stream records from them, and judge the mapping's filter pattern with the
// EventBridge matching rules Lambda's event filtering uses.

import * as assert from "node:assert/strict";
import { REPLY_WORK_FILTER, replyWorkCaseId, StreamImage } from "../../components/triage/handler/dynamoStore";
import { TriageEngine } from "../../components/triage/handler/engine";
import { caseIdFor } from "../../components/triage/handler/lifecycle";
import { CaseRecord } from "../../components/triage/handler/model";
import { matchesPattern } from "../account/eventPattern";
import { CORRUPT_CASE_ID, dynaliteForSuite, harness, Harness, IMPACT_TABLE, message, putCorruptCase, rawItem, replyTokens, streamRecord } from "./support";

const CRASH = "prometheus:3f1c9a4be07d2e11";
const WHO = 'ip 203.0.113.7, user agent "Mozilla/5.0"';
/** The pattern exactly as the mapping's FilterCriteria carries it (a JSON string), parsed back. */
const PATTERN = JSON.parse(JSON.stringify(REPLY_WORK_FILTER));

/** The public reply function as deployed: it records answers and leaves their work (deferReplyWork). */
function replyFunction(h: Harness): TriageEngine {
    return new TriageEngine({ store: h.store, notifier: h.notifier, incidents: h.incidents, timers: h.timers, clock: h.clock, impactTable: IMPACT_TABLE, settings: { ...h.settings, claimLeaseSeconds: 60 }, deferReplyWork: true });
}

async function caseItem(h: Harness, key: string) {
    return rawItem(h.client, h.tableName, `case#${caseIdFor(key)}`, "case");
}

async function load(h: Harness, key: string): Promise<CaseRecord> {
    const record = await h.store.load(caseIdFor(key));
    assert.ok(record);
    return record;
}

/** An asked case and its reply links. */
async function asked(h: Harness): Promise<{ confirm: string; noImpact: string }> {
    await h.engine.ingest(message("amp/01-crashloop-firing.sns.json"));
    return replyTokens(h.notifier.sent[0].body);
}

/** An asked case answered through the reply function as deployed, which leaves the answer's work. */
async function answeredLater(h: Harness, link: "confirm" | "noImpact") {
    return replyFunction(h).answerReply((await asked(h))[link], WHO);
}

describe("triage: immediate follow-up of replies (case table stream)", function () {
    this.timeout(30_000);
    const dynamo = dynaliteForSuite();

    it("a deferred confirmation marks the item; the follow-up opens the incident at once and clears the mark", async () => {
        const h = await harness(dynamo.endpoint);
        const answer = await answeredLater(h, "confirm");
        assert.equal(answer.status === "ok" && answer.outcome, "confirmed");
        const waiting = await caseItem(h, CRASH);
        assert.deepEqual(waiting.replyWork, { S: "pending" });
        assert.equal(h.incidents.opened.length, 0, "the reply function did none of the work");

        const record = streamRecord("MODIFY", waiting);
        assert.equal(matchesPattern(PATTERN, record), true, "the mapping's filter lets the record through");
        assert.equal(replyWorkCaseId(record.dynamodb as StreamImage), caseIdFor(CRASH));

        h.clock.advance(1);
        assert.equal(await h.engine.followUpReplies(caseIdFor(CRASH)), "done");
        assert.equal(h.incidents.opened.length, 1);
        assert.deepEqual(h.notifier.sent.map((n) => n.kind), ["ask", "incident"]);
        assert.deepEqual(h.timers.cancelled, [`vigil-reply-${caseIdFor(CRASH)}-1`], "the reply timer is deleted");
        const done = await load(h, CRASH);
        assert.equal(done.state, "INCIDENT_OPEN");
        assert.deepEqual(done.claims, {});
        assert.equal(done.dueAt, undefined, "nothing left for the sweep");
        assert.deepEqual(done.history.slice(-3).map((e) => e.event), ["customer-confirmed", "incident-opened", "notified"]);
        const after = await caseItem(h, CRASH);
        assert.equal(after.replyWork, undefined);
        assert.equal(matchesPattern(PATTERN, streamRecord("MODIFY", after)), false, "its own write does not invoke it again");

        // Idempotent: a second record for the case (or a redelivery) and the sweep find nothing to do.
        assert.equal(await h.engine.followUpReplies(caseIdFor(CRASH)), "nothing");
        h.clock.advance(3600);
        assert.deepEqual(await h.engine.sweep(), { examined: 0, timedOut: 0, resumed: 0 });
        assert.equal(h.incidents.opened.length, 1);
        assert.equal(await h.engine.followUpReplies("nonexistent-case-id-00"), "missing");
    });

    it("the take-over is a conditional write: a claim the sweep holds is left to it, and the sweep leaves one the follow-up holds", async () => {
        const h = await harness(dynamo.endpoint);
        await answeredLater(h, "confirm");
        // The sweep got there first (the stream was late): it holds the claim now.
        const pending = await load(h, CRASH);
        const [key, claim] = Object.entries(pending.claims)[0];
        assert.ok(key.startsWith("work|reply-"));
        const heldBySweep: CaseRecord = { ...pending, version: pending.version + 1, claims: { [key]: { ...claim, holder: "sweep" } } };
        assert.ok(await h.store.save(heldBySweep, pending.version));
        assert.equal(matchesPattern(PATTERN, streamRecord("MODIFY", await caseItem(h, CRASH))), false, "a held claim is not pending work");
        assert.equal(await h.engine.followUpReplies(caseIdFor(CRASH)), "nothing");
        assert.equal(h.incidents.opened.length, 0);

        // The other way round: the follow-up holds it and is still working; the sweep does not touch it.
        const h2 = await harness(dynamo.endpoint);
        await answeredLater(h2, "confirm");
        let release!: () => void;
        const gate = new Promise<void>((r) => (release = r));
        let entered!: () => void;
        const opening = new Promise<void>((r) => (entered = r));
        const slowIncidents = {
            open: async (request: Parameters<typeof h2.incidents.open>[0]) => {
                entered();
                await gate;
                return h2.incidents.open(request);
            },
        };
        const follower = new TriageEngine({ store: h2.store, notifier: h2.notifier, operatorNotifier: h2.operatorNotifier, incidents: slowIncidents, timers: h2.timers, clock: h2.clock, impactTable: IMPACT_TABLE, settings: h2.settings });
        const following = follower.followUpReplies(caseIdFor(CRASH));
        await opening;
        h2.clock.advance(120);
        assert.deepEqual(await h2.engine.sweep(), { examined: 0, timedOut: 0, resumed: 0 }, "the follow-up's claim is live: not due");
        assert.equal((await load(h2, CRASH)).dueAt, new Date(h2.clock.now().getTime() - 120_000 + 300_000).toISOString(), "due when the follow-up's lease ends");
        release();
        assert.equal(await following, "done");
        assert.equal(h2.incidents.opened.length, 1);
        assert.deepEqual(h2.notifier.sent.map((n) => n.kind), ["ask", "incident"]);
    });

    it("follow-up and sweep racing for the same claim: one does the work, once", async () => {
        const h = await harness(dynamo.endpoint);
        await answeredLater(h, "confirm");
        h.clock.advance(61);
        const other = await harness(dynamo.endpoint, { tableName: h.tableName });
        other.clock.set(h.clock.now());
        const [followUp, sweep] = await Promise.all([h.engine.followUpReplies(caseIdFor(CRASH)), other.engine.sweep()]);
        assert.equal(h.incidents.opened.length + other.incidents.opened.length, 1, `follow-up ${followUp}, sweep resumed ${sweep.resumed}`);
        assert.equal(h.notifier.sent.filter((n) => n.kind === "incident").length + other.notifier.sent.length, 1);
        assert.deepEqual((await load(h, CRASH)).claims, {});
    });

    it("without the stream (or if it fails) the sweep is the backstop once the reply's lease ends", async () => {
        const h = await harness(dynamo.endpoint);
        await answeredLater(h, "confirm");
        h.clock.advance(59);
        assert.equal((await h.engine.sweep()).resumed, 0);
        h.clock.advance(1);
        assert.equal((await h.engine.sweep()).resumed, 1);
        assert.equal(h.incidents.opened.length, 1);
        assert.deepEqual(h.timers.cancelled, [`vigil-reply-${caseIdFor(CRASH)}-1`], "the sweep deletes the reply timer too");
        assert.equal((await caseItem(h, CRASH)).replyWork, undefined);
    });

    it("only items with pending reply work pass the filter: not other answers, cases, heartbeats, kept messages or deletions", async () => {
        const h = await harness(dynamo.endpoint);
        const { noImpact } = await asked(h);
        const askedItem = await caseItem(h, CRASH);
        await h.engine.ingest(message("amp/07-watchdog-heartbeat.sns.json"));
        await h.engine.ingest(message("amp/10-truncated.sns.json"));
        await replyFunction(h).answerReply(noImpact, WHO);
        const answered = await caseItem(h, CRASH);
        assert.equal((await load(h, CRASH)).resolution, "CUSTOMER_NO_IMPACT");
        const heartbeat = await rawItem(h.client, h.tableName, "heartbeat#payments-prod", "heartbeat");
        const kept = (await h.store.unparsed())[0];
        const unparsed = await rawItem(h.client, h.tableName, `message#${kept.messageId}`, "unparsed");

        // A confirmation the reply function does itself (not deferred) is not left for the stream either.
        const h2 = await harness(dynamo.endpoint);
        const links = await asked(h2);
        await h2.engine.answerReply(links.confirm, WHO);
        const selfServed = await caseItem(h2, CRASH);

        const records = {
            "a new case": streamRecord("INSERT", askedItem),
            "a no-impact answer (nothing to follow up)": streamRecord("MODIFY", answered),
            "a case waiting for the customer": streamRecord("MODIFY", askedItem),
            "a heartbeat": streamRecord("MODIFY", heartbeat),
            "a kept unparsed message": streamRecord("INSERT", unparsed),
            "a TTL deletion (no new image)": streamRecord("REMOVE", askedItem),
            "a confirmation done by the reply function itself": streamRecord("MODIFY", selfServed),
        };
        for (const [what, record] of Object.entries(records)) {
            assert.equal(matchesPattern(PATTERN, record), false, what);
            assert.equal(replyWorkCaseId(record.dynamodb as StreamImage), undefined, what);
        }
        // The filter does look at the mark: the same item with it passes.
        assert.equal(matchesPattern(PATTERN, streamRecord("MODIFY", { ...answered, replyWork: { S: "pending" } })), true);
        assert.equal(matchesPattern(PATTERN, streamRecord("MODIFY", { ...answered, replyWork: { S: "done" } })), false);
    });

    it("a deferred no-impact answer leaves no work: the case is closed at once, its reply timer fires later and does nothing", async () => {
        const h = await harness(dynamo.endpoint);
        const answer = await answeredLater(h, "noImpact");
        assert.equal(answer.status === "ok" && answer.outcome, "no-impact");
        const answered = await load(h, CRASH);
        assert.deepEqual([answered.state, answered.resolution], ["RESOLVED", "CUSTOMER_NO_IMPACT"]);
        assert.deepEqual(answered.claims, {});
        assert.equal(answered.dueAt, undefined);
        assert.ok(answered.expiresAt !== undefined, "closed for the engine: the store may expire it");
        assert.equal((await caseItem(h, CRASH)).replyWork, undefined);
        assert.equal(await h.engine.followUpReplies(caseIdFor(CRASH)), "nothing");
        assert.deepEqual(h.timers.cancelled, [], "the reply timer stays (the reply function may not touch it)");
        const [[name, timer]] = [...h.timers.schedules.entries()];
        assert.equal(name, `vigil-reply-${caseIdFor(CRASH)}-1`);
        h.clock.set(timer.at);
        assert.equal(await h.engine.timeout(caseIdFor(CRASH)), "not-due", "it fires at its deadline and finds the case settled");
        assert.equal((await load(h, CRASH)).version, answered.version);
        assert.deepEqual([h.notifier.sent.length, h.incidents.opened.length], [1, 0]);
    });

    it("a follow-up whose effect fails records it for the sweep to retry, like any other work", async () => {
        const h = await harness(dynamo.endpoint);
        await answeredLater(h, "confirm");
        h.incidents.failNext = 1;
        assert.equal(await h.engine.followUpReplies(caseIdFor(CRASH)), "done");
        let record = await load(h, CRASH);
        assert.equal(record.history.at(-1)?.event, "incident-failed");
        assert.equal((await caseItem(h, CRASH)).replyWork, undefined, "the retry is the sweep's, not the stream's");
        h.clock.advance(300);
        assert.equal((await h.engine.sweep()).resumed, 1);
        record = await load(h, CRASH);
        assert.equal(record.opsItemId, "oi-000000000001");
        assert.deepEqual(record.claims, {});
    });

    it("a corrupt case item makes the follow-up fail (so its record is retried) instead of passing silently", async () => {
        const h = await harness(dynamo.endpoint);
        await putCorruptCase(h.client, h.tableName);
        await assert.rejects(h.engine.followUpReplies(CORRUPT_CASE_ID));
    });
});

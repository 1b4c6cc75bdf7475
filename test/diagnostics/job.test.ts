// The diagnostics run of a case, from the request the engine records to the report on the case,
// on the real DynamoDB store against dynalite (127.0.0.1): only pending requests run, a finished
// or superseded episode is not re-run, the report is written with a conditional write that
// survives concurrent changes, the follow-up goes out once, the OpsItem is updated when the case
// has one, failures are recorded (or retried through the stream's batchItemFailures), and the
// triage state is never changed by diagnostics. Then the Lambda entry point (diagnosticsHandler)
// with the case table's stream records and direct re-run invocations.

import * as assert from "node:assert/strict";
import { DynamoDBBatchResponse, DynamoDBStreamEvent } from "aws-lambda";
import { caseIdFor } from "../../components/triage/handler/lifecycle";
import { CaseRecord } from "../../components/triage/handler/model";
import { CaseStore } from "../../components/triage/handler/ports";
import { RecordingNotifier } from "../../components/triage/handler/recording";
import { DiagnosticsJob } from "../../components/triage/handler/diagnostics/job";
import { RecordingOpsItemUpdates } from "../../components/triage/handler/diagnostics/opsItems";
import { DIAGNOSTICS_PENDING, DIAGNOSTICS_RUN_CLAIM, diagnosticsWorkCaseId, MAX_DIAGNOSTICS_ATTEMPTS } from "../../components/triage/handler/diagnostics/request";
import { RecordedDiagnostics } from "../../components/triage/handler/diagnostics/recorded";
import { ampEpisode, dynaliteForSuite, harness, Harness, message, rawItem, replyTokens, START, streamRecord } from "../triage/support";
import { runnerDeps, scenario } from "./support";

const CRASH = "prometheus:3f1c9a4be07d2e11";
const BURN = "prometheus:9a8b7c6d5e4f3a2b";
const WHO = 'ip 203.0.113.7, user agent "Mozilla/5.0"';

/** The crash-loop alert with another status and times (a new SNS message). */
function crash(messageId: string, status: "firing" | "resolved", startsAt: string, endsAt?: string) {
    return ampEpisode("amp/01-crashloop-firing.sns.json", messageId, status, startsAt, endsAt);
}

/** What triage owns on a case: diagnostics must leave it as it is. */
function triageState(r: CaseRecord) {
    return { state: r.state, episode: r.episode, impact: r.impact, replyDeadline: r.replyDeadline, dueAt: r.dueAt, tokens: r.tokens, opsItemId: r.opsItemId, incidentEpisode: r.incidentEpisode };
}

/** A store whose saves lose to a concurrent writer `conflicts` times (after `after` successful saves). */
class ConflictingStore implements CaseStore {
    saves = 0;
    constructor(
        private readonly inner: CaseStore,
        private conflicts: number,
        private readonly after: number,
    ) {}
    observe = (...args: Parameters<CaseStore["observe"]>) => this.inner.observe(...args);
    load = (caseId: string) => this.inner.load(caseId);
    listDue = (...args: Parameters<CaseStore["listDue"]>) => this.inner.listDue(...args);
    recordHeartbeat = (...args: Parameters<CaseStore["recordHeartbeat"]>) => this.inner.recordHeartbeat(...args);
    recordUnparsed = (...args: Parameters<CaseStore["recordUnparsed"]>) => this.inner.recordUnparsed(...args);
    async save(record: CaseRecord, expectedVersion: number): Promise<boolean> {
        this.saves++;
        if (this.saves > this.after && this.conflicts > 0) {
            this.conflicts--;
            return false;
        }
        return this.inner.save(record, expectedVersion);
    }
}

describe("diagnostics job and entry point on dynalite", function () {
    this.timeout(30_000);
    const dynamo = dynaliteForSuite();

    interface Rig {
        h: Harness;
        job: DiagnosticsJob;
        followUps: RecordingNotifier;
        opsItems: RecordingOpsItemUpdates;
        recorded: RecordedDiagnostics;
    }

    /** An engine that records requests (as deployed: the stream runs them) and a job over the same table. */
    async function rig(fixture: string, options: { store?: (inner: CaseStore) => CaseStore; describeHook?: (h: Harness) => Promise<void>; notifier?: boolean } = {}): Promise<Rig> {
        const h = await harness(dynamo.endpoint, { diagnostics: { requested: async () => undefined } });
        const recorded = scenario(fixture);
        const followUps = new RecordingNotifier();
        const opsItems = new RecordingOpsItemUpdates();
        const deps = runnerDeps(recorded);
        const job = new DiagnosticsJob({
            store: options.store ? options.store(h.store) : h.store,
            ...(options.notifier === false ? {} : { notifier: followUps }),
            opsItems,
            runner: {
                ...deps,
                clusters: {
                    describe: async (name) => {
                        await options.describeHook?.(h);
                        return recorded.clusters.describe(name);
                    },
                },
            },
            clock: h.clock,
            settings: h.settings,
            leaseSeconds: 180,
        });
        return { h, job, followUps, opsItems, recorded };
    }

    async function load(h: Harness, key: string): Promise<CaseRecord> {
        const record = await h.store.load(caseIdFor(key));
        assert.ok(record, `a case for ${key}`);
        return record;
    }

    it("a question to the customer: the engine records a pending request; the run writes the report, sends one follow-up, and leaves triage alone", async () => {
        const { h, job, followUps, opsItems } = await rig("crashloop");
        await h.engine.ingest(message("amp/01-crashloop-firing.sns.json"));
        const asked = await load(h, CRASH);
        assert.equal(asked.diagnosticsWork, DIAGNOSTICS_PENDING);
        assert.deepEqual(asked.diagnosticsRequest, { episode: 1, reason: "notification", requestedAt: START, attempts: 0 });
        assert.equal(asked.diagnostics, undefined, "triage did not wait for diagnostics");

        h.clock.advance(5);
        assert.equal(await job.run(asked.caseId), "done");
        const done = await load(h, CRASH);
        assert.deepEqual(triageState(done), triageState(asked));
        assert.equal(done.diagnosticsWork, undefined, "the marker is removed: the stream does not bring the case back");
        assert.equal(done.claims[DIAGNOSTICS_RUN_CLAIM], undefined, "the lease is released");
        assert.equal(done.diagnosticsRequest?.attempts, 1);
        assert.equal(done.version, asked.version + 2, "two conditional writes: the lease, then the report");
        const report = done.diagnostics;
        assert.ok(report);
        assert.equal(report.outcome, "complete");
        assert.equal(report.episode, 1);
        assert.equal(report.requestedAt, START);
        assert.deepEqual(report.delivery, { notificationMessageId: "notification-1", problems: [] });
        assert.ok(report.checks.find((c) => c.id === "pod-logs")?.lines.some((l) => /CART_REDIS_PASSWORD is empty/.test(l)), "the evidence is in the case");
        assert.deepEqual(done.history.slice(-1).map((e) => [e.by, e.event, e.detail]), [["diagnostics", "diagnostics", "complete: 6 check(s), 5 found something; follow-up sent (SNS message notification-1)"]]);

        assert.equal(followUps.sent.length, 1);
        const sent = followUps.sent[0];
        assert.equal(sent.caseId, asked.caseId);
        assert.equal(sent.kind, "diagnostics");
        assert.equal(sent.subject, "[Vigil] Diagnostics: KubePodCrashLooping (payments-prod)");
        assert.deepEqual(sent.attributes, { vigil_event: "diagnostics", source: "prometheus", impact: "uncertain", severity: "warning", cluster: "payments-prod" });
        assert.match(sent.body, /CART_REDIS_PASSWORD is empty/);
        assert.equal(opsItems.updates.length, 0, "a question has no OpsItem");

        // The stream may deliver the same image again: nothing runs, nothing is sent twice.
        assert.equal(await job.run(asked.caseId), "nothing");
        assert.equal(followUps.sent.length, 1);
        assert.equal((await load(h, CRASH)).version, done.version);
        assert.equal(await job.run("no-such-case"), "missing");
    });

    it("an incident: the follow-up names the OpsItem, and the OpsItem gets the findings in its description and the report in its data", async () => {
        const { h, job, followUps, opsItems } = await rig("apiserver-burn");
        await h.engine.ingest(message("amp/04-apiserver-burn-known.sns.json"));
        const opened = await load(h, BURN);
        assert.equal(opened.state, "INCIDENT_OPEN");
        assert.deepEqual(opened.diagnosticsRequest, { episode: 1, reason: "incident", requestedAt: START, attempts: 0 });
        assert.equal(await job.run(opened.caseId), "done");
        const done = await load(h, BURN);
        assert.deepEqual(triageState(done), triageState(opened));
        assert.deepEqual(done.diagnostics?.delivery, { notificationMessageId: "notification-1", opsItemId: opened.opsItemId, problems: [] });
        assert.equal(opsItems.updates.length, 1);
        const update = opsItems.updates[0];
        assert.equal(update.opsItemId, opened.opsItemId);
        assert.ok(update.description.length <= 2048);
        assert.match(update.description, /\*\*Diagnostics\*\* \(.*; 9 check\(s\): \d+ found something/);
        assert.match(update.data, /Findings \(9 check\(s\)/);
        assert.match(followUps.sent[0].body, new RegExp(`when Vigil opened an incident \\(OpsCenter OpsItem ${opened.opsItemId}\\)`));
        assert.match(done.history[done.history.length - 1].detail ?? "", new RegExp(`; OpsItem ${opened.opsItemId} updated$`));
    });

    it("a delivery that fails is recorded on the report and the case, not retried; the report is still kept", async () => {
        const { h, job, followUps, opsItems } = await rig("apiserver-burn");
        await h.engine.ingest(message("amp/04-apiserver-burn-known.sns.json"));
        followUps.failNext = 1;
        opsItems.failNext = 1;
        const opened = await load(h, BURN);
        assert.equal(await job.run(opened.caseId), "done");
        const done = await load(h, BURN);
        assert.deepEqual(done.diagnostics?.delivery, {
            problems: [
                "follow-up not sent: SNS Publish failed (simulated)",
                `OpsItem ${opened.opsItemId} not updated: AccessDeniedException: User is not authorized to perform: ssm:UpdateOpsItem (simulated)`,
            ],
        });
        assert.equal(done.diagnosticsWork, undefined);
        assert.equal(done.diagnostics?.outcome, "complete");
        assert.equal(await job.run(opened.caseId), "nothing");
        assert.equal(followUps.sent.length, 0);
    });

    it("no notifications topic: the report is kept and the case says why no follow-up went out", async () => {
        const { h, job } = await rig("crashloop", { notifier: false });
        await h.engine.ingest(message("amp/01-crashloop-firing.sns.json"));
        await job.run(caseIdFor(CRASH));
        assert.deepEqual((await load(h, CRASH)).diagnostics?.delivery, { problems: ["follow-up not sent: no notifications topic is configured"] });
    });

    it("the case changing during the run (the customer answers 'no impact'): the report is written over the new version, no stale follow-up, the answer kept", async () => {
        let changed = false;
        const r = await rig("crashloop", {
            describeHook: async (h) => {
                if (!changed) {
                    changed = true;
                    h.clock.advance(30);
                    const { noImpact } = replyTokens(h.notifier.sent[0].body);
                    assert.equal((await h.engine.answerReply(noImpact, WHO)).status, "ok");
                }
            },
        });
        await r.h.engine.ingest(message("amp/01-crashloop-firing.sns.json"));
        const asked = await load(r.h, CRASH);
        assert.equal(await r.job.run(asked.caseId), "done");
        assert.ok(changed, "the customer answered during the run");
        const done = await load(r.h, CRASH);
        assert.equal(done.state, "RESOLVED", "the customer's answer is kept");
        assert.ok(done.history.some((e) => e.event === "customer-no-impact"));
        assert.ok(done.diagnostics, "the report was written despite the concurrent change");
        assert.equal(r.followUps.sent.length, 0, "no follow-up for a question that is answered");
        assert.deepEqual(done.diagnostics.delivery?.problems, ["follow-up not sent: the case is RESOLVED now, not AWAITING_CUSTOMER"]);
        assert.equal(done.diagnosticsWork, undefined);
        assert.equal(done.claims[DIAGNOSTICS_RUN_CLAIM], undefined);
    });

    it("a superseded episode: its report is kept but not sent; the newer request stays pending and runs next", async () => {
        let refired = false;
        const r = await rig("crashloop", {
            describeHook: async (h) => {
                if (!refired) {
                    refired = true;
                    // The customer says no impact, the alert resolves, and fires again after the flap cooldown.
                    const { noImpact } = replyTokens(h.notifier.sent[0].body);
                    await h.engine.answerReply(noImpact, WHO);
                    await h.engine.ingest(crash("resolved", "resolved", "2024-05-01T11:55:00.000Z", "2024-05-01T12:00:30.000Z"));
                    h.clock.set("2024-05-01T12:45:00.000Z");
                    await h.engine.ingest(crash("refired", "firing", "2024-05-01T12:44:00.000Z"));
                }
            },
        });
        await r.h.engine.ingest(message("amp/01-crashloop-firing.sns.json"));
        const caseId = caseIdFor(CRASH);
        assert.equal(await r.job.run(caseId), "done");
        const first = await load(r.h, CRASH);
        assert.equal(first.episode, 2, "the alert fired again");
        assert.equal(first.state, "AWAITING_CUSTOMER");
        assert.equal(r.h.notifier.sent.filter((n) => n.kind === "ask").length, 2, "the customer was asked again");
        assert.equal(first.diagnostics?.episode, 1);
        assert.deepEqual(first.diagnostics?.delivery?.problems, ["not sent: the case is at episode 2 now"]);
        assert.equal(r.followUps.sent.length, 0);
        assert.equal(first.diagnosticsWork, DIAGNOSTICS_PENDING, "the newer request still waits");
        assert.equal(first.diagnosticsRequest?.episode, 2);
        assert.match(first.history[first.history.length - 1].detail ?? "", /; a newer request is pending$/);

        assert.equal(await r.job.run(caseId), "done");
        const second = await load(r.h, CRASH);
        assert.equal(second.diagnostics?.episode, 2);
        assert.equal(second.diagnosticsWork, undefined);
        assert.equal(r.followUps.sent.length, 1, "one follow-up, for the current episode");
        assert.equal(await r.job.run(caseId), "nothing");
    });

    it("a run in progress elsewhere is left alone; a lease that ran out is taken over", async () => {
        const { h, job, followUps } = await rig("crashloop");
        await h.engine.ingest(message("amp/01-crashloop-firing.sns.json"));
        const asked = await load(h, CRASH);
        const leased = { ...asked, version: asked.version + 1, claims: { ...asked.claims, [DIAGNOSTICS_RUN_CLAIM]: { until: "2024-05-01T12:03:00.000Z", holder: "diagnostics:other" } } };
        assert.ok(await h.store.save(leased, asked.version));
        assert.equal(await job.run(asked.caseId), "running-elsewhere");
        assert.equal(followUps.sent.length, 0);
        h.clock.set("2024-05-01T12:03:01.000Z");
        assert.equal(await job.run(asked.caseId), "done");
        const done = await load(h, CRASH);
        assert.equal(done.claims[DIAGNOSTICS_RUN_CLAIM], undefined);
        assert.equal(followUps.sent.length, 1);
    });

    it("a request whose runs never finished is given up after the limit with a failed report that says so, and no follow-up", async () => {
        const { h, job, followUps } = await rig("crashloop");
        await h.engine.ingest(message("amp/01-crashloop-firing.sns.json"));
        const asked = await load(h, CRASH);
        const request = { ...asked.diagnosticsRequest!, attempts: MAX_DIAGNOSTICS_ATTEMPTS };
        assert.ok(await h.store.save({ ...asked, version: asked.version + 1, diagnosticsRequest: request }, asked.version));
        assert.equal(await job.run(asked.caseId), "given-up");
        const done = await load(h, CRASH);
        assert.equal(done.diagnostics?.outcome, "failed");
        assert.match(done.diagnostics?.checks[0].summary ?? "", /^the diagnostics did not finish in 3 attempt\(s\) \(the function stopped before writing its report; see the diagnostics function's log group and dead-letter queue\)$/);
        assert.deepEqual(done.diagnostics?.delivery, { problems: ["no follow-up: the diagnostics never finished"] });
        assert.equal(done.diagnosticsWork, undefined);
        assert.equal(followUps.sent.length, 0);
        assert.deepEqual(triageState(done), triageState(asked));
    });

    it("conflicting writes are retried; when they never stop the run throws (the stream record is retried)", async () => {
        const retried = await rig("crashloop", { store: (inner) => new ConflictingStore(inner, 3, 1) });
        await retried.h.engine.ingest(message("amp/01-crashloop-firing.sns.json"));
        assert.equal(await retried.job.run(caseIdFor(CRASH)), "done");
        assert.ok((await load(retried.h, CRASH)).diagnostics);

        const stuck = await rig("crashloop", { store: (inner) => new ConflictingStore(inner, 100, 0) });
        await stuck.h.engine.ingest(message("amp/01-crashloop-firing.sns.json"));
        await assert.rejects(stuck.job.run(caseIdFor(CRASH)), /case [A-Za-z0-9_-]+: gave up taking the diagnostics lease after 8 conflicting updates/);
        assert.equal(stuck.followUps.sent.length, 0);
    });

    it("a manual re-run makes a new request for the current episode and runs it", async () => {
        const { h, job, followUps } = await rig("crashloop");
        await h.engine.ingest(message("amp/01-crashloop-firing.sns.json"));
        const caseId = caseIdFor(CRASH);
        await job.run(caseId);
        h.clock.advance(600);
        assert.equal(await job.run(caseId, { rerun: true }), "done");
        const done = await load(h, CRASH);
        assert.equal(done.diagnostics?.requestedAt, "2024-05-01T12:10:00.000Z");
        assert.ok(done.history.some((e) => e.by === "operator" && e.event === "diagnostics-requested" && e.detail === "manual re-run"));
        assert.equal(followUps.sent.length, 2);
    });

    describe("stream records", () => {
        it("a record names its case only when its new image is a case with pending diagnostics", async () => {
            const h = await harness(dynamo.endpoint, { diagnostics: { requested: async () => undefined } });
            await h.engine.ingest(message("amp/01-crashloop-firing.sns.json"));
            const caseId = caseIdFor(CRASH);
            const item = await rawItem(h.client, h.tableName, `case#${caseId}`, "case");
            assert.equal(diagnosticsWorkCaseId(streamRecord("MODIFY", item).dynamodb), caseId);
            const { diagnosticsWork: _, ...without } = item;
            assert.equal(diagnosticsWorkCaseId(streamRecord("MODIFY", without).dynamodb), undefined);
            assert.equal(diagnosticsWorkCaseId(streamRecord("REMOVE", item).dynamodb), undefined);
            assert.equal(diagnosticsWorkCaseId(streamRecord("MODIFY", { ...item, sk: { S: "token#x" } }).dynamodb), undefined);
            assert.equal(diagnosticsWorkCaseId(streamRecord("MODIFY", { ...item, pk: { S: `heartbeat#${caseId}` } }).dynamodb), undefined);
        });
    });

    describe("diagnosticsHandler (the Lambda entry point)", () => {
        const ENV: Record<string, string> = {
            TABLE_NAME: "vigil-triage-cases",
            NOTIFICATION_TOPIC_ARN: "arn:aws:sns:eu-west-1:111122223333:vigil-notifications",
            DIAGNOSTICS_CLUSTERS: "payments-prod,platform-staging",
            AWS_REGION: "eu-west-1",
            POWERTOOLS_LOG_LEVEL: "SILENT",
        };
        const saved = new Map<string, string | undefined>();
        let handlerModule: typeof import("../../components/triage/handler/diagnostics/handler");

        before(async () => {
            for (const [k, v] of Object.entries(ENV)) {
                saved.set(k, process.env[k]);
                process.env[k] = v;
            }
            handlerModule = await import("../../components/triage/handler/diagnostics/handler");
        });

        after(() => {
            handlerModule.configureDiagnosticsPorts({});
            for (const [k, v] of saved) {
                if (v === undefined) {
                    delete process.env[k];
                } else {
                    process.env[k] = v;
                }
            }
        });

        async function wire(fixture: string, store?: (inner: CaseStore) => CaseStore) {
            const h = await harness(dynamo.endpoint, { diagnostics: { requested: async () => undefined } });
            const recorded = scenario(fixture);
            const followUps = new RecordingNotifier();
            const opsItems = new RecordingOpsItemUpdates();
            handlerModule.configureDiagnosticsPorts({
                store: store ? store(h.store) : h.store,
                notifier: followUps,
                opsItems,
                clusters: recorded.clusters,
                kubernetes: (c) => recorded.kubernetes(c),
                logs: recorded.logs,
                clock: h.clock,
                pollMs: 5,
            });
            return { h, followUps, opsItems, recorded };
        }

        const event = (...records: DynamoDBStreamEvent["Records"]): DynamoDBStreamEvent => ({ Records: records });

        it("runs each case with pending diagnostics once per batch, skips other images, and reports no failures", async () => {
            const { h, followUps, recorded } = await wire("crashloop");
            await h.engine.ingest(message("amp/01-crashloop-firing.sns.json"));
            const caseId = caseIdFor(CRASH);
            const item = await rawItem(h.client, h.tableName, `case#${caseId}`, "case");
            const { diagnosticsWork: _, ...plain } = item;
            const result = (await handlerModule.diagnosticsHandler(event(streamRecord("INSERT", item), streamRecord("MODIFY", item), streamRecord("MODIFY", plain)))) as DynamoDBBatchResponse;
            assert.deepEqual(result, { batchItemFailures: [] });
            assert.equal(followUps.sent.length, 1, "one run for the two images of the case");
            assert.deepEqual(recorded.clusters.described, ["payments-prod"]);
            const done = await load(h, CRASH);
            assert.equal(done.diagnosticsWork, undefined);
            assert.equal(done.state, "AWAITING_CUSTOMER");
            // The stale image delivered again (a retried batch) runs nothing.
            assert.deepEqual(await handlerModule.diagnosticsHandler(event(streamRecord("MODIFY", item))), { batchItemFailures: [] });
            assert.equal(followUps.sent.length, 1);
        });

        it("a store failure is a batch item failure (the stream retries that record), the other cases still run", async () => {
            let failing = "";
            const { h, followUps } = await wire("crashloop", (inner) => {
                const store = new ConflictingStore(inner, 0, 0);
                store.load = async (caseId: string) => {
                    if (caseId === failing) {
                        throw Object.assign(new Error("Throughput exceeds the current capacity of your table"), { name: "ProvisionedThroughputExceededException" });
                    }
                    return inner.load(caseId);
                };
                return store;
            });
            await h.engine.ingest(message("amp/01-crashloop-firing.sns.json"));
            await h.engine.ingest(message("amp/04-apiserver-burn-known.sns.json"));
            failing = caseIdFor(BURN);
            const crashRecord = streamRecord("MODIFY", await rawItem(h.client, h.tableName, `case#${caseIdFor(CRASH)}`, "case"));
            const burnRecord = streamRecord("MODIFY", await rawItem(h.client, h.tableName, `case#${failing}`, "case"));
            const result = (await handlerModule.diagnosticsHandler(event(crashRecord, burnRecord))) as DynamoDBBatchResponse;
            assert.deepEqual(result, { batchItemFailures: [{ itemIdentifier: burnRecord.dynamodb?.SequenceNumber }] });
            assert.equal(followUps.sent.length, 1);
            assert.equal(followUps.sent[0].caseId, caseIdFor(CRASH));
            assert.equal((await load(h, BURN)).diagnosticsWork, DIAGNOSTICS_PENDING, "still pending for the retry");
        });

        it("a direct invocation re-runs a case's diagnostics, or runs only what is pending; anything else is refused with what is expected", async () => {
            const { h, followUps } = await wire("crashloop");
            await h.engine.ingest(message("amp/01-crashloop-firing.sns.json"));
            const caseId = caseIdFor(CRASH);
            assert.deepEqual(await handlerModule.diagnosticsHandler({ caseId }), { caseId, result: "done" });
            assert.deepEqual(await handlerModule.diagnosticsHandler({ caseId, rerun: false }), { caseId, result: "nothing" });
            assert.deepEqual(await handlerModule.diagnosticsHandler({ caseId, rerun: true }), { caseId, result: "done" });
            assert.equal(followUps.sent.length, 2);
            for (const bad of [{ caseId: "../etc" }, { caseId, rerun: "yes" }, { Records: [{ eventSource: "aws:sqs" }] }, "text"]) {
                await assert.rejects(handlerModule.diagnosticsHandler(bad), /^Error: diagnosticsHandler: unrecognised event .*; expected the case table's stream records or \{"caseId":"<case id>","rerun":true\}$/);
            }
        });
    });
});

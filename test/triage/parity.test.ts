// Replay's in-memory store must behave like the DynamoDB store, or replay would tell operators
// something the Lambda does not do: the same inputs through both give the same cases.

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { TriageEngine } from "../../components/triage/handler/engine";
import { MemoryStore } from "../../components/triage/handler/memoryStore";
import { CaseRecord } from "../../components/triage/handler/model";
import { messagesFromJson } from "../../components/triage/handler/normalize";
import { ManualClock, RecordingIncidents, RecordingNotifier, RecordingTimers } from "../../components/triage/handler/recording";
import { inputFiles } from "../../tools/triage-replay";
import { dynaliteForSuite, FIXTURES, harness, IMPACT_TABLE, START } from "./support";

/** A case without what is random per run (token hashes); absent and undefined fields alike. */
function comparable(record: CaseRecord): unknown {
    return JSON.parse(JSON.stringify({ ...record, tokens: Object.values(record.tokens).map((t) => t.action).sort() }));
}

describe("triage: in-memory store (replay) matches DynamoDB", function () {
    this.timeout(30_000);
    const dynamo = dynaliteForSuite();

    it("gives the same cases for every fixture, duplicates, and a sweep after the deadlines", async () => {
        const h = await harness(dynamo.endpoint);
        const clock = new ManualClock(START);
        const store = new MemoryStore();
        const memory = new TriageEngine({ store, notifier: new RecordingNotifier(), operatorNotifier: new RecordingNotifier(), incidents: new RecordingIncidents(), timers: new RecordingTimers(), clock, impactTable: IMPACT_TABLE, settings: h.settings });
        const files = inputFiles([FIXTURES]);
        // Everything twice: the second pass is all duplicates.
        for (const file of [...files, ...files]) {
            for (const m of messagesFromJson(JSON.parse(fs.readFileSync(file, "utf8")), file)) {
                const [a, b] = [await h.engine.ingest(m), await memory.ingest(m)];
                assert.deepEqual(a, b, file);
                h.clock.advance(60);
                clock.advance(60);
            }
        }
        h.clock.advance(80 * 3600);
        clock.advance(80 * 3600);
        assert.deepEqual(await h.engine.sweep(), await memory.sweep());
        const byKey = (a: CaseRecord, b: CaseRecord) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
        const fromDynamo = (await h.store.allCases()).sort(byKey).map(comparable);
        const fromMemory = store.allCases().sort(byKey).map(comparable);
        assert.equal(fromDynamo.length, 16);
        assert.deepEqual(fromDynamo, fromMemory);
        assert.deepEqual(
            (await h.store.heartbeats()).map((x) => [x.cluster, x.at, x.status]),
            store.heartbeats().map((x) => [x.cluster, x.at, x.status]),
        );
        assert.deepEqual((await h.store.unparsed()).map((u) => u.messageId).sort(), store.unparsed().map((u) => u.messageId).sort());
    });
});

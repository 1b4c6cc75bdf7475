// Loaded by the storm worker only for its last phase: the engine's store call for duplicates
// (DynamoStore.observe, the one conditional UpdateItem a duplicate costs) timed on its own, without
// the handler around it. Handler time minus this is what the handler adds per duplicate (parsing,
// batch processing, logging). Kept out of the worker's module graph so the memory measured for the
// engine phases holds only the bundle.

import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoStore } from "../../components/triage/handler/dynamoStore";
import { caseIdFor } from "../../components/triage/handler/lifecycle";
import { fromSqsRecord, parseMessage } from "../../components/triage/handler/normalize";
import { addSeconds, iso } from "../../components/triage/handler/time";
import type { SqsRecord } from "./messages";

// One client for the process, as the function has (a client per call would pay its set-up each time).
const client = new DynamoDBClient({});

/** Observes every alert of `records` again; returns the milliseconds spent in observe() and how many were duplicates. */
export async function observeAgain(records: readonly SqsRecord[], tableName: string): Promise<{ ms: number; alerts: number; duplicates: number }> {
    const store = new DynamoStore(client, tableName);
    let ms = 0;
    let alerts = 0;
    let duplicates = 0;
    for (const record of records) {
        const parsed = parseMessage(fromSqsRecord(record));
        if (parsed.kind !== "alerts") {
            throw new Error(`storm message ${record.messageId} did not parse as alerts (${parsed.kind})`);
        }
        for (const alert of parsed.alerts) {
            const now = iso(new Date());
            const t0 = process.hrtime.bigint();
            const result = await store.observe({ caseId: caseIdFor(alert.key), alert, now, claimUntil: addSeconds(now, 300) });
            ms += Number(process.hrtime.bigint() - t0) / 1e6;
            alerts++;
            duplicates += result.duplicate ? 1 : 0;
        }
    }
    return { ms, alerts, duplicates };
}

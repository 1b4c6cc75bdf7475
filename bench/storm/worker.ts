// Child process of the storm benchmark: one warm intake function. It loads the triage bundle
// (path in VIGIL_BENCH_BUNDLE) with the function's environment, then, on the parent's commands,
// feeds storm phases to its `handler` in SQS batches, or runs the floor (bare conditional PutItems),
// and reports handler time and memory. It builds each batch just before invoking the handler, so
// its memory is the function's, not the storm's. Runs as plain JavaScript (compiled by esbuild):
// no TypeScript compiler in the measured process. Started without VIGIL_BENCH_BUNDLE it is the
// store probe's process instead (storeProbe.ts), so the probe's code never enters the function's.

import { DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { groupMessageBody, lambdaContext, singleMessageBody, SqsRecord, sqsRecord, stableId, subjectFor, truncatedByAmp } from "./messages";
import type { Memory, Phase, PhaseTiming, StormSpec, WorkerCommand, WorkerReply } from "./protocol";
import { peakRssKb } from "../lib/peakMemory";

type Handler = (event: { Records: SqsRecord[] }, context: ReturnType<typeof lambdaContext>) => Promise<{ batchItemFailures: unknown[] }>;

const spec = JSON.parse(process.env.VIGIL_BENCH_SPEC ?? "null") as StormSpec;
let heapPeak = 0;

function memory(): Memory {
    heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
    return { maxRssKb: peakRssKb(), heapPeakBytes: heapPeak };
}

function send(reply: WorkerReply): void {
    process.send?.(reply);
}

const started = process.hrtime.bigint();
const bundle = process.env.VIGIL_BENCH_BUNDLE ? (require(process.env.VIGIL_BENCH_BUNDLE) as { handler: Handler }) : undefined;
const initMs = Number(process.hrtime.bigint() - started) / 1e6;

let invocation = 0;

async function invoke(records: SqsRecord[], timing: { ms: number; invocations: number; batchItemFailures: number }): Promise<void> {
    const context = lambdaContext(spec.functionArn, stableId(`invocation:${invocation++}`), spec.memoryMb);
    if (!bundle) {
        throw new Error("this worker runs the store probe only (started without VIGIL_BENCH_BUNDLE)");
    }
    const t0 = process.hrtime.bigint();
    const result = await bundle.handler({ Records: records }, context);
    timing.ms += Number(process.hrtime.bigint() - t0) / 1e6;
    timing.invocations++;
    timing.batchItemFailures += result.batchItemFailures.length;
    memory();
}

/** The phase's SQS records, one handler batch at a time (built lazily: the storm is never in memory at once). */
function* batches(phase: Phase, now: number): Generator<SqsRecord[]> {
    if (phase.kind === "group" || phase.kind === "group-truncated") {
        const full = groupMessageBody(spec.groupTemplate, phase.alerts, spec.baseMs, spec.target);
        const { body, attributes } = phase.kind === "group" ? { body: full, attributes: {} } : truncatedByAmp(full);
        yield [sqsRecord(body, subjectFor(phase.alerts), `${phase.kind}:${phase.pass}`, spec.target, now, attributes)];
        return;
    }
    let batch: SqsRecord[] = [];
    const offset = phase.offset ?? 0;
    for (let i = 0; i < phase.messages; i++) {
        const body = singleMessageBody(spec.templates, offset + i, spec.baseMs, spec.target);
        batch.push(sqsRecord(body, subjectFor(1), `single:${phase.pass}:${offset + i}`, spec.target, now));
        if (batch.length === spec.batchSize || i === phase.messages - 1) {
            yield batch;
            batch = [];
        }
    }
}

function largestBody(records: readonly SqsRecord[]): number {
    return Math.max(0, ...records.map((r) => Buffer.byteLength((JSON.parse(r.body) as { Message: string }).Message)));
}

async function runPhase(phase: Phase): Promise<PhaseTiming> {
    const timing = { ms: 0, invocations: 0, batchItemFailures: 0 };
    let largest = 0;
    for (const records of batches(phase, Date.now())) {
        largest = Math.max(largest, largestBody(records));
        await invoke(records, timing);
    }
    return { ...timing, largestBodyBytes: largest, conditionFailures: 0 };
}

async function runStoreProbe(phase: Phase): Promise<PhaseTiming> {
    const probe = require(process.env.VIGIL_BENCH_STORE_PROBE as string) as typeof import("./storeProbe");
    let ms = 0;
    let duplicates = 0;
    let alerts = 0;
    for (const records of batches(phase, Date.now())) {
        const out = await probe.observeAgain(records, process.env.TABLE_NAME as string);
        ms += out.ms;
        duplicates += out.duplicates;
        alerts += out.alerts;
    }
    return { ms, invocations: alerts, batchItemFailures: 0, largestBodyBytes: 0, conditionFailures: duplicates };
}

let dynamo: DynamoDBClient | undefined;

/** `items` conditional PutItems one after another (as the engine writes), into `table`, keys from `offset`. */
async function runFloor(table: string, items: number, offset: number, prefix = "floor"): Promise<PhaseTiming> {
    dynamo ??= new DynamoDBClient({});
    let ms = 0;
    let conditionFailures = 0;
    for (let i = 0; i < items; i++) {
        const command = new PutItemCommand({
            TableName: table,
            Item: { pk: { S: `case#${prefix}-${offset + i}` }, sk: { S: "case" }, seen: { S: new Date().toISOString() } },
            ConditionExpression: "attribute_not_exists(#pk)",
            ExpressionAttributeNames: { "#pk": "pk" },
        });
        const t0 = process.hrtime.bigint();
        try {
            await dynamo.send(command);
        } catch (err) {
            if ((err as { name?: string }).name !== "ConditionalCheckFailedException") {
                throw err;
            }
            conditionFailures++;
        }
        ms += Number(process.hrtime.bigint() - t0) / 1e6;
    }
    memory();
    return { ms, invocations: 0, batchItemFailures: 0, largestBodyBytes: 0, conditionFailures };
}

process.on("message", (command: WorkerCommand) => {
    if (command.type === "exit") {
        process.exit(0);
    }
    const work = command.type === "engine" ? runPhase(command.phase) : command.type === "store" ? runStoreProbe(command.phase) : runFloor(command.table, command.items, command.offset, command.prefix);
    work.then(
        (timing) => send({ type: "done", timing, memory: memory() }),
        (err: Error) => send({ type: "error", message: err.stack ?? err.message }),
    );
});
process.on("disconnect", () => process.exit(0));

send({ type: "ready", initMs, memory: memory() });

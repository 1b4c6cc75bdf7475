// Benchmark 2, alert storms: the triage bundle that TriageService ships, loaded by a worker process
// with the intake function's environment, handles (a) one AMP group message with 1,000 alerts
// (AMP's active-alert limit) and (b) 10,000 single-alert messages in SQS batches of 10, each first
// new and then repeated (duplicates), against dynalite. The dynalite host counts DynamoDB requests
// at the HTTP level; SNS, OpsCenter and Scheduler calls go to a counting loopback endpoint. The
// floor is the same number of bare conditional PutItems from the same worker against the same
// server, new and then repeated. The group message is also fed as AMP would deliver it when it
// exceeds SNS's 256 KB limit: truncated.

import { ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { CreateTableCommand, DynamoDBClient, ScanCommand, type AttributeValue } from "@aws-sdk/client-dynamodb";
import { allRules, loadRuleFiles } from "../../components/metrics";
import { FUNCTION_SIZING, functionEnvironment, INTAKE_BATCH_SIZE, resolveTriageArgs } from "../../components/triage/args";
import { buildBundle } from "../../components/triage/bundle";
import { createTableInput } from "../../components/triage/handler/dynamoStore";
import { compileScript, REPO_NODE_MODULES } from "../lib/compile";
import { formatBytes, formatNumber, Result } from "../lib/results";
import { Scope, waitFor } from "../lib/scope";
import { FakeAws } from "./fakeAws";
import { AlertTemplate, SNS_MAX_MESSAGE_BYTES, StormTarget } from "./messages";
import type { HostCommand, HostReply, Memory, Phase, PhaseTiming, RequestCounts, StormSpec, WorkerCommand, WorkerReply } from "./protocol";

export interface StormOptions {
    readonly groupAlerts: number;
    readonly singleMessages: number;
    /** Rounds of warm-up for the store probe's process (WARM_UP.probeRounds unless given). */
    readonly probeWarmUpRounds?: number;
}

const REGION = "eu-west-1";
const ACCOUNT = "111122223333";
export const TARGET: StormTarget = {
    region: REGION,
    accountId: ACCOUNT,
    alertTopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:vigil-alerts`,
    queueArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:vigil-triage-intake`,
};
const FUNCTION_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:vigil-triage-intake`;
/** The goal's Lambda size. */
export const GOAL_MEMORY_MB = 256;
/** The rule the group storm repeats: one crash-looping container per pod of a namespace. */
export const GROUP_ALERTNAME = "KubePodCrashLooping";
/** The single-message storm is measured in this many chunks, floor and handler taking turns. */
export const STORM_CHUNKS = 10;
/** Unmeasured work each worker does first: floor puts, and single-alert messages with their own alerts. */
export const WARM_UP = { puts: 100, messages: 20, offset: 1_000_000, probeRounds: 100 } as const;
/** Assumed in-region round trip per AWS call, for the timeout estimate only. */
const ASSUMED_AWS_CALL_MS = 10;

/** Every alerting rule except the heartbeat, with its labels and annotations. */
export function alertTemplates(): AlertTemplate[] {
    return allRules(loadRuleFiles())
        .filter(({ rule }) => rule.alert && rule.alert !== "Watchdog")
        .map(({ rule }) => ({ alertname: rule.alert as string, labels: { ...(rule.labels ?? {}) }, annotations: { ...(rule.annotations ?? {}) } }));
}

/** A child process answering requests in order over IPC. */
class Peer<Req, Rep> {
    private readonly waiting: ((reply: Rep) => void)[] = [];
    private readonly early: Rep[] = [];

    constructor(
        readonly child: ChildProcess,
        private readonly name: string,
        private readonly logFile: string,
    ) {
        child.on("message", (reply: Rep) => {
            const next = this.waiting.shift();
            if (next) {
                next(reply);
            } else {
                this.early.push(reply);
            }
        });
    }

    /** The next reply (one the child sent unasked, such as "ready", first). */
    next(timeoutMs = 600_000): Promise<Rep> {
        const early = this.early.shift();
        if (early) {
            return Promise.resolve(early);
        }
        return new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`${this.name}: no answer within ${timeoutMs} ms\n${this.tail()}`)), timeoutMs);
            const onExit = () => reject(new Error(`${this.name} exited (code ${this.child.exitCode})\n${this.tail()}`));
            this.child.once("exit", onExit);
            this.waiting.push((reply) => {
                clearTimeout(timer);
                this.child.removeListener("exit", onExit);
                resolve(reply);
            });
        });
    }

    ask(request: Req, timeoutMs?: number): Promise<Rep> {
        const reply = this.next(timeoutMs);
        this.child.send(request as object);
        return reply;
    }

    tail(): string {
        return fs.existsSync(this.logFile) ? fs.readFileSync(this.logFile, "utf8").slice(-3000) : "";
    }
}

function sumCounts(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): Record<string, number> {
    const out: Record<string, number> = { ...a };
    for (const [k, n] of Object.entries(b)) {
        out[k] = (out[k] ?? 0) + n;
    }
    return out;
}

/** Two measurements of the same track as one. */
export function add(a: Measured | undefined, b: Measured): Measured {
    if (!a) {
        return b;
    }
    return {
        timing: {
            ms: a.timing.ms + b.timing.ms,
            invocations: a.timing.invocations + b.timing.invocations,
            batchItemFailures: a.timing.batchItemFailures + b.timing.batchItemFailures,
            largestBodyBytes: Math.max(a.timing.largestBodyBytes, b.timing.largestBodyBytes),
            conditionFailures: a.timing.conditionFailures + b.timing.conditionFailures,
        },
        dynamo: { requests: sumCounts(a.dynamo.requests, b.dynamo.requests), bytes: sumCounts(a.dynamo.bytes, b.dynamo.bytes), errors: sumCounts(a.dynamo.errors, b.dynamo.errors) },
        other: sumCounts(a.other, b.other),
        logBytes: a.logBytes + b.logBytes,
    };
}

const seconds = (m: Measured) => `${(m.timing.ms / 1000).toFixed(2)} s`;

/** Mean request body per operation: "UpdateItem 2,345 B". */
function meanBytes(counts: RequestCounts): string {
    return Object.keys(counts.requests)
        .filter((op) => counts.requests[op] > 0)
        .map((op) => `${op} ${formatNumber((counts.bytes[op] ?? 0) / counts.requests[op])} B`)
        .join(", ");
}

function total(counts: Readonly<Record<string, number>>): number {
    return Object.values(counts).reduce((a, b) => a + b, 0);
}

function describeCounts(counts: Readonly<Record<string, number>>): string {
    const entries = Object.entries(counts).filter(([, n]) => n > 0);
    return entries.length === 0 ? "none" : entries.map(([k, n]) => `${k} ${formatNumber(n)}`).join(", ");
}

export interface Measured {
    readonly timing: PhaseTiming;
    readonly dynamo: RequestCounts;
    readonly other: Record<string, number>;
    readonly logBytes: number;
}

export async function runStorm(options: StormOptions, scope: Scope, log: (line: string) => void): Promise<Result[]> {
    const dir = scope.tempDir("storm");
    const bundleDir = path.join(dir, "bundle");
    buildBundle(bundleDir);
    const hostScript = compileScript(path.join(__dirname, "dynaliteHost.ts"), path.join(dir, "dynaliteHost.js"));
    const workerScript = compileScript(path.join(__dirname, "worker.ts"), path.join(dir, "worker.js"));
    const storeProbeScript = compileScript(path.join(__dirname, "storeProbe.ts"), path.join(dir, "storeProbe.js"));
    const baseEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, NODE_PATH: REPO_NODE_MODULES, NODE_NO_WARNINGS: "1" };

    const hostLog = path.join(dir, "dynalite.log");
    const host = new Peer<HostCommand, HostReply>(scope.spawn("dynalite", process.execPath, [hostScript, "0"], { env: baseEnv, logFile: hostLog, stdio: ["ignore", "pipe", "pipe", "ipc"] }), "dynalite host", hostLog);
    const listening = await host.next(30_000);
    if (listening.type !== "listening") {
        throw new Error(`dynalite host: expected "listening", got ${JSON.stringify(listening)}`);
    }
    const dynamoUrl = `http://127.0.0.1:${listening.port}`;
    const counts = async (): Promise<RequestCounts> => {
        const reply = await host.ask({ type: "counts", reset: true });
        if (reply.type !== "counts") {
            throw new Error(`dynalite host: expected counts, got ${JSON.stringify(reply)}`);
        }
        return reply.counts;
    };

    const aws = new FakeAws();
    const awsUrl = await aws.start();
    scope.defer(() => aws.close());
    const credentials = { AWS_ACCESS_KEY_ID: "AKIABENCHEXAMPLE0001", AWS_SECRET_ACCESS_KEY: "bench-secret-key-not-a-real-one-0000000", AWS_REGION: REGION };
    const client = new DynamoDBClient({ endpoint: dynamoUrl, region: REGION, credentials: { accessKeyId: credentials.AWS_ACCESS_KEY_ID, secretAccessKey: credentials.AWS_SECRET_ACCESS_KEY } });
    scope.defer(async () => client.destroy());

    const countCases = async (table: string): Promise<number> => {
        let n = 0;
        let start: Record<string, AttributeValue> | undefined;
        do {
            const out = await client.send(new ScanCommand({ TableName: table, Select: "COUNT", FilterExpression: "#sk = :case", ExpressionAttributeNames: { "#sk": "sk" }, ExpressionAttributeValues: { ":case": { S: "case" } }, ExclusiveStartKey: start }));
            n += out.Count ?? 0;
            start = out.LastEvaluatedKey;
        } while (start);
        return n;
    };

    const args = resolveTriageArgs({
        alertTopicArn: TARGET.alertTopicArn,
        heartbeatTopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:vigil-heartbeat`,
        notificationTopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:vigil-notifications`,
        pipelineTopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:vigil-pipeline`,
        keyArn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/00000000-0000-0000-0000-000000000001`,
        logKeyArn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/00000000-0000-0000-0000-000000000002`,
        alarmNamePrefix: "vigil-pipeline-",
    });
    const templates = alertTemplates();
    const groupTemplate = templates.find((t) => t.alertname === GROUP_ALERTNAME);
    if (!groupTemplate) {
        throw new Error(`the rules no longer define ${GROUP_ALERTNAME}, which the group storm repeats`);
    }
    const spec: StormSpec = { target: TARGET, templates, groupTemplate, batchSize: INTAKE_BATCH_SIZE, baseMs: Date.parse("2025-01-15T12:00:00.000Z"), functionArn: FUNCTION_ARN, memoryMb: FUNCTION_SIZING.intake.memoryMb };

    type Run = {
        /** A phase through the function's handler. */
        engine: (p: Phase) => Promise<Measured>;
        /** `items` bare conditional PutItems from the function's process, keys from `offset`. */
        floor: (items: number, offset: number) => Promise<Measured>;
        /** A phase's alerts through DynamoStore.observe alone, in the probe process. */
        store: (p: Phase) => Promise<Measured>;
    };

    const peaks: { name: string; initRssKb: number; memory: Memory; initMs: number }[] = [];

    /**
     * One warm intake function per scenario, with its own case table and floor table, and a second
     * process for the store probe (so the probe's code never counts in the function's memory).
     */
    const scenario = async (name: "group" | "single", run: (w: Run) => Promise<void>) => {
        const table = `vigil-triage-cases-${name}`;
        const floorTable = `bench-floor-${name}`;
        await client.send(new CreateTableCommand(createTableInput(table)));
        await client.send(new CreateTableCommand(createTableInput(floorTable)));
        const env: NodeJS.ProcessEnv = {
            ...baseEnv,
            ...credentials,
            ...(functionEnvironment("intake", args, {
                tableName: table,
                notificationTopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:vigil-notifications`,
                replyBaseUrl: "https://reply.example.com",
                timerFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:vigil-triage-timer`,
                schedulerRoleArn: `arn:aws:iam::${ACCOUNT}:role/vigil-triage-scheduler`,
                scheduleGroup: "vigil-triage-timers",
                timerDeadLetterArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:vigil-triage-timer-dlq`,
            }) as Record<string, string>),
            AWS_ENDPOINT_URL_DYNAMODB: dynamoUrl,
            AWS_ENDPOINT_URL_SNS: awsUrl,
            AWS_ENDPOINT_URL_SSM: awsUrl,
            AWS_ENDPOINT_URL_SCHEDULER: awsUrl,
            AWS_ENDPOINT_URL_EC2: awsUrl,
            AWS_LAMBDA_FUNCTION_NAME: "vigil-triage-intake",
            AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(FUNCTION_SIZING.intake.memoryMb),
            VIGIL_BENCH_SPEC: JSON.stringify(spec),
            VIGIL_BENCH_STORE_PROBE: storeProbeScript,
        };
        const start = async (role: string, extra: NodeJS.ProcessEnv) => {
            const logFile = path.join(dir, `${role}-${name}.log`);
            const child = scope.spawn(`${role}-${name}`, process.execPath, [workerScript], { env: { ...env, ...extra }, logFile, stdio: ["ignore", "pipe", "pipe", "ipc"] });
            const peer = new Peer<WorkerCommand, WorkerReply>(child, `storm ${role} (${name})`, logFile);
            const ready = await peer.next(60_000);
            if (ready.type !== "ready") {
                throw new Error(`storm ${role} (${name}): ${ready.type === "error" ? ready.message : JSON.stringify(ready)}`);
            }
            return { peer, child, logFile, ready };
        };
        const fn = await start("function", { VIGIL_BENCH_BUNDLE: path.join(bundleDir, "index.js") });
        const probe = await start("probe", {});
        let memory: Memory = fn.ready.memory;
        const measure = async (target: typeof fn, command: WorkerCommand): Promise<Measured> => {
            const before = fs.statSync(target.logFile).size;
            const reply = await target.peer.ask(command);
            if (reply.type !== "done") {
                throw new Error(`storm worker (${name}): ${reply.type === "error" ? reply.message : JSON.stringify(reply)}`);
            }
            if (target === fn) {
                memory = reply.memory;
            }
            return { timing: reply.timing, dynamo: await counts(), other: aws.take(), logBytes: fs.statSync(target.logFile).size - before };
        };
        // Warm every path (JIT, connections, the engine's first-event set-up) before measuring any.
        await measure(fn, { type: "floor", table: floorTable, items: WARM_UP.puts, offset: 0, prefix: "warm-up" });
        const warmUp: Phase = { kind: "single", messages: WARM_UP.messages, pass: 0, offset: WARM_UP.offset };
        await measure(fn, { type: "engine", phase: warmUp });
        // The probe process starts cold; the function's has run thousands of requests by the time
        // the duplicates come: warm the probe's code as far (V8 optimises hot paths gradually).
        for (let i = 0; i < (options.probeWarmUpRounds ?? WARM_UP.probeRounds); i++) {
            await measure(probe, { type: "store", phase: { ...warmUp, pass: 1 } });
        }
        await run({
            engine: (phase) => measure(fn, { type: "engine", phase }),
            floor: (items, offset) => measure(fn, { type: "floor", table: floorTable, items, offset }),
            store: (phase) => measure(probe, { type: "store", phase }),
        });
        for (const w of [fn, probe]) {
            w.child.send({ type: "exit" } satisfies WorkerCommand);
            await waitFor(`storm worker (${name}) to exit`, () => w.child.exitCode !== null, 10_000);
        }
        peaks.push({ name, initRssKb: fn.ready.memory.maxRssKb, memory, initMs: fn.ready.initMs });
    };

    const results: Result[] = [];
    const perSecond = (n: number, ms: number) => `${formatNumber(n / (ms / 1000))}/s`;
    const phaseResults = (label: string, alerts: number, fresh: Measured, repeat: Measured, probe: Measured, floorNew: Measured, floorDup: Measured, storedCases: number, extraNotes: readonly string[]) => {
        if (probe.timing.conditionFailures !== alerts) {
            throw new Error(`${label}: the store probe found ${probe.timing.conditionFailures} duplicates among ${alerts} repeated alerts`);
        }
        const sideCalls = total(fresh.other);
        const messages = fresh.timing.invocations;
        /** The handler's time for the phase against the floor's for as many conditional PutItems. */
        const againstFloor = (name: string, handler: Measured, floor: Measured, puts: string, notes: string[]): Result => ({
            benchmark: "storm",
            name: `${label}: ${name}`,
            value: `${seconds(handler)} (${perSecond(alerts, handler.timing.ms)})`,
            baseline: `${seconds(floor)} for ${formatNumber(alerts)} ${puts} conditional PutItems`,
            ratio: handler.timing.ms / floor.timing.ms,
            checked: handler.timing.ms / floor.timing.ms,
            goal: { op: "<=", limit: 1.5, text: "≤ 1.5× the floor" },
            notes,
        });
        const requestsPer = (what: string, handler: Measured, floor: Measured, limit: number): Result => {
            const perAlert = total(handler.dynamo.requests) / alerts;
            const floorPerAlert = total(floor.dynamo.requests) / alerts;
            return {
                benchmark: "storm",
                name: `${label}: DynamoDB requests per ${what}`,
                value: perAlert.toFixed(2),
                baseline: `${floorPerAlert.toFixed(2)} for the floor`,
                ratio: perAlert / floorPerAlert,
                checked: perAlert,
                goal: { op: "<=", limit, text: `≤ ${limit} per ${what}` },
            };
        };
        results.push(
            againstFloor(`${formatNumber(alerts)} new alerts through the handler`, fresh, floorNew, "bare", [
                `${formatNumber(messages)} handler invocation(s), ${fresh.timing.batchItemFailures} failed records, ${formatNumber(storedCases)} cases stored; largest message ${formatBytes(fresh.timing.largestBodyBytes)}`,
                `DynamoDB: ${describeCounts(fresh.dynamo.requests)} (errors: ${describeCounts(fresh.dynamo.errors)}; mean request body ${meanBytes(fresh.dynamo)}, the floor's ${meanBytes(floorNew.dynamo)}); other AWS calls: ${describeCounts(fresh.other)}; ${formatBytes(fresh.logBytes)} of logs`,
                `time per new alert ${(fresh.timing.ms / alerts).toFixed(2)} ms against ${(floorNew.timing.ms / alerts).toFixed(2)} ms per PutItem; ${(fresh.timing.ms / (total(fresh.dynamo.requests) + sideCalls)).toFixed(2)} ms per AWS call the engine made`,
                ...extraNotes,
            ]),
            requestsPer("new alert", fresh, floorNew, 2),
            againstFloor(`the same ${formatNumber(alerts)} alerts again (duplicates)`, repeat, floorDup, "rejected", [
                `DynamoDB: ${describeCounts(repeat.dynamo.requests)} (errors: ${describeCounts(repeat.dynamo.errors)}); other AWS calls: ${describeCounts(repeat.other)}; ${repeat.timing.batchItemFailures} failed records; ${formatBytes(repeat.logBytes)} of logs`,
                `the store's rejected UpdateItem alone (DynamoStore.observe, same alerts, no handler): ${seconds(probe)} (${(probe.timing.ms / floorDup.timing.ms).toFixed(2)}× the floor); the handler around it adds ${((repeat.timing.ms - probe.timing.ms) / alerts).toFixed(2)} ms per duplicate (parsing, batch processing, logging)`,
                `mean request body: ${meanBytes(repeat.dynamo)} against the floor's ${meanBytes(floorDup.dynamo)}`,
            ]),
            requestsPer("duplicate", repeat, floorDup, 1),
        );
    };

    await scenario("group", async (w) => {
        // One message cannot be split: the floor is measured half before and half after it, so
        // that drift on a shared machine falls on both alike.
        const n = options.groupAlerts;
        const half = Math.floor(n / 2);
        let floorNew = await w.floor(half, 0);
        const fresh = await w.engine({ kind: "group", alerts: n, pass: 0 });
        floorNew = add(floorNew, await w.floor(n - half, half));
        const stored = (await countCases("vigil-triage-cases-group")) - WARM_UP.messages;
        await counts();
        let floorDup = await w.floor(half, 0);
        const repeat = await w.engine({ kind: "group", alerts: n, pass: 1 });
        const probed = await w.store({ kind: "group", alerts: n, pass: 3 });
        floorDup = add(floorDup, await w.floor(n - half, half));
        log(`group: engine ${seconds(fresh)} new, ${seconds(repeat)} duplicates; floor ${seconds(floorNew)} new, ${seconds(floorDup)} rejected`);
        if (stored !== n) {
            throw new Error(`the engine stored ${stored} cases for a group of ${n} new alerts; the measurement would not be of triage`);
        }
        const truncated = await w.engine({ kind: "group-truncated", alerts: n, pass: 2 });
        const afterTruncated = (await countCases("vigil-triage-cases-group")) - WARM_UP.messages;
        await counts();
        const calls = total(fresh.dynamo.requests) + total(fresh.other);
        phaseResults(`one group message of ${formatNumber(n)}`, n, fresh, repeat, probed, floorNew, floorDup, stored, [
            `the message is ${formatBytes(fresh.timing.largestBodyBytes)}${fresh.timing.largestBodyBytes > SNS_MAX_MESSAGE_BYTES ? ", over SNS's 256 KB: AMP would deliver it truncated (see below)" : ""}; at an assumed ${ASSUMED_AWS_CALL_MS} ms per AWS call its ${formatNumber(calls)} calls would take about ${((calls * ASSUMED_AWS_CALL_MS) / 1000).toFixed(0)} s in one invocation (intake timeout ${FUNCTION_SIZING.intake.timeoutSeconds} s)`,
        ]);
        const fits = Math.floor(n * (SNS_MAX_MESSAGE_BYTES / fresh.timing.largestBodyBytes));
        results.push({
            benchmark: "storm",
            name: `the same group as AMP delivers it (truncated to 256 KB, attributes truncated/modified)`,
            value: `${(truncated.timing.ms / 1000).toFixed(3)} s, ${formatNumber(total(truncated.dynamo.requests))} DynamoDB request(s), ${formatNumber(afterTruncated - stored)} new cases`,
            baseline: `${formatNumber(n)} alerts in the message`,
            notes: [
                `DynamoDB: ${describeCounts(truncated.dynamo.requests)}; the engine keeps the message as unparsed (raw body kept, no alert triaged); about ${formatNumber(fits)} alerts of this rule fit in 256 KB`,
            ],
        });
    });

    await scenario("single", async (w) => {
        // Floor, handler and probe take turns chunk by chunk, so drift falls on all of them alike.
        const n = options.singleMessages;
        const chunk = Math.max(INTAKE_BATCH_SIZE, Math.ceil(n / STORM_CHUNKS / INTAKE_BATCH_SIZE) * INTAKE_BATCH_SIZE);
        const chunks = Array.from({ length: Math.ceil(n / chunk) }, (_, i) => ({ offset: i * chunk, size: Math.min(chunk, n - i * chunk) }));
        let floorNew: Measured | undefined;
        let fresh: Measured | undefined;
        for (const c of chunks) {
            floorNew = add(floorNew, await w.floor(c.size, c.offset));
            fresh = add(fresh, await w.engine({ kind: "single", messages: c.size, pass: 0, offset: c.offset }));
        }
        const stored = (await countCases("vigil-triage-cases-single")) - WARM_UP.messages;
        await counts();
        let floorDup: Measured | undefined;
        let repeat: Measured | undefined;
        let probed: Measured | undefined;
        for (const c of chunks) {
            floorDup = add(floorDup, await w.floor(c.size, c.offset));
            repeat = add(repeat, await w.engine({ kind: "single", messages: c.size, pass: 1, offset: c.offset }));
            probed = add(probed, await w.store({ kind: "single", messages: c.size, pass: 3, offset: c.offset }));
        }
        if (!floorNew || !fresh || !floorDup || !repeat || !probed) {
            throw new Error("the single-message storm has no messages");
        }
        log(`single: engine ${seconds(fresh)} new, ${seconds(repeat)} duplicates; floor ${seconds(floorNew)} new, ${seconds(floorDup)} rejected (${chunks.length} chunks of ${chunk} in turn)`);
        if (stored !== n) {
            throw new Error(`the engine stored ${stored} cases for ${n} new single-alert messages; the measurement would not be of triage`);
        }
        const mix = new Map<string, number>();
        for (let i = 0; i < n; i++) {
            const impact = templates[i % templates.length].labels.impact ?? "?";
            mix.set(impact, (mix.get(impact) ?? 0) + 1);
        }
        phaseResults(`${formatNumber(n)} single-alert messages`, n, fresh, repeat, probed, floorNew, floorDup, stored, [
            `the ${templates.length} alerting rules in turn (impact ${[...mix.entries()].map(([k, v]) => `${k} ${formatNumber(v)}`).join(", ")}), in batches of ${INTAKE_BATCH_SIZE}; floor and handler took turns in ${chunks.length} chunks of ${formatNumber(chunk)}`,
        ]);
    });

    const worst = peaks.reduce((a, b) => (b.memory.maxRssKb > a.memory.maxRssKb ? b : a));
    results.push({
        benchmark: "storm",
        name: "peak memory of the intake function (resident set, whole process)",
        value: `${(worst.memory.maxRssKb / 1024).toFixed(0)} MiB (${worst.name} storm)`,
        baseline: `${(worst.initRssKb / 1024).toFixed(0)} MiB after loading the bundle`,
        ratio: worst.memory.maxRssKb / worst.initRssKb,
        checked: worst.memory.maxRssKb / 1024,
        goal: { op: "<=", limit: GOAL_MEMORY_MB, text: `fits a ${GOAL_MEMORY_MB} MB Lambda` },
        notes: peaks.map((p) => `${p.name}: peak RSS ${(p.memory.maxRssKb / 1024).toFixed(0)} MiB, peak V8 heap ${(p.memory.heapPeakBytes / 1024 / 1024).toFixed(0)} MiB, bundle loaded in ${p.initMs.toFixed(0)} ms (the function is configured with ${FUNCTION_SIZING.intake.memoryMb} MB)`),
    });
    return results;
}

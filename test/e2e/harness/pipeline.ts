// The whole alert pipeline on loopback, from exporter to triage:
//
//   node-exporter ──scrape──▶ collector (Prometheus agent, the cluster component's prometheus.yml)
//        ──remote write, SigV4 "aps", keep rule──▶ receiver (records series) ──▶ ruler (Prometheus
//        evaluating rules/ copies, the workspace's stand-in) ──▶ Alertmanager (the account
//        component's AMP definition) ──SNS Publish, SigV4 "sns"──▶ local AWS endpoint
//        ──SNS envelope in an SQS record──▶ intake function (`handler`) ──▶ DynamoDB (dynalite),
//        SNS notifications, OpsCenter, Scheduler (local AWS endpoint)
//   reply links ──HTTP API stand-in──▶ reply function (`replyHandler`) ──▶ DynamoDB only
//   case table stream (stand-in, filtered mapping) ─▶ timer function (`timerHandler`) ─▶ the work
//        a reply left; sweep (EventBridge rule stand-in) ─▶ timer function, the backstop
//
// The three functions run the bundle TriageService ships (components/triage/bundle.ts), each in
// its own process with the environment the component gives it (functionEnvironment); the AWS SDK,
// which the bundle leaves to the Lambda runtime, comes from the repository's node_modules.
//
// `Pipeline.start` starts it all on free ports under one temporary directory (logs in `logs/`);
// `stop` stops every process and server and removes the directory unless told to keep it.

import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { build } from "esbuild";
import {
    ENTRY_POINTS,
    FOLLOW_UP_BATCH_SIZE,
    FOLLOW_UP_RETRIES,
    FUNCTION_SIZING,
    functionEnvironment,
    FunctionRole,
    INTAKE_BATCH_SIZE,
    INTAKE_BATCHING_WINDOW_SECONDS,
    MAX_RECEIVE_COUNT,
    resolveTriageArgs,
} from "../../../components/triage/args";
import { buildBundle } from "../../../components/triage/bundle";
import { REPLY_ROUTES, SWEEP_PAYLOAD } from "../../../components/triage/service";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { keepList } from "../../../components/metrics";
import { freePort, listenOnLoopback } from "../../../tools/loopback";
import { createTableInput, DynamoStore, REPLY_WORK_FILTER, TABLE_DEFINITION } from "../../../components/triage/handler/dynamoStore";
import {
    ACCOUNT_ID,
    AlertmanagerTimers,
    E2E_RULE_FILE,
    e2eRuleFile,
    FOR_OVERRIDES,
    localAlertmanagerFiles,
    localCollectorConfig,
    OverriddenRule,
    REGION,
    renderedCollectorConfig,
    rulerConfig,
    TOPICS,
    writeRuleFiles,
} from "./config";
import { IntakeQueue, InvokeResult } from "./delivery";
import { INVOKE_PATH, READY_LINE } from "./lambdaHost";
import { LocalAws } from "./localAws";
import { descendants, ManagedProcess, Processes } from "./processes";
import { RemoteWriteReceiver } from "./remoteWrite";
import { TableStream } from "./tableStream";

// dynalite has no type declarations.
const dynalite = require("dynalite") as (options: Record<string, unknown>) => http.Server;

const REPO_ROOT = path.join(__dirname, "..", "..", "..");
const HOST_ENTRY = path.join(__dirname, "lambdaHost.ts");

export const TABLE_NAME = "vigil-triage-cases";
export const QUEUE_ARN = `arn:aws:sqs:${REGION}:${ACCOUNT_ID}:vigil-triage-intake`;
export const FUNCTIONS: Readonly<Record<FunctionRole, string>> = {
    intake: `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:vigil-triage-intake`,
    reply: `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:vigil-triage-reply`,
    timer: `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:vigil-triage-timer`,
};
export const SCHEDULER_ROLE_ARN = `arn:aws:iam::${ACCOUNT_ID}:role/vigil-triage-scheduler`;
export const SCHEDULE_GROUP = "vigil-triage-timers";
export const TIMER_DEAD_LETTER_ARN = `arn:aws:sqs:${REGION}:${ACCOUNT_ID}:vigil-triage-timer-dlq`;
/**
 * How often the harness runs the sweep (the deployed rule runs every vigil:sweepInterval, 15
 * minutes by default, 1 minute at least). The test override that lets a confirmed reply's incident,
 * which the reply function leaves to the sweep once its 60 s claim lease ends, open within seconds
 * of that.
 */
export const SWEEP_PERIOD_MS = 5_000;

/** TriageService's arguments with the defaults a stack gets (only the ARNs it needs are given). */
export const TRIAGE_ARGS = resolveTriageArgs({
    alertTopicArn: TOPICS.alerts,
    heartbeatTopicArn: TOPICS.heartbeat,
    notificationTopicArn: TOPICS.notifications,
    pipelineTopicArn: TOPICS.pipeline,
    keyArn: `arn:aws:kms:${REGION}:${ACCOUNT_ID}:key/0e2e0000-0000-4000-8000-000000000001`,
    logKeyArn: `arn:aws:kms:${REGION}:${ACCOUNT_ID}:key/0e2e0000-0000-4000-8000-000000000002`,
    alarmNamePrefix: "vigil-pipeline-",
});

export interface SweepRun {
    readonly at: string;
    readonly functionError?: string;
    readonly payload: unknown;
}

export interface PipelineOptions {
    /** Route timers of the alert manager (config.ts). Default "fast". */
    readonly timers?: AlertmanagerTimers;
    /** `for` windows of the rule copies. Default FOR_OVERRIDES. */
    readonly forOverrides?: Readonly<Record<string, string>>;
    /** Readiness limit per server. */
    readonly startTimeoutMs?: number;
}

/** Dummy static credentials, new for every run: one signer each, so requests show who sent them. */
function credentials(name: string): { accessKeyId: string; secretAccessKey: string } {
    return { accessKeyId: `AKIAE2E${name.toUpperCase()}${randomBytes(3).toString("hex").toUpperCase()}`, secretAccessKey: randomBytes(30).toString("base64") };
}

async function httpOk(url: string): Promise<boolean> {
    try {
        const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
        await response.arrayBuffer();
        return response.ok;
    } catch {
        return false;
    }
}

/** A minimal environment: nothing of the developer's (AWS profiles, proxies) leaks in. */
function baseEnv(home: string): NodeJS.ProcessEnv {
    return { PATH: process.env.PATH, HOME: home, TZ: "UTC", LANG: "C.UTF-8", AWS_EC2_METADATA_DISABLED: "true", AWS_CONFIG_FILE: path.join(home, "aws-config"), AWS_SHARED_CREDENTIALS_FILE: path.join(home, "aws-credentials") };
}

export class Pipeline {
    readonly processes: Processes;
    readonly aws: LocalAws;
    readonly remoteWrite: RemoteWriteReceiver;
    readonly queue: IntakeQueue;
    /** The keep-list the collector's configuration was rendered with. */
    readonly keep: readonly string[];
    /** The collector's prometheus.yml as ClusterMonitoring renders it. */
    readonly renderedCollectorConfig: string;
    readonly urls: { ruler: string; collector: string; alertmanager: string; nodeExporter: string; reply: string; intake: string; timer: string };
    /** Every sweep the harness ran, in order. */
    readonly sweeps: SweepRun[] = [];
    /** When the ruler started evaluating (epoch ms): no alert can fire before this plus its `for`. */
    rulerStartedAt = 0;
    readonly credentials: Record<"alertmanager" | "collector" | "lambda", { accessKeyId: string; secretAccessKey: string }>;
    private dynaliteServer: http.Server | undefined;
    private dynamoClient: DynamoDBClient | undefined;
    private caseStore: DynamoStore | undefined;
    private localCollector = "";
    private alertmanagerYml = "";
    private overriddenRules: readonly OverriddenRule[] = [];
    private sweeper: NodeJS.Timeout | undefined;
    private stream: TableStream | undefined;
    private sweeping: Promise<void> = Promise.resolve();

    private constructor(
        readonly dir: string,
        readonly options: Required<PipelineOptions>,
    ) {
        this.processes = new Processes(path.join(dir, "logs"));
        this.keep = keepList();
        this.renderedCollectorConfig = renderedCollectorConfig(this.keep);
        this.urls = { ruler: "", collector: "", alertmanager: "", nodeExporter: "", reply: "", intake: "", timer: "" };
        this.credentials = { alertmanager: credentials("am"), collector: credentials("col"), lambda: credentials("fn") };
        this.aws = new LocalAws({
            region: REGION,
            accountId: ACCOUNT_ID,
            credentials: { [this.credentials.alertmanager.accessKeyId]: this.credentials.alertmanager.secretAccessKey, [this.credentials.lambda.accessKeyId]: this.credentials.lambda.secretAccessKey },
            topics: Object.values(TOPICS),
        });
        this.remoteWrite = new RemoteWriteReceiver({ region: REGION, credentials: { [this.credentials.collector.accessKeyId]: this.credentials.collector.secretAccessKey } });
        // The event source mapping's batch size, batching window and the queue's maxReceiveCount as
        // deployed; the visibility timeout (six function timeouts) shortened to a second.
        this.queue = new IntakeQueue((event) => this.invoke(this.urls.intake, event), {
            queueArn: QUEUE_ARN,
            region: REGION,
            maxReceiveCount: MAX_RECEIVE_COUNT,
            visibilityTimeoutMs: 1000,
            batchSize: INTAKE_BATCH_SIZE,
            batchingWindowMs: INTAKE_BATCHING_WINDOW_SECONDS * 1000,
        });
        // The intake queue subscribes to the alert topic and the heartbeat topic (C2).
        this.aws.onPublish = (message) => {
            if (message.topicArn === TOPICS.alerts || message.topicArn === TOPICS.heartbeat) {
                this.queue.send(message);
            }
        };
    }

    /** The triage table, read the way the Lambda reads it. */
    get store(): DynamoStore {
        if (!this.caseStore) {
            throw new Error("the pipeline has not started");
        }
        return this.caseStore;
    }

    /** The collector's prometheus.yml as the harness runs it (localCollectorConfig). */
    get localCollectorConfig(): string {
        return this.localCollector;
    }

    /** alertmanager.yml as the harness runs it (localAlertmanagerFiles). */
    get alertmanagerConfig(): string {
        return this.alertmanagerYml;
    }

    /** The case table's stream and the timer function's follow-up mapping. */
    get tableStream(): TableStream {
        if (!this.stream) {
            throw new Error("the pipeline has not started");
        }
        return this.stream;
    }

    /** The `for` windows the rule copies override. */
    get overridden(): readonly OverriddenRule[] {
        return this.overriddenRules;
    }

    /** Starts everything; on failure stops what started (keeping the directory) and rethrows. */
    static async start(options: PipelineOptions = {}): Promise<Pipeline> {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-e2e-"));
        const pipeline = new Pipeline(dir, {
            timers: options.timers ?? "fast",
            forOverrides: options.forOverrides ?? FOR_OVERRIDES,
            startTimeoutMs: options.startTimeoutMs ?? 30_000,
        });
        try {
            await pipeline.startAll();
            return pipeline;
        } catch (err) {
            await pipeline.stop({ keepFiles: true });
            (err as Error).message += `\n(files and logs kept in ${dir})`;
            throw err;
        }
    }

    private async startAll(): Promise<void> {
        const timeoutMs = this.options.startTimeoutMs;

        // Storage: dynalite in this process, the table from the store's own definition.
        this.dynaliteServer = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
        const dynamoEndpoint = await listenOnLoopback(this.dynaliteServer);
        this.dynamoClient = new DynamoDBClient({ region: REGION, endpoint: dynamoEndpoint, credentials: this.credentials.lambda });
        await this.dynamoClient.send(new CreateTableCommand(createTableInput(TABLE_NAME)));
        this.caseStore = new DynamoStore(this.dynamoClient, TABLE_NAME);

        const awsEndpoint = await this.aws.start();

        // The Lambda: the bundle TriageService ships, one process per function.
        const lambdaDir = path.join(this.dir, "lambda");
        buildBundle(lambdaDir);
        await build({ entryPoints: [HOST_ENTRY], bundle: true, platform: "node", target: "node20", format: "cjs", outfile: path.join(lambdaDir, "host.js"), logLevel: "silent" });
        const startFunction = async (role: FunctionRole, mode: "invoke" | "http-api", env: Record<string, string>): Promise<string> => {
            const arn = FUNCTIONS[role];
            const host = await this.processes.start({
                name: `lambda-${role}`,
                command: process.execPath,
                args: [
                    path.join(lambdaDir, "host.js"),
                    ...["--bundle", path.join(lambdaDir, "index.js"), "--handler", ENTRY_POINTS[role], "--mode", mode, "--function-arn", arn],
                    ...["--timeout-ms", String(FUNCTION_SIZING[role].timeoutSeconds * 1000)],
                    ...(mode === "http-api" ? ["--routes", REPLY_ROUTES.join(",")] : []),
                ],
                env: {
                    ...baseEnv(this.dir),
                    // The runtime's variables and the SDK it provides (the bundle leaves @aws-sdk/* out).
                    NODE_PATH: path.join(REPO_ROOT, "node_modules"),
                    AWS_REGION: REGION,
                    AWS_DEFAULT_REGION: REGION,
                    AWS_ACCESS_KEY_ID: this.credentials.lambda.accessKeyId,
                    AWS_SECRET_ACCESS_KEY: this.credentials.lambda.secretAccessKey,
                    AWS_LAMBDA_FUNCTION_NAME: arn.split(":")[6],
                    AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
                    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(FUNCTION_SIZING[role].memoryMb),
                    // The stand-ins for DynamoDB and the other AWS services.
                    AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
                    AWS_ENDPOINT_URL_SNS: awsEndpoint,
                    AWS_ENDPOINT_URL_SSM: awsEndpoint,
                    AWS_ENDPOINT_URL_SCHEDULER: awsEndpoint,
                    // What TriageService sets (functionEnvironment), nothing else.
                    ...env,
                },
                stdin: true,
                ready: (output) => READY_LINE.test(output),
                timeoutMs,
            });
            return `http://127.0.0.1:${READY_LINE.exec(host.output)?.[1]}`;
        };
        const environment = (role: FunctionRole) => {
            const env = functionEnvironment(role, TRIAGE_ARGS, {
                tableName: TABLE_NAME,
                notificationTopicArn: TOPICS.notifications,
                replyBaseUrl: this.urls.reply,
                schedulerRoleArn: SCHEDULER_ROLE_ARN,
                scheduleGroup: SCHEDULE_GROUP,
                timerDeadLetterArn: TIMER_DEAD_LETTER_ARN,
                ...(role === "intake" ? { timerFunctionArn: FUNCTIONS.timer } : {}),
            });
            return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
        };
        // The reply function first: the others' REPLY_BASE_URL is its address (the API's endpoint).
        this.urls.reply = await startFunction("reply", "http-api", environment("reply"));
        this.urls.timer = await startFunction("timer", "invoke", environment("timer"));
        this.urls.intake = await startFunction("intake", "invoke", environment("intake"));
        // The table's stream and the follow-up mapping: pending reply work goes to the timer function.
        this.stream = new TableStream(this.dynamoClient, (event) => this.invoke(this.urls.timer, event), {
            tableName: TABLE_NAME,
            streamArn: `arn:aws:dynamodb:${REGION}:${ACCOUNT_ID}:table/${TABLE_NAME}/stream/${new Date().toISOString().slice(0, 23)}`,
            region: REGION,
            filter: REPLY_WORK_FILTER,
            batchSize: FOLLOW_UP_BATCH_SIZE,
            maximumRetryAttempts: FOLLOW_UP_RETRIES,
            keyAttributes: [TABLE_DEFINITION.hashKey, TABLE_DEFINITION.rangeKey],
            pollMs: 500,
        });
        await this.stream.start();
        // The sweep rule: the timer function with the sweep payload, one run at a time.
        this.sweeper = setInterval(() => {
            this.sweeping = this.sweeping.then(async () => {
                await this.sweep();
            });
        }, SWEEP_PERIOD_MS);

        // Alertmanager with the AMP definition, publishing to the local SNS endpoint.
        const amDir = path.join(this.dir, "alertmanager");
        fs.mkdirSync(amDir, { recursive: true });
        const am = localAlertmanagerFiles(`${awsEndpoint}/`, this.options.timers);
        this.alertmanagerYml = am.config;
        fs.writeFileSync(path.join(amDir, "alertmanager.yml"), am.config);
        for (const [name, text] of Object.entries(am.templates)) {
            fs.writeFileSync(path.join(amDir, name), text);
        }
        const amPort = await freePort();
        this.urls.alertmanager = `http://127.0.0.1:${amPort}`;
        await this.processes.start({
            name: "alertmanager",
            command: "prometheus-alertmanager",
            args: [
                `--config.file=${path.join(amDir, "alertmanager.yml")}`,
                `--storage.path=${path.join(amDir, "data")}`,
                `--web.listen-address=127.0.0.1:${amPort}`,
                `--web.external-url=${this.urls.alertmanager}/`,
                "--cluster.listen-address=",
                "--log.level=debug",
            ],
            // SigV4 for the SNS receivers: dummy static credentials through the default chain.
            env: { ...baseEnv(this.dir), AWS_ACCESS_KEY_ID: this.credentials.alertmanager.accessKeyId, AWS_SECRET_ACCESS_KEY: this.credentials.alertmanager.secretAccessKey },
            ready: () => httpOk(`${this.urls.alertmanager}/-/ready`),
            timeoutMs,
        });

        // The ruler: rule copies (with the `for` override) and the test-only rules, fed by remote write.
        const rulesDir = path.join(this.dir, "rules");
        const rules = writeRuleFiles(rulesDir, this.options.forOverrides);
        this.overriddenRules = rules.overridden;
        fs.writeFileSync(path.join(rulesDir, E2E_RULE_FILE), e2eRuleFile());
        const rulerPort = await freePort();
        this.urls.ruler = `http://127.0.0.1:${rulerPort}`;
        fs.writeFileSync(path.join(this.dir, "ruler.yml"), rulerConfig([...rules.files, path.join(rulesDir, E2E_RULE_FILE)], `127.0.0.1:${amPort}`));
        this.rulerStartedAt = Date.now();
        await this.processes.start({
            name: "ruler",
            command: "prometheus",
            args: [
                `--config.file=${path.join(this.dir, "ruler.yml")}`,
                `--storage.tsdb.path=${path.join(this.dir, "ruler-data")}`,
                `--web.listen-address=127.0.0.1:${rulerPort}`,
                `--web.external-url=${this.urls.ruler}/`,
                "--web.enable-remote-write-receiver",
            ],
            env: baseEnv(this.dir),
            ready: () => httpOk(`${this.urls.ruler}/-/ready`),
            timeoutMs,
        });
        this.remoteWrite.forwardTo = `${this.urls.ruler}/api/v1/write`;
        const remoteWriteUrl = await this.remoteWrite.start();

        // node-exporter, then the collector scraping it and itself.
        await this.startNodeExporter();
        const collectorPort = await freePort();
        this.urls.collector = `http://127.0.0.1:${collectorPort}`;
        this.localCollector = localCollectorConfig(this.renderedCollectorConfig, {
            nodeExporter: this.urls.nodeExporter.replace("http://", ""),
            prometheus: `127.0.0.1:${collectorPort}`,
            remoteWriteUrl,
        });
        fs.writeFileSync(path.join(this.dir, "collector.yml"), this.localCollector);
        await this.processes.start({
            name: "collector",
            command: "prometheus",
            args: [
                "--enable-feature=agent",
                `--config.file=${path.join(this.dir, "collector.yml")}`,
                `--storage.agent.path=${path.join(this.dir, "collector-data")}`,
                `--web.listen-address=127.0.0.1:${collectorPort}`,
                // On SIGTERM, do not spend the default minute flushing to the receiver.
                "--storage.remote.flush-deadline=1s",
            ],
            // SigV4 for remote write (service aps), as IRSA or Pod Identity credentials would sign it.
            env: { ...baseEnv(this.dir), AWS_ACCESS_KEY_ID: this.credentials.collector.accessKeyId, AWS_SECRET_ACCESS_KEY: this.credentials.collector.secretAccessKey },
            ready: () => httpOk(`${this.urls.collector}/-/ready`),
            timeoutMs,
        });
    }

    /** Starts node-exporter (again on its first port after a stop). */
    async startNodeExporter(): Promise<ManagedProcess> {
        if (!this.urls.nodeExporter) {
            this.urls.nodeExporter = `http://127.0.0.1:${await freePort()}`;
        }
        return this.processes.start({
            name: "node-exporter",
            command: "prometheus-node-exporter",
            args: [`--web.listen-address=${this.urls.nodeExporter.replace("http://", "")}`],
            env: baseEnv(this.dir),
            ready: () => httpOk(`${this.urls.nodeExporter}/metrics`),
            timeoutMs: this.options.startTimeoutMs,
        });
    }

    async stopNodeExporter(): Promise<void> {
        await this.processes.stop("node-exporter");
    }

    /** Invokes a function through its host's invoke API. */
    async invoke(url: string, event: unknown): Promise<InvokeResult> {
        const response = await fetch(`${url}${INVOKE_PATH}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(event) });
        const payload = await response.json();
        const functionError = response.headers.get("x-amz-function-error") ?? undefined;
        return { functionError, payload };
    }

    /** One run of the sweep rule's target; recorded in `sweeps`. */
    async sweep(): Promise<SweepRun> {
        let run: SweepRun;
        try {
            const result = await this.invoke(this.urls.timer, SWEEP_PAYLOAD);
            run = { at: new Date().toISOString(), ...result };
        } catch (err) {
            run = { at: new Date().toISOString(), functionError: "InvocationFailed", payload: (err as Error).message };
        }
        this.sweeps.push(run);
        return run;
    }

    /** What the pipeline did so far, for a failing test's message. */
    async describe(): Promise<string> {
        const lines = [`files and logs: ${this.dir} (kept when a scenario fails)`, "processes:"];
        for (const p of this.processes.started) {
            lines.push(`  ${p.name} pid ${p.pid} ${p.running ? "running" : "exited"} (log ${p.logFile})`);
        }
        lines.push(`remote write: ${this.remoteWrite.requests} requests, ${this.remoteWrite.metricNames().size} metric names, refused: ${JSON.stringify(this.remoteWrite.refused.slice(0, 3))}`);
        lines.push("published:");
        for (const m of this.aws.published) {
            let what = m.subject ?? "";
            try {
                const body = JSON.parse(m.message) as { alerts?: { status: string; labels: Record<string, string> }[] };
                what += ` [${(body.alerts ?? []).map((a) => `${a.labels.alertname}:${a.status}`).join(", ")}]`;
            } catch {
                // A notification's body is text; its subject says enough.
            }
            lines.push(`  ${m.at} ${m.topicArn.split(":").pop()} ${what}`);
        }
        lines.push(`refused AWS requests: ${JSON.stringify(this.aws.refused)}`);
        lines.push(`failed deliveries: ${JSON.stringify(this.queue.deliveries.filter((d) => d.failed))}`);
        lines.push(`sweeps: ${this.sweeps.length}, failed: ${JSON.stringify(this.sweeps.filter((r) => r.functionError).slice(0, 3))}`);
        lines.push(`stream deliveries: ${JSON.stringify(this.stream?.deliveries ?? [])}`);
        try {
            lines.push("cases:");
            for (const c of await this.store.allCases()) {
                lines.push(`  ${c.alertname ?? c.title} ${c.state} impact ${c.impact} source ${c.sourceStatus} (${c.caseId})`);
            }
        } catch (err) {
            lines.push(`  (store not readable: ${(err as Error).message})`);
        }
        return lines.join("\n");
    }

    /** Process ids the harness started that are still around, with everything they started. */
    livingProcesses(): number[] {
        const roots = this.processes.started.filter((p) => p.running).map((p) => p.pid);
        return [...roots, ...descendants(roots)];
    }

    /** Stops every process and server; removes the directory unless `keepFiles`. */
    async stop({ keepFiles }: { keepFiles: boolean }): Promise<void> {
        this.queue.close();
        clearInterval(this.sweeper);
        await this.sweeping;
        await this.stream?.stop();
        // The collector first (it writes to the receiver), the Lambda hosts last (in-flight work).
        for (const name of ["collector", "node-exporter", "ruler", "alertmanager", "lambda-intake", "lambda-reply", "lambda-timer"]) {
            await this.processes.stop(name);
        }
        await this.processes.stopAll();
        await this.remoteWrite.close().catch(() => undefined);
        await this.aws.close().catch(() => undefined);
        this.dynamoClient?.destroy();
        if (this.dynaliteServer?.listening) {
            this.dynaliteServer.closeAllConnections?.();
            await new Promise<void>((resolve) => this.dynaliteServer?.close(() => resolve()));
        }
        if (!keepFiles) {
            fs.rmSync(this.dir, { recursive: true, force: true });
        }
    }
}

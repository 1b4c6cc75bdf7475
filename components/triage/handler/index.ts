// Lambda entry points of the triage service (contract C7):
//   handler      — SQS batch; each record carries an SNS envelope (alert topic, heartbeat topic);
//                  partial batch failures.
//   replyHandler — Lambda function URL / HTTP API v2: GET /r/<token> shows a confirmation page and
//                  changes nothing (mail scanners follow links); POST applies the link's action.
//   timerHandler — EventBridge Scheduler: {"kind":"reply-timeout",...} for one case, {"kind":"sweep"};
//                  and the case table's stream (records with pending reply work): does the work a
//                  reply left (partial batch failures).
// Runtime code only (no Pulumi): bundled into one file with esbuild by the TriageService component.

import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { Logger } from "@aws-lambda-powertools/logger";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SchedulerClient } from "@aws-sdk/client-scheduler";
import { SNSClient } from "@aws-sdk/client-sns";
import { SSMClient } from "@aws-sdk/client-ssm";
import type {
    APIGatewayProxyEventV2,
    APIGatewayProxyStructuredResultV2,
    Context,
    DynamoDBBatchResponse,
    DynamoDBRecord,
    DynamoDBStreamEvent,
    LambdaFunctionURLEvent,
    SQSBatchResponse,
    SQSEvent,
    SQSRecord,
} from "aws-lambda";
import { OpsCenterIncidents, SchedulerTimers, SnsNotifier } from "./aws";
import { EntryPoint, readConfig } from "./config";
import { DynamoStore, replyWorkCaseId, StreamImage } from "./dynamoStore";
import { TriageEngine } from "./engine";
import { parseImpactTable } from "./impact";
import { impactTableText } from "./impactSource";
import { fromSqsRecord } from "./normalize";
import { Diagnostics, NodeDirectory, TimerPayload } from "./ports";
import { confirmPage, donePage, errorPage, invalidLinkPage, REPLY_PAGE_HEADERS, usedLinkPage } from "./render";
import { isObject } from "./text";

// Module scope: created once per execution environment. Endpoints follow AWS_ENDPOINT_URL and
// AWS_ENDPOINT_URL_<SERVICE> (the SDK reads them), so tests can point DynamoDB at dynalite.
const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? "vigil-triage" });
const dynamo = new DynamoDBClient({});
const sns = new SNSClient({});
const ssm = new SSMClient({});
const scheduler = new SchedulerClient({});
const processor = new BatchProcessor(EventType.SQS);
const streamProcessor = new BatchProcessor(EventType.DynamoDBStreams);

/** Optional ports and switches the deployed functions set at module initialisation (lambda.ts). */
export interface HandlerPorts {
    /**
     * Diagnostics for incidents and questions to the customer. Default: with DIAGNOSTICS=on, the
     * request is left to the case table's stream (the diagnostics function); otherwise none.
     */
    readonly diagnostics?: Diagnostics;
    /** EC2 node → cluster lookup. */
    readonly nodes?: NodeDirectory;
    /** The reply function leaves the work a reply claims to the sweep (see EngineDeps.deferReplyWork). */
    readonly deferReplyWork?: boolean;
}

let optionalPorts: HandlerPorts = {};

/** The deployed functions' diagnostics: the request is on the case; the stream delivers it. */
const STREAM_DIAGNOSTICS: Diagnostics = { requested: async () => undefined };
const engines = new Map<EntryPoint, TriageEngine>();

/**
 * Wires the optional ports (diagnostics for incidents and questions; EC2 node → cluster lookup)
 * and switches. Call at module initialisation, before the first event.
 */
export function configurePorts(ports: HandlerPorts): void {
    optionalPorts = ports;
    engines.clear();
}

/** Forgets engines built from earlier configuration (tests change the environment between cases). */
export function resetHandlerState(): void {
    engines.clear();
}

function engineFor(entry: EntryPoint, context?: Context): TriageEngine {
    let engine = engines.get(entry);
    if (!engine) {
        const config = readConfig(entry);
        const targetArn = config.timerFunctionArn ?? context?.invokedFunctionArn ?? "";
        engine = new TriageEngine({
            store: new DynamoStore(dynamo, config.tableName),
            notifier: new SnsNotifier(sns, config.notificationTopicArn),
            operatorNotifier: config.operatorTopicArn === undefined ? undefined : new SnsNotifier(sns, config.operatorTopicArn),
            incidents: new OpsCenterIncidents(ssm, config.opsItemSource),
            timers: new SchedulerTimers(scheduler, {
                targetArn,
                roleArn: config.schedulerRoleArn ?? "",
                groupName: config.scheduleGroup,
                deadLetterArn: config.timerDeadLetterArn,
            }),
            clock: { now: () => new Date() },
            impactTable: parseImpactTable(impactTableText()),
            settings: config.settings,
            log: logger,
            ...optionalPorts,
            diagnostics: optionalPorts.diagnostics ?? (config.diagnostics ? STREAM_DIAGNOSTICS : undefined),
        });
        engines.set(entry, engine);
    }
    return engine;
}

/** SQS batch of SNS notifications from the alert and heartbeat topics. */
export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
    logger.addContext(context);
    const engine = engineFor("handler", context);
    const recordHandler = async (record: SQSRecord): Promise<void> => {
        const message = fromSqsRecord(record);
        logger.appendKeys({ messageId: message.messageId });
        try {
            const report = await engine.ingest(message);
            logger.info("message processed", { outcome: report.outcome, alerts: report.alerts.map((a) => `${a.result}:${a.caseId}`), heartbeats: report.heartbeats });
        } catch (err) {
            // Thrown errors become batch item failures: SQS redelivers the record (then its DLQ).
            logger.error("message failed; it will be retried", err as Error);
            throw err;
        } finally {
            logger.removeKeys(["messageId"]);
        }
    };
    return processPartialResponse(event, recordHandler, processor, { context, processInParallel: false });
}

type HttpEvent = LambdaFunctionURLEvent | APIGatewayProxyEventV2;

const TOKEN_PATH = /^(?:\/[^/]+)*\/r\/([^/]+)\/?$/;

function respond(statusCode: number, body: string, extra: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 {
    return { statusCode, headers: { ...REPLY_PAGE_HEADERS, ...extra }, body };
}

/** Who answered, for the case history (never the token). */
function requester(event: HttpEvent): string {
    const http = event.requestContext.http;
    return `ip ${http.sourceIp}, user agent ${JSON.stringify((http.userAgent ?? "").slice(0, 200))}`;
}

/** Reply links: GET shows what the link does, POST does it (once). Tokens are never logged. */
export async function replyHandler(event: HttpEvent, context?: Context): Promise<APIGatewayProxyStructuredResultV2> {
    if (context) {
        logger.addContext(context);
    }
    const method = event.requestContext.http.method.toUpperCase();
    const match = TOKEN_PATH.exec(event.rawPath ?? "");
    if (!match) {
        return respond(404, invalidLinkPage());
    }
    if (method !== "GET" && method !== "HEAD" && method !== "POST") {
        return respond(405, invalidLinkPage(), { Allow: "GET, POST" });
    }
    const token = match[1];
    try {
        const engine = engineFor("replyHandler", context);
        if (method === "POST") {
            const answer = await engine.answerReply(token, requester(event));
            if (answer.status === "ok") {
                return respond(200, donePage(answer.record, answer.outcome));
            }
            logger.info("reply refused", { status: answer.status });
            return answer.status === "used" ? respond(410, usedLinkPage()) : respond(404, invalidLinkPage());
        }
        const view = await engine.viewReply(token);
        if (view.status === "ok") {
            return respond(200, method === "HEAD" ? "" : confirmPage(view.record, view.outcome));
        }
        return view.status === "used" ? respond(410, usedLinkPage()) : respond(404, invalidLinkPage());
    } catch (err) {
        logger.error("reply failed", { error: (err as Error).message, method });
        return respond(503, errorPage(), { "Retry-After": "60" });
    }
}

function timerPayload(event: unknown): TimerPayload {
    if (isObject(event)) {
        if (event.kind === "reply-timeout" && typeof event.caseId === "string" && typeof event.deadline === "string") {
            return { kind: "reply-timeout", caseId: event.caseId, deadline: event.deadline };
        }
        // A periodic EventBridge Scheduler schedule sends {"kind":"sweep"}; an EventBridge rule sends a Scheduled Event.
        if (event.kind === "sweep" || event["detail-type"] === "Scheduled Event") {
            return { kind: "sweep" };
        }
    }
    throw new Error(`timerHandler: unrecognised payload ${JSON.stringify(event).slice(0, 300)}; expected {"kind":"reply-timeout","caseId":"...","deadline":"..."} or {"kind":"sweep"}`);
}

/** True for a batch of DynamoDB stream records (the case table's stream mapping). */
function isStreamEvent(event: unknown): event is DynamoDBStreamEvent {
    return isObject(event) && Array.isArray(event.Records) && event.Records.length > 0 && event.Records.every((r) => isObject(r) && r.eventSource === "aws:dynamodb");
}

/**
 * Stream records of cases with pending reply work (the mapping's filter lets only those through):
 * the work each reply left is done now instead of at the next sweep. A record whose work fails to
 * be recorded (the store fails) is reported as a batch item failure and retried; a failed effect
 * is recorded on the case and retried by the sweep like any other.
 */
async function followUpReplies(event: DynamoDBStreamEvent, context?: Context): Promise<DynamoDBBatchResponse> {
    const engine = engineFor("timerHandler", context);
    const recordHandler = async (record: DynamoDBRecord): Promise<void> => {
        const caseId = replyWorkCaseId(record.dynamodb as StreamImage | undefined);
        if (caseId === undefined) {
            // Only a changed filter lets such a record through; there is nothing to do for it.
            logger.warn("stream record without pending reply work; skipped", { eventName: record.eventName, sequenceNumber: record.dynamodb?.SequenceNumber });
            return;
        }
        const result = await engine.followUpReplies(caseId);
        logger.info("reply follow-up", { caseId, result, sequenceNumber: record.dynamodb?.SequenceNumber });
    };
    return processPartialResponse(event, recordHandler, streamProcessor, { context, processInParallel: false });
}

/**
 * One-time reply timers, the periodic sweep, and the follow-up of replies from the table's stream.
 * Idempotent: a timer for a case that moved on does nothing; reply work already done is not redone.
 */
export async function timerHandler(event: unknown, context?: Context): Promise<{ kind: string; result: unknown } | DynamoDBBatchResponse> {
    if (context) {
        logger.addContext(context);
    }
    if (isStreamEvent(event)) {
        return followUpReplies(event, context);
    }
    const payload = timerPayload(event);
    const engine = engineFor("timerHandler", context);
    if (payload.kind === "reply-timeout") {
        const result = await engine.timeout(payload.caseId, "timer");
        logger.info("reply timer", { caseId: payload.caseId, deadline: payload.deadline, result });
        return { kind: payload.kind, result };
    }
    const result = await engine.sweep();
    return { kind: payload.kind, result };
}

// Lambda entry point of the diagnostics function (`diagnosticsHandler`):
//   - the case table's stream, filtered to cases with a pending diagnostics request
//     (DIAGNOSTICS_WORK_FILTER): each case's request is run; partial batch failures;
//   - a direct invocation `{"caseId": "<id>", "rerun": true}`: an operator re-runs the diagnostics
//     of a case's current episode (`rerun` false or absent: only a pending request is run).
// Clients are created on the first invocation, so the other functions that load the same bundle
// pay nothing for them. Runtime code only (no Pulumi).

import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { Logger } from "@aws-lambda-powertools/logger";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EKSClient } from "@aws-sdk/client-eks";
import { SNSClient } from "@aws-sdk/client-sns";
import { SSMClient } from "@aws-sdk/client-ssm";
import { defaultProvider } from "@aws-sdk/credential-provider-node";
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from "aws-lambda";
import { SnsNotifier } from "../aws";
import { DynamoStore } from "../dynamoStore";
import { DEFAULT_SETTINGS } from "../lifecycle";
import { CaseStore, Clock, Notifier } from "../ports";
import { isObject } from "../text";
import { DiagnosticsConfig, readDiagnosticsConfig } from "./config";
import { ClusterDirectory, ClusterInfo, EksClusterDirectory, httpsKubernetes } from "./eks";
import { CloudWatchLogsInsights, LogsInsights } from "./insights";
import { DiagnosticsJob, JobResult } from "./job";
import { KubernetesApi } from "./kubernetes";
import { OpsItemUpdates, SsmOpsItemUpdates } from "./opsItems";
import { parseQueryFiles } from "./queries";
import { queryTexts } from "./querySource";
import { diagnosticsWorkCaseId, DiagnosticsStreamImage } from "./request";

const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? "vigil-diagnostics" });
const processor = new BatchProcessor(EventType.DynamoDBStreams);

/** Ports that replace the AWS adapters (tests and local runs); anything left out is the AWS one. */
export interface DiagnosticsPorts {
    readonly store?: CaseStore;
    readonly notifier?: Notifier;
    readonly opsItems?: OpsItemUpdates;
    readonly clusters?: ClusterDirectory;
    readonly kubernetes?: (cluster: ClusterInfo) => KubernetesApi & { close?(): void };
    readonly logs?: LogsInsights;
    readonly clock?: Clock;
    /** Milliseconds between Logs Insights polls (default 1000). */
    readonly pollMs?: number;
}

let ports: DiagnosticsPorts = {};
let job: DiagnosticsJob | undefined;

/** Replaces AWS adapters; call before the first event. */
export function configureDiagnosticsPorts(replacements: DiagnosticsPorts): void {
    ports = replacements;
    job = undefined;
}

/** Per-request timeout of the Kubernetes API calls. */
const KUBERNETES_TIMEOUT_MS = 10_000;

function buildJob(config: DiagnosticsConfig): DiagnosticsJob {
    const credentials = defaultProvider();
    return new DiagnosticsJob({
        store: ports.store ?? new DynamoStore(new DynamoDBClient({}), config.tableName),
        notifier: ports.notifier ?? new SnsNotifier(new SNSClient({}), config.notificationTopicArn),
        opsItems: ports.opsItems ?? new SsmOpsItemUpdates(new SSMClient({})),
        runner: {
            clusters: ports.clusters ?? new EksClusterDirectory(new EKSClient({})),
            kubernetes: ports.kubernetes ?? ((cluster) => httpsKubernetes(cluster, config.region, credentials, KUBERNETES_TIMEOUT_MS)),
            logs: ports.logs ?? new CloudWatchLogsInsights(new CloudWatchLogsClient({})),
            // Checked at start-up: a broken query file fails the first invocation loudly.
            queries: parseQueryFiles(queryTexts()),
            allowedClusters: config.clusters,
            vigilNamespace: config.vigilNamespace,
            budgetMs: config.budgetSeconds * 1000,
            pollMs: ports.pollMs,
        },
        clock: ports.clock ?? { now: () => new Date() },
        settings: { ...DEFAULT_SETTINGS, retentionDays: config.retentionDays },
        leaseSeconds: config.leaseSeconds,
        log: logger,
    });
}

function jobFor(): DiagnosticsJob {
    job ??= buildJob(readDiagnosticsConfig());
    return job;
}

function isStreamEvent(event: unknown): event is DynamoDBStreamEvent {
    return isObject(event) && Array.isArray(event.Records) && event.Records.every((r) => isObject(r) && r.eventSource === "aws:dynamodb");
}

/** The case table's stream (pending requests), or a direct `{caseId, rerun}` invocation. */
export async function diagnosticsHandler(event: unknown, context?: Context): Promise<DynamoDBBatchResponse | { caseId: string; result: JobResult }> {
    if (context) {
        logger.addContext(context);
    }
    const runner = jobFor();
    if (isStreamEvent(event)) {
        // One run per case, however many of its images the batch holds.
        const runs = new Map<string, Promise<JobResult>>();
        const recordHandler = async (record: DynamoDBRecord): Promise<void> => {
            const caseId = diagnosticsWorkCaseId(record.dynamodb as DiagnosticsStreamImage | undefined);
            if (caseId === undefined) {
                logger.warn("stream record without pending diagnostics; skipped", { eventName: record.eventName, sequenceNumber: record.dynamodb?.SequenceNumber });
                return;
            }
            let run = runs.get(caseId);
            if (!run) {
                run = runner.run(caseId);
                runs.set(caseId, run);
            }
            const result = await run;
            logger.info("diagnostics", { caseId, result, sequenceNumber: record.dynamodb?.SequenceNumber });
        };
        return processPartialResponse(event, recordHandler, processor, { context, processInParallel: true });
    }
    if (isObject(event) && typeof event.caseId === "string" && /^[A-Za-z0-9_-]{1,64}$/.test(event.caseId) && (event.rerun === undefined || typeof event.rerun === "boolean")) {
        const result = await runner.run(event.caseId, { rerun: event.rerun === true });
        logger.info("diagnostics", { caseId: event.caseId, result, rerun: event.rerun === true });
        return { caseId: event.caseId, result };
    }
    throw new Error(`diagnosticsHandler: unrecognised event ${JSON.stringify(event).slice(0, 300)}; expected the case table's stream records or {"caseId":"<case id>","rerun":true}`);
}

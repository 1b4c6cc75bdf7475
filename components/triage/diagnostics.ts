// TriageService's diagnostics function, as pure functions of plain values: its arguments and
// their checks, sizing, environment, IAM policy and alarms. The component (service.ts) wires
// the resources from them.
//
// What the role may do, and nothing more (see README "Incident diagnostics"):
//   - read and write cases, and read the case table's stream (its event source mapping);
//   - eks:DescribeCluster on the monitored clusters only (endpoint, CA, logging);
//   - logs:StartQuery on those clusters' control-plane log groups only; GetQueryResults and
//     StopQuery take no resource (they act on a query id the role itself started);
//   - publish the follow-up to the notifications topic; update OpsItems Vigil created;
//   - send failed stream batches and invocations to its own dead-letter queue.
// No STS permission: the Kubernetes token is a presigned GetCallerIdentity request, which any
// identity may make. Inside the clusters the role reads only what the customer maps to it
// (CustomerAccess `diagnosticsRoleArn`: AmazonEKSViewPolicy, or a read-only ClusterRole).

import type { AccountIdentity, PolicyDocument, PolicyStatement } from "../account/policies";
import { runtimeEnvironment, TriageArgsError, wholeNumber, type AlarmSpec } from "./args";
import { DEFAULT_BUDGET_SECONDS, DEFAULT_VIGIL_NAMESPACE, DIAGNOSTICS_ENV_VARS, EKS_CLUSTER_NAME } from "./handler/diagnostics/config";
import { controlPlaneLogGroup, DNS_LABEL } from "./handler/diagnostics/queries";
import { inRegion, notificationTopicKey, readCaseStream, table, topicKey, tracing, writeLogs } from "./policies";

export interface TriageDiagnosticsArgs {
    /** The EKS clusters diagnostics may inspect: Vigil's monitored clusters, in this account and region. */
    readonly clusterNames: readonly string[];
    /** Time budget of one run (checks and queries), in seconds. Defaults to 60 (10 to 600). */
    readonly budgetSeconds?: number;
    /** Vigil's namespace in the clusters (pipeline checks). Defaults to `vigil-monitoring`. */
    readonly namespace?: string;
    /** Reserved concurrency of the diagnostics function. Defaults to 3. */
    readonly reservedConcurrency?: number;
}

export interface ResolvedDiagnosticsArgs {
    readonly clusterNames: readonly string[];
    readonly budgetSeconds: number;
    readonly namespace: string;
    readonly reservedConcurrency: number;
    /** The function's timeout: the budget and time to write the report and deliver it. */
    readonly timeoutSeconds: number;
    /** How long a run owns a case's diagnostics: above the timeout, so no run takes over a live one. */
    readonly leaseSeconds: number;
}

/** Memory of the diagnostics function (JSON of pods and events, a log tail, query rows). */
export const DIAGNOSTICS_MEMORY_MB = 512;
/** Seconds the function has beyond the budget to write the report, notify and update the OpsItem. */
export const DIAGNOSTICS_TIMEOUT_MARGIN_SECONDS = 30;
/** Stream records per invocation (cases are run concurrently within it). */
export const DIAGNOSTICS_BATCH_SIZE = 5;
/** Concurrent batches per stream shard (records of one case stay in order). */
export const DIAGNOSTICS_PARALLELIZATION = 2;
/** Retries of a failed batch (halved each time) before its records go to the dead-letter queue. */
export const DIAGNOSTICS_STREAM_RETRIES = 2;
/** Records older than this are not run any more (the engine's sweep brings back a run that died). */
export const DIAGNOSTICS_MAX_RECORD_AGE_SECONDS = 3600;

/** Applies the defaults and checks every diagnostics argument. */
export function resolveDiagnosticsArgs(args: TriageDiagnosticsArgs): ResolvedDiagnosticsArgs {
    const clusters = args.clusterNames;
    if (!Array.isArray(clusters) || clusters.length === 0 || clusters.some((c) => typeof c !== "string" || !EKS_CLUSTER_NAME.test(c))) {
        throw new TriageArgsError("diagnostics.clusterNames", clusters, "a non-empty list of EKS cluster names (1-100 of letters, digits, - and _, starting with a letter or digit)");
    }
    if (new Set(clusters).size !== clusters.length) {
        throw new TriageArgsError("diagnostics.clusterNames", clusters, "each cluster once");
    }
    const budgetSeconds = args.budgetSeconds ?? DEFAULT_BUDGET_SECONDS;
    if (!Number.isInteger(budgetSeconds) || budgetSeconds < 10 || budgetSeconds > 600) {
        throw new TriageArgsError("diagnostics.budgetSeconds", budgetSeconds, "a whole number of seconds from 10 to 600");
    }
    const namespace = args.namespace ?? DEFAULT_VIGIL_NAMESPACE;
    if (typeof namespace !== "string" || !DNS_LABEL.test(namespace)) {
        throw new TriageArgsError("diagnostics.namespace", namespace, "a namespace name (DNS-1123 label)");
    }
    const reservedConcurrency = wholeNumber("diagnostics.reservedConcurrency", args.reservedConcurrency ?? 3, 1, 1000);
    const timeoutSeconds = budgetSeconds + DIAGNOSTICS_TIMEOUT_MARGIN_SECONDS;
    return { clusterNames: [...clusters], budgetSeconds, namespace, reservedConcurrency, timeoutSeconds, leaseSeconds: timeoutSeconds + 60 };
}

/** The diagnostics function's environment (DIAGNOSTICS_ENV_VARS; AWS_REGION is Lambda's). */
export function diagnosticsEnvironment<T>(d: ResolvedDiagnosticsArgs, inputs: { readonly tableName: T; readonly notificationTopicArn: T }, retentionDays: number): Record<string, T | string> {
    return {
        ...runtimeEnvironment("vigil-triage-diagnostics"),
        TABLE_NAME: inputs.tableName,
        NOTIFICATION_TOPIC_ARN: inputs.notificationTopicArn,
        DIAGNOSTICS_CLUSTERS: d.clusterNames.join(","),
        DIAGNOSTICS_BUDGET_SECONDS: String(d.budgetSeconds),
        DIAGNOSTICS_LEASE_SECONDS: String(d.leaseSeconds),
        DIAGNOSTICS_NAMESPACE: d.namespace,
        RETENTION_DAYS: String(retentionDays),
    };
}

/** Variables the function reads that Lambda does not set (for the component's tests). */
export const DIAGNOSTICS_FUNCTION_ENV_VARS: readonly string[] = DIAGNOSTICS_ENV_VARS.map((v) => v.name).filter((n) => n !== "AWS_REGION");

export interface DiagnosticsPolicyArgs {
    readonly identity: AccountIdentity;
    readonly clusterNames: readonly string[];
    /** The function's own log group. */
    readonly logGroupArn: string;
    readonly tableArn: string;
    readonly tableStreamArn: string;
    /** The topics' and queues' CMK (AccountMonitoring.keyArn). */
    readonly keyArn: string;
    readonly notificationTopicArn: string;
    /** The CMK of an existing notifications topic that is not encrypted with `keyArn`, if any. */
    readonly notificationTopicKeyArn?: string;
    readonly deadLetterQueueArn: string;
}

/** The table actions a run uses: load (GetItem) and its conditional writes (PutItem). */
export const DIAGNOSTICS_TABLE_ACTIONS = ["dynamodb:GetItem", "dynamodb:PutItem"] as const;

/** ARNs of the clusters' control-plane log groups, as logs:StartQuery is authorized against them. */
export function controlPlaneLogGroupArns(id: AccountIdentity, clusterNames: readonly string[]): string[] {
    return clusterNames.flatMap((c) => {
        const arn = `arn:${id.partition}:logs:${id.region}:${id.accountId}:log-group:${controlPlaneLogGroup(c)}`;
        return [arn, `${arn}:*`];
    });
}

/** The diagnostics function's permissions. */
export function diagnosticsPolicy(a: DiagnosticsPolicyArgs): PolicyDocument {
    const id = a.identity;
    const statements: PolicyStatement[] = [
        writeLogs(a.logGroupArn),
        tracing(id),
        table(DIAGNOSTICS_TABLE_ACTIONS, a.tableArn),
        readCaseStream(a.tableStreamArn),
        {
            Sid: "DescribeMonitoredClusters",
            Effect: "Allow",
            Action: "eks:DescribeCluster",
            Resource: a.clusterNames.map((c) => `arn:${id.partition}:eks:${id.region}:${id.accountId}:cluster/${c}`),
        },
        { Sid: "QueryControlPlaneLogs", Effect: "Allow", Action: "logs:StartQuery", Resource: controlPlaneLogGroupArns(id, a.clusterNames) },
        // No resource types: they act on query ids, which only the starter knows.
        { Sid: "ReadOwnQueries", Effect: "Allow", Action: ["logs:GetQueryResults", "logs:StopQuery"], Resource: "*", Condition: inRegion(id) },
        topicKey(id, a.keyArn, ["sns", "sqs"]),
        { Sid: "PublishFollowUps", Effect: "Allow", Action: "sns:Publish", Resource: a.notificationTopicArn },
        ...(a.notificationTopicKeyArn ? [notificationTopicKey(id, a.notificationTopicKeyArn, a.notificationTopicArn)] : []),
        {
            Sid: "UpdateVigilIncidents",
            Effect: "Allow",
            Action: "ssm:UpdateOpsItem",
            Resource: `arn:${id.partition}:ssm:${id.region}:${id.accountId}:opsitem/*`,
            // Only OpsItems the engine created (it tags them managed-by: vigil).
            Condition: { StringEquals: { "aws:ResourceTag/managed-by": "vigil" } },
        },
        { Sid: "DeadLetterFailedRuns", Effect: "Allow", Action: "sqs:SendMessage", Resource: a.deadLetterQueueArn },
    ];
    return { Version: "2012-10-17", Statement: statements };
}

/**
 * How far (milliseconds) the diagnostics mapping may fall behind the case table's stream before
 * its alarm fires: twice the function's timeout (a batch in progress holds the records behind it
 * that long), at least 5 minutes, and well before records are given up at
 * DIAGNOSTICS_MAX_RECORD_AGE_SECONDS (the largest budget, 600 s, makes it 21 minutes).
 */
export function diagnosticsIteratorAgeAlarmMs(timeoutSeconds: number): number {
    return Math.max(300, 2 * timeoutSeconds) * 1000;
}

/**
 * The diagnostics function's alarms: errors, throttles, runs behind the table's stream
 * (IteratorAge, like the reply follow-up's), and failed runs waiting in its dead-letter queue.
 */
export function diagnosticsAlarms(t: {
    readonly functionName: AlarmSpec["dimensions"][string];
    readonly deadLetterQueueName: AlarmSpec["dimensions"][string];
    /** The function's timeout (ResolvedDiagnosticsArgs.timeoutSeconds). */
    readonly timeoutSeconds: number;
}): AlarmSpec[] {
    const ageMs = diagnosticsIteratorAgeAlarmMs(t.timeoutSeconds);
    return [
        {
            id: "triage-diagnostics-errors",
            description: "The diagnostics function failed invocations (crashes, timeouts, or the case table failing); cases wait for their report until the sweep brings them back. See its log group.",
            namespace: "AWS/Lambda",
            metricName: "Errors",
            dimensions: { FunctionName: t.functionName },
            statistic: "Sum",
            threshold: 0,
        },
        {
            id: "triage-diagnostics-throttles",
            description: "The diagnostics function was throttled at its reserved concurrency; reports come late.",
            namespace: "AWS/Lambda",
            metricName: "Throttles",
            dimensions: { FunctionName: t.functionName },
            statistic: "Sum",
            threshold: 0,
        },
        {
            id: "triage-diagnostics-iterator-age",
            description: `Diagnostics runs are more than ${ageMs / 1000} seconds behind the case table's stream: reports arrive late, and requests older than ${DIAGNOSTICS_MAX_RECORD_AGE_SECONDS / 60} minutes are given up (to the diagnostics dead-letter queue); check the diagnostics function's errors, throttles and duration.`,
            namespace: "AWS/Lambda",
            metricName: "IteratorAge",
            dimensions: { FunctionName: t.functionName },
            statistic: "Maximum",
            threshold: ageMs,
        },
        {
            id: "triage-diagnostics-dlq-not-empty",
            description: "Diagnostics runs failed and wait in the diagnostics dead-letter queue (their cases name them); check the diagnostics function's log group.",
            namespace: "AWS/SQS",
            metricName: "ApproximateNumberOfMessagesVisible",
            dimensions: { QueueName: t.deadLetterQueueName },
            statistic: "Maximum",
            threshold: 0,
        },
    ];
}

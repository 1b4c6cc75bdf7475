// TriageService: the triage engine (components/triage/handler) deployed to AWS (contract C7).
//
//   alert topic ─┐                      ┌─ intake function (handler) ─┐
//                ├─▶ intake queue ─ESM─▶│                              ├─▶ case table, notifications
//   heartbeat ───┘     │ (5 receives)   └──────────────────────────────┘   topic, OpsCenter, timers
//                      ▼
//                 dead-letter queue ◀── subscriptions' redrive (SNS could not deliver)
//
//   reply links ─▶ HTTP API (throttled) ─▶ reply function (replyHandler) ─▶ case table only
//   EventBridge Scheduler (one-time reply timers) ┐
//   EventBridge rule (periodic sweep)             ├▶ timer function (timerHandler) ─▶ DLQ on failure
//   case table stream (pending reply work only) ──┘
//   intake and timer functions ─▶ operator notices ─▶ pipeline topic
//   case table stream (pending diagnostics only) ─▶ diagnostics function ─▶ EKS API (read-only),
//       Logs Insights on the clusters' control-plane logs, follow-up notification, OpsItem update
//
// The class only wires resources; names, sizes, environments, policies and alarms come from the
// pure functions in args.ts and policies.ts, and the code from the bundle (bundle.ts).

import * as path from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AccountIdentity } from "../account/policies";
import { vigilTags } from "../tags";
import {
    checkComponentName,
    ENTRY_POINTS,
    FOLLOW_UP_BATCH_SIZE,
    FOLLOW_UP_RETRIES,
    FUNCTION_SIZING,
    FunctionRole,
    functionEnvironment,
    INTAKE_BATCH_SIZE,
    INTAKE_BATCHING_WINDOW_SECONDS,
    intakeVisibilityTimeoutSeconds,
    MAX_RECEIVE_COUNT,
    QUEUE_RETENTION_SECONDS,
    rateExpression,
    REPLY_INTEGRATION_TIMEOUT_MS,
    ResolvedTriageArgs,
    resolveTriageArgs,
    TIMER_ASYNC_MAX_AGE_SECONDS,
    TIMER_ASYNC_RETRIES,
    TRIAGE_ALARM_PERIOD_SECONDS,
    triageAlarms,
    TriageArgsError,
    TriageServiceArgs,
    unparsedMessagesFilter,
} from "./args";
import { BUNDLE_DIR, BUNDLE_FILES, BundleError, ensureBundle, LAMBDA_RUNTIME } from "./bundle";
import {
    DIAGNOSTICS_BATCH_SIZE,
    DIAGNOSTICS_MAX_RECORD_AGE_SECONDS,
    DIAGNOSTICS_MEMORY_MB,
    DIAGNOSTICS_PARALLELIZATION,
    DIAGNOSTICS_STREAM_RETRIES,
    diagnosticsAlarms,
    diagnosticsEnvironment,
    diagnosticsPolicy,
    ResolvedDiagnosticsArgs,
    resolveDiagnosticsArgs,
} from "./diagnostics";
import { DIAGNOSTICS_WORK_FILTER } from "./handler/diagnostics/request";
import { REPLY_WORK_FILTER, TABLE_DEFINITION } from "./handler/dynamoStore";
import { DEFAULT_SETTINGS } from "./handler/lifecycle";
import {
    intakePolicy,
    lambdaTrustPolicy,
    replyPolicy,
    schedulerPolicy,
    schedulerTrustPolicy,
    timerDeadLetterQueuePolicy,
    timerPolicy,
    topicQueuePolicy,
} from "./policies";

/** The tag that marks Vigil's only public entry point (contract C7). */
export const TAG_PUBLIC_ENDPOINT = "vigil:public-endpoint";
export const REPLY_LINKS = "reply-links";
/** The payload the sweep rule sends the timer function. */
export const SWEEP_PAYLOAD = { kind: "sweep" } as const;
/** The reply endpoint's routes: GET shows what a link does, POST does it, HEAD for link checkers. */
export const REPLY_ROUTES = ["GET /r/{token}", "HEAD /r/{token}", "POST /r/{token}"] as const;

export class TriageService extends pulumi.ComponentResource {
    /** Base URL of the reply links (`<replyUrl>/r/<token>`): the HTTP API's default endpoint. */
    public readonly replyUrl: pulumi.Output<string>;
    /** The queue both topics deliver to. */
    public readonly intakeQueueArn: pulumi.Output<string>;
    /** Where intake messages go after five failed receives, or when SNS cannot deliver them. */
    public readonly deadLetterQueueArn: pulumi.Output<string>;
    /** Where failed timer and sweep invocations go. */
    public readonly timerDeadLetterQueueArn: pulumi.Output<string>;
    /** The case table. */
    public readonly tableName: pulumi.Output<string>;
    public readonly tableArn: pulumi.Output<string>;
    /** The functions' ARNs. */
    public readonly intakeFunctionArn: pulumi.Output<string>;
    public readonly replyFunctionArn: pulumi.Output<string>;
    public readonly timerFunctionArn: pulumi.Output<string>;
    /** The EventBridge Scheduler group of the reply timers. */
    public readonly scheduleGroupName: pulumi.Output<string>;
    /**
     * The role the diagnostics function runs as (undefined without diagnostics): the customer maps
     * it read-only into each cluster (CustomerAccess `diagnosticsRoleArn`).
     */
    public readonly diagnosticsRoleArn: pulumi.Output<string | undefined>;
    /** The diagnostics function (undefined without diagnostics); invoke it with {"caseId", "rerun": true} to re-run a case's. */
    public readonly diagnosticsFunctionArn: pulumi.Output<string | undefined>;

    constructor(name: string, args: TriageServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("vigil:triage:TriageService", name, {}, opts);
        let a: ResolvedTriageArgs;
        let d: ResolvedDiagnosticsArgs | undefined;
        let bundleDir: string;
        try {
            checkComponentName(name);
            a = resolveTriageArgs(args);
            d = args.diagnostics === undefined ? undefined : resolveDiagnosticsArgs(args.diagnostics);
            bundleDir = ensureBundle(args.bundleDir ?? BUNDLE_DIR);
        } catch (err) {
            throw err instanceof TriageArgsError || err instanceof BundleError ? new pulumi.ResourceError(err.message, this) : err;
        }
        const parent = { parent: this };
        const tags = vigilTags("triage-incident-response");
        const publicTags = { ...tags, [TAG_PUBLIC_ENDPOINT]: REPLY_LINKS };

        const caller = aws.getCallerIdentityOutput({}, parent);
        const identity: pulumi.Output<AccountIdentity> = pulumi
            .all([caller.accountId, aws.getRegionOutput({}, parent).region, aws.getPartitionOutput({}, parent).partition])
            .apply(([accountId, region, partition]) => ({ accountId, region, partition }));

        // ---- state ------------------------------------------------------------------------------
        const table = new aws.dynamodb.Table(
            `${name}-cases`,
            {
                billingMode: TABLE_DEFINITION.billingMode,
                hashKey: TABLE_DEFINITION.hashKey,
                rangeKey: TABLE_DEFINITION.rangeKey,
                attributes: TABLE_DEFINITION.attributes.map((x) => ({ name: x.name, type: x.type })),
                globalSecondaryIndexes: TABLE_DEFINITION.globalSecondaryIndexes.map((g) => ({
                    name: g.name,
                    keySchemas: [
                        { attributeName: g.hashKey, keyType: "HASH" },
                        { attributeName: g.rangeKey, keyType: "RANGE" },
                    ],
                    projectionType: g.projectionType,
                })),
                // Garbage collection of closed cases only; deadlines are timers and the sweep.
                ttl: { attributeName: TABLE_DEFINITION.ttlAttribute, enabled: true },
                pointInTimeRecovery: { enabled: true },
                // New images drive the immediate follow-up of replies (the reply follow-up mapping below).
                streamEnabled: true,
                streamViewType: TABLE_DEFINITION.streamViewType,
                // KMS with the AWS-managed DynamoDB key: the functions need no key permissions.
                serverSideEncryption: { enabled: true },
                deletionProtectionEnabled: a.tableDeletionProtection,
                tags,
            },
            parent,
        );

        // ---- queues -----------------------------------------------------------------------------
        const encrypted = { kmsMasterKeyId: a.keyArn, kmsDataKeyReusePeriodSeconds: 300, messageRetentionSeconds: QUEUE_RETENTION_SECONDS, tags };
        const deadLetters = new aws.sqs.Queue(`${name}-dlq`, encrypted, parent);
        const intakeQueue = new aws.sqs.Queue(
            `${name}-intake`,
            {
                ...encrypted,
                visibilityTimeoutSeconds: intakeVisibilityTimeoutSeconds(),
                redrivePolicy: pulumi.jsonStringify({ deadLetterTargetArn: deadLetters.arn, maxReceiveCount: MAX_RECEIVE_COUNT }),
            },
            parent,
        );
        const timerDeadLetters = new aws.sqs.Queue(`${name}-timer-dlq`, encrypted, parent);
        const topics = pulumi.all([args.alertTopicArn, args.heartbeatTopicArn]);
        const queuePolicies = [intakeQueue, deadLetters].map(
            (queue, i) =>
                new aws.sqs.QueuePolicy(
                    `${name}-${i === 0 ? "intake" : "dlq"}-queue-policy`,
                    { queueUrl: queue.url, policy: pulumi.all([queue.arn, topics]).apply(([arn, t]) => JSON.stringify(topicQueuePolicy(arn, t))) },
                    parent,
                ),
        );

        // ---- logs, roles, timers group ----------------------------------------------------------
        const logGroups = Object.fromEntries(
            (["intake", "reply", "timer"] as FunctionRole[]).map((role) => [
                role,
                new aws.cloudwatch.LogGroup(
                    `${name}-${role}-logs`,
                    { name: `/vigil/${name}/${role}`, retentionInDays: a.logRetentionDays, kmsKeyId: args.logKeyArn, tags },
                    parent,
                ),
            ]),
        ) as Record<FunctionRole, aws.cloudwatch.LogGroup>;
        const roles = Object.fromEntries(
            (["intake", "reply", "timer"] as FunctionRole[]).map((role) => [
                role,
                new aws.iam.Role(
                    `${name}-${role}-role`,
                    { description: `Vigil triage: the ${role} function`, assumeRolePolicy: JSON.stringify(lambdaTrustPolicy()), tags },
                    parent,
                ),
            ]),
        ) as Record<FunctionRole, aws.iam.Role>;
        const scheduleGroup = new aws.scheduler.ScheduleGroup(`${name}-timers`, { tags }, parent);
        const schedulerRole = new aws.iam.Role(
            `${name}-scheduler-role`,
            {
                description: "Vigil triage: EventBridge Scheduler invokes the timer function for reply timers",
                assumeRolePolicy: pulumi.all([identity, scheduleGroup.arn]).apply(([id, arn]) => JSON.stringify(schedulerTrustPolicy(id, arn))),
                tags,
            },
            parent,
        );

        // ---- permissions ------------------------------------------------------------------------
        const scheduleNamePrefix = DEFAULT_SETTINGS.scheduleNamePrefix;
        // What every function that publishes notifications (intake, timer, diagnostics) may use.
        const publishing = pulumi
            .all([identity, table.arn, args.keyArn, args.notificationTopicArn, args.notificationTopicKeyArn ?? ""])
            .apply(([id, tableArn, keyArn, notificationTopicArn, notificationTopicKeyArn]) => ({
                identity: id,
                tableArn,
                keyArn,
                notificationTopicArn,
                notificationTopicKeyArn: notificationTopicKeyArn === "" ? undefined : notificationTopicKeyArn,
            }));
        // What both engine functions (intake and timer) may use, whatever else each does.
        const engine = pulumi
            .all([publishing, args.pipelineTopicArn, scheduleGroup.name, schedulerRole.arn])
            .apply(([p, operatorTopicArn, scheduleGroupName, schedulerRoleArn]) => ({ ...p, operatorTopicArn, scheduleGroupName, scheduleNamePrefix, schedulerRoleArn }));
        const intakePermissions = new aws.iam.RolePolicy(
            `${name}-intake-permissions`,
            {
                role: roles.intake.id,
                policy: pulumi
                    .all([engine, logGroups.intake.arn, intakeQueue.arn])
                    .apply(([e, logGroupArn, intakeQueueArn]) => JSON.stringify(intakePolicy({ ...e, logGroupArn, intakeQueueArn }))),
            },
            parent,
        );
        const replyPermissions = new aws.iam.RolePolicy(
            `${name}-reply-permissions`,
            {
                role: roles.reply.id,
                policy: pulumi.all([identity, logGroups.reply.arn, table.arn]).apply(([id, logGroupArn, tableArn]) => JSON.stringify(replyPolicy({ identity: id, logGroupArn, tableArn }))),
            },
            parent,
        );
        const timerPermissions = new aws.iam.RolePolicy(
            `${name}-timer-permissions`,
            {
                role: roles.timer.id,
                policy: pulumi
                    .all([engine, logGroups.timer.arn, timerDeadLetters.arn, table.streamArn])
                    .apply(([e, logGroupArn, timerDeadLetterQueueArn, tableStreamArn]) => JSON.stringify(timerPolicy({ ...e, logGroupArn, timerDeadLetterQueueArn, tableStreamArn }))),
            },
            parent,
        );
        const permissions: Record<FunctionRole, aws.iam.RolePolicy> = { intake: intakePermissions, reply: replyPermissions, timer: timerPermissions };

        // ---- functions --------------------------------------------------------------------------
        const code = new pulumi.asset.AssetArchive(Object.fromEntries(BUNDLE_FILES.map((f) => [f, new pulumi.asset.FileAsset(path.join(bundleDir, f))])));
        const api = new aws.apigatewayv2.Api(
            `${name}-reply-api`,
            { protocolType: "HTTP", description: "Vigil: reply links of customer notifications (GET shows, POST answers)", tags: publicTags },
            parent,
        );
        const environmentInputs = {
            tableName: table.name,
            notificationTopicArn: pulumi.output(args.notificationTopicArn),
            replyBaseUrl: api.apiEndpoint,
            schedulerRoleArn: schedulerRole.arn,
            scheduleGroup: scheduleGroup.name,
            timerDeadLetterArn: timerDeadLetters.arn,
        };
        const lambda = (role: FunctionRole, variables: Record<string, pulumi.Input<string>>, extraTags: Record<string, string> = tags) =>
            new aws.lambda.Function(
                `${name}-${role}`,
                {
                    description: `Vigil triage: ${ENTRY_POINTS[role]} (components/triage/handler)`,
                    runtime: LAMBDA_RUNTIME,
                    architectures: ["arm64"],
                    handler: `index.${ENTRY_POINTS[role]}`,
                    code,
                    role: roles[role].arn,
                    memorySize: FUNCTION_SIZING[role].memoryMb,
                    timeout: FUNCTION_SIZING[role].timeoutSeconds,
                    reservedConcurrentExecutions: a.reservedConcurrency[role],
                    tracingConfig: { mode: "Active" },
                    loggingConfig: { logFormat: "JSON", logGroup: logGroups[role].name, applicationLogLevel: "INFO", systemLogLevel: "INFO" },
                    environment: { variables },
                    tags: extraTags,
                },
                // The first invocation must find its permissions (logs, queue, table) in place.
                { parent: this, dependsOn: [permissions[role]] },
            );
        const timer = lambda("timer", functionEnvironment("timer", a, environmentInputs));
        const intake = lambda("intake", functionEnvironment("intake", a, { ...environmentInputs, timerFunctionArn: timer.arn }));
        const reply = lambda("reply", functionEnvironment("reply", a, environmentInputs), publicTags);

        // ---- intake -----------------------------------------------------------------------------
        new aws.lambda.EventSourceMapping(
            `${name}-intake-mapping`,
            {
                eventSourceArn: intakeQueue.arn,
                functionName: intake.arn,
                batchSize: INTAKE_BATCH_SIZE,
                maximumBatchingWindowInSeconds: INTAKE_BATCHING_WINDOW_SECONDS,
                functionResponseTypes: ["ReportBatchItemFailures"],
                // No more pollers than the function may run: the mapping never throttles itself.
                scalingConfig: { maximumConcurrency: a.reservedConcurrency.intake },
                tags,
            },
            // Lambda checks at creation that the role may read the queue.
            { parent: this, dependsOn: [intakePermissions] },
        );
        const subscriptionTopics = [
            ["alerts", args.alertTopicArn],
            ["heartbeat", args.heartbeatTopicArn],
        ] as const;
        for (const [id, topicArn] of subscriptionTopics) {
            new aws.sns.TopicSubscription(
                `${name}-${id}-subscription`,
                {
                    topic: topicArn,
                    protocol: "sqs",
                    endpoint: intakeQueue.arn,
                    // The engine reads the SNS envelope (message id, subject, attributes such as AMP's `truncated`).
                    rawMessageDelivery: false,
                    redrivePolicy: pulumi.jsonStringify({ deadLetterTargetArn: deadLetters.arn }),
                },
                // SNS delivers from the first message on; the queues must admit it by then.
                { parent: this, dependsOn: queuePolicies },
            );
        }

        // ---- reply follow-up ----------------------------------------------------------------------
        // The reply function only records an answer; the timer function does the work it claimed
        // (incident, notification, reply timer) as soon as the case item shows it. The sweep stays
        // the backstop, so a record that cannot be handled is given up after one sweep period.
        new aws.lambda.EventSourceMapping(
            `${name}-reply-follow-up`,
            {
                eventSourceArn: table.streamArn,
                functionName: timer.arn,
                // New records only: work waiting from before the mapping existed is the sweep's.
                startingPosition: "LATEST",
                batchSize: FOLLOW_UP_BATCH_SIZE,
                maximumBatchingWindowInSeconds: 0,
                filterCriteria: { filters: [{ pattern: JSON.stringify(REPLY_WORK_FILTER) }] },
                functionResponseTypes: ["ReportBatchItemFailures"],
                bisectBatchOnFunctionError: true,
                maximumRetryAttempts: FOLLOW_UP_RETRIES,
                maximumRecordAgeInSeconds: a.sweepIntervalSeconds,
                parallelizationFactor: 1,
                destinationConfig: { onFailure: { destinationArn: timerDeadLetters.arn } },
                tags,
            },
            // Lambda checks at creation that the role may read the stream.
            { parent: this, dependsOn: [timerPermissions] },
        );

        // ---- timers -----------------------------------------------------------------------------
        new aws.iam.RolePolicy(
            `${name}-scheduler-permissions`,
            {
                role: schedulerRole.id,
                policy: pulumi
                    .all([identity, timer.arn, timerDeadLetters.arn, args.keyArn])
                    .apply(([id, timerFunctionArn, timerDeadLetterQueueArn, keyArn]) => JSON.stringify(schedulerPolicy(id, { timerFunctionArn, timerDeadLetterQueueArn, keyArn }))),
            },
            parent,
        );
        const sweep = new aws.cloudwatch.EventRule(
            `${name}-sweep`,
            { description: "Vigil triage: periodic sweep of overdue cases and stale work", scheduleExpression: rateExpression(a.sweepIntervalSeconds), tags },
            parent,
        );
        const sweepQueuePolicy = new aws.sqs.QueuePolicy(
            `${name}-timer-dlq-policy`,
            {
                queueUrl: timerDeadLetters.url,
                policy: pulumi.all([timerDeadLetters.arn, sweep.arn]).apply(([arn, ruleArn]) => JSON.stringify(timerDeadLetterQueuePolicy(arn, ruleArn))),
            },
            parent,
        );
        const sweepPermission = new aws.lambda.Permission(
            `${name}-sweep-permission`,
            { function: timer.name, action: "lambda:InvokeFunction", principal: "events.amazonaws.com", sourceArn: sweep.arn },
            parent,
        );
        new aws.cloudwatch.EventTarget(
            `${name}-sweep-target`,
            {
                rule: sweep.name,
                targetId: "vigil-triage-timer",
                arn: timer.arn,
                input: JSON.stringify(SWEEP_PAYLOAD),
                // A sweep older than its period is superseded by the next one.
                retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: Math.min(a.sweepIntervalSeconds, 86400) },
                deadLetterConfig: { arn: timerDeadLetters.arn },
            },
            // EventBridge fails deliveries until the function and the dead-letter queue admit it.
            { parent: this, dependsOn: [sweepPermission, sweepQueuePolicy] },
        );
        new aws.lambda.FunctionEventInvokeConfig(
            `${name}-timer-async`,
            {
                functionName: timer.name,
                maximumRetryAttempts: TIMER_ASYNC_RETRIES,
                maximumEventAgeInSeconds: TIMER_ASYNC_MAX_AGE_SECONDS,
                destinationConfig: { onFailure: { destination: timerDeadLetters.arn } },
            },
            parent,
        );

        // ---- reply endpoint ---------------------------------------------------------------------
        const integration = new aws.apigatewayv2.Integration(
            `${name}-reply-integration`,
            {
                apiId: api.id,
                integrationType: "AWS_PROXY",
                integrationUri: reply.arn,
                integrationMethod: "POST",
                payloadFormatVersion: "2.0",
                timeoutMilliseconds: REPLY_INTEGRATION_TIMEOUT_MS,
            },
            parent,
        );
        for (const routeKey of REPLY_ROUTES) {
            new aws.apigatewayv2.Route(
                `${name}-reply-${routeKey.split(" ")[0].toLowerCase()}`,
                { apiId: api.id, routeKey, target: pulumi.interpolate`integrations/${integration.id}` },
                parent,
            );
        }
        new aws.apigatewayv2.Stage(
            `${name}-reply-stage`,
            {
                apiId: api.id,
                name: "$default",
                autoDeploy: true,
                // No access logging: reply tokens travel in the path.
                defaultRouteSettings: { throttlingRateLimit: a.replyRateLimit, throttlingBurstLimit: a.replyBurstLimit },
                tags: publicTags,
            },
            parent,
        );
        new aws.lambda.Permission(
            `${name}-reply-permission`,
            { function: reply.name, action: "lambda:InvokeFunction", principal: "apigateway.amazonaws.com", sourceArn: pulumi.interpolate`${api.executionArn}/*/*/r/*` },
            parent,
        );

        // ---- diagnostics --------------------------------------------------------------------------
        // Cases that open an incident or ask the customer carry a pending diagnostics request;
        // the table's stream brings only those to the diagnostics function (triage never waits).
        let diagnostics: { fn: aws.lambda.Function; role: aws.iam.Role; deadLetters: aws.sqs.Queue } | undefined;
        if (d) {
            const dTags = vigilTags("diagnostic-commands");
            const dLogs = new aws.cloudwatch.LogGroup(
                `${name}-diagnostics-logs`,
                { name: `/vigil/${name}/diagnostics`, retentionInDays: a.logRetentionDays, kmsKeyId: args.logKeyArn, tags: dTags },
                parent,
            );
            const dRole = new aws.iam.Role(
                `${name}-diagnostics-role`,
                { description: "Vigil triage: the diagnostics function (read-only checks and log queries)", assumeRolePolicy: JSON.stringify(lambdaTrustPolicy()), tags: dTags },
                parent,
            );
            const dDeadLetters = new aws.sqs.Queue(`${name}-diagnostics-dlq`, { ...encrypted, tags: dTags }, parent);
            const clusterNames = d.clusterNames;
            const dPermissions = new aws.iam.RolePolicy(
                `${name}-diagnostics-permissions`,
                {
                    role: dRole.id,
                    policy: pulumi
                        .all([publishing, dLogs.arn, table.streamArn, dDeadLetters.arn])
                        .apply(([p, logGroupArn, tableStreamArn, deadLetterQueueArn]) => JSON.stringify(diagnosticsPolicy({ ...p, clusterNames, logGroupArn, tableStreamArn, deadLetterQueueArn }))),
                },
                parent,
            );
            const dFn = new aws.lambda.Function(
                `${name}-diagnostics`,
                {
                    description: "Vigil triage: diagnosticsHandler (components/triage/handler/diagnostics)",
                    runtime: LAMBDA_RUNTIME,
                    architectures: ["arm64"],
                    handler: "index.diagnosticsHandler",
                    code,
                    role: dRole.arn,
                    memorySize: DIAGNOSTICS_MEMORY_MB,
                    timeout: d.timeoutSeconds,
                    reservedConcurrentExecutions: d.reservedConcurrency,
                    tracingConfig: { mode: "Active" },
                    loggingConfig: { logFormat: "JSON", logGroup: dLogs.name, applicationLogLevel: "INFO", systemLogLevel: "INFO" },
                    environment: { variables: diagnosticsEnvironment(d, { tableName: table.name, notificationTopicArn: pulumi.output(args.notificationTopicArn) }, a.caseRetentionDays) },
                    tags: dTags,
                },
                // The first invocation must find its permissions (logs, table, stream) in place.
                { parent: this, dependsOn: [dPermissions] },
            );
            new aws.lambda.EventSourceMapping(
                `${name}-diagnostics-mapping`,
                {
                    eventSourceArn: table.streamArn,
                    functionName: dFn.arn,
                    // New records only: requests from before the mapping existed are the operator's to re-run.
                    startingPosition: "LATEST",
                    batchSize: DIAGNOSTICS_BATCH_SIZE,
                    maximumBatchingWindowInSeconds: 0,
                    filterCriteria: { filters: [{ pattern: JSON.stringify(DIAGNOSTICS_WORK_FILTER) }] },
                    functionResponseTypes: ["ReportBatchItemFailures"],
                    bisectBatchOnFunctionError: true,
                    maximumRetryAttempts: DIAGNOSTICS_STREAM_RETRIES,
                    maximumRecordAgeInSeconds: DIAGNOSTICS_MAX_RECORD_AGE_SECONDS,
                    parallelizationFactor: DIAGNOSTICS_PARALLELIZATION,
                    destinationConfig: { onFailure: { destinationArn: dDeadLetters.arn } },
                    tags: dTags,
                },
                // Lambda checks at creation that the role may read the stream.
                { parent: this, dependsOn: [dPermissions] },
            );
            new aws.lambda.FunctionEventInvokeConfig(
                `${name}-diagnostics-async`,
                {
                    functionName: dFn.name,
                    // An operator's re-run (an asynchronous invoke) is not repeated by itself.
                    maximumRetryAttempts: 0,
                    maximumEventAgeInSeconds: 3600,
                    destinationConfig: { onFailure: { destination: dDeadLetters.arn } },
                },
                parent,
            );
            diagnostics = { fn: dFn, role: dRole, deadLetters: dDeadLetters };
        }

        // ---- alarms -----------------------------------------------------------------------------
        // Messages the engine keeps as unparsed are not triaged: it logs each at error level, and
        // this filter turns those log lines into a metric the alarms below watch.
        const unparsed = unparsedMessagesFilter(name);
        new aws.cloudwatch.LogMetricFilter(
            `${name}-unparsed-messages`,
            {
                logGroupName: logGroups.intake.name,
                pattern: unparsed.pattern,
                metricTransformation: { namespace: unparsed.namespace, name: unparsed.metricName, value: unparsed.value, unit: unparsed.unit },
            },
            parent,
        );
        const alarms = triageAlarms({
            functionNames: { intake: intake.name, reply: reply.name, timer: timer.name },
            intakeQueueName: intakeQueue.name,
            deadLetterQueueName: deadLetters.name,
            timerDeadLetterQueueName: timerDeadLetters.name,
            queueAgeAlarmSeconds: a.queueAgeAlarmSeconds,
            unparsedMetric: { namespace: unparsed.namespace, metricName: unparsed.metricName },
        });
        if (diagnostics && d) {
            alarms.push(...diagnosticsAlarms({ functionName: diagnostics.fn.name, deadLetterQueueName: diagnostics.deadLetters.name, timeoutSeconds: d.timeoutSeconds }));
        }
        for (const spec of alarms) {
            const alarmName = `${a.alarmNamePrefix}${spec.id}`;
            new aws.cloudwatch.MetricAlarm(
                alarmName,
                {
                    name: alarmName,
                    alarmDescription: `Vigil: ${spec.description}`,
                    namespace: spec.namespace,
                    metricName: spec.metricName,
                    dimensions: { ...spec.dimensions },
                    statistic: spec.statistic,
                    period: TRIAGE_ALARM_PERIOD_SECONDS,
                    evaluationPeriods: 1,
                    datapointsToAlarm: 1,
                    comparisonOperator: "GreaterThanThreshold",
                    threshold: spec.threshold,
                    treatMissingData: "notBreaching",
                    actionsEnabled: true,
                    alarmActions: [args.pipelineTopicArn],
                    okActions: [args.pipelineTopicArn],
                    tags,
                },
                parent,
            );
        }

        this.replyUrl = api.apiEndpoint;
        this.intakeQueueArn = intakeQueue.arn;
        this.deadLetterQueueArn = deadLetters.arn;
        this.timerDeadLetterQueueArn = timerDeadLetters.arn;
        this.tableName = table.name;
        this.tableArn = table.arn;
        this.intakeFunctionArn = intake.arn;
        this.replyFunctionArn = reply.arn;
        this.timerFunctionArn = timer.arn;
        this.scheduleGroupName = scheduleGroup.name;
        this.diagnosticsRoleArn = diagnostics ? diagnostics.role.arn : pulumi.output(undefined);
        this.diagnosticsFunctionArn = diagnostics ? diagnostics.fn.arn : pulumi.output(undefined);
        this.registerOutputs({
            replyUrl: this.replyUrl,
            intakeQueueArn: this.intakeQueueArn,
            deadLetterQueueArn: this.deadLetterQueueArn,
            timerDeadLetterQueueArn: this.timerDeadLetterQueueArn,
            tableName: this.tableName,
            tableArn: this.tableArn,
            intakeFunctionArn: this.intakeFunctionArn,
            replyFunctionArn: this.replyFunctionArn,
            timerFunctionArn: this.timerFunctionArn,
            scheduleGroupName: this.scheduleGroupName,
            diagnosticsRoleArn: this.diagnosticsRoleArn,
            diagnosticsFunctionArn: this.diagnosticsFunctionArn,
        });
    }
}

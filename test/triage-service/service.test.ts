// TriageService under Pulumi mocks: every resource it registers, with the inputs that decide
// whether nothing that reaches the topics is lost, who may do what (policies parsed), how the
// functions are shipped and configured (the environment checked by the engine's own reader),
// and the alarms.

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type * as aws from "@pulumi/aws";
import { readConfig } from "../../components/triage/handler/config";
import { caseToItem, createTableInput, itemToCase, TABLE_DEFINITION } from "../../components/triage/handler/dynamoStore";
import { matchesPattern } from "../account/eventPattern";
import { streamRecord } from "../triage/support";
import { physicalName } from "../../tools/offline/state";
import { MockRecorder, promiseOf, RecordedResource, registered, setupMocks } from "../support/mocks";
import { ACCOUNT, SERVICE_ARGS as ARGS } from "./support";

type TriageModule = typeof import("../../components/triage");

/** The outputs that resolve once the service's resources are registered. */
const OUTPUTS = ["replyUrl", "intakeQueueArn", "tableName", "timerFunctionArn", "scheduleGroupName"];

const json = (value: unknown): any => {
    assert.equal(typeof value, "string", "policy documents and payloads are JSON strings");
    return JSON.parse(value as string);
};

describe("TriageService (Pulumi mocks)", function () {
    this.timeout(120_000);
    let recorder: MockRecorder;
    let triage: TriageModule;
    let service: InstanceType<TriageModule["TriageService"]>;
    let resources: RecordedResource[];
    const bundleDir = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-triage-bundle-"));
    /** The Function args as the component built them (archives are not serialised under mocks). */
    const functionArgs = new Map<string, aws.lambda.FunctionArgs>();

    const named = (name: string, type?: string) => recorder.named(name, type);
    const ofType = (type: string) => resources.filter((r) => r.type === type);
    const fn = (role: string) => named(`tri-${role}`, "aws:lambda/function:Function");
    const queue = (id: string) => named(`tri-${id}`, "aws:sqs/queue:Queue");

    before(async () => {
        recorder = await setupMocks();
        triage = await import("../../components/triage");
        recorder.reset();
        service = new triage.TriageService("tri", { ...ARGS, bundleDir }, {
            transformations: [
                (t) => {
                    if (t.type === "aws:lambda/function:Function") {
                        functionArgs.set(t.name, t.props as aws.lambda.FunctionArgs);
                    }
                    return undefined;
                },
            ],
        });
        await registered(recorder, service, OUTPUTS);
        resources = recorder.resources.filter((r) => r.custom);
    });

    after(() => fs.rmSync(bundleDir, { recursive: true, force: true }));

    it("registers exactly the service's resources, named after the component", () => {
        assert.equal(recorder.resources.filter((r) => r.type === "vigil:triage:TriageService").length, 1);
        const expected = [
            "aws:apigatewayv2/api:Api tri-reply-api",
            "aws:apigatewayv2/integration:Integration tri-reply-integration",
            "aws:apigatewayv2/route:Route tri-reply-get",
            "aws:apigatewayv2/route:Route tri-reply-head",
            "aws:apigatewayv2/route:Route tri-reply-post",
            "aws:apigatewayv2/stage:Stage tri-reply-stage",
            "aws:cloudwatch/eventRule:EventRule tri-sweep",
            "aws:cloudwatch/eventTarget:EventTarget tri-sweep-target",
            "aws:cloudwatch/logGroup:LogGroup tri-intake-logs",
            "aws:cloudwatch/logGroup:LogGroup tri-reply-logs",
            "aws:cloudwatch/logGroup:LogGroup tri-timer-logs",
            "aws:cloudwatch/logMetricFilter:LogMetricFilter tri-unparsed-messages",
            ...["intake", "reply", "timer"].flatMap((role) => [`triage-${role}-errors`, `triage-${role}-throttles`]).map((id) => `aws:cloudwatch/metricAlarm:MetricAlarm vigil-pipeline-${id}`),
            "aws:cloudwatch/metricAlarm:MetricAlarm vigil-pipeline-triage-dlq-not-empty",
            "aws:cloudwatch/metricAlarm:MetricAlarm vigil-pipeline-triage-timer-dlq-not-empty",
            "aws:cloudwatch/metricAlarm:MetricAlarm vigil-pipeline-triage-intake-queue-age",
            "aws:cloudwatch/metricAlarm:MetricAlarm vigil-pipeline-triage-reply-follow-up-age",
            "aws:cloudwatch/metricAlarm:MetricAlarm vigil-pipeline-triage-unparsed-messages",
            "aws:dynamodb/table:Table tri-cases",
            "aws:iam/role:Role tri-intake-role",
            "aws:iam/role:Role tri-reply-role",
            "aws:iam/role:Role tri-timer-role",
            "aws:iam/role:Role tri-scheduler-role",
            "aws:iam/rolePolicy:RolePolicy tri-intake-permissions",
            "aws:iam/rolePolicy:RolePolicy tri-reply-permissions",
            "aws:iam/rolePolicy:RolePolicy tri-timer-permissions",
            "aws:iam/rolePolicy:RolePolicy tri-scheduler-permissions",
            "aws:lambda/eventSourceMapping:EventSourceMapping tri-intake-mapping",
            "aws:lambda/eventSourceMapping:EventSourceMapping tri-reply-follow-up",
            "aws:lambda/function:Function tri-intake",
            "aws:lambda/function:Function tri-reply",
            "aws:lambda/function:Function tri-timer",
            "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig tri-timer-async",
            "aws:lambda/permission:Permission tri-reply-permission",
            "aws:lambda/permission:Permission tri-sweep-permission",
            "aws:scheduler/scheduleGroup:ScheduleGroup tri-timers",
            "aws:sns/topicSubscription:TopicSubscription tri-alerts-subscription",
            "aws:sns/topicSubscription:TopicSubscription tri-heartbeat-subscription",
            "aws:sqs/queue:Queue tri-dlq",
            "aws:sqs/queue:Queue tri-intake",
            "aws:sqs/queue:Queue tri-timer-dlq",
            "aws:sqs/queuePolicy:QueuePolicy tri-dlq-queue-policy",
            "aws:sqs/queuePolicy:QueuePolicy tri-intake-queue-policy",
            "aws:sqs/queuePolicy:QueuePolicy tri-timer-dlq-policy",
        ].sort();
        assert.deepEqual(resources.map((r) => `${r.type} ${r.name}`).sort(), expected);
        assert.equal(ofType("aws:lambda/functionUrl:FunctionUrl").length, 0, "no function URL: the HTTP API is the only way in");
    });

    it("tags every taggable resource for triage; only the reply API, its stage and function are the public endpoint", () => {
        const untaggable = new Set([
            "aws:iam/rolePolicy:RolePolicy",
            "aws:sqs/queuePolicy:QueuePolicy",
            "aws:lambda/permission:Permission",
            "aws:sns/topicSubscription:TopicSubscription",
            "aws:cloudwatch/eventTarget:EventTarget",
            "aws:cloudwatch/logMetricFilter:LogMetricFilter",
            "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
            "aws:apigatewayv2/integration:Integration",
            "aws:apigatewayv2/route:Route",
        ]);
        const publicOnes = ["tri-reply-api", "tri-reply-stage", "tri-reply"];
        for (const r of resources.filter((x) => !untaggable.has(x.type))) {
            const expected: Record<string, string> = { "vigil:activity": "triage-incident-response", "vigil:responsible": "operator", "managed-by": "vigil" };
            if (publicOnes.includes(r.name)) {
                expected["vigil:public-endpoint"] = "reply-links";
            }
            assert.deepEqual(r.inputs.tags, expected, `${r.type} ${r.name}`);
        }
    });

    it("builds the bundle when it is missing and ships exactly index.js and its source map from it", async () => {
        for (const file of ["index.js", "index.js.map", "bundle.json"]) {
            assert.ok(fs.existsSync(path.join(bundleDir, file)), `${file} was built into the empty bundle directory`);
        }
        assert.deepEqual([...functionArgs.keys()].sort(), ["tri-intake", "tri-reply", "tri-timer"]);
        for (const [name, args] of functionArgs) {
            const archive = args.code as pulumi.asset.AssetArchive;
            assert.ok(pulumi.asset.AssetArchive.isInstance(archive), `${name} ships an archive, not a closure`);
            const assets = await archive.assets;
            assert.deepEqual(Object.keys(assets).sort(), ["index.js", "index.js.map"]);
            for (const [file, asset] of Object.entries(assets)) {
                assert.equal(await (asset as pulumi.asset.FileAsset).path, path.join(bundleDir, file));
            }
        }
    });

    it("runs each entry point on Node.js 22, arm64, with active tracing, reserved concurrency and its own encrypted log group", () => {
        const expected = {
            intake: { handler: "index.handler", memorySize: 512, timeout: 60, reserved: 5 },
            reply: { handler: "index.replyHandler", memorySize: 256, timeout: 10, reserved: 5 },
            timer: { handler: "index.timerHandler", memorySize: 512, timeout: 120, reserved: 3 },
        };
        for (const [role, e] of Object.entries(expected)) {
            const i = fn(role).inputs;
            assert.equal(i.runtime, "nodejs22.x");
            assert.deepEqual(i.architectures, ["arm64"]);
            assert.equal(i.handler, e.handler);
            assert.equal(i.memorySize, e.memorySize);
            assert.equal(i.timeout, e.timeout);
            assert.equal(i.reservedConcurrentExecutions, e.reserved);
            assert.deepEqual(i.tracingConfig, { mode: "Active" });
            assert.equal(i.role, named(`tri-${role}-role`).state.arn);
            const logs = named(`tri-${role}-logs`);
            assert.deepEqual(i.loggingConfig, { logFormat: "JSON", logGroup: `/vigil/tri/${role}`, applicationLogLevel: "INFO", systemLogLevel: "INFO" });
            assert.equal(logs.inputs.name, `/vigil/tri/${role}`);
            assert.equal(logs.inputs.retentionInDays, 365);
            assert.equal(logs.inputs.kmsKeyId, ARGS.logKeyArn);
            assert.equal(i.environment.variables.NODE_OPTIONS, "--enable-source-maps");
        }
    });

    it("gives each function the engine's variables its entry point reads, nothing else, and values the engine accepts", () => {
        const { ENGINE_ENV_VARS, RUNTIME_ENV_VARS, ENTRY_POINTS } = triage;
        const allowedNames = new Set([...ENGINE_ENV_VARS, ...RUNTIME_ENV_VARS]);
        const seen = new Set<string>();
        for (const role of ["intake", "reply", "timer"] as const) {
            const env = fn(role).inputs.environment.variables as Record<string, string>;
            for (const key of Object.keys(env)) {
                assert.ok(allowedNames.has(key), `${role} gets ${key}, which the engine does not read`);
                seen.add(key);
            }
            // The engine's own reader: throws for a missing or malformed variable.
            const config = readConfig(ENTRY_POINTS[role], env);
            assert.equal(config.tableName, named("tri-cases").state.name);
            assert.equal(config.notificationTopicArn, ARGS.notificationTopicArn);
            assert.equal(config.operatorTopicArn, role === "reply" ? undefined : ARGS.pipelineTopicArn, `${role}: operator notices go to the pipeline topic`);
            assert.equal(env.POWERTOOLS_SERVICE_NAME, `vigil-triage-${role}`);
        }
        // DIAGNOSTICS is set only with a diagnostics function (test/diagnostics/service.test.ts); its default is off.
        assert.equal("DIAGNOSTICS" in fn("intake").inputs.environment.variables, false);
        assert.deepEqual(
            [...seen].filter((k) => !RUNTIME_ENV_VARS.includes(k as never)).sort(),
            [...ENGINE_ENV_VARS].filter((k) => k !== "DIAGNOSTICS").sort(),
            "every variable the engine reads is set on some function",
        );

        const intake = readConfig("handler", fn("intake").inputs.environment.variables);
        const api = named("tri-reply-api");
        assert.equal(intake.replyBaseUrl, api.state.apiEndpoint);
        assert.equal(intake.timerFunctionArn, fn("timer").state.arn);
        assert.equal(intake.schedulerRoleArn, named("tri-scheduler-role").state.arn);
        assert.equal(intake.scheduleGroup, named("tri-timers").state.name);
        assert.equal(intake.timerDeadLetterArn, queue("timer-dlq").state.arn);
        assert.equal(intake.settings.claimLeaseSeconds, 300);
        const timer = readConfig("timerHandler", fn("timer").inputs.environment.variables);
        assert.equal(timer.timerFunctionArn, undefined, "the timer function targets itself (its own ARN at run time)");
        assert.equal(timer.replyBaseUrl, api.state.apiEndpoint);
        const replyEnv = fn("reply").inputs.environment.variables;
        for (const absent of ["OPERATOR_TOPIC_ARN", "REPLY_BASE_URL", "TIMER_FUNCTION_ARN", "SCHEDULER_ROLE_ARN", "SCHEDULE_GROUP", "TIMER_DEAD_LETTER_ARN", "OPSITEM_SOURCE"]) {
            assert.equal(replyEnv[absent], undefined, `the reply function does not get ${absent}`);
        }
        assert.equal(readConfig("replyHandler", replyEnv).settings.claimLeaseSeconds, 60, "the sweep takes a reply's work over a minute later");
        for (const role of ["intake", "reply", "timer"] as const) {
            const lease = readConfig(ENTRY_POINTS[role], fn(role).inputs.environment.variables).settings.claimLeaseSeconds;
            assert.ok(lease > fn(role).inputs.timeout, `${role}: the claim lease outlasts an invocation`);
        }
    });

    it("keeps state in an on-demand table with exactly the engine's keys and index, TTL, PITR and KMS", () => {
        const t = named("tri-cases").inputs;
        const expected = createTableInput("x");
        assert.equal(t.billingMode, expected.BillingMode);
        assert.deepEqual(
            [
                { AttributeName: t.hashKey, KeyType: "HASH" },
                { AttributeName: t.rangeKey, KeyType: "RANGE" },
            ],
            expected.KeySchema,
        );
        assert.deepEqual(
            t.attributes.map((a: { name: string; type: string }) => ({ AttributeName: a.name, AttributeType: a.type })),
            expected.AttributeDefinitions,
        );
        assert.deepEqual(
            t.globalSecondaryIndexes.map((g: any) => ({
                IndexName: g.name,
                KeySchema: g.keySchemas.map((k: any) => ({ AttributeName: k.attributeName, KeyType: k.keyType })),
                Projection: { ProjectionType: g.projectionType },
            })),
            expected.GlobalSecondaryIndexes,
        );
        assert.deepEqual(t.ttl, { attributeName: TABLE_DEFINITION.ttlAttribute, enabled: true });
        assert.deepEqual([t.streamEnabled, t.streamViewType], [expected.StreamSpecification?.StreamEnabled, expected.StreamSpecification?.StreamViewType]);
        assert.deepEqual([t.streamEnabled, t.streamViewType], [true, "NEW_IMAGE"], "the follow-up filter reads new images");
        assert.deepEqual(t.pointInTimeRecovery, { enabled: true });
        assert.deepEqual(t.serverSideEncryption, { enabled: true });
        assert.equal(t.deletionProtectionEnabled, true);
    });

    it("subscribes an encrypted intake queue to both topics, with redrive on the subscription and on the queue", () => {
        const intake = queue("intake");
        const dlq = queue("dlq");
        for (const q of [intake, dlq, queue("timer-dlq")]) {
            assert.equal(q.inputs.kmsMasterKeyId, ARGS.keyArn, `${q.name} is encrypted with the topics' CMK`);
            assert.equal(q.inputs.messageRetentionSeconds, 14 * 86400);
        }
        assert.deepEqual(json(intake.inputs.redrivePolicy), { deadLetterTargetArn: dlq.state.arn, maxReceiveCount: 5 });
        assert.ok(intake.inputs.visibilityTimeoutSeconds >= 6 * fn("intake").inputs.timeout, "visibility timeout is at least six function timeouts");
        assert.equal(intake.inputs.visibilityTimeoutSeconds, 6 * 60 + 2);
        assert.equal(dlq.inputs.redrivePolicy, undefined);

        const subscriptions = ofType("aws:sns/topicSubscription:TopicSubscription");
        assert.deepEqual(subscriptions.map((s) => s.inputs.topic).sort(), [ARGS.alertTopicArn, ARGS.heartbeatTopicArn].sort());
        for (const s of subscriptions) {
            assert.equal(s.inputs.protocol, "sqs");
            assert.equal(s.inputs.endpoint, intake.state.arn);
            assert.equal(s.inputs.rawMessageDelivery, false, "the engine reads the SNS envelope");
            assert.deepEqual(json(s.inputs.redrivePolicy), { deadLetterTargetArn: dlq.state.arn });
        }
        for (const [policyName, q] of [
            ["tri-intake-queue-policy", intake],
            ["tri-dlq-queue-policy", dlq],
        ] as const) {
            const p = named(policyName).inputs;
            assert.equal(p.queueUrl, q.state.url);
            const [allow, deny] = json(p.policy).Statement;
            assert.deepEqual(allow.Principal, { Service: "sns.amazonaws.com" });
            assert.equal(allow.Action, "sqs:SendMessage");
            assert.equal(allow.Resource, q.state.arn);
            assert.deepEqual(allow.Condition, { ArnEquals: { "aws:SourceArn": [ARGS.alertTopicArn, ARGS.heartbeatTopicArn] } });
            assert.equal(deny.Effect, "Deny");
        }
    });

    it("feeds the intake function through a mapping that reports partial batch failures and never outruns the reservation", () => {
        const m = named("tri-intake-mapping").inputs;
        assert.equal(m.eventSourceArn, queue("intake").state.arn);
        assert.equal(m.functionName, fn("intake").state.arn);
        assert.deepEqual(m.functionResponseTypes, ["ReportBatchItemFailures"]);
        assert.equal(m.batchSize, 10);
        assert.equal(m.maximumBatchingWindowInSeconds, 2);
        assert.deepEqual(m.scalingConfig, { maximumConcurrency: fn("intake").inputs.reservedConcurrentExecutions });
    });

    it("follows replies up from the table's stream: a filtered, partial-batch, bisecting mapping to the timer function with a dead-letter queue", () => {
        const m = named("tri-reply-follow-up").inputs;
        const table = named("tri-cases");
        assert.equal(m.eventSourceArn, table.state.streamArn);
        assert.match(m.eventSourceArn, /:table\/[^/]+\/stream\//);
        assert.equal(m.functionName, fn("timer").state.arn);
        assert.equal(m.startingPosition, "LATEST");
        assert.equal(m.batchSize, 10);
        assert.equal(m.maximumBatchingWindowInSeconds, 0, "at once, not after a batching window");
        assert.deepEqual(m.functionResponseTypes, ["ReportBatchItemFailures"]);
        assert.equal(m.bisectBatchOnFunctionError, true);
        assert.equal(m.maximumRetryAttempts, 3);
        assert.equal(m.maximumRecordAgeInSeconds, 900, "given up after one sweep period: the sweep has the work by then");
        assert.equal(m.parallelizationFactor, 1);
        assert.deepEqual(m.destinationConfig, { onFailure: { destinationArn: queue("timer-dlq").state.arn } });
        assert.deepEqual(m.tags, { "vigil:activity": "triage-incident-response", "vigil:responsible": "operator", "managed-by": "vigil" });

        // The filter as Lambda reads it, judged with EventBridge's matching rules on stream records of real items.
        assert.equal(m.filterCriteria.filters.length, 1);
        const pattern = json(m.filterCriteria.filters[0].pattern);
        assert.deepEqual(pattern, { dynamodb: { NewImage: { replyWork: { S: ["pending"] } } } });
        const base = caseToItem({
            caseId: "XFPum4pPxGvtoUr91HaUD7",
            key: "prometheus:3f1c9a4be07d2e11",
            source: "prometheus",
            version: 4,
            state: "INCIDENT_OPEN",
            cluster: "payments-prod",
            title: "KubePodCrashLooping",
            episode: 1,
            firstSeen: "2024-05-01T12:00:00.000Z",
            lastSeen: "2024-05-01T13:00:00.000Z",
            occurrences: 1,
            lastOrder: "2024-05-01T11:55:00.000Z|0",
            claims: {},
            tokens: {},
            attempts: 0,
            history: [],
            historyDropped: 0,
        });
        const withClaim = (claim: Record<string, unknown>) => caseToItem({ ...itemToCase(base), claims: { "work|reply-0123456789ab": { until: "2024-05-01T13:01:00.000Z", ...claim } } });
        assert.equal(matchesPattern(pattern, streamRecord("MODIFY", withClaim({}))), true, "a reply's work waits: the timer function is invoked");
        assert.equal(matchesPattern(pattern, streamRecord("MODIFY", withClaim({ holder: "stream" }))), false, "taken over: not again");
        assert.equal(matchesPattern(pattern, streamRecord("MODIFY", withClaim({ holder: "reply" }))), false, "done by the reply itself");
        assert.equal(matchesPattern(pattern, streamRecord("MODIFY", base)), false, "no work");
        assert.equal(matchesPattern(pattern, streamRecord("REMOVE", withClaim({}))), false, "a deletion has no new image");
    });

    it("lets reply timers invoke only the timer function, from the timers' own group, and sweeps on the configured period", () => {
        const group = named("tri-timers");
        const role = named("tri-scheduler-role");
        const trust = json(role.inputs.assumeRolePolicy).Statement;
        assert.equal(trust.length, 1);
        assert.deepEqual(trust[0].Principal, { Service: "scheduler.amazonaws.com" });
        assert.deepEqual(trust[0].Condition, { StringEquals: { "aws:SourceAccount": ACCOUNT }, ArnEquals: { "aws:SourceArn": group.state.arn } });
        const permissions = json(named("tri-scheduler-permissions").inputs.policy).Statement;
        assert.deepEqual(
            permissions.map((s: any) => [s.Action, s.Resource]),
            [
                ["lambda:InvokeFunction", fn("timer").state.arn],
                ["sqs:SendMessage", queue("timer-dlq").state.arn],
                [["kms:Decrypt", "kms:GenerateDataKey"], ARGS.keyArn],
            ],
        );
        assert.equal(named("tri-scheduler-permissions").inputs.role, role.state.name);

        const rule = named("tri-sweep");
        assert.equal(rule.inputs.scheduleExpression, "rate(15 minutes)");
        assert.equal(rule.inputs.eventPattern, undefined);
        const target = named("tri-sweep-target").inputs;
        assert.equal(target.rule, rule.state.name);
        assert.equal(target.arn, fn("timer").state.arn);
        assert.deepEqual(json(target.input), { kind: "sweep" });
        assert.deepEqual(target.deadLetterConfig, { arn: queue("timer-dlq").state.arn });
        assert.deepEqual(target.retryPolicy, { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 900 });
        const permission = named("tri-sweep-permission").inputs;
        assert.deepEqual([permission.principal, permission.action, permission.sourceArn, permission.function], ["events.amazonaws.com", "lambda:InvokeFunction", rule.state.arn, fn("timer").state.name]);
        const dlqPolicy = json(named("tri-timer-dlq-policy").inputs.policy).Statement[0];
        assert.deepEqual([dlqPolicy.Principal, dlqPolicy.Condition.ArnEquals], [{ Service: "events.amazonaws.com" }, { "aws:SourceArn": rule.state.arn }]);

        const async = named("tri-timer-async").inputs;
        assert.equal(async.functionName, fn("timer").state.name);
        assert.deepEqual(async.destinationConfig, { onFailure: { destination: queue("timer-dlq").state.arn } });
        assert.equal(async.maximumRetryAttempts, 2);
        assert.equal(async.maximumEventAgeInSeconds, 3600);
    });

    it("serves reply links through a throttled HTTP API that only API Gateway may invoke, without access logs", () => {
        const api = named("tri-reply-api");
        assert.equal(api.inputs.protocolType, "HTTP");
        const apiId = /^https:\/\/([a-z0-9]+)\./.exec(api.state.apiEndpoint)?.[1];
        const integration = named("tri-reply-integration");
        assert.deepEqual(
            [integration.inputs.apiId, integration.inputs.integrationType, integration.inputs.integrationUri, integration.inputs.integrationMethod, integration.inputs.payloadFormatVersion, integration.inputs.timeoutMilliseconds],
            [apiId, "AWS_PROXY", fn("reply").state.arn, "POST", "2.0", 15000],
        );
        assert.ok(integration.inputs.timeoutMilliseconds > fn("reply").inputs.timeout * 1000, "API Gateway waits longer than the function may run");
        const routes = ofType("aws:apigatewayv2/route:Route");
        assert.deepEqual(routes.map((r) => r.inputs.routeKey).sort(), ["GET /r/{token}", "HEAD /r/{token}", "POST /r/{token}"]);
        const integrationId = physicalName(integration.type, integration.name, integration.inputs);
        for (const r of routes) {
            assert.equal(r.inputs.target, `integrations/${integrationId}`);
            assert.equal(r.inputs.apiId, apiId);
        }
        const stage = named("tri-reply-stage").inputs;
        assert.equal(stage.apiId, apiId);
        assert.equal(stage.name, "$default");
        assert.equal(stage.autoDeploy, true);
        assert.deepEqual(stage.defaultRouteSettings, { throttlingRateLimit: 5, throttlingBurstLimit: 10 });
        assert.equal(stage.accessLogSettings, undefined, "reply tokens travel in the path: no access logs");
        const permission = named("tri-reply-permission").inputs;
        assert.deepEqual(
            [permission.principal, permission.action, permission.function, permission.sourceArn],
            ["apigateway.amazonaws.com", "lambda:InvokeFunction", fn("reply").state.name, `${api.state.executionArn}/*/*/r/*`],
        );
        for (const p of ofType("aws:lambda/permission:Permission")) {
            assert.notEqual(p.inputs.principal, "*", `${p.name} is not public`);
        }
    });

    it("attaches to each role the policy the pure functions give for its resources", () => {
        const identity = { accountId: ACCOUNT, region: "eu-west-1", partition: "aws" };
        const common = {
            identity,
            tableArn: named("tri-cases").state.arn,
            keyArn: ARGS.keyArn,
            notificationTopicArn: ARGS.notificationTopicArn,
            operatorTopicArn: ARGS.pipelineTopicArn,
            scheduleGroupName: named("tri-timers").state.name,
            scheduleNamePrefix: "vigil-reply-",
            schedulerRoleArn: named("tri-scheduler-role").state.arn,
        };
        const logGroupArn = (role: string) => named(`tri-${role}-logs`).state.arn;
        assert.deepEqual(json(named("tri-intake-permissions").inputs.policy), triage.intakePolicy({ ...common, logGroupArn: logGroupArn("intake"), intakeQueueArn: queue("intake").state.arn }));
        assert.deepEqual(json(named("tri-reply-permissions").inputs.policy), triage.replyPolicy({ identity, logGroupArn: logGroupArn("reply"), tableArn: common.tableArn }));
        assert.deepEqual(
            json(named("tri-timer-permissions").inputs.policy),
            triage.timerPolicy({ ...common, logGroupArn: logGroupArn("timer"), timerDeadLetterQueueArn: queue("timer-dlq").state.arn, tableStreamArn: named("tri-cases").state.streamArn }),
        );
        const stream = json(named("tri-timer-permissions").inputs.policy).Statement.find((st: any) => st.Sid === "ReadCaseStream");
        assert.deepEqual([[...stream.Action].sort(), stream.Resource], [["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"], named("tri-cases").state.streamArn]);
        for (const role of ["intake", "reply"]) {
            const actions = json(named(`tri-${role}-permissions`).inputs.policy).Statement.flatMap((st: any) => st.Action);
            assert.ok(!actions.some((a: string) => /^dynamodb:(DescribeStream|GetRecords|GetShardIterator|ListStreams)$/.test(a)), `${role} cannot read the stream`);
        }
        for (const role of ["intake", "reply", "timer"]) {
            assert.equal(named(`tri-${role}-permissions`).inputs.role, named(`tri-${role}-role`).state.name);
            assert.deepEqual(json(named(`tri-${role}-role`).inputs.assumeRolePolicy), triage.lambdaTrustPolicy());
        }
    });

    it("alarms on errors, throttles, both dead-letter queues, the queue's age and unparsed messages, notifying the pipeline topic under the account's prefix", () => {
        const alarms = ofType("aws:cloudwatch/metricAlarm:MetricAlarm");
        assert.equal(alarms.length, 11);
        const watched = Object.fromEntries(alarms.map((a) => [a.inputs.name, [a.inputs.namespace, a.inputs.metricName, Object.values(a.inputs.dimensions)[0], a.inputs.threshold]]));
        const fnName = (role: string) => fn(role).state.name;
        assert.deepEqual(watched, {
            "vigil-pipeline-triage-intake-errors": ["AWS/Lambda", "Errors", fnName("intake"), 0],
            "vigil-pipeline-triage-intake-throttles": ["AWS/Lambda", "Throttles", fnName("intake"), 0],
            "vigil-pipeline-triage-reply-errors": ["AWS/Lambda", "Errors", fnName("reply"), 0],
            "vigil-pipeline-triage-reply-throttles": ["AWS/Lambda", "Throttles", fnName("reply"), 0],
            "vigil-pipeline-triage-timer-errors": ["AWS/Lambda", "Errors", fnName("timer"), 0],
            "vigil-pipeline-triage-timer-throttles": ["AWS/Lambda", "Throttles", fnName("timer"), 0],
            "vigil-pipeline-triage-dlq-not-empty": ["AWS/SQS", "ApproximateNumberOfMessagesVisible", queue("dlq").state.name, 0],
            "vigil-pipeline-triage-timer-dlq-not-empty": ["AWS/SQS", "ApproximateNumberOfMessagesVisible", queue("timer-dlq").state.name, 0],
            "vigil-pipeline-triage-intake-queue-age": ["AWS/SQS", "ApproximateAgeOfOldestMessage", queue("intake").state.name, 900],
            "vigil-pipeline-triage-reply-follow-up-age": ["AWS/Lambda", "IteratorAge", fnName("timer"), 120_000],
            "vigil-pipeline-triage-unparsed-messages": ["Vigil/Triage/tri", "UnparsedMessages", undefined, 0],
        });
        const unparsed = named("vigil-pipeline-triage-unparsed-messages").inputs;
        assert.deepEqual([unparsed.statistic, unparsed.dimensions, unparsed.evaluationPeriods], ["Sum", {}, 1]);
        for (const a of alarms) {
            assert.deepEqual(a.inputs.alarmActions, [ARGS.pipelineTopicArn]);
            assert.deepEqual(a.inputs.okActions, [ARGS.pipelineTopicArn]);
            assert.equal(a.inputs.actionsEnabled, true);
            assert.equal(a.inputs.comparisonOperator, "GreaterThanThreshold");
            assert.equal(a.inputs.period, 300);
            assert.equal(a.inputs.treatMissingData, "notBreaching");
        }
    });

    it("counts the messages the engine keeps as unparsed with a metric filter on the intake function's log group", () => {
        const filter = named("tri-unparsed-messages", "aws:cloudwatch/logMetricFilter:LogMetricFilter").inputs;
        assert.equal(filter.logGroupName, named("tri-intake-logs").state.name);
        assert.equal(filter.logGroupName, "/vigil/tri/intake");
        // The exact pattern; test/triage-service/unparsed.test.ts checks it matches the engine's real log line.
        assert.equal(filter.pattern, '{ ($.level = "ERROR") && ($.message = "message kept as unparsed") }');
        // No defaultValue (deepEqual would show one): without unparsed messages there is no data.
        assert.deepEqual(filter.metricTransformation, { namespace: "Vigil/Triage/tri", name: "UnparsedMessages", value: "1", unit: "Count" });
        const alarm = named("vigil-pipeline-triage-unparsed-messages").inputs;
        assert.deepEqual([alarm.namespace, alarm.metricName], [filter.metricTransformation.namespace, filter.metricTransformation.name], "the alarm watches the filter's metric");
    });

    it("exposes the reply URL and the resources other tools use", async () => {
        assert.equal(await promiseOf(service.replyUrl), named("tri-reply-api").state.apiEndpoint);
        assert.match(await promiseOf(service.replyUrl), /^https:\/\/[a-z0-9]+\.execute-api\.eu-west-1\.amazonaws\.com$/);
        assert.equal(await promiseOf(service.intakeQueueArn), queue("intake").state.arn);
        assert.equal(await promiseOf(service.deadLetterQueueArn), queue("dlq").state.arn);
        assert.equal(await promiseOf(service.timerDeadLetterQueueArn), queue("timer-dlq").state.arn);
        assert.equal(await promiseOf(service.tableName), named("tri-cases").state.name);
        assert.equal(await promiseOf(service.intakeFunctionArn), fn("intake").state.arn);
        assert.equal(await promiseOf(service.replyFunctionArn), fn("reply").state.arn);
        assert.equal(await promiseOf(service.timerFunctionArn), fn("timer").state.arn);
        assert.equal(await promiseOf(service.scheduleGroupName), named("tri-timers").state.name);
    });

    it("passes its settings through: sweep period, log retention, reservations, throttling, alarm age", async () => {
        recorder.reset();
        const custom = new triage.TriageService("custom", {
            ...ARGS,
            bundleDir,
            sweepIntervalSeconds: 3600,
            logRetentionDays: 400,
            replyWindowSeconds: 86400,
            replyGraceSeconds: 0,
            reservedConcurrency: { intake: 3, reply: 2, timer: 1 },
            replyRateLimit: 1,
            replyBurstLimit: 2,
            queueAgeAlarmSeconds: 600,
            tableDeletionProtection: false,
        });
        await registered(recorder, custom, OUTPUTS);
        assert.equal(recorder.named("custom-sweep").inputs.scheduleExpression, "rate(1 hour)");
        assert.equal(recorder.named("custom-reply-follow-up").inputs.maximumRecordAgeInSeconds, 3600);
        assert.equal(recorder.named("custom-timer-logs").inputs.retentionInDays, 400);
        assert.deepEqual(recorder.named("custom-intake-mapping").inputs.scalingConfig, { maximumConcurrency: 3 });
        assert.equal(recorder.named("custom-reply", "aws:lambda/function:Function").inputs.reservedConcurrentExecutions, 2);
        assert.deepEqual(recorder.named("custom-reply-stage").inputs.defaultRouteSettings, { throttlingRateLimit: 1, throttlingBurstLimit: 2 });
        assert.equal(recorder.named("vigil-pipeline-triage-intake-queue-age").inputs.threshold, 600);
        assert.equal(recorder.named("custom-cases").inputs.deletionProtectionEnabled, false);
        const env = recorder.named("custom-intake", "aws:lambda/function:Function").inputs.environment.variables;
        assert.deepEqual([env.REPLY_WINDOW_SECONDS, env.REPLY_GRACE_SECONDS], ["86400", "0"]);
    });

    it("grants intake and timer an existing notifications topic's own key, through SNS for that topic only", async () => {
        recorder.reset();
        const customerKey = "arn:aws:kms:eu-west-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        const existing = new triage.TriageService("keyed", { ...ARGS, bundleDir, notificationTopicKeyArn: customerKey });
        await registered(recorder, existing, OUTPUTS);
        for (const role of ["intake", "timer"]) {
            const statements = json(recorder.named(`keyed-${role}-permissions`).inputs.policy).Statement.filter((st: any) => st.Resource === customerKey);
            assert.deepEqual(statements, [
                {
                    Sid: "UseNotificationTopicKey",
                    Effect: "Allow",
                    Action: ["kms:Decrypt", "kms:GenerateDataKey"],
                    Resource: customerKey,
                    Condition: { StringEquals: { "kms:ViaService": "sns.eu-west-1.amazonaws.com", "kms:EncryptionContext:aws:sns:topicArn": ARGS.notificationTopicArn } },
                },
            ], role);
        }
        assert.ok(!recorder.named("keyed-reply-permissions").inputs.policy.includes(customerKey), "the reply function publishes nothing");
        const plain = resources.filter((r) => r.name === "tri-intake-permissions" || r.name === "tri-timer-permissions");
        assert.equal(plain.length, 2);
        assert.ok(plain.every((r) => !r.inputs.policy.includes("UseNotificationTopicKey")), "no key given: no grant");
    });

    describe("refuses arguments it cannot use, naming them", () => {
        const cases: [string, Record<string, unknown>, RegExp][] = [
            ["a sweep period that is not whole minutes", { sweepIntervalSeconds: 90 }, /sweepIntervalSeconds: got 90; allowed: whole minutes/],
            ["a log retention CloudWatch does not offer", { logRetentionDays: 10 }, /logRetentionDays: got 10; allowed: one of 1, 3, 5/],
            ["an intake reservation below the mapping's minimum", { reservedConcurrency: { intake: 1 } }, /reservedConcurrency\.intake: got 1; allowed: a whole number from 2/],
            ["a reply window beyond the engine's range", { replyWindowSeconds: 60 }, /replyWindowSeconds: got 60; allowed: a whole number from 3600 to 1209600/],
            ["a missing alarm prefix", { alarmNamePrefix: "" }, /alarmNamePrefix: got ""/],
            ["a zero rate limit", { replyRateLimit: 0 }, /replyRateLimit: got 0/],
            ["a key alias for the notifications topic's key", { notificationTopicKeyArn: "arn:aws:kms:eu-west-1:111122223333:alias/customer" }, /notificationTopicKeyArn: got "arn:aws:kms:eu-west-1:111122223333:alias\/customer"; allowed: a KMS key ARN/],
        ];
        for (const [what, change, message] of cases) {
            it(`refuses ${what}`, () => {
                assert.throws(
                    () => new triage.TriageService(`bad-${what.length}`, { ...ARGS, bundleDir, ...change } as never),
                    (err: Error) => err.constructor.name === "ResourceError" && message.test(err.message),
                );
            });
        }
        it("refuses a component name too long for the resource names it becomes", () => {
            assert.throws(() => new triage.TriageService("x".repeat(31), { ...ARGS, bundleDir }), (err: Error) => err.constructor.name === "ResourceError" && /argument name: got "x{31}"/.test(err.message));
        });
    });
});

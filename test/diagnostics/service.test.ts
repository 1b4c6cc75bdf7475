// TriageService with incident diagnostics, under Pulumi mocks: the diagnostics function (sizing
// against its budget, the environment checked by the function's own reader), the case table's
// stream mapping (only pending requests, partial batch failures, bisect, dead letters), the role's
// policy parsed statement by statement (each action only on what it needs; nothing that writes to
// Kubernetes or assumes another identity), alarms, outputs, and that nothing of it exists without
// diagnostics.

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type * as aws from "@pulumi/aws";
import { readConfig } from "../../components/triage/handler/config";
import { DIAGNOSTICS_ENV_VARS, readDiagnosticsConfig } from "../../components/triage/handler/diagnostics/config";
import { caseToItem } from "../../components/triage/handler/dynamoStore";
import type { CaseRecord } from "../../components/triage/handler/model";
import { vigilTags } from "../../components/tags";
import { matchesPattern } from "../account/eventPattern";
import { streamRecord } from "../triage/support";
import { MockRecorder, promiseOf, RecordedResource, registered, setupMocks } from "../support/mocks";
import { ACCOUNT, REGION, SERVICE_ARGS as ARGS } from "../triage-service/support";

type TriageModule = typeof import("../../components/triage");

const CLUSTERS = ["payments-prod", "platform-staging"];
const DIAGNOSTICS_TAGS = { "vigil:activity": "diagnostic-commands", "vigil:responsible": "operator", "managed-by": "vigil" };
/** The outputs that resolve once the service's resources, diagnostics included, are registered. */
const OUTPUTS = ["replyUrl", "tableName", "timerFunctionArn", "diagnosticsRoleArn", "diagnosticsFunctionArn"];

const json = (value: unknown): any => {
    assert.equal(typeof value, "string", "policy documents and filter patterns are JSON strings");
    return JSON.parse(value as string);
};
const list = (v: string | string[]): string[] => (Array.isArray(v) ? v : [v]);

interface Statement {
    Sid: string;
    Effect: string;
    Action: string | string[];
    Resource: string | string[];
    Condition?: Record<string, Record<string, string | string[]>>;
}

/**
 * Whether a policy allows an action on a resource, as IAM decides it for identity policies
 * without explicit denies: some Allow statement names the action and matches the resource
 * (`*` and `?` wildcards). Conditions are reported, not evaluated.
 */
function allowing(statements: readonly Statement[], action: string, resource: string): Statement[] {
    const glob = (pattern: string) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`);
    return statements.filter((s) => s.Effect === "Allow" && list(s.Action).some((a) => glob(a).test(action)) && list(s.Resource).some((r) => glob(r).test(resource)));
}

function baseCase(): CaseRecord {
    return {
        caseId: "XFPum4pPxGvtoUr91HaUD7",
        key: "prometheus:3f1c9a4be07d2e11",
        source: "prometheus",
        version: 3,
        state: "INCIDENT_OPEN",
        cluster: "payments-prod",
        title: "KubePodCrashLooping",
        episode: 1,
        firstSeen: "2024-05-01T12:00:00.000Z",
        lastSeen: "2024-05-01T12:00:00.000Z",
        occurrences: 1,
        lastOrder: "2024-05-01T11:55:00.000Z|0",
        claims: {},
        tokens: {},
        attempts: 0,
        history: [],
        historyDropped: 0,
    } as CaseRecord;
}

describe("TriageService with incident diagnostics (Pulumi mocks)", function () {
    this.timeout(120_000);
    let recorder: MockRecorder;
    let triage: TriageModule;
    let service: InstanceType<TriageModule["TriageService"]>;
    let resources: RecordedResource[];
    let withoutDiagnostics: RecordedResource[];
    let plain: InstanceType<TriageModule["TriageService"]>;
    const bundleDir = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-diagnostics-bundle-"));
    const functionArgs = new Map<string, aws.lambda.FunctionArgs>();

    /** The one resource of the diagnostics service with this name (recorded before later cases reset the recorder). */
    const named = (name: string, type?: string): RecordedResource => {
        const found = resources.filter((r) => r.name === name && (type === undefined || r.type === type));
        assert.equal(found.length, 1, `exactly one resource named ${name}${type ? ` of type ${type}` : ""}`);
        return found[0];
    };
    const fn = (name: string) => named(name, "aws:lambda/function:Function");
    const statements = (): Statement[] => json(named("dia-diagnostics-permissions").inputs.policy).Statement;

    before(async () => {
        recorder = await setupMocks();
        triage = await import("../../components/triage");
        recorder.reset();
        plain = new triage.TriageService("dia", { ...ARGS, bundleDir });
        await registered(recorder, plain, OUTPUTS);
        withoutDiagnostics = recorder.resources.filter((r) => r.custom);
        recorder.reset();
        service = new triage.TriageService(
            "dia",
            { ...ARGS, bundleDir, diagnostics: { clusterNames: CLUSTERS } },
            {
                transformations: [
                    (t) => {
                        if (t.type === "aws:lambda/function:Function") {
                            functionArgs.set(t.name, t.props as aws.lambda.FunctionArgs);
                        }
                        return undefined;
                    },
                ],
            },
        );
        await registered(recorder, service, OUTPUTS);
        resources = recorder.resources.filter((r) => r.custom);
    });

    after(() => fs.rmSync(bundleDir, { recursive: true, force: true }));

    it("adds exactly the diagnostics resources, named after the component, tagged for diagnostic-commands", () => {
        const key = (r: RecordedResource) => `${r.type} ${r.name}`;
        const before = new Set(withoutDiagnostics.map(key));
        const added = resources.filter((r) => !before.has(key(r)));
        assert.deepEqual(added.map(key).sort(), [
            "aws:cloudwatch/logGroup:LogGroup dia-diagnostics-logs",
            "aws:cloudwatch/metricAlarm:MetricAlarm vigil-pipeline-triage-diagnostics-dlq-not-empty",
            "aws:cloudwatch/metricAlarm:MetricAlarm vigil-pipeline-triage-diagnostics-errors",
            "aws:cloudwatch/metricAlarm:MetricAlarm vigil-pipeline-triage-diagnostics-iterator-age",
            "aws:cloudwatch/metricAlarm:MetricAlarm vigil-pipeline-triage-diagnostics-throttles",
            "aws:iam/role:Role dia-diagnostics-role",
            "aws:iam/rolePolicy:RolePolicy dia-diagnostics-permissions",
            "aws:lambda/eventSourceMapping:EventSourceMapping dia-diagnostics-mapping",
            "aws:lambda/function:Function dia-diagnostics",
            "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig dia-diagnostics-async",
            "aws:sqs/queue:Queue dia-diagnostics-dlq",
        ]);
        assert.equal(resources.length, withoutDiagnostics.length + added.length, "nothing of the service went away");
        assert.deepEqual(vigilTags("diagnostic-commands"), DIAGNOSTICS_TAGS);
        for (const name of ["dia-diagnostics-logs", "dia-diagnostics-role", "dia-diagnostics", "dia-diagnostics-mapping", "dia-diagnostics-dlq"]) {
            assert.deepEqual(resources.find((r) => r.name === name)?.inputs.tags, DIAGNOSTICS_TAGS, name);
        }
    });

    it("runs the diagnostics handler on Node.js 22, arm64, sized to its budget, from the same bundle, with its own encrypted log group", async () => {
        const i = fn("dia-diagnostics").inputs;
        assert.equal(i.runtime, "nodejs22.x");
        assert.equal(i.runtime, triage.LAMBDA_RUNTIME);
        assert.deepEqual(i.architectures, ["arm64"]);
        assert.equal(i.handler, "index.diagnosticsHandler");
        assert.equal(i.memorySize, 512);
        assert.equal(i.timeout, 90, "the 60 s budget and 30 s to write the report, notify and update the OpsItem");
        assert.ok(i.timeout > Number(i.environment.variables.DIAGNOSTICS_BUDGET_SECONDS), "the function outlives its budget");
        assert.equal(i.reservedConcurrentExecutions, 3);
        assert.deepEqual(i.tracingConfig, { mode: "Active" });
        assert.equal(i.role, named("dia-diagnostics-role").state.arn);
        assert.deepEqual(i.loggingConfig, { logFormat: "JSON", logGroup: "/vigil/dia/diagnostics", applicationLogLevel: "INFO", systemLogLevel: "INFO" });
        const logs = named("dia-diagnostics-logs").inputs;
        assert.deepEqual([logs.name, logs.retentionInDays, logs.kmsKeyId], ["/vigil/dia/diagnostics", 365, ARGS.logKeyArn]);
        const archive = functionArgs.get("dia-diagnostics")?.code as pulumi.asset.AssetArchive;
        assert.ok(pulumi.asset.AssetArchive.isInstance(archive), "an archive, not a closure");
        const assets = await archive.assets;
        assert.deepEqual(Object.keys(assets).sort(), ["index.js", "index.js.map"]);
        assert.equal(await (assets["index.js"] as pulumi.asset.FileAsset).path, path.join(bundleDir, "index.js"));
        const bundle = fs.readFileSync(path.join(bundleDir, "index.js"), "utf8");
        assert.match(bundle, /diagnosticsHandler/, "the bundle exports the entry point the function names");
    });

    it("gives the function exactly the variables its reader takes, values it accepts, and a lease longer than an invocation", () => {
        const env = fn("dia-diagnostics").inputs.environment.variables as Record<string, string>;
        const readable = new Set([...DIAGNOSTICS_ENV_VARS.map((v) => v.name), "NODE_OPTIONS", "POWERTOOLS_SERVICE_NAME"]);
        for (const name of Object.keys(env)) {
            assert.ok(readable.has(name), `the function gets ${name}, which it does not read`);
        }
        for (const v of DIAGNOSTICS_ENV_VARS.filter((x) => x.required && x.name !== "AWS_REGION")) {
            assert.ok(env[v.name], `required ${v.name} is set`);
        }
        assert.deepEqual([...triage.DIAGNOSTICS_FUNCTION_ENV_VARS].sort(), Object.keys(env).filter((k) => k !== "NODE_OPTIONS" && k !== "POWERTOOLS_SERVICE_NAME").sort());
        // The function's own reader; Lambda adds AWS_REGION.
        const config = readDiagnosticsConfig({ ...env, AWS_REGION: REGION });
        assert.equal(config.tableName, named("dia-cases").state.name);
        assert.equal(config.notificationTopicArn, ARGS.notificationTopicArn);
        assert.deepEqual([...config.clusters], CLUSTERS);
        assert.equal(config.budgetSeconds, 60);
        assert.equal(config.vigilNamespace, "vigil-monitoring");
        assert.equal(config.retentionDays, 90);
        assert.equal(config.leaseSeconds, 150);
        assert.ok(config.leaseSeconds > fn("dia-diagnostics").inputs.timeout, "no run takes over a run that may still be working");
        assert.equal(env.POWERTOOLS_SERVICE_NAME, "vigil-triage-diagnostics");
        assert.equal(env.NODE_OPTIONS, "--enable-source-maps");
    });

    it("turns diagnostics requests on in the engine functions that open incidents and ask (intake, timer), not in the reply function", () => {
        for (const role of ["intake", "timer"]) {
            const env = fn(`dia-${role}`).inputs.environment.variables;
            assert.equal(env.DIAGNOSTICS, "on", role);
            assert.equal(readConfig(role === "intake" ? "handler" : "timerHandler", env).diagnostics, true, `${role}: the engine's reader takes it`);
        }
        assert.equal(fn("dia-reply").inputs.environment.variables.DIAGNOSTICS, undefined);
        for (const role of ["intake", "timer"]) {
            const env = withoutDiagnostics.find((r) => r.name === `dia-${role}` && r.type === "aws:lambda/function:Function")?.inputs.environment.variables;
            assert.equal(env.DIAGNOSTICS, undefined, `${role} without diagnostics`);
            assert.equal(readConfig(role === "intake" ? "handler" : "timerHandler", env).diagnostics, false);
        }
    });

    it("feeds it from the case table's stream: only pending requests, partial batch failures, bisect, retries, dead letters", () => {
        const m = named("dia-diagnostics-mapping").inputs;
        const table = named("dia-cases");
        assert.equal(m.eventSourceArn, table.state.streamArn);
        assert.match(m.eventSourceArn, /:table\/[^/]+\/stream\//);
        assert.equal(m.functionName, fn("dia-diagnostics").state.arn);
        assert.equal(m.startingPosition, "LATEST");
        assert.equal(m.batchSize, 5);
        assert.equal(m.maximumBatchingWindowInSeconds, 0, "at once");
        assert.deepEqual(m.functionResponseTypes, ["ReportBatchItemFailures"]);
        assert.equal(m.bisectBatchOnFunctionError, true);
        assert.equal(m.maximumRetryAttempts, 2);
        assert.equal(m.maximumRecordAgeInSeconds, 3600);
        assert.equal(m.parallelizationFactor, 2);
        assert.deepEqual(m.destinationConfig, { onFailure: { destinationArn: named("dia-diagnostics-dlq").state.arn } });
        assert.deepEqual(m.tags, DIAGNOSTICS_TAGS);

        assert.equal(m.filterCriteria.filters.length, 1);
        const pattern = json(m.filterCriteria.filters[0].pattern);
        assert.deepEqual(pattern, { dynamodb: { NewImage: { diagnosticsWork: { S: ["pending"] } } } });
        const pending = caseToItem({ ...baseCase(), diagnosticsWork: "pending", diagnosticsRequest: { episode: 1, reason: "incident", requestedAt: "2024-05-01T12:00:00.000Z", attempts: 0 } });
        assert.deepEqual(pending.diagnosticsWork, { S: "pending" }, "the store writes the marker the filter matches");
        assert.equal(matchesPattern(pattern, streamRecord("INSERT", pending)), true, "a new case with a pending request");
        assert.equal(matchesPattern(pattern, streamRecord("MODIFY", pending)), true, "a request added to a case");
        const { diagnosticsWork: _, ...done } = { ...baseCase(), diagnosticsWork: "pending" as const };
        assert.equal(matchesPattern(pattern, streamRecord("MODIFY", caseToItem(done))), false, "the report written: the marker is gone");
        assert.equal(matchesPattern(pattern, streamRecord("MODIFY", caseToItem(baseCase()))), false, "a case without a request");
        assert.equal(matchesPattern(pattern, streamRecord("REMOVE", pending)), false, "an expired case");
        const replyWork = caseToItem({ ...baseCase(), claims: { "work|reply-0123456789ab": { until: "2024-05-01T13:01:00.000Z" } } } as CaseRecord);
        assert.equal(matchesPattern(pattern, streamRecord("MODIFY", replyWork)), false, "reply work is the timer function's");
    });

    it("keeps failed runs: an encrypted dead-letter queue for the stream and for operators' re-runs, which are not repeated", () => {
        const dlq = named("dia-diagnostics-dlq").inputs;
        assert.equal(dlq.kmsMasterKeyId, ARGS.keyArn);
        assert.equal(dlq.messageRetentionSeconds, 14 * 86400);
        const async = named("dia-diagnostics-async").inputs;
        assert.equal(async.functionName, fn("dia-diagnostics").state.name);
        assert.equal(async.maximumRetryAttempts, 0);
        assert.equal(async.maximumEventAgeInSeconds, 3600);
        assert.deepEqual(async.destinationConfig, { onFailure: { destination: named("dia-diagnostics-dlq").state.arn } });
    });

    it("runs as its own Lambda role whose policy is the pure function's, for exactly its resources", () => {
        assert.deepEqual(json(named("dia-diagnostics-role").inputs.assumeRolePolicy), triage.lambdaTrustPolicy());
        assert.equal(named("dia-diagnostics-permissions").inputs.role, named("dia-diagnostics-role").state.name);
        assert.deepEqual(
            json(named("dia-diagnostics-permissions").inputs.policy),
            triage.diagnosticsPolicy({
                identity: { accountId: ACCOUNT, region: REGION, partition: "aws" },
                clusterNames: CLUSTERS,
                logGroupArn: named("dia-diagnostics-logs").state.arn,
                tableArn: named("dia-cases").state.arn,
                tableStreamArn: named("dia-cases").state.streamArn,
                keyArn: ARGS.keyArn,
                notificationTopicArn: ARGS.notificationTopicArn,
                deadLetterQueueArn: named("dia-diagnostics-dlq").state.arn,
            }),
        );
        for (const role of ["intake", "reply", "timer"]) {
            assert.notEqual(named(`dia-${role}-role`).state.arn, named("dia-diagnostics-role").state.arn, `not the ${role} role`);
        }
    });

    describe("the diagnostics role's permissions", () => {
        const clusterArn = (c: string) => `arn:aws:eks:${REGION}:${ACCOUNT}:cluster/${c}`;
        const logGroupArn = (c: string) => `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/eks/${c}/cluster`;

        it("grants exactly these actions, none with a wildcard, nothing on IAM, STS or Kubernetes beyond DescribeCluster", () => {
            const actions = statements().flatMap((s) => list(s.Action)).sort();
            assert.deepEqual(actions, [
                "dynamodb:DescribeStream",
                "dynamodb:GetItem",
                "dynamodb:GetRecords",
                "dynamodb:GetShardIterator",
                "dynamodb:ListStreams",
                "dynamodb:PutItem",
                "eks:DescribeCluster",
                "kms:Decrypt",
                "kms:GenerateDataKey",
                "logs:CreateLogStream",
                "logs:GetQueryResults",
                "logs:PutLogEvents",
                "logs:StartQuery",
                "logs:StopQuery",
                "sns:Publish",
                "sqs:SendMessage",
                "ssm:UpdateOpsItem",
                "xray:PutTelemetryRecords",
                "xray:PutTraceSegments",
            ]);
            assert.ok(statements().every((s) => s.Effect === "Allow"));
            assert.ok(!actions.some((a) => a.includes("*")), "no action wildcards");
            // eks:AccessKubernetesApi is the console's Kubernetes view; the function reaches the API
            // server with its own token, and what it may do there is the customer's read-only mapping.
            assert.ok(!actions.some((a) => /^(iam|sts|eks:(?!DescribeCluster$)|ssm:(Send|Start|Create))/.test(a)), "no identity, cluster or command actions");
        });

        it("describes only the monitored clusters", () => {
            const s = statements().filter((x) => list(x.Action).includes("eks:DescribeCluster"));
            assert.equal(s.length, 1);
            assert.deepEqual(list(s[0].Resource), CLUSTERS.map(clusterArn));
            assert.equal(allowing(statements(), "eks:DescribeCluster", clusterArn("payments-prod")).length, 1);
            assert.equal(allowing(statements(), "eks:DescribeCluster", clusterArn("someone-elses")).length, 0);
            assert.equal(allowing(statements(), "eks:DescribeCluster", `arn:aws:eks:us-east-1:${ACCOUNT}:cluster/payments-prod`).length, 0, "another region's cluster of that name");
        });

        it("starts Logs Insights queries only on the clusters' control-plane log groups", () => {
            const s = statements().filter((x) => list(x.Action).includes("logs:StartQuery"));
            assert.equal(s.length, 1);
            assert.deepEqual(list(s[0].Resource), CLUSTERS.flatMap((c) => [logGroupArn(c), `${logGroupArn(c)}:*`]));
            assert.deepEqual(triage.controlPlaneLogGroupArns({ accountId: ACCOUNT, region: REGION, partition: "aws" }, CLUSTERS), list(s[0].Resource));
            for (const c of CLUSTERS) {
                assert.equal(allowing(statements(), "logs:StartQuery", logGroupArn(c)).length, 1, c);
                assert.equal(allowing(statements(), "logs:StartQuery", `${logGroupArn(c)}:*`).length, 1, `${c} (the ARN with :*)`);
            }
            for (const other of ["/vigil/dia/intake", "/aws/eks/someone-elses/cluster", "/aws/lambda/dia-intake", "/aws/eks/payments-prod/cluster-archive"]) {
                assert.equal(allowing(statements(), "logs:StartQuery", `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${other}`).length, 0, other);
            }
            assert.equal(allowing(statements(), "logs:FilterLogEvents", logGroupArn("payments-prod")).length, 0, "no raw log reads");
            assert.equal(allowing(statements(), "logs:GetLogEvents", `${logGroupArn("payments-prod")}:log-stream:kube-apiserver-audit-1`).length, 0);
        });

        it("reads and stops its queries with Resource * (they take no resource type), in its region only", () => {
            // Service Authorization Reference, CloudWatch Logs: StartQuery takes log-group*;
            // GetQueryResults and StopQuery name no resource type, so only "*" grants them.
            const s = statements().filter((x) => list(x.Action).some((a) => a === "logs:GetQueryResults" || a === "logs:StopQuery"));
            assert.equal(s.length, 1);
            assert.deepEqual(list(s[0].Action).sort(), ["logs:GetQueryResults", "logs:StopQuery"]);
            assert.equal(s[0].Resource, "*");
            assert.deepEqual(s[0].Condition, { StringEquals: { "aws:RequestedRegion": REGION } });
            const wildcard = statements().filter((x) => list(x.Resource).includes("*"));
            assert.deepEqual(wildcard.flatMap((x) => list(x.Action)).sort(), ["logs:GetQueryResults", "logs:StopQuery", "xray:PutTelemetryRecords", "xray:PutTraceSegments"], "only actions without resource types get *");
            assert.ok(wildcard.every((x) => x.Condition?.StringEquals?.["aws:RequestedRegion"] === REGION), "each one tied to the region");
        });

        it("reads and writes only the case table (items by key), and reads only its stream", () => {
            const table = named("dia-cases").state;
            for (const action of ["dynamodb:GetItem", "dynamodb:PutItem"]) {
                assert.equal(allowing(statements(), action, table.arn).length, 1, action);
                assert.equal(allowing(statements(), action, `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/other`).length, 0, `${action} elsewhere`);
            }
            for (const action of ["dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Scan", "dynamodb:Query", "dynamodb:BatchWriteItem"]) {
                assert.equal(allowing(statements(), action, table.arn).length, 0, `${action} is not needed`);
            }
            assert.deepEqual([...triage.DIAGNOSTICS_TABLE_ACTIONS], ["dynamodb:GetItem", "dynamodb:PutItem"]);
            for (const action of ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"]) {
                assert.equal(allowing(statements(), action, table.streamArn).length, 1, action);
                assert.equal(allowing(statements(), action, table.arn).length, 0, `${action} on the table itself`);
            }
            assert.equal(allowing(statements(), "dynamodb:GetRecords", `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/other/stream/2024-01-01T00:00:00.000`).length, 0);
        });

        it("publishes only to the notifications topic, and uses the CMK only through SNS and SQS", () => {
            assert.equal(allowing(statements(), "sns:Publish", ARGS.notificationTopicArn).length, 1);
            for (const other of [ARGS.alertTopicArn, ARGS.pipelineTopicArn, ARGS.heartbeatTopicArn]) {
                assert.equal(allowing(statements(), "sns:Publish", other).length, 0, other);
            }
            const key = statements().filter((x) => list(x.Resource).includes(ARGS.keyArn));
            assert.equal(key.length, 1);
            assert.deepEqual(list(key[0].Action).sort(), ["kms:Decrypt", "kms:GenerateDataKey"]);
            assert.deepEqual(key[0].Condition, { StringEquals: { "kms:ViaService": [`sns.${REGION}.amazonaws.com`, `sqs.${REGION}.amazonaws.com`] } });
            assert.ok(!statements().some((x) => x.Sid === "UseNotificationTopicKey"), "no other key given, none granted");
            assert.equal(allowing(statements(), "kms:Decrypt", ARGS.logKeyArn).length, 0, "not the log key");
        });

        it("updates only OpsItems in its account and region that the engine created (tagged managed-by: vigil)", () => {
            const s = statements().filter((x) => list(x.Action).includes("ssm:UpdateOpsItem"));
            assert.equal(s.length, 1);
            assert.equal(s[0].Resource, `arn:aws:ssm:${REGION}:${ACCOUNT}:opsitem/*`);
            // The opsitem resource type supports aws:ResourceTag; the engine tags what it creates.
            assert.deepEqual(s[0].Condition, { StringEquals: { "aws:ResourceTag/managed-by": "vigil" } });
            assert.equal(vigilTags("triage-incident-response")["managed-by"], "vigil", "the tag CreateOpsItem sets (handler/aws.ts)");
            assert.equal(allowing(statements(), "ssm:UpdateOpsItem", `arn:aws:ssm:us-east-1:${ACCOUNT}:opsitem/oi-0123456789ab`).length, 0, "another region");
            assert.equal(allowing(statements(), "ssm:CreateOpsItem", "*").length, 0, "it never opens incidents");
        });

        it("writes only its own log group and dead letters only to its own queue", () => {
            const logs = named("dia-diagnostics-logs").state.arn;
            assert.equal(allowing(statements(), "logs:PutLogEvents", `${logs}:log-stream:2024/05/01/[$LATEST]abc`).length, 1);
            assert.equal(allowing(statements(), "logs:PutLogEvents", `${named("dia-intake-logs").state.arn}:log-stream:x`).length, 0);
            assert.equal(allowing(statements(), "sqs:SendMessage", named("dia-diagnostics-dlq").state.arn).length, 1);
            for (const q of ["dia-dlq", "dia-intake", "dia-timer-dlq"]) {
                assert.equal(allowing(statements(), "sqs:SendMessage", named(q, "aws:sqs/queue:Queue").state.arn).length, 0, q);
            }
        });
    });

    it("alarms on the function's errors and throttles, its lag behind the table's stream and its dead-letter queue, to the pipeline topic", () => {
        const alarms = resources.filter((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm" && r.name.includes("diagnostics"));
        const watched = Object.fromEntries(alarms.map((a) => [a.inputs.name, [a.inputs.namespace, a.inputs.metricName, a.inputs.dimensions, a.inputs.statistic, a.inputs.threshold]]));
        assert.deepEqual(watched, {
            "vigil-pipeline-triage-diagnostics-errors": ["AWS/Lambda", "Errors", { FunctionName: fn("dia-diagnostics").state.name }, "Sum", 0],
            "vigil-pipeline-triage-diagnostics-throttles": ["AWS/Lambda", "Throttles", { FunctionName: fn("dia-diagnostics").state.name }, "Sum", 0],
            // The default budget (60 s) makes a 90 s timeout: the floor of 5 minutes applies.
            "vigil-pipeline-triage-diagnostics-iterator-age": ["AWS/Lambda", "IteratorAge", { FunctionName: fn("dia-diagnostics").state.name }, "Maximum", 300_000],
            "vigil-pipeline-triage-diagnostics-dlq-not-empty": ["AWS/SQS", "ApproximateNumberOfMessagesVisible", { QueueName: named("dia-diagnostics-dlq").state.name }, "Maximum", 0],
        });
        for (const a of alarms) {
            assert.deepEqual([a.inputs.alarmActions, a.inputs.okActions], [[ARGS.pipelineTopicArn], [ARGS.pipelineTopicArn]]);
            assert.equal(a.inputs.comparisonOperator, "GreaterThanThreshold");
            assert.equal(a.inputs.treatMissingData, "notBreaching");
        }
    });

    it("exposes the role (for CustomerAccess diagnosticsRoleArn) and the function; both undefined without diagnostics", async () => {
        assert.equal(await promiseOf(service.diagnosticsRoleArn), named("dia-diagnostics-role").state.arn);
        assert.match((await promiseOf(service.diagnosticsRoleArn)) as string, /^arn:aws:iam::111122223333:role\/dia-diagnostics-role-[0-9a-f]+$/);
        assert.equal(await promiseOf(service.diagnosticsFunctionArn), fn("dia-diagnostics").state.arn);
        assert.equal(await promiseOf(plain.diagnosticsRoleArn), undefined);
        assert.equal(await promiseOf(plain.diagnosticsFunctionArn), undefined);
        assert.ok(!withoutDiagnostics.some((r) => r.name.includes("diagnostics")), "nothing of diagnostics without it");
        const allActions = withoutDiagnostics
            .filter((r) => r.type === "aws:iam/rolePolicy:RolePolicy")
            .flatMap((r) => (json(r.inputs.policy).Statement as Statement[]).flatMap((s) => list(s.Action)));
        assert.ok(!allActions.some((a) => a === "eks:DescribeCluster" || a === "logs:StartQuery"), "no role can inspect clusters without diagnostics");
    });

    it("passes its settings through: budget, namespace, reservation, and an existing notifications topic's own key", async () => {
        recorder.reset();
        const customerKey = "arn:aws:kms:eu-west-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        const custom = new triage.TriageService("custom", {
            ...ARGS,
            bundleDir,
            notificationTopicKeyArn: customerKey,
            diagnostics: { clusterNames: ["payments-prod"], budgetSeconds: 600, namespace: "ops-monitoring", reservedConcurrency: 1 },
        });
        await registered(recorder, custom, OUTPUTS);
        const f = recorder.named("custom-diagnostics", "aws:lambda/function:Function").inputs;
        assert.equal(f.timeout, 630);
        assert.ok(f.timeout <= 900, "within Lambda's 15 minutes");
        assert.equal(f.reservedConcurrentExecutions, 1);
        const config = readDiagnosticsConfig({ ...f.environment.variables, AWS_REGION: REGION });
        assert.deepEqual([config.budgetSeconds, config.vigilNamespace, config.leaseSeconds, [...config.clusters]], [600, "ops-monitoring", 690, ["payments-prod"]]);
        // The stream-lag alarm follows the timeout: twice 630 s.
        assert.equal(recorder.named("vigil-pipeline-triage-diagnostics-iterator-age").inputs.threshold, 1_260_000);
        const policy: Statement[] = json(recorder.named("custom-diagnostics-permissions").inputs.policy).Statement;
        assert.deepEqual(list(policy.find((s) => s.Sid === "DescribeMonitoredClusters")?.Resource ?? []), ["arn:aws:eks:eu-west-1:111122223333:cluster/payments-prod"]);
        assert.deepEqual(
            policy.filter((s) => list(s.Resource).includes(customerKey)),
            [
                {
                    Sid: "UseNotificationTopicKey",
                    Effect: "Allow",
                    Action: ["kms:Decrypt", "kms:GenerateDataKey"],
                    Resource: customerKey,
                    Condition: { StringEquals: { "kms:ViaService": "sns.eu-west-1.amazonaws.com", "kms:EncryptionContext:aws:sns:topicArn": ARGS.notificationTopicArn } },
                },
            ],
        );
    });

    it("accepts the budget's extremes end to end: the timeout, the lease and the function's reader agree", () => {
        for (const budgetSeconds of [10, 600]) {
            const d = triage.resolveDiagnosticsArgs({ clusterNames: ["c1"], budgetSeconds });
            assert.equal(d.timeoutSeconds, budgetSeconds + 30);
            assert.ok(d.timeoutSeconds <= 900);
            const env = triage.diagnosticsEnvironment(d, { tableName: "vigil-triage-cases", notificationTopicArn: ARGS.notificationTopicArn }, 90);
            const config = readDiagnosticsConfig({ ...env, AWS_REGION: REGION } as Record<string, string>);
            assert.equal(config.budgetSeconds, budgetSeconds);
            assert.ok(config.leaseSeconds > d.timeoutSeconds, `budget ${budgetSeconds}: lease ${config.leaseSeconds} outlasts the timeout ${d.timeoutSeconds}`);
            // The lag alarm fires before a request is old enough to be given up (records older than an hour).
            const age = triage.diagnosticsIteratorAgeAlarmMs(d.timeoutSeconds);
            assert.ok(age >= 2 * d.timeoutSeconds * 1000 && age >= 300_000, `budget ${budgetSeconds}: ${age} ms`);
            assert.ok(age < 3600 * 1000, `budget ${budgetSeconds}: ${age} ms is below the mapping's maximum record age`);
        }
    });

    describe("refuses diagnostics arguments it cannot use, naming them", () => {
        const cases: [string, Record<string, unknown>, RegExp][] = [
            ["no clusters", { clusterNames: [] }, /diagnostics\.clusterNames: got \[\]; allowed: a non-empty list of EKS cluster names/],
            ["a cluster name EKS does not allow", { clusterNames: ["payments prod"] }, /diagnostics\.clusterNames: got \["payments prod"\]/],
            ["a cluster twice", { clusterNames: ["a", "a"] }, /diagnostics\.clusterNames: got \["a","a"\]; allowed: each cluster once/],
            ["a budget below 10 s", { clusterNames: ["a"], budgetSeconds: 5 }, /diagnostics\.budgetSeconds: got 5; allowed: a whole number of seconds from 10 to 600/],
            ["a budget beyond 600 s", { clusterNames: ["a"], budgetSeconds: 601 }, /diagnostics\.budgetSeconds: got 601/],
            ["a namespace that is not a DNS label", { clusterNames: ["a"], namespace: "Vigil_Monitoring" }, /diagnostics\.namespace: got "Vigil_Monitoring"; allowed: a namespace name/],
            ["no reserved concurrency", { clusterNames: ["a"], reservedConcurrency: 0 }, /diagnostics\.reservedConcurrency: got 0; allowed: a whole number from 1 to 1000/],
        ];
        for (const [what, diagnostics, message] of cases) {
            it(`refuses ${what}`, () => {
                assert.throws(
                    () => new triage.TriageService(`bad-${what.length}`, { ...ARGS, bundleDir, diagnostics } as never),
                    (err: Error) => err.constructor.name === "ResourceError" && message.test(err.message),
                );
            });
        }
    });
});

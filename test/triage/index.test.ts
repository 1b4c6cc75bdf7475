// The Lambda entry points as the runtime calls them: DynamoDB through the standard endpoint
// override to dynalite, SNS/SSM/Scheduler through aws-sdk-client-mock.

import * as assert from "node:assert/strict";
import { CreateScheduleCommand, DeleteScheduleCommand } from "@aws-sdk/client-scheduler";
import { PublishCommand } from "@aws-sdk/client-sns";
import { CreateOpsItemCommand } from "@aws-sdk/client-ssm";
import type { LambdaFunctionURLEvent, SQSEvent, SQSRecord } from "aws-lambda";
import { atExpression } from "../../components/triage/handler/aws";
import { caseIdFor } from "../../components/triage/handler/lifecycle";
import { addSeconds } from "../../components/triage/handler/time";
import { AwsClientMocks, mockAwsClients } from "./awsMocks";
import { CORRUPT_CASE_ID, createTable, Dynalite, fixtureJson, harness, message, putCorruptCase, rawItem, replyTokens, startDynalite, streamRecord } from "./support";

type Index = typeof import("../../components/triage/handler/index");

const CRASH = "prometheus:3f1c9a4be07d2e11";
const TOPIC = "arn:aws:sns:eu-west-1:111122223333:vigil-notifications";
const OPERATOR_TOPIC = "arn:aws:sns:eu-west-1:111122223333:vigil-pipeline";
const TIMER_ARN = "arn:aws:lambda:eu-west-1:111122223333:function:vigil-triage-timer";
const ROLE_ARN = "arn:aws:iam::111122223333:role/vigil-triage-scheduler";

function sqsRecord(id: string, envelope: unknown): SQSRecord {
    return {
        messageId: id,
        receiptHandle: `rh-${id}`,
        body: JSON.stringify(envelope),
        attributes: { ApproximateReceiveCount: "1", SentTimestamp: "1714564800000", SenderId: "AIDAEXAMPLE", ApproximateFirstReceiveTimestamp: "1714564800001" },
        messageAttributes: {},
        md5OfBody: "",
        eventSource: "aws:sqs",
        eventSourceARN: "arn:aws:sqs:eu-west-1:111122223333:vigil-triage-intake",
        awsRegion: "eu-west-1",
    };
}

const CONTEXT = {
    callbackWaitsForEmptyEventLoop: false,
    functionName: "vigil-triage",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:eu-west-1:111122223333:function:vigil-triage",
    memoryLimitInMB: "256",
    awsRequestId: "c6af9ac6-7b61-11e6-9a41-93e812345678",
    logGroupName: "/aws/lambda/vigil-triage",
    logStreamName: "2024/05/01/[$LATEST]abcdef",
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
};

function httpEvent(method: string, rawPath: string): LambdaFunctionURLEvent {
    return {
        version: "2.0",
        routeKey: "$default",
        rawPath,
        rawQueryString: "",
        headers: { "user-agent": "Mozilla/5.0" },
        isBase64Encoded: false,
        requestContext: {
            accountId: "anonymous",
            apiId: "abcdefghij",
            domainName: "abcdefghij.lambda-url.eu-west-1.on.aws",
            domainPrefix: "abcdefghij",
            http: { method, path: rawPath, protocol: "HTTP/1.1", sourceIp: "203.0.113.7", userAgent: "Mozilla/5.0" },
            requestId: "r-1",
            routeKey: "$default",
            stage: "$default",
            time: "01/May/2024:12:00:00 +0000",
            timeEpoch: 1714564800000,
        },
    };
}

/** Runs `fn` with stdout and stderr captured (the Powertools logger writes JSON lines there). */
async function captured<T>(fn: () => Promise<T>): Promise<{ result: T; output: string }> {
    const writes = { out: process.stdout.write, err: process.stderr.write };
    let output = "";
    const capture = ((chunk: string | Uint8Array) => {
        output += chunk.toString();
        return true;
    }) as typeof process.stdout.write;
    process.stdout.write = capture;
    process.stderr.write = capture;
    try {
        return { result: await fn(), output };
    } finally {
        process.stdout.write = writes.out;
        process.stderr.write = writes.err;
    }
}

describe("triage Lambda entry points", function () {
    this.timeout(30_000);
    let dynamo: Dynalite;
    let index: Index;
    // Restored key by key in `after`: other test files share this process.
    const saved = new Map<string, string | undefined>();
    const setEnv = (values: Record<string, string>) => {
        for (const [k, v] of Object.entries(values)) {
            if (!saved.has(k)) {
                saved.set(k, process.env[k]);
            }
            process.env[k] = v;
        }
    };
    let { sns, ssm, scheduler } = {} as AwsClientMocks;

    before(async () => {
        ({ sns, ssm, scheduler } = mockAwsClients());
        dynamo = await startDynalite();
        setEnv({
            AWS_REGION: "eu-west-1",
            AWS_ACCESS_KEY_ID: "local",
            AWS_SECRET_ACCESS_KEY: "local",
            AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
            POWERTOOLS_LOG_LEVEL: "DEBUG",
            NOTIFICATION_TOPIC_ARN: TOPIC,
            OPERATOR_TOPIC_ARN: OPERATOR_TOPIC,
            REPLY_BASE_URL: "https://reply.vigil.example/",
            TIMER_FUNCTION_ARN: TIMER_ARN,
            SCHEDULER_ROLE_ARN: ROLE_ARN,
            SCHEDULE_GROUP: "vigil",
        });
        index = await import("../../components/triage/handler/index");
    });

    beforeEach(async () => {
        setEnv({ TABLE_NAME: await createTable(dynamo.endpoint) });
        index.resetHandlerState();
        sns.reset();
        ssm.reset();
        scheduler.reset();
        let published = 0;
        sns.on(PublishCommand).callsFake(async () => ({ MessageId: `sns-${++published}` }));
        ssm.on(CreateOpsItemCommand).resolves({ OpsItemId: "oi-0123456789abcdef" });
        scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: "arn:aws:scheduler:eu-west-1:111122223333:schedule/vigil/x" });
        scheduler.on(DeleteScheduleCommand).resolves({});
    });

    after(async () => {
        sns.restore();
        ssm.restore();
        scheduler.restore();
        for (const [k, v] of saved) {
            if (v === undefined) {
                delete process.env[k];
            } else {
                process.env[k] = v;
            }
        }
        index.resetHandlerState();
        await dynamo.close();
    });

    it("handler: processes an SQS batch in order, keeps bad messages, and reports only the failed record", async () => {
        const giant = fixtureJson("amp/01-crashloop-firing.sns.json");
        const body = JSON.parse(giant.Message);
        body.alerts[0].labels.huge = "x".repeat(420 * 1024);
        body.alerts[0].fingerprint = "00000000000000ff";
        giant.Message = JSON.stringify(body);
        giant.MessageId = "giant";
        const event: SQSEvent = {
            Records: [
                sqsRecord("r1", fixtureJson("amp/01-crashloop-firing.sns.json")),
                sqsRecord("r2", fixtureJson("amp/10-truncated.sns.json")),
                sqsRecord("r3", giant),
                sqsRecord("r4", fixtureJson("health/01-eks-issue-open.sns.json")),
                sqsRecord("r5", fixtureJson("amp/07-watchdog-heartbeat.sns.json")),
                sqsRecord("r6", fixtureJson("amp/01-crashloop-firing.sns.json")),
            ],
        };
        const { result, output } = await captured(() => index.handler(event, CONTEXT));
        assert.deepEqual(result, { batchItemFailures: [{ itemIdentifier: "r3" }] });
        assert.match(output, /"message":"message failed; it will be retried".*"messageId":"giant".*ValidationException/);
        const published = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
        assert.equal(published.length, 2, "the crash loop (once) and the Health issue");
        assert.equal(published[0].TopicArn, TOPIC);
        assert.equal(published[0].Subject, "[Vigil] Please confirm impact: KubePodCrashLooping (payments-prod)");
        assert.deepEqual(published[0].MessageAttributes?.vigil_event, { DataType: "String", StringValue: "ask" });
        assert.match(published[0].Message ?? "", /https:\/\/reply\.vigil\.example\/r\/[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}/);
        const schedules = scheduler.commandCalls(CreateScheduleCommand).map((c) => c.args[0].input);
        assert.equal(schedules.length, 2);
        const caseId = caseIdFor(CRASH);
        assert.equal(schedules[0].Name, `vigil-reply-${caseId}-1`);
        assert.equal(schedules[0].GroupName, "vigil");
        assert.equal(schedules[0].Target?.Arn, TIMER_ARN);
        assert.equal(schedules[0].Target?.RoleArn, ROLE_ARN);
        const payload = JSON.parse(schedules[0].Target?.Input ?? "{}");
        assert.equal(payload.kind, "reply-timeout");
        assert.equal(payload.caseId, caseId);
        assert.equal(schedules[0].ScheduleExpression, atExpression(payload.deadline));
        assert.equal(schedules[0].ScheduleExpressionTimezone, "UTC");
        assert.equal(schedules[0].ActionAfterCompletion, "DELETE");
    });

    it("handler: a no-impact pipeline alert notifies the operator's topic and not the customer's", async () => {
        const { result } = await captured(() =>
            index.handler({ Records: [sqsRecord("t1", fixtureJson("amp/11-target-down-pipeline.sns.json")), sqsRecord("t2", fixtureJson("amp/12-target-down-resolved.sns.json"))] }, CONTEXT),
        );
        assert.deepEqual(result, { batchItemFailures: [] });
        const published = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
        assert.deepEqual(
            published.map((p) => [p.TopicArn, p.Subject, p.MessageAttributes?.vigil_event?.StringValue]),
            [
                [OPERATOR_TOPIC, "[Vigil] Operator notice: TargetDown (payments-prod)", "operator-notice"],
                [OPERATOR_TOPIC, "[Vigil] Recovered: TargetDown (payments-prod)", "operator-recovered"],
            ],
        );
        assert.equal(ssm.commandCalls(CreateOpsItemCommand).length + scheduler.commandCalls(CreateScheduleCommand).length, 0);
    });

    it("handler: a configuration error names the variable", async () => {
        delete process.env.NOTIFICATION_TOPIC_ARN;
        index.resetHandlerState();
        try {
            await assert.rejects(
                index.handler({ Records: [sqsRecord("r1", fixtureJson("amp/01-crashloop-firing.sns.json"))] }, CONTEXT),
                /environment variable NOTIFICATION_TOPIC_ARN is not set; the handler function requires it/,
            );
        } finally {
            process.env.NOTIFICATION_TOPIC_ARN = TOPIC;
        }
    });

    it("replyHandler: GET shows a page and changes nothing, POST applies once, with security headers and no token in the logs", async () => {
        await captured(() => index.handler({ Records: [sqsRecord("r1", fixtureJson("amp/01-crashloop-firing.sns.json"))] }, CONTEXT));
        const ask = sns.commandCalls(PublishCommand)[0].args[0].input.Message ?? "";
        const { confirm } = replyTokens(ask);
        const secret = confirm.split(".")[1];
        const h = await harness(dynamo.endpoint, { tableName: process.env.TABLE_NAME });
        const before = await h.store.load(caseIdFor(CRASH));

        const { result: get, output: getLogs } = await captured(() => index.replyHandler(httpEvent("GET", `/r/${confirm}`), CONTEXT));
        assert.equal(get.statusCode, 200);
        assert.equal(get.headers?.["Cache-Control"], "no-store");
        assert.equal(get.headers?.["Referrer-Policy"], "no-referrer");
        assert.equal(get.headers?.["X-Content-Type-Options"], "nosniff");
        assert.match(String(get.headers?.["Content-Security-Policy"]), /frame-ancestors 'none'/);
        assert.match(String(get.headers?.["Content-Security-Policy"]), /default-src 'none'/);
        assert.match(get.body ?? "", /<form method="post"><button type="submit">Confirm customer impact<\/button><\/form>/);
        assert.match(get.body ?? "", /KubePodCrashLooping/);
        assert.deepEqual(await h.store.load(caseIdFor(CRASH)), before, "GET changed nothing");

        const { result: post, output: postLogs } = await captured(() => index.replyHandler(httpEvent("POST", `/r/${confirm}`), CONTEXT));
        assert.equal(post.statusCode, 200);
        assert.match(post.body ?? "", /Your confirmation is recorded; an incident is being opened/);
        assert.equal((await h.store.load(caseIdFor(CRASH)))?.state, "INCIDENT_OPEN");
        const opsItem = ssm.commandCalls(CreateOpsItemCommand)[0].args[0].input;
        assert.deepEqual(JSON.parse(opsItem.OperationalData?.["/aws/dedup"]?.Value ?? "{}"), { dedupString: CRASH });
        assert.equal(opsItem.OperationalData?.["/aws/dedup"]?.Type, "SearchableString");
        assert.ok(opsItem.Tags?.some((t) => t.Key === "vigil:activity" && t.Value === "triage-incident-response"));
        assert.equal(scheduler.commandCalls(DeleteScheduleCommand)[0].args[0].input.Name, `vigil-reply-${caseIdFor(CRASH)}-1`);

        const { result: again } = await captured(() => index.replyHandler(httpEvent("POST", `/r/${confirm}`), CONTEXT));
        assert.equal(again.statusCode, 410);
        assert.match(again.body ?? "", /already been used/);
        const { result: forged } = await captured(() => index.replyHandler(httpEvent("POST", `/r/${caseIdFor(CRASH)}.${"A".repeat(22)}`), CONTEXT));
        assert.equal(forged.statusCode, 404);
        assert.match(forged.body ?? "", /not valid or has expired/);
        const { result: put } = await captured(() => index.replyHandler(httpEvent("PUT", `/r/${confirm}`), CONTEXT));
        assert.equal(put.statusCode, 405);
        assert.equal(put.headers?.Allow, "GET, POST");
        const { result: elsewhere } = await captured(() => index.replyHandler(httpEvent("GET", "/admin"), CONTEXT));
        assert.equal(elsewhere.statusCode, 404);

        assert.match(postLogs, /reply applied/, "the logs were captured");
        for (const logs of [getLogs, postLogs]) {
            assert.ok(!logs.includes(secret), "a token secret reached the logs");
        }
    });

    it("timerHandler: a reply timer resolves an overdue case; the sweep payload sweeps; anything else is an error", async () => {
        // Create a case waiting since four days ago (the handler's clock is the real one).
        const h = await harness(dynamo.endpoint, { tableName: process.env.TABLE_NAME });
        h.clock.set(addSeconds(new Date().toISOString(), -4 * 86400));
        await h.engine.ingest(message("amp/01-crashloop-firing.sns.json"));
        const caseId = caseIdFor(CRASH);
        const record = await h.store.load(caseId);
        assert.equal(record?.state, "AWAITING_CUSTOMER");
        const { result } = await captured(() => index.timerHandler({ kind: "reply-timeout", caseId, deadline: record?.replyDeadline }, CONTEXT));
        assert.deepEqual(result, { kind: "reply-timeout", result: "resolved" });
        assert.equal((await h.store.load(caseId))?.resolution, "REPLY_TIMEOUT");
        const { result: again } = await captured(() => index.timerHandler({ kind: "reply-timeout", caseId, deadline: record?.replyDeadline }, CONTEXT));
        assert.deepEqual(again, { kind: "reply-timeout", result: "not-due" });
        const { result: sweep } = await captured(() => index.timerHandler({ kind: "sweep" }, CONTEXT));
        assert.deepEqual(sweep, { kind: "sweep", result: { examined: 0, timedOut: 0, resumed: 0 } });
        const { result: scheduled } = await captured(() => index.timerHandler({ "detail-type": "Scheduled Event", source: "aws.events" }, CONTEXT));
        assert.deepEqual(Object.keys(scheduled), ["kind", "result"]);
        assert.equal((scheduled as { kind: string }).kind, "sweep");
        await assert.rejects(index.timerHandler({ kind: "reply-timeout" }, CONTEXT), /unrecognised payload .*expected \{"kind":"reply-timeout"/);
        await assert.rejects(index.timerHandler({ Records: [{ eventSource: "aws:sqs" }] }, CONTEXT), /unrecognised payload/, "only DynamoDB stream records are follow-ups");
    });

    it("timerHandler: follows replies up from stream records at once, skips records without pending work, and reports a failing record alone", async () => {
        // As deployed (lambda.ts): the reply function leaves its work.
        index.configurePorts({ deferReplyWork: true });
        try {
            await captured(() => index.handler({ Records: [sqsRecord("r1", fixtureJson("amp/01-crashloop-firing.sns.json"))] }, CONTEXT));
            const { confirm } = replyTokens(sns.commandCalls(PublishCommand)[0].args[0].input.Message ?? "");
            const { result: post } = await captured(() => index.replyHandler(httpEvent("POST", `/r/${confirm}`), CONTEXT));
            assert.equal(post.statusCode, 200);
            assert.equal(ssm.commandCalls(CreateOpsItemCommand).length, 0, "the reply function opened nothing");
            const table = process.env.TABLE_NAME as string;
            const h = await harness(dynamo.endpoint, { tableName: table });
            const pending = streamRecord("MODIFY", await rawItem(h.client, table, `case#${caseIdFor(CRASH)}`, "case"), table);
            await captured(() => index.handler({ Records: [sqsRecord("r5", fixtureJson("amp/07-watchdog-heartbeat.sns.json"))] }, CONTEXT));
            const unrelated = streamRecord("MODIFY", await rawItem(h.client, table, "heartbeat#payments-prod", "heartbeat"), table);
            await putCorruptCase(h.client, table);
            const corrupt = streamRecord("MODIFY", await rawItem(h.client, table, `case#${CORRUPT_CASE_ID}`, "case"), table);

            const { result, output } = await captured(() => index.timerHandler({ Records: [pending, unrelated, corrupt] }, CONTEXT));
            assert.deepEqual(result, { batchItemFailures: [{ itemIdentifier: corrupt.dynamodb?.SequenceNumber }] });
            assert.equal(ssm.commandCalls(CreateOpsItemCommand).length, 1, "the confirmed incident is open now, not at the next sweep");
            assert.deepEqual(sns.commandCalls(PublishCommand).map((c) => c.args[0].input.MessageAttributes?.vigil_event?.StringValue), ["ask", "incident"]);
            assert.deepEqual(scheduler.commandCalls(DeleteScheduleCommand).map((c) => c.args[0].input.Name), [`vigil-reply-${caseIdFor(CRASH)}-1`]);
            assert.equal((await h.store.load(caseIdFor(CRASH)))?.opsItemId, "oi-0123456789abcdef");
            assert.match(output, /"message":"reply follow-up".*"result":"done"/);
            assert.match(output, /stream record without pending reply work; skipped/);

            // Redelivered (Lambda retries what failed; a duplicate is harmless), and a batch that only fails throws, so Lambda retries it.
            const { result: again } = await captured(() => index.timerHandler({ Records: [pending] }, CONTEXT));
            assert.deepEqual(again, { batchItemFailures: [] });
            assert.equal(ssm.commandCalls(CreateOpsItemCommand).length, 1);
            await assert.rejects(captured(() => index.timerHandler({ Records: [corrupt] }, CONTEXT)), /All records failed processing/);
        } finally {
            index.configurePorts({});
        }
    });
});

// The AWS adapters, with the SDK clients mocked (aws-sdk-client-mock): exact requests and the
// error handling that makes them idempotent.

import * as assert from "node:assert/strict";
import { ConflictException, CreateScheduleCommand, DeleteScheduleCommand, ResourceNotFoundException, SchedulerClient } from "@aws-sdk/client-scheduler";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { CreateOpsItemCommand, OpsItemAlreadyExistsException, OpsItemLimitExceededException, SSMClient } from "@aws-sdk/client-ssm";
import { atExpression, createOpsItemInput, OpsCenterIncidents, SchedulerTimers, SnsNotifier } from "../../components/triage/handler/aws";
import { Alert } from "../../components/triage/handler/model";
import { parseMessage } from "../../components/triage/handler/normalize";
import { IncidentRequest } from "../../components/triage/handler/ports";
import { AwsClientMocks, mockAwsClients } from "./awsMocks";
import { message } from "./support";

const LOCAL = { region: "eu-west-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } };

function alertOf(relative: string): Alert {
    const parsed = parseMessage(message(relative));
    assert.equal(parsed.kind, "alerts");
    return (parsed as Extract<typeof parsed, { kind: "alerts" }>).alerts[0];
}

function request(alert: Alert, extra: Partial<IncidentRequest> = {}): IncidentRequest {
    return { dedupKey: alert.key, caseId: "U6fgZ7NisRr1LsJ2udryvp", title: "title", description: "description", alert, impact: "known", impactReason: "label impact=known", evidence: [], ...extra };
}

describe("triage AWS adapters", () => {
    let { sns, ssm, scheduler } = {} as AwsClientMocks;

    before(() => {
        ({ sns, ssm, scheduler } = mockAwsClients());
    });

    beforeEach(() => {
        sns.reset();
        ssm.reset();
        scheduler.reset();
    });

    after(() => {
        sns.restore();
        ssm.restore();
        scheduler.restore();
    });

    describe("SNS notifier", () => {
        it("publishes subject, body and string attributes to the topic", async () => {
            sns.on(PublishCommand).resolves({ MessageId: "m-1" });
            const notifier = new SnsNotifier(new SNSClient(LOCAL), "arn:aws:sns:eu-west-1:111122223333:vigil-notifications");
            const id = await notifier.publish({ caseId: "c", kind: "ask", subject: "[Vigil] s", body: "b", attributes: { impact: "uncertain", cluster: "payments-prod" } });
            assert.equal(id, "m-1");
            assert.deepEqual(sns.commandCalls(PublishCommand)[0].args[0].input, {
                TopicArn: "arn:aws:sns:eu-west-1:111122223333:vigil-notifications",
                Subject: "[Vigil] s",
                Message: "b",
                MessageAttributes: { impact: { DataType: "String", StringValue: "uncertain" }, cluster: { DataType: "String", StringValue: "payments-prod" } },
            });
        });

        it("bounds the body to SNS's message size", async () => {
            sns.on(PublishCommand).resolves({ MessageId: "m-2" });
            await new SnsNotifier(new SNSClient(LOCAL), "arn:aws:sns:eu-west-1:111122223333:t").publish({ caseId: "c", kind: "ask", subject: "s", body: "é".repeat(200_000), attributes: {} });
            const body = sns.commandCalls(PublishCommand)[0].args[0].input.Message ?? "";
            assert.ok(Buffer.byteLength(body) <= 250 * 1024);
            assert.ok(body.endsWith("é"), "not cut inside a character");
        });

        it("lets a failed publish throw (the engine retries)", async () => {
            sns.on(PublishCommand).rejects(new Error("KMS key disabled"));
            await assert.rejects(new SnsNotifier(new SNSClient(LOCAL), "arn:aws:sns:eu-west-1:111122223333:t").publish({ caseId: "c", kind: "ask", subject: "s", body: "b", attributes: {} }), /KMS key disabled/);
        });
    });

    describe("OpsCenter incidents", () => {
        it("creates the OpsItem with the case key as dedup string, within OpsCenter's limits", () => {
            const alert = { ...alertOf("guardduty/03-eks-finding-high.sns.json"), description: "d".repeat(50_000) };
            const input = createOpsItemInput(request(alert, { title: "t".repeat(2000), description: "x".repeat(5000), evidence: [{ title: "audit log", body: "e".repeat(30_000) }] }), "Vigil");
            assert.deepEqual(JSON.parse(input.OperationalData["/aws/dedup"].Value), { dedupString: "guardduty:111122223333:eu-west-1:7fd5b4c3a2e1f0a9b8c7d6e5f4a3b2c1" });
            assert.equal(input.OperationalData["/aws/dedup"].Type, "SearchableString");
            assert.deepEqual(JSON.parse(input.OperationalData["/aws/resources"].Value), [{ arn: "arn:aws:eks:eu-west-1:111122223333:cluster/payments-prod" }]);
            assert.equal(input.Title.length, 1024);
            assert.equal(input.Description.length, 2048);
            for (const [key, value] of Object.entries(input.OperationalData)) {
                assert.ok(key.length <= 128, key);
                assert.ok(Buffer.byteLength(value.Value) <= 20 * 1024, `${key} value within 20 KB`);
                assert.ok(key.startsWith("/aws/") || !/^(amazon|aws|amzn|ssm|\/amazon|\/aws|\/amzn|\/ssm)/i.test(key), `${key} avoids reserved prefixes`);
            }
            assert.equal(input.Category, "Security");
            assert.equal(input.Severity, "1");
            assert.equal(input.Priority, 1);
            assert.equal(input.Source, "Vigil");
            assert.deepEqual(input.Tags, [
                { Key: "vigil:activity", Value: "triage-incident-response" },
                { Key: "vigil:responsible", Value: "operator" },
                { Key: "managed-by", Value: "vigil" },
            ]);
            const warning = createOpsItemInput(request(alertOf("amp/01-crashloop-firing.sns.json")), "Vigil");
            assert.equal(warning.Category, "Availability");
            assert.equal(warning.Severity, "3");
            assert.equal(warning.OperationalData["/aws/resources"], undefined);
        });

        it("reuses the open OpsItem on OpsItemAlreadyExistsException", async () => {
            ssm.on(CreateOpsItemCommand).rejects(new OpsItemAlreadyExistsException({ $metadata: {}, message: "exists", OpsItemId: "oi-existing" }));
            const incidents = new OpsCenterIncidents(new SSMClient(LOCAL));
            assert.deepEqual(await incidents.open(request(alertOf("amp/04-apiserver-burn-known.sns.json"))), { id: "oi-existing", created: false });
        });

        it("returns a created OpsItem and rethrows other errors", async () => {
            ssm.on(CreateOpsItemCommand).resolvesOnce({ OpsItemId: "oi-new" }).rejectsOnce(new OpsItemLimitExceededException({ $metadata: {}, message: "limit" }));
            const incidents = new OpsCenterIncidents(new SSMClient(LOCAL));
            assert.deepEqual(await incidents.open(request(alertOf("amp/04-apiserver-burn-known.sns.json"))), { id: "oi-new", created: true });
            await assert.rejects(incidents.open(request(alertOf("amp/04-apiserver-burn-known.sns.json"))), /limit/);
        });
    });

    describe("EventBridge Scheduler timers", () => {
        const options = { targetArn: "arn:aws:lambda:eu-west-1:111122223333:function:timer", roleArn: "arn:aws:iam::111122223333:role/scheduler", groupName: "vigil", deadLetterArn: "arn:aws:sqs:eu-west-1:111122223333:timer-dlq" };

        it("at() is UTC, whole seconds, rounded up so the timer never fires before the deadline", () => {
            assert.equal(atExpression("2024-05-04T12:00:00.000Z"), "at(2024-05-04T12:00:00)");
            assert.equal(atExpression("2024-05-04T12:00:00.001Z"), "at(2024-05-04T12:00:01)");
            assert.equal(atExpression("2024-12-31T23:59:59.500Z"), "at(2025-01-01T00:00:00)");
        });

        it("creates a one-time schedule that deletes itself, targeting the timer function", async () => {
            scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: "arn" });
            const timers = new SchedulerTimers(new SchedulerClient(LOCAL), options);
            await timers.schedule("vigil-reply-abc-1", "2024-05-04T12:00:00.000Z", { kind: "reply-timeout", caseId: "abc", deadline: "2024-05-04T12:00:00.000Z" });
            const input = scheduler.commandCalls(CreateScheduleCommand)[0].args[0].input;
            assert.deepEqual(input, {
                Name: "vigil-reply-abc-1",
                GroupName: "vigil",
                ScheduleExpression: "at(2024-05-04T12:00:00)",
                ScheduleExpressionTimezone: "UTC",
                FlexibleTimeWindow: { Mode: "OFF" },
                ActionAfterCompletion: "DELETE",
                ClientToken: "vigil-reply-abc-1",
                Description: "Vigil: resolve the case if the customer has not answered",
                Target: {
                    Arn: options.targetArn,
                    RoleArn: options.roleArn,
                    Input: '{"kind":"reply-timeout","caseId":"abc","deadline":"2024-05-04T12:00:00.000Z"}',
                    RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 },
                    DeadLetterConfig: { Arn: options.deadLetterArn },
                },
            });
        });

        it("treats an existing schedule as created and a missing one as deleted; other errors throw", async () => {
            scheduler.on(CreateScheduleCommand).rejects(new ConflictException({ $metadata: {}, message: "exists", Message: "exists" }));
            scheduler.on(DeleteScheduleCommand).rejectsOnce(new ResourceNotFoundException({ $metadata: {}, message: "gone", Message: "gone" })).rejectsOnce(new Error("throttled"));
            const timers = new SchedulerTimers(new SchedulerClient(LOCAL), options);
            await timers.schedule("n", "2024-05-04T12:00:00.000Z", { kind: "sweep" });
            await timers.cancel("n");
            await assert.rejects(timers.cancel("n"), /throttled/);
            assert.deepEqual(scheduler.commandCalls(DeleteScheduleCommand)[0].args[0].input, { Name: "n", GroupName: "vigil" });
        });
    });
});

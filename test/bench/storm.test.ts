// The storm benchmark's parts: its messages are what the engine accepts (parsed by the engine's own
// normalizer), its AWS stand-in speaks the services' protocols to the real SDK clients, and a small
// storm end to end counts exactly what it should.

import * as assert from "node:assert/strict";
import { CreateOpsItemCommand, GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { CreateScheduleCommand, DeleteScheduleCommand, SchedulerClient } from "@aws-sdk/client-scheduler";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { fromSqsRecord, parseMessage } from "../../components/triage/handler/normalize";
import { Scope } from "../../bench/lib/scope";
import { alertTemplates, GROUP_ALERTNAME, runStorm, TARGET } from "../../bench/storm";
import { answer, FakeAws, signedService } from "../../bench/storm/fakeAws";
import { fingerprint, groupMessageBody, renderAnnotation, singleMessageBody, SNS_MAX_MESSAGE_BYTES, sqsRecord, subjectFor, truncatedByAmp } from "../../bench/storm/messages";

const BASE = Date.parse("2025-01-15T12:00:00.000Z");

describe("bench storm: messages", () => {
    const templates = alertTemplates();
    const group = templates.find((t) => t.alertname === GROUP_ALERTNAME);

    it("uses every alerting rule but the heartbeat, with its impact", () => {
        assert.ok(templates.length > 50);
        assert.ok(!templates.some((t) => t.alertname === "Watchdog"));
        assert.ok(templates.every((t) => ["known", "uncertain", "none"].includes(t.labels.impact)), "every rule carries an impact label (C3)");
        assert.ok(group, `${GROUP_ALERTNAME} exists`);
    });

    it("builds a group message the engine parses into as many alerts, all distinct", () => {
        const body = groupMessageBody(group!, 50, BASE, TARGET);
        const message = JSON.parse(body) as { version: string; alerts: { fingerprint: string; endsAt: string; labels: Record<string, string> }[]; groupLabels: Record<string, string> };
        assert.equal(message.version, "4");
        assert.deepEqual(message.groupLabels, { cluster: "cluster-001", alertname: GROUP_ALERTNAME, namespace: "payments" });
        assert.ok(message.alerts.every((a) => /^[0-9a-f]{16}$/.test(a.fingerprint) && a.endsAt === "0001-01-01T00:00:00.000Z"));
        const parsed = parseMessage(fromSqsRecord(sqsRecord(body, subjectFor(50), "t", TARGET, BASE)));
        assert.equal(parsed.kind, "alerts");
        if (parsed.kind === "alerts") {
            assert.equal(parsed.alerts.length, 50);
            assert.deepEqual(parsed.problems, []);
            assert.equal(new Set(parsed.alerts.map((a) => a.key)).size, 50);
            assert.ok(parsed.alerts.every((a) => a.impactLabel === "uncertain" && a.cluster === "cluster-001"));
        }
    });

    it("gives the same alert the same identity in every pass and different alerts different ones", () => {
        assert.equal(singleMessageBody(templates, 7, BASE, TARGET), singleMessageBody(templates, 7, BASE, TARGET));
        const keys = new Set(
            Array.from({ length: 600 }, (_, i) => {
                const parsed = parseMessage(fromSqsRecord(sqsRecord(singleMessageBody(templates, i, BASE, TARGET), subjectFor(1), `s${i}`, TARGET, BASE)));
                assert.equal(parsed.kind, "alerts");
                return parsed.kind === "alerts" ? parsed.alerts[0].key : "";
            }),
        );
        assert.equal(keys.size, 600);
        assert.notEqual(fingerprint({ a: "1", b: "2" }), fingerprint({ a: "1", b: "3" }));
        assert.equal(fingerprint({ a: "1", b: "2" }), fingerprint({ b: "2", a: "1" }));
    });

    it("fills label references in annotations and drops other template actions", () => {
        assert.equal(renderAnnotation("Pod {{ $labels.namespace }}/{{$labels.pod}} at {{ $value | humanize }}{{ if true }}", { namespace: "n", pod: "p" }), "Pod n/p at 1");
    });

    it("truncates a message over SNS's limit as AMP does, and leaves a small one alone", () => {
        const body = groupMessageBody(group!, 1000, BASE, TARGET);
        assert.ok(Buffer.byteLength(body) > SNS_MAX_MESSAGE_BYTES);
        const cut = truncatedByAmp(body);
        assert.equal(Buffer.byteLength(cut.body), SNS_MAX_MESSAGE_BYTES);
        assert.equal(cut.attributes.truncated, "true");
        assert.match(cut.attributes.modified, /^Message: Error - Message has been truncated from \d+ KB, because it exceeds the 256 KB size limit\.$/);
        const parsed = parseMessage(fromSqsRecord(sqsRecord(cut.body, subjectFor(1000), "t", TARGET, BASE, cut.attributes)));
        assert.equal(parsed.kind, "unparsed", "the engine keeps a truncated message as unparsed");
        const small = singleMessageBody(alertTemplates(), 0, BASE, TARGET);
        assert.deepEqual(truncatedByAmp(small), { body: small, attributes: {} });
    });
});

describe("bench storm: the AWS stand-in", () => {
    let aws: FakeAws;
    let endpoint: string;
    const client = { region: "eu-west-1", credentials: { accessKeyId: "AKIABENCHTEST0000001", secretAccessKey: "bench-test-secret" } };
    before(async () => {
        aws = new FakeAws();
        endpoint = await aws.start();
    });
    after(() => aws.close());

    it("answers the SDK's SNS Publish, CreateOpsItem, CreateSchedule and DeleteSchedule, and counts them", async () => {
        const published = await new SNSClient({ ...client, endpoint }).send(new PublishCommand({ TopicArn: "arn:aws:sns:eu-west-1:111122223333:t", Message: "m" }));
        assert.match(published.MessageId ?? "", /^[0-9a-f-]{36}$/);
        const opsItem = await new SSMClient({ ...client, endpoint }).send(new CreateOpsItemCommand({ Title: "t", Description: "d", Source: "Vigil" }));
        assert.match(opsItem.OpsItemId ?? "", /^oi-[0-9a-f]{12}$/);
        const scheduler = new SchedulerClient({ ...client, endpoint });
        const created = await scheduler.send(
            new CreateScheduleCommand({ Name: "vigil-reply-x", GroupName: "g", ScheduleExpression: "at(2025-01-01T00:00:00)", FlexibleTimeWindow: { Mode: "OFF" }, Target: { Arn: "arn:aws:lambda:eu-west-1:111122223333:function:f", RoleArn: "arn:aws:iam::111122223333:role/r" } }),
        );
        assert.match(created.ScheduleArn ?? "", /schedule\/bench\/vigil-reply-x$/);
        await scheduler.send(new DeleteScheduleCommand({ Name: "vigil-reply-x", GroupName: "g" }));
        assert.deepEqual(aws.take(), { "sns:Publish": 1, "ssm:CreateOpsItem": 1, "scheduler:CreateSchedule": 1, "scheduler:DeleteSchedule": 1 });
        assert.deepEqual(aws.take(), {}, "take() resets");
    });

    it("refuses and counts anything else, and reads the service from the signature", async () => {
        const out = answer("ssm", "POST", "/", "AmazonSSM.GetParameter", "{}");
        assert.equal(out.reply.status, 400);
        assert.equal(out.operation, "refused ssm POST /");
        await assert.rejects(new SSMClient({ ...client, endpoint }).send(new GetParameterCommand({ Name: "x" })));
        assert.deepEqual(aws.take(), { "refused ssm POST /": 1 });
        assert.equal(signedService("AWS4-HMAC-SHA256 Credential=AKIA/20250101/eu-west-1/scheduler/aws4_request, SignedHeaders=host, Signature=x"), "scheduler");
        assert.equal(signedService(undefined), undefined);
    });
});

describe("bench storm: a small storm end to end", function () {
    this.timeout(120_000);

    it("counts one DynamoDB request per floor PutItem and reports every goal", async () => {
        const scope = new Scope();
        const lines: string[] = [];
        try {
            const results = await runStorm({ groupAlerts: 20, singleMessages: 30, probeWarmUpRounds: 1 }, scope, (l) => lines.push(l));
            const byName = (part: string) => results.filter((r) => r.name.includes(part));
            assert.equal(byName("new alerts through the handler").length, 2);
            assert.equal(byName("(duplicates)").length, 2);
            for (const r of byName("DynamoDB requests per")) {
                assert.equal(r.baseline, "1.00 for the floor", `${r.name}: the floor is one request per item`);
                assert.ok(r.goal && r.checked !== undefined && r.checked > 0);
            }
            const memory = byName("peak memory")[0];
            assert.ok(memory.checked !== undefined && memory.checked > 20 && memory.checked < 2048, `peak RSS ${memory.checked} MiB`);
            assert.equal(byName("as AMP delivers it").length, 1);
            assert.ok(lines.some((l) => l.startsWith("group: engine")));
            assert.ok(lines.some((l) => /^single: .*\(3 chunks of 10 in turn\)$/.test(l)), lines.join("\n"));
            // The store probe found every repeated alert a duplicate, or runStorm would have thrown.
            assert.match(byName("single-alert messages: the same")[0].notes?.join("\n") ?? "", /mean request body: UpdateItem [\d,]+ B against the floor's PutItem [\d,]+ B/);
        } finally {
            await scope.close();
        }
    });
});

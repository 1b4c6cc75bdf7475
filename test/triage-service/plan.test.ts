// The example stack's offline plan (npm run plan) deploys the triage service after the account's
// monitoring, passes the whole policy pack on it, exports the reply URL and writes the service's
// IAM and queue policy documents to artifacts/iam/ for review.

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { physicalName } from "../../tools/offline/state";
import { runScript } from "../support/cli";

interface Resource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly parent: string | null;
    readonly inputs: Record<string, any>;
}

describe("offline plan of the example stack: triage service", function () {
    this.timeout(180_000);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-triage-plan-"));
    let stdout: string;
    let resources: Resource[];
    let violations: { policy: string; enforcementLevel: string; urn: string; message: string }[];

    before(async () => {
        const result = await runScript("plan.ts", ["--out", out], { timeoutMs: 170_000 });
        assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
        stdout = result.stdout;
        resources = JSON.parse(fs.readFileSync(path.join(out, "resources.json"), "utf8"));
        violations = JSON.parse(fs.readFileSync(path.join(out, "policy.json"), "utf8"));
    });

    after(() => fs.rmSync(out, { recursive: true, force: true }));

    it("instantiates one TriageService, wired to the account's topics and keys", () => {
        const services = resources.filter((r) => r.type === "vigil:triage:TriageService");
        assert.deepEqual(services.map((s) => s.name), ["vigil-triage"]);
        const children = resources.filter((r) => r.parent === services[0].urn);
        // Intake, reply and timer, and the diagnostics function (vigil:diagnostics defaults to true; test/diagnostics/plan.test.ts).
        assert.equal(children.filter((r) => r.type === "aws:lambda/function:Function").length, 4);
        // The offline engine names resources as the provider would; ARNs follow from the names.
        const arn = (service: string, type: string, name: string) => {
            const r = resources.find((x) => x.type === type && x.name === name);
            assert.ok(r, `${type} ${name} is planned`);
            return `arn:aws:${service}:eu-west-1:111122223333:${physicalName(type, name, r.inputs)}`;
        };
        const subscriptions = children.filter((r) => r.type === "aws:sns/topicSubscription:TopicSubscription");
        assert.deepEqual(
            subscriptions.map((s) => s.inputs.topic).sort(),
            [arn("sns", "aws:sns/topic:Topic", "vigil-alerts"), arn("sns", "aws:sns/topic:Topic", "vigil-heartbeat")].sort(),
        );
        for (const s of subscriptions) {
            assert.equal(s.inputs.endpoint, arn("sqs", "aws:sqs/queue:Queue", "vigil-triage-intake"));
        }
        const key = resources.find((r) => r.type === "aws:kms/key:Key" && r.name === "vigil-key");
        assert.ok(key);
        assert.match(children.find((r) => r.name === "vigil-triage-intake" && r.type === "aws:sqs/queue:Queue")?.inputs.kmsMasterKeyId, /^arn:aws:kms:eu-west-1:111122223333:key\/[0-9a-f-]{36}$/);
        const alarms = children.filter((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm");
        // 11 of the service, 4 of its diagnostics function.
        assert.equal(alarms.length, 15);
        assert.equal(children.filter((r) => r.type === "aws:cloudwatch/logMetricFilter:LogMetricFilter").length, 1, "the unparsed-messages filter");
        assert.ok(alarms.every((a) => a.inputs.name.startsWith("vigil-pipeline-triage-")), "alarm names carry the account's prefix");
    });

    it("passes every policy of the pack, advisory ones included, and exports the reply URL", () => {
        assert.deepEqual(violations.filter((v) => v.urn.includes("vigil:triage:TriageService")), []);
        assert.match(stdout, /replyUrl = https:\/\/[a-z0-9]+\.execute-api\.eu-west-1\.amazonaws\.com\n/);
        assert.match(stdout, /vigil:triage:TriageService "vigil-triage": 60\n/);
    });

    it("writes the roles' trust and permission policies and the queue policies to artifacts/iam/", () => {
        const iam = path.join(out, "artifacts", "iam");
        const read = (file: string) => JSON.parse(fs.readFileSync(path.join(iam, file), "utf8"));
        const expected = [
            ...["intake", "reply", "timer", "scheduler", "diagnostics"].flatMap((r) => [`vigil-triage-${r}-role.assumeRolePolicy.json`, `vigil-triage-${r}-permissions.policy.json`]),
            "vigil-triage-intake-queue-policy.policy.json",
            "vigil-triage-dlq-queue-policy.policy.json",
            "vigil-triage-timer-dlq-policy.policy.json",
        ];
        assert.deepEqual(fs.readdirSync(iam).filter((f) => f.startsWith("vigil-triage-")).sort(), expected.sort());
        const reply = read("vigil-triage-reply-permissions.policy.json");
        assert.deepEqual(reply.Statement.flatMap((s: any) => s.Action).sort(), ["dynamodb:GetItem", "dynamodb:PutItem", "logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTelemetryRecords", "xray:PutTraceSegments"]);
        const intake = read("vigil-triage-intake-permissions.policy.json");
        const queue = resources.find((r) => r.type === "aws:sqs/queue:Queue" && r.name === "vigil-triage-intake");
        assert.ok(queue);
        assert.equal(intake.Statement.find((s: any) => s.Sid === "ReadIntakeQueue").Resource, read("vigil-triage-intake-queue-policy.policy.json").Statement[0].Resource);
        assert.equal(read("vigil-triage-scheduler-role.assumeRolePolicy.json").Statement[0].Principal.Service, "scheduler.amazonaws.com");
    });
});

describe("offline plan with an existing notifications topic and its own key (vigil:notificationTopicKeyArn)", function () {
    this.timeout(180_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-triage-key-plan-"));
    const TOPIC = "arn:aws:sns:eu-west-1:111122223333:customer-notifications";
    const KEY = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    const ACCOUNT = path.join(__dirname, "..", "..", "stacks", "example.account.yaml");
    const stack = (extra: string) =>
        `config:\n  aws:region: eu-west-1\n  vigil:clusters:\n    - payments-prod\n  vigil:guardDuty: adopt\n  vigil:operatorEmails:\n    - sre@operator.example.com\n${extra}`;

    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("grants intake and timer the key for that topic, creates no topic of its own, and passes the policy pack", async () => {
        const config = path.join(dir, "Pulumi.keyed.yaml");
        fs.writeFileSync(config, stack(`  vigil:notificationTopicArn: ${TOPIC}\n  vigil:notificationTopicKeyArn: ${KEY}\n`));
        const out = path.join(dir, "out");
        const result = await runScript("plan.ts", ["--config", config, "--account", ACCOUNT, "--out", out], { timeoutMs: 170_000 });
        assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
        assert.deepEqual(JSON.parse(fs.readFileSync(path.join(out, "policy.json"), "utf8")), []);
        const resources = JSON.parse(fs.readFileSync(path.join(out, "resources.json"), "utf8")) as Resource[];
        assert.equal(resources.filter((r) => r.type === "aws:sns/topic:Topic" && r.name === "vigil-notifications").length, 0);
        const statement = (role: string) =>
            JSON.parse(fs.readFileSync(path.join(out, "artifacts", "iam", `vigil-triage-${role}-permissions.policy.json`), "utf8")).Statement.find((st: any) => st.Sid === "UseNotificationTopicKey");
        for (const role of ["intake", "timer"]) {
            assert.deepEqual(statement(role), {
                Sid: "UseNotificationTopicKey",
                Effect: "Allow",
                Action: ["kms:Decrypt", "kms:GenerateDataKey"],
                Resource: KEY,
                Condition: { StringEquals: { "kms:ViaService": "sns.eu-west-1.amazonaws.com", "kms:EncryptionContext:aws:sns:topicArn": TOPIC } },
            });
            const publish = JSON.parse(fs.readFileSync(path.join(out, "artifacts", "iam", `vigil-triage-${role}-permissions.policy.json`), "utf8")).Statement.find((st: any) => st.Sid === "PublishNotifications");
            assert.equal(publish.Resource, TOPIC);
        }
        assert.equal(statement("reply"), undefined);
    });

    it("exits 2 naming the key when it comes without the topic", async () => {
        const config = path.join(dir, "Pulumi.bad.yaml");
        fs.writeFileSync(config, stack(`  vigil:notificationTopicKeyArn: ${KEY}\n`));
        const result = await runScript("plan.ts", ["--config", config, "--account", ACCOUNT], { timeoutMs: 170_000 });
        assert.equal(result.code, 2, `${result.stdout}\n${result.stderr}`);
        assert.match(result.stderr + result.stdout, /vigil:notificationTopicKeyArn: got "arn:aws:kms:eu-west-1:111122223333:key\/1234abcd-12ab-34cd-56ef-1234567890ab" without vigil:notificationTopicArn/);
    });
});

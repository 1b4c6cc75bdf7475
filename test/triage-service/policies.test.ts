// The triage service's IAM and queue policies, parsed: exact actions on exact ARNs per role, no
// wildcard beyond the three actions AWS cannot scope, and — run against the real engine on
// dynalite — every DynamoDB action each entry point performs is granted to its function and
// nothing it does not perform is.

import * as assert from "node:assert/strict";
import type { AccountIdentity, PolicyDocument } from "../../components/account/policies";
import { functionEnvironment, resolveTriageArgs } from "../../components/triage/args";
import { EntryPoint, readConfig } from "../../components/triage/handler/config";
import { DynamoStore } from "../../components/triage/handler/dynamoStore";
import { TriageEngine } from "../../components/triage/handler/engine";
import { caseIdFor } from "../../components/triage/handler/lifecycle";
import { ManualClock, RecordingIncidents, RecordingNotifier, RecordingTimers } from "../../components/triage/handler/recording";
import {
    intakePolicy,
    lambdaTrustPolicy,
    replyPolicy,
    schedulerPolicy,
    schedulerTrustPolicy,
    timerDeadLetterQueuePolicy,
    timerPolicy,
    topicQueuePolicy,
} from "../../components/triage/policies";
import { wildcardProblems as reviewWildcards } from "../support/iamReview";
import { createTable, dynaliteForSuite, dynamoClient, editAmp, IMPACT_TABLE, message, replyTokens, START } from "../triage/support";

const ID: AccountIdentity = { accountId: "111122223333", region: "eu-west-1", partition: "aws" };
const ARN = {
    table: "arn:aws:dynamodb:eu-west-1:111122223333:table/vigil-triage-cases-1a2b3c4",
    stream: "arn:aws:dynamodb:eu-west-1:111122223333:table/vigil-triage-cases-1a2b3c4/stream/2024-05-01T00:00:00.000",
    key: "arn:aws:kms:eu-west-1:111122223333:key/0f1e2d3c-4b5a-6978-8091-a2b3c4d5e6f7",
    topic: "arn:aws:sns:eu-west-1:111122223333:vigil-notifications-9b4162a",
    pipeline: "arn:aws:sns:eu-west-1:111122223333:vigil-pipeline-1c2d3e4",
    alerts: "arn:aws:sns:eu-west-1:111122223333:vigil-alerts-0328fb5",
    heartbeat: "arn:aws:sns:eu-west-1:111122223333:vigil-heartbeat-5d6e7f8",
    queue: "arn:aws:sqs:eu-west-1:111122223333:vigil-triage-intake-d8eae9f",
    timerDlq: "arn:aws:sqs:eu-west-1:111122223333:vigil-triage-timer-dlq-0aa735c",
    schedulerRole: "arn:aws:iam::111122223333:role/vigil-triage-scheduler-role-dea1780",
    timerFunction: "arn:aws:lambda:eu-west-1:111122223333:function:vigil-triage-timer-4ff191e",
    group: "arn:aws:scheduler:eu-west-1:111122223333:schedule-group/vigil-triage-timers-7e000dd",
    sweepRule: "arn:aws:events:eu-west-1:111122223333:rule/vigil-triage-sweep-1234567",
    logGroup: (role: string) => `arn:aws:logs:eu-west-1:111122223333:log-group:/vigil/vigil-triage/${role}`,
};
const ENGINE = { identity: ID, tableArn: ARN.table, keyArn: ARN.key, notificationTopicArn: ARN.topic, operatorTopicArn: ARN.pipeline, scheduleGroupName: "vigil-triage-timers-7e000dd", scheduleNamePrefix: "vigil-reply-", schedulerRoleArn: ARN.schedulerRole };

interface Grant {
    readonly sid?: string;
    readonly effect: string;
    readonly actions: string[];
    readonly resources: string[];
    readonly condition?: Record<string, Record<string, unknown>>;
    readonly principal?: unknown;
}

/** A policy document as IAM reads it (a JSON string), one entry per statement. */
function grants(doc: PolicyDocument): Grant[] {
    const parsed = JSON.parse(JSON.stringify(doc)) as { Version: string; Statement: Record<string, any>[] };
    assert.equal(parsed.Version, "2012-10-17");
    const list = (v: unknown) => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);
    return parsed.Statement.map((s) => ({ sid: s.Sid, effect: s.Effect, actions: list(s.Action), resources: list(s.Resource), condition: s.Condition, principal: s.Principal }));
}

/** Every allowed action → the resources it is allowed on. */
function allowed(doc: PolicyDocument): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const g of grants(doc).filter((x) => x.effect === "Allow")) {
        for (const action of g.actions) {
            out.set(action, [...(out.get(action) ?? []), ...g.resources]);
        }
    }
    return out;
}

/** The only actions AWS offers no resource-level permissions for, among those the functions use. */
/** The shared least-privilege review (test/support/iamReview.ts), in this file's account and region. */
function wildcardProblems(doc: PolicyDocument): string[] {
    return reviewWildcards(doc, ID);
}

describe("triage service policies", () => {
    const intake = intakePolicy({ ...ENGINE, logGroupArn: ARN.logGroup("intake"), intakeQueueArn: ARN.queue });
    const reply = replyPolicy({ identity: ID, logGroupArn: ARN.logGroup("reply"), tableArn: ARN.table });
    const timer = timerPolicy({ ...ENGINE, logGroupArn: ARN.logGroup("timer"), timerDeadLetterQueueArn: ARN.timerDlq, tableStreamArn: ARN.stream });
    const scheduler = schedulerPolicy(ID, { timerFunctionArn: ARN.timerFunction, timerDeadLetterQueueArn: ARN.timerDlq, keyArn: ARN.key });

    it("the intake function may do exactly what the handler does, on exactly its resources", () => {
        assert.deepEqual(
            Object.fromEntries(allowed(intake)),
            {
                "logs:CreateLogStream": [`${ARN.logGroup("intake")}:*`],
                "logs:PutLogEvents": [`${ARN.logGroup("intake")}:*`],
                "xray:PutTraceSegments": ["*"],
                "xray:PutTelemetryRecords": ["*"],
                "sqs:ReceiveMessage": [ARN.queue],
                "sqs:DeleteMessage": [ARN.queue],
                "sqs:GetQueueAttributes": [ARN.queue],
                "dynamodb:GetItem": [ARN.table],
                "dynamodb:PutItem": [ARN.table],
                "dynamodb:UpdateItem": [ARN.table],
                "kms:Decrypt": [ARN.key],
                "kms:GenerateDataKey": [ARN.key],
                "sns:Publish": [ARN.topic, ARN.pipeline],
                "ssm:CreateOpsItem": ["*"],
                "ssm:AddTagsToResource": ["arn:aws:ssm:eu-west-1:111122223333:opsitem/*"],
                "scheduler:CreateSchedule": ["arn:aws:scheduler:eu-west-1:111122223333:schedule/vigil-triage-timers-7e000dd/vigil-reply-*"],
                "scheduler:DeleteSchedule": ["arn:aws:scheduler:eu-west-1:111122223333:schedule/vigil-triage-timers-7e000dd/vigil-reply-*"],
                "iam:PassRole": [ARN.schedulerRole],
                "ec2:DescribeInstances": ["*"],
            },
        );
        assert.deepEqual(wildcardProblems(intake), []);
    });

    it("the public reply function may only read and write cases (and log and trace)", () => {
        assert.deepEqual(Object.fromEntries(allowed(reply)), {
            "logs:CreateLogStream": [`${ARN.logGroup("reply")}:*`],
            "logs:PutLogEvents": [`${ARN.logGroup("reply")}:*`],
            "xray:PutTraceSegments": ["*"],
            "xray:PutTelemetryRecords": ["*"],
            "dynamodb:GetItem": [ARN.table],
            "dynamodb:PutItem": [ARN.table],
        });
        assert.deepEqual(wildcardProblems(reply), []);
    });

    it("the timer function may sweep through the due index and dead-letter its failures, but not read the queue or EC2", () => {
        assert.deepEqual(Object.fromEntries(allowed(timer)), {
            "logs:CreateLogStream": [`${ARN.logGroup("timer")}:*`],
            "logs:PutLogEvents": [`${ARN.logGroup("timer")}:*`],
            "xray:PutTraceSegments": ["*"],
            "xray:PutTelemetryRecords": ["*"],
            "dynamodb:GetItem": [ARN.table],
            "dynamodb:PutItem": [ARN.table],
            "dynamodb:Query": [`${ARN.table}/index/due`],
            "dynamodb:DescribeStream": [ARN.stream],
            "dynamodb:GetRecords": [ARN.stream],
            "dynamodb:GetShardIterator": [ARN.stream],
            "dynamodb:ListStreams": [ARN.stream],
            "kms:Decrypt": [ARN.key],
            "kms:GenerateDataKey": [ARN.key],
            "sns:Publish": [ARN.topic, ARN.pipeline],
            "ssm:CreateOpsItem": ["*"],
            "ssm:AddTagsToResource": ["arn:aws:ssm:eu-west-1:111122223333:opsitem/*"],
            "scheduler:CreateSchedule": ["arn:aws:scheduler:eu-west-1:111122223333:schedule/vigil-triage-timers-7e000dd/vigil-reply-*"],
            "scheduler:DeleteSchedule": ["arn:aws:scheduler:eu-west-1:111122223333:schedule/vigil-triage-timers-7e000dd/vigil-reply-*"],
            "iam:PassRole": [ARN.schedulerRole],
            "sqs:SendMessage": [ARN.timerDlq],
        });
        assert.deepEqual(wildcardProblems(timer), []);
    });

    it("intake and timer publish operator notices to exactly the pipeline topic, whose key they use through SNS; the reply function cannot", () => {
        for (const doc of [intake, timer]) {
            const notices = grants(doc).filter((g) => g.sid === "PublishOperatorNotices");
            assert.deepEqual(notices.map((g) => [g.actions, g.resources, g.condition]), [[["sns:Publish"], [ARN.pipeline], undefined]]);
            // The pipeline topic is encrypted with the account's CMK (keyArn): usable through SNS.
            const key = grants(doc).find((g) => g.sid === "UseTopicKey");
            assert.deepEqual(key?.resources, [ARN.key]);
            assert.ok((key?.condition?.StringEquals?.["kms:ViaService"] as string[]).includes("sns.eu-west-1.amazonaws.com"));
        }
        assert.equal(allowed(reply).has("sns:Publish"), false);
    });

    it("an existing notifications topic's own key: intake and timer may use it through SNS for that topic only; without one, no such grant", () => {
        const customerKey = "arn:aws:kms:eu-west-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        const docs = {
            intake: intakePolicy({ ...ENGINE, notificationTopicKeyArn: customerKey, logGroupArn: ARN.logGroup("intake"), intakeQueueArn: ARN.queue }),
            timer: timerPolicy({ ...ENGINE, notificationTopicKeyArn: customerKey, logGroupArn: ARN.logGroup("timer"), timerDeadLetterQueueArn: ARN.timerDlq, tableStreamArn: ARN.stream }),
        };
        for (const [role, doc] of Object.entries(docs)) {
            const keyGrants = grants(doc).filter((g) => g.resources.includes(customerKey));
            assert.deepEqual(
                keyGrants.map((g) => [g.sid, [...g.actions].sort(), g.resources, g.condition]),
                [["UseNotificationTopicKey", ["kms:Decrypt", "kms:GenerateDataKey"], [customerKey], { StringEquals: { "kms:ViaService": "sns.eu-west-1.amazonaws.com", "kms:EncryptionContext:aws:sns:topicArn": ARN.topic } }]],
                role,
            );
            assert.deepEqual(wildcardProblems(doc), [], role);
            // Everything else is as without the key.
            const withoutKey = grants(role === "intake" ? intake : timer);
            assert.deepEqual(grants(doc).filter((g) => g.sid !== "UseNotificationTopicKey"), withoutKey, role);
        }
        for (const doc of [intake, timer, reply]) {
            assert.equal(grants(doc).some((g) => g.sid === "UseNotificationTopicKey"), false);
        }
    });

    it("only the timer function may read the case table's stream (for its reply follow-up mapping), and only that stream", () => {
        const streamGrants = (doc: PolicyDocument) => grants(doc).filter((g) => g.actions.some((a) => /^dynamodb:(DescribeStream|GetRecords|GetShardIterator|ListStreams)$/.test(a)));
        assert.deepEqual(
            streamGrants(timer).map((g) => [g.sid, [...g.actions].sort(), g.resources, g.condition]),
            [["ReadCaseStream", ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"], [ARN.stream], undefined]],
        );
        assert.deepEqual(streamGrants(intake), []);
        assert.deepEqual(streamGrants(reply), [], "the public reply function cannot read other cases' changes");
        assert.ok(!ARN.stream.includes("*"));
    });

    it("the key is usable only through SNS and SQS, and the scheduler role only by Scheduler", () => {
        const key = (doc: PolicyDocument) => grants(doc).find((g) => g.sid === "UseTopicKey");
        assert.deepEqual(key(intake)?.condition, { StringEquals: { "kms:ViaService": ["sqs.eu-west-1.amazonaws.com", "sns.eu-west-1.amazonaws.com"] } });
        assert.deepEqual(key(timer)?.condition, { StringEquals: { "kms:ViaService": ["sns.eu-west-1.amazonaws.com", "sqs.eu-west-1.amazonaws.com"] } });
        assert.deepEqual(key(scheduler)?.condition, { StringEquals: { "kms:ViaService": ["sqs.eu-west-1.amazonaws.com"] } });
        for (const doc of [intake, timer]) {
            assert.deepEqual(grants(doc).find((g) => g.sid === "PassSchedulerRole")?.condition, { StringEquals: { "iam:PassedToService": "scheduler.amazonaws.com" } });
        }
    });

    it("the wildcard review catches an action wildcard, a resource wildcard and an unbounded pattern", () => {
        const mutate = (extra: Record<string, unknown>): PolicyDocument => ({ ...reply, Statement: [...reply.Statement, { Sid: "Mutant", Effect: "Allow", ...extra } as never] });
        assert.deepEqual(wildcardProblems(mutate({ Action: "dynamodb:*", Resource: ARN.table })), ["Mutant: action dynamodb:*"]);
        assert.deepEqual(wildcardProblems(mutate({ Action: "sns:Publish", Resource: "*", Condition: { StringEquals: { "aws:RequestedRegion": "eu-west-1" } } })), ["Mutant: sns:Publish on every resource"]);
        assert.deepEqual(wildcardProblems(mutate({ Action: "ec2:DescribeInstances", Resource: "*" })), ['Mutant: "*" without aws:RequestedRegion']);
        assert.deepEqual(wildcardProblems(mutate({ Action: "dynamodb:GetItem", Resource: "arn:aws:dynamodb:eu-west-1:111122223333:table/*" })), [
            "Mutant: resource pattern arn:aws:dynamodb:eu-west-1:111122223333:table/*",
        ]);
    });

    it("the functions' roles trust Lambda; the scheduler role trusts Scheduler for the timers' group of this account only", () => {
        assert.deepEqual(grants(lambdaTrustPolicy()), [
            { sid: "LambdaFunction", effect: "Allow", actions: ["sts:AssumeRole"], resources: [], condition: undefined, principal: { Service: "lambda.amazonaws.com" } },
        ]);
        assert.deepEqual(grants(schedulerTrustPolicy(ID, ARN.group)), [
            {
                sid: "ReplyTimerSchedules",
                effect: "Allow",
                actions: ["sts:AssumeRole"],
                resources: [],
                condition: { StringEquals: { "aws:SourceAccount": "111122223333" }, ArnEquals: { "aws:SourceArn": ARN.group } },
                principal: { Service: "scheduler.amazonaws.com" },
            },
        ]);
    });

    it("the scheduler role may invoke only the timer function and dead-letter only to its queue", () => {
        assert.deepEqual(Object.fromEntries(allowed(scheduler)), {
            "lambda:InvokeFunction": [ARN.timerFunction],
            "sqs:SendMessage": [ARN.timerDlq],
            "kms:Decrypt": [ARN.key],
            "kms:GenerateDataKey": [ARN.key],
        });
        assert.deepEqual(wildcardProblems(scheduler), []);
    });

    it("only the alert and heartbeat topics may send to the intake queues, over TLS", () => {
        const doc = grants(topicQueuePolicy(ARN.queue, [ARN.alerts, ARN.heartbeat]));
        assert.deepEqual(doc, [
            {
                sid: "AllowVigilTopics",
                effect: "Allow",
                actions: ["sqs:SendMessage"],
                resources: [ARN.queue],
                condition: { ArnEquals: { "aws:SourceArn": [ARN.alerts, ARN.heartbeat] } },
                principal: { Service: "sns.amazonaws.com" },
            },
            { sid: "DenyInsecureTransport", effect: "Deny", actions: ["sqs:*"], resources: [ARN.queue], condition: { Bool: { "aws:SecureTransport": "false" } }, principal: "*" },
        ]);
        assert.throws(() => topicQueuePolicy(ARN.queue, []), /needs the topics that may send/);
    });

    it("only the sweep rule may dead-letter to the timer queue through a resource policy", () => {
        const [allow, deny] = grants(timerDeadLetterQueuePolicy(ARN.timerDlq, ARN.sweepRule));
        assert.deepEqual(allow.principal, { Service: "events.amazonaws.com" });
        assert.deepEqual(allow.actions, ["sqs:SendMessage"]);
        assert.deepEqual(allow.resources, [ARN.timerDlq]);
        assert.deepEqual(allow.condition, { ArnEquals: { "aws:SourceArn": ARN.sweepRule } });
        assert.equal(deny.effect, "Deny");
    });

    describe("against the engine each function runs (dynalite)", function () {
        this.timeout(60_000);
        const dynamo = dynaliteForSuite();

        /** The settings a deployed function reads from the environment the component gives it. */
        function deployedSettings(entry: EntryPoint, role: "intake" | "reply" | "timer") {
            const env = functionEnvironment(role, resolveTriageArgs({ ...TOPICS, alarmNamePrefix: "vigil-pipeline-" }), {
                tableName: "vigil-triage-cases-1a2b3c4",
                notificationTopicArn: ARN.topic,
                replyBaseUrl: "https://abcdefghij.execute-api.eu-west-1.amazonaws.com",
                timerFunctionArn: ARN.timerFunction,
                schedulerRoleArn: ARN.schedulerRole,
                scheduleGroup: "vigil-triage-timers-7e000dd",
                timerDeadLetterArn: ARN.timerDlq,
            });
            return readConfig(entry, env as Record<string, string>).settings;
        }
        const TOPICS = { alertTopicArn: ARN.alerts, heartbeatTopicArn: ARN.heartbeat, notificationTopicArn: ARN.topic, pipelineTopicArn: ARN.topic, keyArn: ARN.key, logKeyArn: ARN.key };

        async function engines(deferReplyWork: boolean) {
            const tableName = await createTable(dynamo.endpoint);
            const clock = new ManualClock(START);
            const make = (role: "intake" | "reply" | "timer", entry: EntryPoint) => {
                const client = dynamoClient(dynamo.endpoint);
                const actions = new Set<string>();
                client.middlewareStack.add(
                    (next, context) => async (args) => {
                        const name = String(context.commandName).replace(/Command$/, "");
                        const input = args.input as { IndexName?: string };
                        actions.add(input.IndexName ? `dynamodb:${name} (index ${input.IndexName})` : `dynamodb:${name}`);
                        return next(args);
                    },
                    { step: "initialize", name: "recordActions" },
                );
                const ports = { notifier: new RecordingNotifier(), incidents: new RecordingIncidents(), timers: new RecordingTimers() };
                const store = new InterferingStore(client, tableName, new DynamoStore(dynamoClient(dynamo.endpoint), tableName));
                const engine = new TriageEngine({
                    store,
                    ...ports,
                    clock,
                    impactTable: IMPACT_TABLE,
                    settings: deployedSettings(entry, role),
                    deferReplyWork: role === "reply" ? deferReplyWork : undefined,
                });
                return { engine, actions, store, ...ports };
            };
            return { clock, intake: make("intake", "handler"), reply: make("reply", "replyHandler"), timer: make("timer", "timerHandler") };
        }

        /**
         * A store that, when armed, lets another writer update the case just before its next save,
         * so the engine's save loses the race and re-reads the case (as under concurrent deliveries).
         */
        class InterferingStore extends DynamoStore {
            armed = false;
            constructor(
                client: ReturnType<typeof dynamoClient>,
                tableName: string,
                private readonly other: DynamoStore,
            ) {
                super(client, tableName);
            }
            override async save(record: Parameters<DynamoStore["save"]>[0], expectedVersion: number): Promise<boolean> {
                if (this.armed) {
                    this.armed = false;
                    const current = await this.other.load(record.caseId);
                    assert.ok(current && (await this.other.save({ ...current, version: current.version + 1 }, current.version)));
                }
                return super.save(record, expectedVersion);
            }
        }

        /**
         * What each role's grant covers on the table and its index, in the form the recorder writes.
         * (The stream grant is for Lambda's poller, which reads the stream with the timer role; the
         * code never calls the Streams API: checked on its own above.)
         */
        const granted = (doc: PolicyDocument) =>
            new Set(
                [...allowed(doc).entries()]
                    .filter(([a]) => a.startsWith("dynamodb:"))
                    .flatMap(([action, resources]) => resources.filter((r) => !r.includes("/stream/")).map((r) => (r.endsWith("/index/due") ? `${action} (index due)` : action))),
            );

        it("each function performs exactly the DynamoDB actions its role grants, and the reply function calls no other service", async () => {
            const { clock, intake: i, reply: r, timer: t } = await engines(true);
            await i.engine.ingest(message("amp/07-watchdog-heartbeat.sns.json"));
            await i.engine.ingest(message("amp/09-default-text-body.sns.json"));
            // A concurrent writer gets in first: the save fails and the case is read again.
            i.store.armed = true;
            await i.engine.ingest(message("amp/04-apiserver-burn-known.sns.json"));
            assert.equal(i.store.armed, false);
            await i.engine.ingest(message("amp/01-crashloop-firing.sns.json"));
            const confirm = replyTokens(i.notifier.sent.find((n) => n.kind === "ask")?.body ?? "").confirm;
            const other = editAmp("amp/01-crashloop-firing.sns.json", "other-ask", (b) => {
                b.alerts[0].fingerprint = "00000000000000aa";
                b.alerts[0].labels.pod = "another-pod";
            });
            await i.engine.ingest(other);
            assert.equal(i.incidents.opened.length, 1, "the known-impact alert opened an incident at once");
            assert.equal(i.timers.created.length, 2, "both asks set a reply timer");

            assert.equal((await r.engine.viewReply(confirm)).status, "ok");
            const answer = await r.engine.answerReply(confirm, "ip 203.0.113.7");
            assert.equal(answer.status, "ok");
            assert.equal(answer.status === "ok" && answer.record.state, "INCIDENT_OPEN");
            assert.deepEqual([r.notifier.sent.length, r.incidents.opened.length, r.timers.created.length, r.timers.cancelled.length], [0, 0, 0, 0], "the reply function touched only the table");

            clock.advance(1);
            assert.equal(await t.engine.followUpReplies(caseIdFor("prometheus:3f1c9a4be07d2e11")), "done", "the stream follow-up took over the work the reply claimed");
            assert.equal(t.incidents.opened.length, 1, "the timer function opened the confirmed incident");
            assert.equal(t.incidents.opened[0].dedupKey, "prometheus:3f1c9a4be07d2e11");
            assert.ok(t.notifier.sent.some((n) => n.kind === "incident"), "and notified the customer of it");
            assert.equal(t.timers.cancelled.length, 1, "and deleted the reply timer");
            clock.advance(61);
            await t.engine.sweep();

            clock.advance(72 * 3600);
            assert.equal(await t.engine.timeout(caseIdFor("prometheus:00000000000000aa"), "timer"), "resolved");
            clock.advance(3600);
            await t.engine.sweep();

            assert.deepEqual([...i.actions].sort(), [...granted(intake)].sort(), "intake");
            assert.deepEqual([...r.actions].sort(), [...granted(reply)].sort(), "reply");
            assert.deepEqual([...t.actions].sort(), [...granted(timer)].sort(), "timer");
        });

        it("without deferred reply work the reply function would open incidents itself (which its role forbids)", async () => {
            const { intake: i, reply: r } = await engines(false);
            await i.engine.ingest(message("amp/01-crashloop-firing.sns.json"));
            await r.engine.answerReply(replyTokens(i.notifier.sent[0].body).confirm, "ip 203.0.113.7");
            assert.equal(r.incidents.opened.length, 1);
            assert.equal(allowed(reply).has("ssm:CreateOpsItem"), false);
        });
    });
});

import * as assert from "node:assert/strict";
import { eventsAlertRouting } from "../../policies/events/alertRouting";
import { eventsTargetDeadLetter } from "../../policies/events/targetDeadLetter";
import { snsIntakeRedrive } from "../../policies/sns/intakeRedrive";
import { snsPipelineTopicSubscribed } from "../../policies/sns/pipelineTopicSubscribed";
import { snsTopicEncrypted } from "../../policies/sns/topicEncrypted";
import { snsTopicPolicyRestricted } from "../../policies/sns/topicPolicyRestricted";
import { snsTopicTlsOnly } from "../../policies/sns/topicTlsOnly";
import { sqsQueueEncrypted } from "../../policies/sqs/queueEncrypted";
import { sqsQueuePolicyRestricted } from "../../policies/sqs/queuePolicyRestricted";
import { sqsRedrive } from "../../policies/sqs/redrive";
import { alertTopicPolicy, heartbeatTopicPolicy, notificationTopicPolicy, pipelineTopicPolicy } from "../../components/account/policies";
import { ALERT_TOPIC, customerStack, HEARTBEAT_TOPIC, INTAKE_DLQ, INTAKE_QUEUE, NOTIFICATION_TOPIC, operatorStack, PIPELINE_TOPIC, WORKSPACE_ARN } from "./fixtures";
import { ACCOUNT, REGION, assertClean, assertNotApplicable, assertStackNotApplicable, assertViolations, FixtureStack, run } from "./harness";

const TOPIC = 'aws:sns/topic:Topic "vigil-alerts"';
const ALERTS_POLICY = 'aws:sns/topicPolicy:TopicPolicy "vigil-alerts-policy"';

/** Replaces the statements of a policy document input. */
function setStatements(s: FixtureStack, name: string, statements: object[]): void {
    s.get(name).inputs.policy = JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

const ampStatement = (condition: object) => ({ Effect: "Allow", Principal: { Service: "aps.amazonaws.com" }, Action: "sns:Publish", Resource: ALERT_TOPIC, Condition: condition });

describe("vigil-sns-topic-encrypted", () => {
    it("accepts topics under the customer-managed key", async () => {
        await assertClean(snsTopicEncrypted, operatorStack());
    });

    it("reports an unencrypted topic and one under the AWS-managed key", async () => {
        const s = operatorStack(["payments-prod"]);
        const topic = s.get("vigil-alerts");
        delete topic.inputs.kmsMasterKeyId;
        await assertViolations(snsTopicEncrypted, s, [{ on: topic, message: `The SNS topic ${TOPIC} must be encrypted: set kmsMasterKeyId to a customer-managed KMS key.` }]);
        topic.inputs.kmsMasterKeyId = "alias/aws/sns";
        await assertViolations(snsTopicEncrypted, s, [
            { on: topic, message: `The SNS topic ${TOPIC} uses the AWS-managed key alias/aws/sns, whose policy cannot let AMP, EventBridge or CloudWatch publish; set kmsMasterKeyId to a customer-managed KMS key.` },
        ]);
    });

    it("is not applicable to a customer's own topics", async () => {
        const c = customerStack();
        const own = c.add("aws:sns/topic:Topic", "shop-events", {});
        await assertNotApplicable(snsTopicEncrypted, c, own, { party: "customer" });
    });
});

describe("vigil-sns-topic-policy-restricted", () => {
    it("accepts the contract's topic policies", async () => {
        await assertClean(snsTopicPolicyRestricted, operatorStack());
    });

    it("reports AMP publishing without its workspace and account pinned", async () => {
        const s = operatorStack(["payments-prod"]);
        setStatements(s, "vigil-alerts-policy", [ampStatement({ StringEquals: { "aws:SourceAccount": ACCOUNT } })]);
        await assertViolations(snsTopicPolicyRestricted, s, [
            { on: s.get("vigil-alerts-policy"), message: `The access policy of ${ALERTS_POLICY} grants aps.amazonaws.com in statement 0 without fixed aws:SourceArn conditions; tie it to the one source that uses it.` },
        ]);
        setStatements(s, "vigil-alerts-policy", [ampStatement({ ArnLike: { "aws:SourceArn": "arn:aws:aps:eu-west-1:111122223333:workspace/*" }, StringEquals: { "aws:SourceAccount": ACCOUNT } })]);
        await assertViolations(snsTopicPolicyRestricted, s, [
            { on: s.get("vigil-alerts-policy"), message: `The access policy of ${ALERTS_POLICY} grants aps.amazonaws.com in statement 0 without fixed aws:SourceArn conditions; tie it to the one source that uses it.` },
        ]);
    });

    it("reports a public statement, a service not allowed, an unscoped service and NotPrincipal", async () => {
        const s = operatorStack(["payments-prod"]);
        setStatements(s, "vigil-alerts-policy", [
            { Sid: "Public", Effect: "Allow", Principal: { AWS: "*" }, Action: "sns:Subscribe", Resource: ALERT_TOPIC },
            { Sid: "S3", Effect: "Allow", Principal: { Service: "s3.amazonaws.com" }, Action: "sns:Publish", Resource: ALERT_TOPIC },
            { Sid: "Events", Effect: "Allow", Principal: { Service: "events.amazonaws.com" }, Action: "sns:*", Resource: ALERT_TOPIC },
            { Sid: "Everyone", Effect: "Allow", NotPrincipal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "sns:Publish", Resource: ALERT_TOPIC },
            ampStatement({ ArnEquals: { "aws:SourceArn": WORKSPACE_ARN }, StringEquals: { "aws:SourceAccount": ACCOUNT } }),
        ]);
        const on = s.get("vigil-alerts-policy");
        await assertViolations(snsTopicPolicyRestricted, s, [
            { on, message: `The access policy of ${ALERTS_POLICY} is public: statement "Public" allows any principal without a fixed aws:SourceArn, aws:SourceAccount, aws:SourceOwner or aws:PrincipalOrgID condition. Tie it to this account or name the principals.` },
            { on, message: `The access policy of ${ALERTS_POLICY} grants the service s3.amazonaws.com in statement "S3"; only aps.amazonaws.com, events.amazonaws.com, cloudwatch.amazonaws.com may be granted.` },
            { on, message: `The access policy of ${ALERTS_POLICY} grants events.amazonaws.com in statement "Events" without a fixed aws:SourceArn or aws:SourceAccount condition; tie it to this account.` },
            { on, message: `The access policy of ${ALERTS_POLICY} grants events.amazonaws.com sns:* in statement "Events"; grant only the actions it uses.` },
            { on, message: `The access policy of ${ALERTS_POLICY} allows with NotPrincipal in statement "Everyone", which grants everyone else; name the principals instead.` },
        ]);
    });

    it("accepts an any-principal statement tied to the account (SNS's default statement)", async () => {
        const s = operatorStack(["payments-prod"]);
        setStatements(s, "vigil-alerts-policy", [
            { Sid: "__default_statement_ID", Effect: "Allow", Principal: { AWS: "*" }, Action: ["SNS:Publish", "SNS:Subscribe"], Resource: ALERT_TOPIC, Condition: { StringEquals: { "AWS:SourceOwner": ACCOUNT } } },
        ]);
        await assertClean(snsTopicPolicyRestricted, s);
    });

    it("checks a policy set on the topic itself, reports one that is not JSON, and follows allowedServicePrincipals", async () => {
        const s = operatorStack(["payments-prod"]);
        const topic = s.get("vigil-alerts");
        topic.inputs.policy = "{not json";
        await assertViolations(snsTopicPolicyRestricted, s, [{ on: topic, message: `The access policy of ${TOPIC} cannot be read: the policy document is not valid JSON.` }]);
        delete topic.inputs.policy;
        await assertNotApplicable(snsTopicPolicyRestricted, s, topic);
        // Narrowing the services to AMP turns the EventBridge and CloudWatch grants into violations.
        const found = await run(snsTopicPolicyRestricted, s, { config: { "vigil-sns-topic-policy-restricted": { allowedServicePrincipals: ["aps.amazonaws.com"] } } });
        assert.deepEqual(
            found.violations.map((v) => v.message),
            [
                `The access policy of ${ALERTS_POLICY} grants the service events.amazonaws.com in statement "AllowEventBridgeRules"; only aps.amazonaws.com may be granted.`,
                `The access policy of ${ALERTS_POLICY} grants the service cloudwatch.amazonaws.com in statement "AllowCloudWatchAlarms"; only aps.amazonaws.com may be granted.`,
                'The access policy of aws:sns/topicPolicy:TopicPolicy "vigil-pipeline-policy" grants the service cloudwatch.amazonaws.com in statement "AllowCloudWatchAlarms"; only aps.amazonaws.com may be granted.',
            ],
        );
    });
});

describe("vigil-sns-topic-tls-only", () => {
    const deny = (extra: object) => ({ Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Resource: ALERT_TOPIC, Condition: { Bool: { "aws:SecureTransport": "false" } }, ...extra });
    const missing = { message: `The access policy of ${ALERTS_POLICY} must deny sns:Publish to any principal when aws:SecureTransport is false.` };

    it("is mandatory: plain HTTP to Vigil's own topics is a security gap, not a cost", () => {
        assert.equal(snsTopicTlsOnly.enforcementLevel, "mandatory");
    });

    it("accepts policies that deny plain HTTP for sns:Publish (the fixture's)", async () => {
        await assertClean(snsTopicTlsOnly, operatorStack());
    });

    it("accepts a deny that covers sns:Publish among other actions, by list, wildcard, any case or NotAction", async () => {
        for (const action of [
            { Action: ["sns:Subscribe", "sns:Publish", "sns:SetTopicAttributes"] },
            { Action: "sns:*" },
            { Action: "*" },
            { Action: "SNS:publish" },
            { Action: "sns:Pub*" },
            { NotAction: ["sns:Subscribe"] },
            { Principal: { AWS: "*" }, Action: "sns:Publish" },
        ]) {
            const s = operatorStack(["payments-prod"]);
            setStatements(s, "vigil-alerts-policy", [ampStatement({ ArnEquals: { "aws:SourceArn": WORKSPACE_ARN }, StringEquals: { "aws:SourceAccount": ACCOUNT } }), deny(action)]);
            await assertClean(snsTopicTlsOnly, s);
        }
    });

    it("accepts the topic policies AccountMonitoring writes", async () => {
        const id = { accountId: ACCOUNT, region: REGION, partition: "aws" };
        const documents = [
            alertTopicPolicy({ identity: id, topicArn: ALERT_TOPIC, workspaceArn: WORKSPACE_ARN, eventRuleArns: [`arn:aws:events:${REGION}:${ACCOUNT}:rule/vigil-guardduty`] }),
            heartbeatTopicPolicy(id, HEARTBEAT_TOPIC, WORKSPACE_ARN),
            pipelineTopicPolicy(id, PIPELINE_TOPIC),
            notificationTopicPolicy(NOTIFICATION_TOPIC),
        ];
        for (const document of documents) {
            const s = operatorStack(["payments-prod"]);
            s.get("vigil-alerts-policy").inputs.policy = JSON.stringify(document);
            await assertClean(snsTopicTlsOnly, s);
        }
    });

    it("reports a policy without the deny, and denies that miss sns:Publish, anyone or plain HTTP", async () => {
        const allow = ampStatement({ ArnEquals: { "aws:SourceArn": WORKSPACE_ARN }, StringEquals: { "aws:SourceAccount": ACCOUNT } });
        for (const statements of [
            [allow],
            [allow, deny({ Action: ["sns:Subscribe", "sns:SetTopicAttributes"] })],
            [allow, deny({ NotAction: ["sns:Publish"] })],
            [allow, deny({ Action: "sns:Publish", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` } })],
            [allow, deny({ Action: "sns:Publish", Condition: { Bool: { "aws:SecureTransport": "true" } } })],
            [allow, { ...deny({ Action: "sns:Publish" }), Effect: "Allow" }],
        ]) {
            const s = operatorStack(["payments-prod"]);
            setStatements(s, "vigil-alerts-policy", statements);
            await assertViolations(snsTopicTlsOnly, s, [{ on: s.get("vigil-alerts-policy"), ...missing }]);
        }
    });

    it("is not applicable to a topic without a policy of its own", async () => {
        const s = operatorStack(["payments-prod"]);
        await assertNotApplicable(snsTopicTlsOnly, s, s.get("vigil-alerts"));
    });
});

describe("vigil-sns-pipeline-topic-subscribed (advisory)", () => {
    const PIPELINE = 'aws:sns/topic:Topic "vigil-pipeline"';
    const message = `The pipeline topic ${PIPELINE} (${PIPELINE_TOPIC}), which the heartbeat's dead-man's switch and the pipeline alarms notify, has no subscription in the stack: the dead-man's switch reaches nobody independently of the alert topic. Set vigil:operatorEmails, or subscribe from another project via the pipelineTopicArn stack output.`;

    it("accepts the operators' e-mail subscription to the pipeline topic", async () => {
        await assertClean(snsPipelineTopicSubscribed, operatorStack());
    });

    it("reports a pipeline topic nobody subscribes to", async () => {
        const s = operatorStack(["payments-prod"]);
        s.remove("vigil-pipeline-email-sre");
        await assertViolations(snsPipelineTopicSubscribed, s, [{ on: s.get("vigil-pipeline"), message }]);
        // Any protocol counts: a paging webhook as well as an e-mail address.
        s.add("aws:sns/topicSubscription:TopicSubscription", "vigil-pipeline-pager", { topic: PIPELINE_TOPIC, protocol: "https", endpoint: "https://pager.example.com/sns" }, {}, s.get("vigil", "vigil:account:AccountMonitoring"));
        await assertClean(snsPipelineTopicSubscribed, s);
    });

    it("does not count the triage intake queue, which the alert topic feeds too", async () => {
        const s = operatorStack(["payments-prod"]);
        s.remove("vigil-pipeline-email-sre");
        s.add("aws:sns/topicSubscription:TopicSubscription", "vigil-triage-pipeline", { topic: PIPELINE_TOPIC, protocol: "sqs", endpoint: INTAKE_QUEUE }, {}, s.get("vigil-triage", "vigil:triage:TriageService"));
        await assertViolations(snsPipelineTopicSubscribed, s, [{ on: s.get("vigil-pipeline"), message }]);
    });

    it("is not applicable when the dead-man's switch notifies a topic outside the stack, or there is none", async () => {
        const s = operatorStack(["payments-prod"]);
        s.remove("vigil-pipeline-email-sre");
        s.get("vigil-pipeline-heartbeat-missing").inputs.alarmActions = [`arn:aws:sns:${REGION}:444455556666:operators`];
        await assertStackNotApplicable(snsPipelineTopicSubscribed, s, /no topic of its own that a dead-man's switch on the heartbeat notifies/);
        await assertStackNotApplicable(snsPipelineTopicSubscribed, customerStack(), /no topic of its own/, { party: "customer" });
    });
});

describe("vigil-sns-intake-redrive", () => {
    it("accepts the intake subscriptions with their dead-letter queue", async () => {
        await assertClean(snsIntakeRedrive, operatorStack());
    });

    it("reports an SQS subscription without a redrive policy", async () => {
        const s = operatorStack(["payments-prod"]);
        const subscription = s.get("vigil-triage-alerts");
        delete subscription.inputs.redrivePolicy;
        await assertViolations(snsIntakeRedrive, s, [
            {
                on: subscription,
                message: 'The SNS subscription aws:sns/topicSubscription:TopicSubscription "vigil-triage-alerts" (sqs) must have a redrive policy: set redrivePolicy to JSON with deadLetterTargetArn naming an SQS dead-letter queue.',
            },
        ]);
        subscription.inputs.redrivePolicy = JSON.stringify({ deadLetterTargetArn: "arn:aws:sns:eu-west-1:111122223333:x" });
        await assertViolations(snsIntakeRedrive, s, [
            {
                on: subscription,
                message: 'The SNS subscription aws:sns/topicSubscription:TopicSubscription "vigil-triage-alerts" (sqs) must have a redrive policy: set redrivePolicy to JSON with deadLetterTargetArn naming an SQS dead-letter queue.',
            },
        ]);
    });

    it("is not applicable to e-mail subscriptions", async () => {
        const s = operatorStack(["payments-prod"]);
        await assertNotApplicable(snsIntakeRedrive, s, s.get("vigil-pipeline-email-sre"));
    });
});

describe("vigil-sqs-queue-encrypted", () => {
    const QUEUE = 'aws:sqs/queue:Queue "vigil-triage-intake"';

    it("accepts queues under the customer-managed key", async () => {
        await assertClean(sqsQueueEncrypted, operatorStack());
    });

    it("reports the AWS-managed key, no key, and SQS-managed encryption unless allowed", async () => {
        const s = operatorStack(["payments-prod"]);
        const queue = s.get("vigil-triage-intake");
        queue.inputs.kmsMasterKeyId = "alias/aws/sqs";
        await assertViolations(sqsQueueEncrypted, s, [
            { on: queue, message: `The SQS queue ${QUEUE} uses the AWS-managed key alias/aws/sqs, whose policy cannot let SNS or EventBridge deliver; set kmsMasterKeyId to a customer-managed KMS key.` },
        ]);
        delete queue.inputs.kmsMasterKeyId;
        queue.inputs.sqsManagedSseEnabled = true;
        await assertViolations(sqsQueueEncrypted, s, [{ on: queue, message: `The SQS queue ${QUEUE} must be encrypted with a customer-managed KMS key: set kmsMasterKeyId.` }]);
        await assertClean(sqsQueueEncrypted, s, { config: { "vigil-sqs-queue-encrypted": { allowSqsManagedEncryption: true } } });
    });
});

describe("vigil-sqs-queue-policy-restricted", () => {
    const POLICY = 'aws:sqs/queuePolicy:QueuePolicy "vigil-triage-intake-policy"';

    it("accepts SNS and EventBridge sending from their sources", async () => {
        await assertClean(sqsQueuePolicyRestricted, operatorStack());
    });

    it("reports SNS without its source topic and a public grant", async () => {
        const s = operatorStack(["payments-prod"]);
        setStatements(s, "vigil-triage-intake-policy", [
            { Effect: "Allow", Principal: { Service: "sns.amazonaws.com" }, Action: "sqs:SendMessage", Resource: "*", Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT } } },
            { Effect: "Allow", Principal: "*", Action: "sqs:ReceiveMessage", Resource: "*" },
        ]);
        const on = s.get("vigil-triage-intake-policy");
        await assertViolations(sqsQueuePolicyRestricted, s, [
            { on, message: `The access policy of ${POLICY} grants sns.amazonaws.com in statement 0 without fixed aws:SourceArn conditions; tie it to the one source that uses it.` },
            { on, message: `The access policy of ${POLICY} is public: statement 1 allows any principal without a fixed aws:SourceArn, aws:SourceAccount, aws:SourceOwner or aws:PrincipalOrgID condition. Tie it to this account or name the principals.` },
        ]);
    });
});

describe("vigil-sqs-redrive", () => {
    const QUEUE = 'aws:sqs/queue:Queue "vigil-triage-intake"';

    it("accepts the intake queue with its dead-letter queue", async () => {
        await assertClean(sqsRedrive, operatorStack());
    });

    it("reports an intake queue without a redrive policy", async () => {
        const s = operatorStack(["payments-prod"]);
        const queue = s.get("vigil-triage-intake");
        delete queue.inputs.redrivePolicy;
        await assertViolations(sqsRedrive, s, [{ on: queue, message: `The SQS queue ${QUEUE} must move undeliverable messages to a dead-letter queue: set redrivePolicy with deadLetterTargetArn and maxReceiveCount.` }]);
    });

    it("reports a dead-letter queue outside the stack and too few receives, following minReceiveCount", async () => {
        const s = operatorStack(["payments-prod"]);
        const queue = s.get("vigil-triage-intake");
        queue.inputs.redrivePolicy = JSON.stringify({ deadLetterTargetArn: "arn:aws:sqs:eu-west-1:111122223333:elsewhere", maxReceiveCount: 2 });
        await assertViolations(sqsRedrive, s, [
            { on: queue, message: `The SQS queue ${QUEUE} sends dead letters to arn:aws:sqs:eu-west-1:111122223333:elsewhere, which is not a queue of this stack; create the dead-letter queue alongside it.` },
            {
                on: queue,
                message: `The SQS queue ${QUEUE} gives up after 2 receives; allow at least 5 (maxReceiveCount) so that a throttled or briefly failing consumer does not send good messages to the dead-letter queue.`,
            },
        ]);
        queue.inputs.redrivePolicy = JSON.stringify({ deadLetterTargetArn: INTAKE_DLQ, maxReceiveCount: 2 });
        await assertClean(sqsRedrive, s, { config: { "vigil-sqs-redrive": { minReceiveCount: 2 } } });
    });

    it("is not applicable when no queue receives from SNS or feeds a function", async () => {
        const s = operatorStack(["payments-prod"]);
        s.remove("vigil-triage");
        await assertStackNotApplicable(sqsRedrive, s, /no Vigil queue receives from SNS or feeds a function/);
    });
});

describe("vigil-events-target-dead-letter", () => {
    const TARGET = 'aws:cloudwatch/eventTarget:EventTarget "vigil-health-network-target"';

    it("accepts targets with a dead-letter queue and a retry policy", async () => {
        await assertClean(eventsTargetDeadLetter, operatorStack());
    });

    it("reports a target without either", async () => {
        const s = operatorStack(["payments-prod"]);
        const target = s.get("vigil-health-network-target");
        delete target.inputs.deadLetterConfig;
        target.inputs.retryPolicy = { maximumRetryAttempts: 3 };
        await assertViolations(eventsTargetDeadLetter, s, [
            { on: target, message: `The EventBridge target ${TARGET} must have a dead-letter queue: set deadLetterConfig.arn to an SQS queue ARN.` },
            { on: target, message: `The EventBridge target ${TARGET} must set retryPolicy with maximumRetryAttempts and maximumEventAgeInSeconds.` },
        ]);
    });
});

describe("vigil-events-alert-routing", () => {
    it("accepts GuardDuty and AWS Health rules targeting the alert topic", async () => {
        await assertClean(eventsAlertRouting, operatorStack());
    });

    it("reports a missing source and a rule that targets something else", async () => {
        const s = operatorStack(["payments-prod"]);
        s.remove("vigil-guardduty-eks-findings", "vigil-guardduty-eks-findings-target");
        s.get("vigil-health-network-target").inputs.arn = "arn:aws:sns:eu-west-1:111122223333:vigil-notifications";
        await assertViolations(eventsAlertRouting, s, [
            { message: "The stack has no EventBridge rule for events from aws.guardduty; route them to the alert topic." },
            { message: `No EventBridge rule for aws.health ("vigil-health-network") targets the alert topic ${ALERT_TOPIC}; add a target for it.` },
        ]);
    });

    it("follows requiredSources and is not applicable without an alert manager", async () => {
        const s = operatorStack(["payments-prod"]);
        await assertViolations(eventsAlertRouting, s, [{ message: "The stack has no EventBridge rule for events from aws.eks; route them to the alert topic." }], {
            config: { "vigil-events-alert-routing": { requiredSources: ["aws.health", "aws.eks"] } },
        });
        s.remove("vigil-alert-manager");
        await assertStackNotApplicable(eventsAlertRouting, s, /no alert topic/);
    });
});

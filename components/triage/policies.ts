// The triage service's IAM and queue policies, as pure functions of plain values.
//
// Each function's role allows exactly the actions its entry point performs (the engine's store,
// notifier, incidents and timers calls; see the README's "Triage service" section), on exactly the
// resources it uses. Four actions cannot be scoped to a resource, because their services do not
// support resource-level permissions for them; they are tied to the region instead:
//   - xray:PutTraceSegments, xray:PutTelemetryRecords (active tracing);
//   - ssm:CreateOpsItem (the OpsItem does not exist before it is created; tagging it is scoped to
//     OpsItem ARNs);
//   - ec2:DescribeInstances (a List/Read action without resource types).

import type { AccountIdentity, PolicyDocument, PolicyStatement } from "../account/policies";

/** The engine's sweep index (TABLE_DEFINITION.globalSecondaryIndexes). */
export const DUE_INDEX = "due";

/** DynamoDB actions per entry point, from the store calls each makes (dynamoStore.ts). */
export const TABLE_ACTIONS = {
    // observe and recordHeartbeat are UpdateItem; load GetItem; save and recordUnparsed PutItem.
    intake: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
    // viewReply loads; answerReply loads and saves (the work it claims is left to the sweep).
    reply: ["dynamodb:GetItem", "dynamodb:PutItem"],
    // timeout, sweep and resumed work load and save; listDue queries the index.
    timer: ["dynamodb:GetItem", "dynamodb:PutItem"],
} as const;

export interface FunctionPolicyArgs {
    readonly identity: AccountIdentity;
    /** The function's own log group. */
    readonly logGroupArn: string;
    readonly tableArn: string;
    /** The topics' CMK (AccountMonitoring.keyArn). */
    readonly keyArn: string;
    readonly notificationTopicArn: string;
}

export interface EngineFunctionPolicyArgs extends FunctionPolicyArgs {
    /** The pipeline topic, where operator notices go (encrypted with `keyArn`). */
    readonly operatorTopicArn: string;
    /** The CMK of an existing notifications topic that is not encrypted with `keyArn`, if any. */
    readonly notificationTopicKeyArn?: string;
    readonly scheduleGroupName: string;
    /** Prefix of the reply timers' names (SCHEDULE_NAME_PREFIX). */
    readonly scheduleNamePrefix: string;
    readonly schedulerRoleArn: string;
}

export interface IntakePolicyArgs extends EngineFunctionPolicyArgs {
    readonly intakeQueueArn: string;
}

export interface TimerPolicyArgs extends EngineFunctionPolicyArgs {
    readonly timerDeadLetterQueueArn: string;
    /** The case table's stream (the reply follow-up mapping reads it with the timer function's role). */
    readonly tableStreamArn: string;
}

/** What Lambda's event source mapping needs to read a DynamoDB stream for a function. */
export const STREAM_ACTIONS = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"] as const;

const document = (statements: PolicyStatement[]): PolicyDocument => ({ Version: "2012-10-17", Statement: statements });
const via = (id: AccountIdentity, ...services: string[]) => services.map((s) => `${s}.${id.region}.amazonaws.com`);
export const inRegion = (id: AccountIdentity) => ({ StringEquals: { "aws:RequestedRegion": id.region } });

// The statements below are shared with the diagnostics function's policy (diagnostics.ts).

export function writeLogs(logGroupArn: string): PolicyStatement {
    return { Sid: "WriteOwnLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${logGroupArn}:*` };
}

export function tracing(id: AccountIdentity): PolicyStatement {
    return { Sid: "ActiveTracing", Effect: "Allow", Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], Resource: "*", Condition: inRegion(id) };
}

export function table(actions: readonly string[], tableArn: string): PolicyStatement {
    return { Sid: "CaseTable", Effect: "Allow", Action: [...actions], Resource: tableArn };
}

/** What Lambda's event source mapping needs to read the case table's stream for a function. */
export function readCaseStream(tableStreamArn: string): PolicyStatement {
    return { Sid: "ReadCaseStream", Effect: "Allow", Action: [...STREAM_ACTIONS], Resource: tableStreamArn };
}

/** The topics' CMK, only as used through the named services (SNS publishing, SQS reading and sending). */
export function topicKey(id: AccountIdentity, keyArn: string, services: string[]): PolicyStatement {
    return {
        Sid: "UseTopicKey",
        Effect: "Allow",
        Action: ["kms:Decrypt", "kms:GenerateDataKey"],
        Resource: keyArn,
        Condition: { StringEquals: { "kms:ViaService": via(id, ...services) } },
    };
}

function publishNotifications(topicArn: string): PolicyStatement {
    return { Sid: "PublishNotifications", Effect: "Allow", Action: "sns:Publish", Resource: topicArn };
}

function publishOperatorNotices(topicArn: string): PolicyStatement {
    return { Sid: "PublishOperatorNotices", Effect: "Allow", Action: "sns:Publish", Resource: topicArn };
}

/**
 * An existing notifications topic's own CMK: only through SNS, only for that topic (SNS encrypts
 * with the topic ARN as encryption context). The key's policy must let IAM policies of this
 * account grant it (the default key policy does) or name the roles.
 */
export function notificationTopicKey(id: AccountIdentity, keyArn: string, topicArn: string): PolicyStatement {
    return {
        Sid: "UseNotificationTopicKey",
        Effect: "Allow",
        Action: ["kms:Decrypt", "kms:GenerateDataKey"],
        Resource: keyArn,
        Condition: { StringEquals: { "kms:ViaService": via(id, "sns")[0], "kms:EncryptionContext:aws:sns:topicArn": topicArn } },
    };
}

/** The statements that let an engine function publish: notifications, operator notices, and the keys they need. */
function publishing(a: EngineFunctionPolicyArgs, queueServices: string[]): PolicyStatement[] {
    return [
        topicKey(a.identity, a.keyArn, queueServices),
        publishNotifications(a.notificationTopicArn),
        ...(a.notificationTopicKeyArn ? [notificationTopicKey(a.identity, a.notificationTopicKeyArn, a.notificationTopicArn)] : []),
        publishOperatorNotices(a.operatorTopicArn),
    ];
}

function incidents(id: AccountIdentity): PolicyStatement[] {
    return [
        { Sid: "OpenIncidents", Effect: "Allow", Action: "ssm:CreateOpsItem", Resource: "*", Condition: inRegion(id) },
        // CreateOpsItem with Tags also needs AddTagsToResource, on the new OpsItem.
        { Sid: "TagIncidents", Effect: "Allow", Action: "ssm:AddTagsToResource", Resource: `arn:${id.partition}:ssm:${id.region}:${id.accountId}:opsitem/*` },
    ];
}

function replyTimers(a: EngineFunctionPolicyArgs): PolicyStatement[] {
    const { identity: id } = a;
    return [
        {
            Sid: "ReplyTimers",
            Effect: "Allow",
            Action: ["scheduler:CreateSchedule", "scheduler:DeleteSchedule"],
            Resource: `arn:${id.partition}:scheduler:${id.region}:${id.accountId}:schedule/${a.scheduleGroupName}/${a.scheduleNamePrefix}*`,
        },
        {
            Sid: "PassSchedulerRole",
            Effect: "Allow",
            Action: "iam:PassRole",
            Resource: a.schedulerRoleArn,
            Condition: { StringEquals: { "iam:PassedToService": "scheduler.amazonaws.com" } },
        },
    ];
}

/** Trust policy of the three functions' roles. */
export function lambdaTrustPolicy(): PolicyDocument {
    return document([{ Sid: "LambdaFunction", Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }]);
}

/**
 * The intake function (`handler`): reads the intake queue, keeps cases, notifies, opens
 * incidents, sets and deletes reply timers, and finds the cluster of EC2 nodes.
 */
export function intakePolicy(a: IntakePolicyArgs): PolicyDocument {
    const { identity: id } = a;
    return document([
        writeLogs(a.logGroupArn),
        tracing(id),
        { Sid: "ReadIntakeQueue", Effect: "Allow", Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"], Resource: a.intakeQueueArn },
        table(TABLE_ACTIONS.intake, a.tableArn),
        ...publishing(a, ["sqs", "sns"]),
        ...incidents(id),
        ...replyTimers(a),
        { Sid: "NodeClusters", Effect: "Allow", Action: "ec2:DescribeInstances", Resource: "*", Condition: inRegion(id) },
    ]);
}

/** The public reply function (`replyHandler`): reads and writes cases, nothing else. */
export function replyPolicy(a: Omit<FunctionPolicyArgs, "keyArn" | "notificationTopicArn">): PolicyDocument {
    return document([writeLogs(a.logGroupArn), tracing(a.identity), table(TABLE_ACTIONS.reply, a.tableArn)]);
}

/**
 * The timer function (`timerHandler`): resolves overdue cases, resumes stale work and follows up
 * replies from the table's stream (which can notify, open incidents and set or delete reply
 * timers), queries the due index, reads the stream (through its event source mapping), and puts
 * failed asynchronous invocations and stream batches into its dead-letter queue.
 */
export function timerPolicy(a: TimerPolicyArgs): PolicyDocument {
    const { identity: id } = a;
    return document([
        writeLogs(a.logGroupArn),
        tracing(id),
        table(TABLE_ACTIONS.timer, a.tableArn),
        { Sid: "DueIndex", Effect: "Allow", Action: "dynamodb:Query", Resource: `${a.tableArn}/index/${DUE_INDEX}` },
        readCaseStream(a.tableStreamArn),
        ...publishing(a, ["sns", "sqs"]),
        ...incidents(id),
        ...replyTimers(a),
        { Sid: "DeadLetterFailedInvocations", Effect: "Allow", Action: "sqs:SendMessage", Resource: a.timerDeadLetterQueueArn },
    ]);
}

/** Trust policy of the role EventBridge Scheduler assumes: only schedules of the reply timers' group. */
export function schedulerTrustPolicy(id: AccountIdentity, scheduleGroupArn: string): PolicyDocument {
    return document([
        {
            Sid: "ReplyTimerSchedules",
            Effect: "Allow",
            Principal: { Service: "scheduler.amazonaws.com" },
            Action: "sts:AssumeRole",
            Condition: { StringEquals: { "aws:SourceAccount": id.accountId }, ArnEquals: { "aws:SourceArn": scheduleGroupArn } },
        },
    ]);
}

/** What the reply timers may do: invoke the timer function, and dead-letter what they could not deliver. */
export function schedulerPolicy(id: AccountIdentity, a: { timerFunctionArn: string; timerDeadLetterQueueArn: string; keyArn: string }): PolicyDocument {
    return document([
        { Sid: "InvokeTimerFunction", Effect: "Allow", Action: "lambda:InvokeFunction", Resource: a.timerFunctionArn },
        { Sid: "DeadLetterUndeliveredTimers", Effect: "Allow", Action: "sqs:SendMessage", Resource: a.timerDeadLetterQueueArn },
        topicKey(id, a.keyArn, ["sqs"]),
    ]);
}

function denyInsecureTransport(queueArn: string): PolicyStatement {
    return { Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "sqs:*", Resource: queueArn, Condition: { Bool: { "aws:SecureTransport": "false" } } };
}

/**
 * The intake queue and its dead-letter queue: only SNS sends, only from the alert and heartbeat
 * topics (the subscriptions deliver to the first and dead-letter to the second).
 */
export function topicQueuePolicy(queueArn: string, topicArns: readonly string[]): PolicyDocument {
    if (topicArns.length === 0) {
        throw new Error("topicQueuePolicy needs the topics that may send (an empty list would admit none)");
    }
    return document([
        {
            Sid: "AllowVigilTopics",
            Effect: "Allow",
            Principal: { Service: "sns.amazonaws.com" },
            Action: "sqs:SendMessage",
            Resource: queueArn,
            // The topic ARNs name the account; SNS's documented condition for queue deliveries is aws:SourceArn.
            Condition: { ArnEquals: { "aws:SourceArn": [...topicArns] } },
        },
        denyInsecureTransport(queueArn),
    ]);
}

/**
 * The timer dead-letter queue: EventBridge dead-letters sweeps it could not deliver. (The timer
 * function's on-failure destination and the scheduler role send with their IAM permissions.)
 */
export function timerDeadLetterQueuePolicy(queueArn: string, sweepRuleArn: string): PolicyDocument {
    return document([
        {
            Sid: "AllowSweepRule",
            Effect: "Allow",
            Principal: { Service: "events.amazonaws.com" },
            Action: "sqs:SendMessage",
            Resource: queueArn,
            Condition: { ArnEquals: { "aws:SourceArn": sweepRuleArn } },
        },
        denyInsecureTransport(queueArn),
    ]);
}

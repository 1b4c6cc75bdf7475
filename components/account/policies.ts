// Resource policies of the account-level resources, as pure functions of plain values: the KMS key
// policies, the topic policies, the EventBridge dead-letter queue policy and the Grafana role.
//
// Every grant to an AWS service is conditioned on this account (and, where the service sets it,
// the exact source ARN), so no other account can use a Vigil topic, queue or key through that
// service (the "confused deputy" problem). Principals are never wildcards except in Deny
// statements, which are themselves conditioned.

export interface PolicyStatement {
    readonly Sid: string;
    readonly Effect: "Allow" | "Deny";
    /** Absent in identity policies. */
    readonly Principal?: "*" | { readonly Service?: string | readonly string[]; readonly AWS?: string | readonly string[] };
    readonly Action: string | readonly string[];
    /** Absent in trust policies. */
    readonly Resource?: string | readonly string[];
    readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

export interface PolicyDocument {
    readonly Version: "2012-10-17";
    readonly Statement: readonly PolicyStatement[];
}

/** Where the resources live. */
export interface AccountIdentity {
    readonly accountId: string;
    readonly region: string;
    readonly partition: string;
}

/**
 * Regions that must be enabled before use ("opt-in" regions). There, some services act through a
 * regional principal (`<service>.<region>.amazonaws.com`; AMP documents this for its SNS
 * publishing), so grants name both the global and the regional principal.
 */
export const OPT_IN_REGIONS: readonly string[] = [
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-south-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-west-1",
    "eu-central-2",
    "eu-south-1",
    "eu-south-2",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
];

/** The principals a service uses in a region: the global one, plus the regional one in opt-in regions. */
export function servicePrincipals(service: string, region: string): string[] {
    const global = `${service}.amazonaws.com`;
    return OPT_IN_REGIONS.includes(region) ? [global, `${service}.${region}.amazonaws.com`] : [global];
}

function principal(services: readonly string[]): PolicyStatement["Principal"] {
    return { Service: services.length === 1 ? services[0] : [...services] };
}

const accountRoot = (id: AccountIdentity) => `arn:${id.partition}:iam::${id.accountId}:root`;
const sourceAccount = (id: AccountIdentity) => ({ "aws:SourceAccount": id.accountId });

/**
 * Every action an SNS topic policy can name (the SNS developer guide's "Valid Amazon SNS policy
 * actions"). Topic policies list them rather than `sns:*`, which that list does not include.
 */
export const SNS_TOPIC_POLICY_ACTIONS: readonly string[] = [
    "sns:AddPermission",
    "sns:DeleteTopic",
    "sns:GetDataProtectionPolicy",
    "sns:GetTopicAttributes",
    "sns:ListSubscriptionsByTopic",
    "sns:ListTagsForResource",
    "sns:Publish",
    "sns:PutDataProtectionPolicy",
    "sns:RemovePermission",
    "sns:SetTopicAttributes",
    "sns:Subscribe",
];

function denyInsecureTransport(action: string | readonly string[], resource: string): PolicyStatement {
    return {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: typeof action === "string" ? action : [...action],
        Resource: resource,
        Condition: { Bool: { "aws:SecureTransport": "false" } },
    };
}

/** A topic refuses every request, from anyone, that does not arrive over TLS. */
function denyTopicWithoutTls(topicArn: string): PolicyStatement {
    return denyInsecureTransport(SNS_TOPIC_POLICY_ACTIONS, topicArn);
}

function keyAdministration(id: AccountIdentity): PolicyStatement {
    // The key policy's standard first statement: IAM policies of this account decide who else may use
    // or manage the key (without it, a key nobody can manage is one mistake away).
    return { Sid: "EnableIamPolicies", Effect: "Allow", Principal: { AWS: accountRoot(id) }, Action: "kms:*", Resource: "*" };
}

/**
 * Policy of the CMK that encrypts the SNS topics and the SQS queues that receive from them: AMP,
 * EventBridge and CloudWatch may encrypt what they publish to the topics; SNS may encrypt what it
 * delivers to the queues; all only on behalf of this account.
 */
export function alertKeyPolicy(id: AccountIdentity): PolicyDocument {
    const publishers = ["aps", "events", "cloudwatch"].flatMap((s) => servicePrincipals(s, id.region));
    return {
        Version: "2012-10-17",
        Statement: [
            keyAdministration(id),
            {
                Sid: "AllowAlertPublishers",
                Effect: "Allow",
                Principal: principal(publishers),
                Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
                Resource: "*",
                Condition: { StringEquals: sourceAccount(id) },
            },
            {
                Sid: "AllowSnsDeliveryToEncryptedQueues",
                Effect: "Allow",
                Principal: principal(servicePrincipals("sns", id.region)),
                Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
                Resource: "*",
                Condition: { StringEquals: sourceAccount(id) },
            },
        ],
    };
}

/** Policy of the CMK for CloudWatch log groups: only CloudWatch Logs, only for this account's log groups. */
export function logKeyPolicy(id: AccountIdentity): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            keyAdministration(id),
            {
                Sid: "AllowCloudWatchLogs",
                Effect: "Allow",
                Principal: { Service: `logs.${id.region}.amazonaws.com` },
                Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                Resource: "*",
                Condition: {
                    ArnLike: { "kms:EncryptionContext:aws:logs:arn": `arn:${id.partition}:logs:${id.region}:${id.accountId}:log-group:*` },
                },
            },
        ],
    };
}

function ampPublish(id: AccountIdentity, topicArn: string, workspaceArn: string): PolicyStatement {
    return {
        Sid: "AllowAmpAlertManager",
        Effect: "Allow",
        Principal: principal(servicePrincipals("aps", id.region)),
        Action: ["sns:Publish", "sns:GetTopicAttributes"],
        Resource: topicArn,
        Condition: { ArnEquals: { "aws:SourceArn": workspaceArn }, StringEquals: sourceAccount(id) },
    };
}

function cloudWatchPublish(id: AccountIdentity, topicArn: string): PolicyStatement {
    return {
        Sid: "AllowCloudWatchAlarms",
        Effect: "Allow",
        Principal: principal(servicePrincipals("cloudwatch", id.region)),
        Action: "sns:Publish",
        Resource: topicArn,
        Condition: {
            ArnLike: { "aws:SourceArn": `arn:${id.partition}:cloudwatch:${id.region}:${id.accountId}:alarm:*` },
            StringEquals: sourceAccount(id),
        },
    };
}

export interface AlertTopicPolicyArgs {
    readonly identity: AccountIdentity;
    readonly topicArn: string;
    readonly workspaceArn: string;
    /** The EventBridge rules that target the topic. */
    readonly eventRuleArns: readonly string[];
}

/**
 * The alert topic: the AMP workspace's alert manager, Vigil's EventBridge rules and this account's
 * CloudWatch alarms may publish; no request at all over plain HTTP.
 */
export function alertTopicPolicy(args: AlertTopicPolicyArgs): PolicyDocument {
    const { identity: id, topicArn } = args;
    const statements: PolicyStatement[] = [ampPublish(id, topicArn, args.workspaceArn)];
    if (args.eventRuleArns.length > 0) {
        statements.push({
            Sid: "AllowEventBridgeRules",
            Effect: "Allow",
            Principal: principal(servicePrincipals("events", id.region)),
            Action: "sns:Publish",
            Resource: topicArn,
            Condition: { ArnEquals: { "aws:SourceArn": [...args.eventRuleArns] }, StringEquals: sourceAccount(id) },
        });
    }
    statements.push(cloudWatchPublish(id, topicArn), denyTopicWithoutTls(topicArn));
    return { Version: "2012-10-17", Statement: statements };
}

/** The heartbeat topic: only the AMP workspace's alert manager publishes. */
export function heartbeatTopicPolicy(id: AccountIdentity, topicArn: string, workspaceArn: string): PolicyDocument {
    return { Version: "2012-10-17", Statement: [ampPublish(id, topicArn, workspaceArn), denyTopicWithoutTls(topicArn)] };
}

/**
 * The pipeline topic: this account's CloudWatch alarms publish (operators subscribe). The triage
 * functions publish operator notices to it with their IAM roles (same account, so their identity
 * policies are enough; this policy only refuses plain HTTP, to them and to everyone).
 */
export function pipelineTopicPolicy(id: AccountIdentity, topicArn: string): PolicyDocument {
    return { Version: "2012-10-17", Statement: [cloudWatchPublish(id, topicArn), denyTopicWithoutTls(topicArn)] };
}

/**
 * The notifications topic: the triage service publishes with its IAM role (same account, so its
 * identity policy is enough); the topic policy only refuses every request over plain HTTP.
 */
export function notificationTopicPolicy(topicArn: string): PolicyDocument {
    return { Version: "2012-10-17", Statement: [denyTopicWithoutTls(topicArn)] };
}

/** The EventBridge dead-letter queue: only Vigil's rules may send to it. */
export function eventsDeadLetterQueuePolicy(id: AccountIdentity, queueArn: string, eventRuleArns: readonly string[]): PolicyDocument {
    if (eventRuleArns.length === 0) {
        throw new Error("eventsDeadLetterQueuePolicy needs the ARNs of the rules that may dead-letter (an empty list would admit none)");
    }
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "AllowEventBridgeDeadLetters",
                Effect: "Allow",
                Principal: principal(servicePrincipals("events", id.region)),
                Action: "sqs:SendMessage",
                Resource: queueArn,
                Condition: { ArnEquals: { "aws:SourceArn": [...eventRuleArns] }, StringEquals: sourceAccount(id) },
            },
            denyInsecureTransport("sqs:*", queueArn),
        ],
    };
}

/** Trust policy of the Managed Grafana workspace role: only Managed Grafana in this account. */
export function grafanaTrustPolicy(id: AccountIdentity): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "AllowManagedGrafana",
                Effect: "Allow",
                Principal: { Service: "grafana.amazonaws.com" },
                Action: "sts:AssumeRole",
                Condition: {
                    StringEquals: sourceAccount(id),
                    ArnLike: { "aws:SourceArn": `arn:${id.partition}:grafana:${id.region}:${id.accountId}:/workspaces/*` },
                },
            },
        ],
    };
}

/**
 * What Grafana may read from CloudWatch, for the pipeline dashboard's CloudWatch panels: metric
 * data and metric lists (the query editor's dimension pickers), in this region only. Neither
 * action has resource-level permissions, so the region condition is the narrowest scope.
 */
export function grafanaCloudWatchPolicy(region: string): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "ReadCloudWatchMetrics",
                Effect: "Allow",
                Action: ["cloudwatch:GetMetricData", "cloudwatch:ListMetrics"],
                Resource: "*",
                Condition: { StringEquals: { "aws:RequestedRegion": region } },
            },
        ],
    };
}

/** What Grafana may do with AMP: read (query) this workspace, nothing else. */
export function grafanaQueryPolicy(workspaceArn: string): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "QueryVigilWorkspace",
                Effect: "Allow",
                Action: ["aps:QueryMetrics", "aps:GetSeries", "aps:GetLabels", "aps:GetMetricMetadata"],
                Resource: workspaceArn,
            },
        ],
    };
}

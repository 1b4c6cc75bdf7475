// Storm messages, built the way they reach the intake function: AMP alert manager messages in the
// contract C1 shape (webhook payload version 4), inside SNS notification envelopes, inside SQS
// records, in batches of the event source mapping's size. Deterministic: the same alert index gives
// the same labels and fingerprint in every pass, so a second pass is a stream of duplicates (what
// Alertmanager's repeat notifications and SQS redeliveries produce). Pure and dependency-free: the
// worker process bundles it.

import { createHash } from "node:crypto";

/** An alerting rule as the storm uses it: its name, labels and annotation templates. */
export interface AlertTemplate {
    readonly alertname: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly annotations: Readonly<Record<string, string>>;
}

export interface StormTarget {
    readonly region: string;
    readonly accountId: string;
    readonly alertTopicArn: string;
    readonly queueArn: string;
}

/** SNS's message size limit, which AMP enforces by truncating larger messages. */
export const SNS_MAX_MESSAGE_BYTES = 256 * 1024;

/** Fills `{{ $labels.x }}` and `{{ $value }}` the way the rule evaluation would; other template actions are dropped. */
export function renderAnnotation(template: string, labels: Readonly<Record<string, string>>): string {
    return template
        .replace(/\{\{[^}]*\$labels\.([A-Za-z_][A-Za-z0-9_]*)[^}]*\}\}/g, (_, name: string) => labels[name] ?? "")
        .replace(/\{\{[^}]*\$value[^}]*\}\}/g, "1")
        .replace(/\{\{[^}]*\}\}/g, "");
}

/** 16 hex digits identifying a label set (the role of Alertmanager's fingerprint). */
export function fingerprint(labels: Readonly<Record<string, string>>): string {
    const text = Object.keys(labels)
        .sort()
        .map((k) => `${k}\u00ff${labels[k]}`)
        .join("\u00ff");
    return createHash("sha256").update(text).digest("hex").slice(0, 16);
}

/** RFC 3339 UTC with milliseconds, as the C1 template renders times. */
function rfc3339(ms: number): string {
    return new Date(ms).toISOString();
}

export interface WebhookAlert {
    readonly status: "firing";
    readonly labels: Record<string, string>;
    readonly annotations: Record<string, string>;
    readonly startsAt: string;
    readonly endsAt: string;
    readonly generatorURL: string;
    readonly fingerprint: string;
}

/** One firing alert of `template`, for a pod in `cluster`/`namespace`. */
export function webhookAlert(template: AlertTemplate, cluster: string, namespace: string, pod: string, startsAtMs: number, target: StormTarget): WebhookAlert {
    const labels: Record<string, string> = { alertname: template.alertname, cluster, namespace, pod, container: "app", ...template.labels };
    const annotations = Object.fromEntries(Object.entries(template.annotations).map(([k, v]) => [k, renderAnnotation(v, labels)]));
    return {
        status: "firing",
        labels,
        annotations,
        startsAt: rfc3339(startsAtMs),
        // Go's zero time, as the template renders a firing alert's end (contract C1).
        endsAt: "0001-01-01T00:00:00.000Z",
        generatorURL: `https://aps-workspaces.${target.region}.amazonaws.com/workspaces/ws-bench/graph?g0.expr=${encodeURIComponent(template.alertname)}`,
        fingerprint: fingerprint(labels),
    };
}

/** An alert manager message (C1) for one group. */
export function webhookMessage(alerts: readonly WebhookAlert[], groupBy: readonly string[]): Record<string, unknown> {
    const first = alerts[0]?.labels ?? {};
    const common = Object.fromEntries(Object.entries(first).filter(([k, v]) => alerts.every((a) => a.labels[k] === v)));
    return {
        version: "4",
        receiver: "alerts",
        status: "firing",
        alerts,
        groupLabels: Object.fromEntries(groupBy.filter((k) => k in common).map((k) => [k, common[k]])),
        commonLabels: common,
        commonAnnotations: {},
        externalURL: "https://aps-workspaces.example.amazonaws.com/workspaces/ws-bench/alertmanager",
    };
}

/** A UUID-shaped id derived from `seed` (stable, so runs are reproducible). */
export function stableId(seed: string): string {
    const h = createHash("sha256").update(seed).digest("hex");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** The subject the C1 template gives a message of `firing` firing alerts. */
export function subjectFor(firing: number): string {
    return `Vigil FIRING: ${firing} firing, 0 resolved`;
}

/** The SQS record carrying an SNS notification of `body`, as the SNS → SQS subscription delivers it. */
export function sqsRecord(body: string, subject: string, seed: string, target: StormTarget, nowMs: number, attributes: Readonly<Record<string, string>> = {}) {
    const envelope = {
        Type: "Notification",
        MessageId: stableId(`sns:${seed}`),
        TopicArn: target.alertTopicArn,
        Subject: subject,
        Message: body,
        Timestamp: rfc3339(nowMs),
        SignatureVersion: "1",
        Signature: "bench",
        SigningCertURL: `https://sns.${target.region}.amazonaws.com/SimpleNotificationService-bench.pem`,
        UnsubscribeURL: `https://sns.${target.region}.amazonaws.com/?Action=Unsubscribe`,
        MessageAttributes: Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, { Type: "String", Value: v }])),
    };
    return {
        messageId: stableId(`sqs:${seed}`),
        receiptHandle: `bench-${seed}`,
        body: JSON.stringify(envelope),
        attributes: {
            ApproximateReceiveCount: "1",
            SentTimestamp: String(nowMs),
            SenderId: "AIDAIBENCHSNS",
            ApproximateFirstReceiveTimestamp: String(nowMs),
        },
        messageAttributes: {},
        md5OfBody: createHash("md5").update(JSON.stringify(envelope)).digest("hex"),
        eventSource: "aws:sqs",
        eventSourceARN: target.queueArn,
        awsRegion: target.region,
    };
}

export type SqsRecord = ReturnType<typeof sqsRecord>;

/** Alertmanager's grouping in Vigil's route (contract C2). */
export const GROUP_BY = ["cluster", "alertname", "namespace"] as const;

/** The group storm: `count` alerts of one rule for pods of one namespace, in one message. */
export function groupMessageBody(template: AlertTemplate, count: number, baseMs: number, target: StormTarget): string {
    const alerts = Array.from({ length: count }, (_, i) => webhookAlert(template, "cluster-001", "payments", `api-${String(i).padStart(5, "0")}`, baseMs - (count - i) * 1000, target));
    return JSON.stringify(webhookMessage(alerts, GROUP_BY));
}

/**
 * Alert `index` of the single-alert storm: the rules in turn, each (cluster, alertname, namespace)
 * group holding one alert, so Alertmanager sends one message per alert.
 */
export function singleMessageBody(templates: readonly AlertTemplate[], index: number, baseMs: number, target: StormTarget): string {
    const template = templates[index % templates.length];
    const round = Math.floor(index / templates.length);
    const cluster = `cluster-${String((round % 20) + 1).padStart(3, "0")}`;
    const namespace = `team-${String(Math.floor(round / 20)).padStart(4, "0")}`;
    const alert = webhookAlert(template, cluster, namespace, `${namespace}-pod`, baseMs - index * 10, target);
    return JSON.stringify(webhookMessage([alert], GROUP_BY));
}

/** The body AMP delivers when a message exceeds SNS's limit: its first 256 KB, and the attributes AMP adds. */
export function truncatedByAmp(body: string): { body: string; attributes: Record<string, string> } {
    const bytes = Buffer.from(body, "utf8");
    if (bytes.length <= SNS_MAX_MESSAGE_BYTES) {
        return { body, attributes: {} };
    }
    return {
        body: bytes.subarray(0, SNS_MAX_MESSAGE_BYTES).toString("utf8"),
        attributes: { truncated: "true", modified: `Message: Error - Message has been truncated from ${Math.ceil(bytes.length / 1024)} KB, because it exceeds the 256 KB size limit.` },
    };
}

/** The Lambda context the handler gets (the fields Powertools reads). */
export function lambdaContext(functionArn: string, requestId: string, memoryMb: number) {
    const name = functionArn.split(":").pop() as string;
    return {
        callbackWaitsForEmptyEventLoop: true,
        functionName: name,
        functionVersion: "$LATEST",
        invokedFunctionArn: functionArn,
        memoryLimitInMB: String(memoryMb),
        awsRequestId: requestId,
        logGroupName: `/vigil/${name}`,
        logStreamName: "bench",
        getRemainingTimeInMillis: () => 60_000,
        done: () => undefined,
        fail: () => undefined,
        succeed: () => undefined,
    };
}

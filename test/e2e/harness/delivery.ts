// How a message published to a topic reaches the triage handler: SNS wraps it in its notification
// envelope (raw message delivery off), SQS carries that envelope as a record's body, and the event
// source mapping invokes the function with batches of records, redelivering the records the
// function reports as failed until the queue's maxReceiveCount sends them to the dead-letter queue.

import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import type { PublishedMessage } from "./localAws";

/**
 * The SNS notification envelope as SQS receives it. The signature fields (SignatureVersion,
 * Signature, SigningCertURL, UnsubscribeURL) are left out: the harness holds no SNS signing key, and the
 * handler, which reads only its own subscribed queue, does not verify them.
 */
export function snsEnvelope(message: PublishedMessage): Record<string, unknown> {
    return {
        Type: "Notification",
        MessageId: message.messageId,
        TopicArn: message.topicArn,
        ...(message.subject !== undefined ? { Subject: message.subject } : {}),
        Message: message.message,
        Timestamp: message.at,
        ...(Object.keys(message.attributes).length > 0
            ? { MessageAttributes: Object.fromEntries(Object.entries(message.attributes).map(([k, v]) => [k, { Type: "String", Value: v }])) }
            : {}),
    };
}

export interface QueueOptions {
    readonly queueArn: string;
    readonly region: string;
    /** Receives before a record goes to the dead-letter queue. */
    readonly maxReceiveCount: number;
    /** Wait before a failed record becomes visible again (SQS visibility timeout, shortened). */
    readonly visibilityTimeoutMs: number;
    /** Records per invocation (the event source mapping's batch size). */
    readonly batchSize: number;
    /** How long the mapping gathers records before invoking with a batch that is not full. */
    readonly batchingWindowMs: number;
}

/** An SQS record carrying `body`, as the event source mapping passes it. */
export function sqsRecord(body: string, options: Pick<QueueOptions, "queueArn" | "region">, receiveCount: number, sentAt: number): SQSRecord {
    return {
        messageId: randomUUID(),
        receiptHandle: randomBytes(24).toString("base64"),
        body,
        attributes: {
            ApproximateReceiveCount: String(receiveCount),
            SentTimestamp: String(sentAt),
            // SNS is the sender of a subscription's messages; the harness names itself.
            SenderId: "vigil-e2e-sns",
            ApproximateFirstReceiveTimestamp: String(Date.now()),
        },
        messageAttributes: {},
        md5OfBody: createHash("md5").update(body, "utf8").digest("hex"),
        eventSource: "aws:sqs",
        eventSourceARN: options.queueArn,
        awsRegion: options.region,
    };
}

export interface InvokeResult {
    /** Set when the invocation failed (Lambda's X-Amz-Function-Error). */
    readonly functionError?: string;
    readonly payload: unknown;
}

export interface Delivery {
    readonly sqsMessageId: string;
    readonly snsMessageId: string;
    readonly topicArn: string;
    readonly receiveCount: number;
    readonly failed: boolean;
    readonly error?: string;
}

interface Pending {
    record: SQSRecord;
    envelope: { MessageId: string; TopicArn: string };
    receiveCount: number;
    sentAt: number;
    visibleAt: number;
}

/** The intake queue and its event source mapping, invoking the handler one batch at a time. */
export class IntakeQueue {
    readonly deliveries: Delivery[] = [];
    readonly deadLetters: SQSRecord[] = [];
    private readonly pending: Pending[] = [];
    private busy = false;
    private timer: NodeJS.Timeout | undefined;
    private closed = false;

    constructor(
        private readonly invoke: (event: SQSEvent) => Promise<InvokeResult>,
        private readonly options: QueueOptions,
    ) {}

    /** What a subscription does with a published message. */
    send(message: PublishedMessage): void {
        const envelope = snsEnvelope(message);
        const body = JSON.stringify(envelope);
        const sentAt = Date.now();
        this.pending.push({ record: sqsRecord(body, this.options, 1, sentAt), envelope: { MessageId: message.messageId, TopicArn: message.topicArn }, receiveCount: 1, sentAt, visibleAt: 0 });
        void this.pump();
    }

    /** True when nothing waits and nothing is being processed. */
    get idle(): boolean {
        return !this.busy && this.pending.length === 0;
    }

    /** Stops delivering (records still pending stay undelivered). */
    close(): void {
        this.closed = true;
        clearTimeout(this.timer);
    }

    private async pump(): Promise<void> {
        if (this.busy || this.closed) {
            return;
        }
        this.busy = true;
        let wakeAt = Infinity;
        try {
            for (;;) {
                const now = Date.now();
                const visible = this.pending.filter((p) => p.visibleAt <= now);
                if (visible.length === 0 || this.closed) {
                    wakeAt = Math.min(...this.pending.map((p) => p.visibleAt));
                    break;
                }
                // Like the mapping's batching window: a batch that is not full waits for more.
                const windowEnds = Math.min(...visible.map((p) => Math.max(p.visibleAt, p.sentAt))) + this.options.batchingWindowMs;
                if (visible.length < this.options.batchSize && now < windowEnds) {
                    wakeAt = windowEnds;
                    break;
                }
                const batch = visible.slice(0, this.options.batchSize);
                batch.forEach((p) => this.pending.splice(this.pending.indexOf(p), 1));
                await this.deliver(batch);
            }
        } finally {
            this.busy = false;
        }
        if (Number.isFinite(wakeAt) && !this.closed) {
            clearTimeout(this.timer);
            this.timer = setTimeout(() => void this.pump(), Math.max(0, wakeAt - Date.now()));
        }
    }

    private async deliver(batch: Pending[]): Promise<void> {
        let failedIds: Set<string>;
        let error: string | undefined;
        try {
            const result = await this.invoke({ Records: batch.map((p) => p.record) });
            if (result.functionError) {
                error = `${result.functionError}: ${JSON.stringify(result.payload).slice(0, 2000)}`;
                failedIds = new Set(batch.map((p) => p.record.messageId));
            } else {
                const response = result.payload as SQSBatchResponse | null;
                failedIds = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
                error = failedIds.size > 0 ? "reported in batchItemFailures" : undefined;
            }
        } catch (err) {
            error = `invocation failed: ${(err as Error).message}`;
            failedIds = new Set(batch.map((p) => p.record.messageId));
        }
        for (const p of batch) {
            const failed = failedIds.has(p.record.messageId);
            this.deliveries.push({
                sqsMessageId: p.record.messageId,
                snsMessageId: p.envelope.MessageId,
                topicArn: p.envelope.TopicArn,
                receiveCount: p.receiveCount,
                failed,
                ...(failed ? { error } : {}),
            });
            if (!failed) {
                continue;
            }
            if (p.receiveCount >= this.options.maxReceiveCount) {
                this.deadLetters.push(p.record);
                continue;
            }
            const receiveCount = p.receiveCount + 1;
            this.pending.push({
                ...p,
                receiveCount,
                visibleAt: Date.now() + this.options.visibilityTimeoutMs,
                // Same message id, a new receipt handle: as SQS redelivers.
                record: { ...p.record, receiptHandle: randomBytes(24).toString("base64"), attributes: { ...p.record.attributes, ApproximateReceiveCount: String(receiveCount) } },
            });
        }
    }
}

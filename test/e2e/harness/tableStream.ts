// The case table's stream and the timer function's filtered stream mapping, which dynalite lacks.
// The table is read every `pollMs`; an item whose image changed since the last read becomes a
// stream record (NEW_IMAGE view, INSERT or MODIFY), and the records the mapping's filter lets
// through are passed to the function in batches, with the mapping's retries for failed records.
//
// Unlike DynamoDB Streams, a poll sees each item's latest image, not every intermediate one; the
// follow-up filter selects images that stay as they are until the timer function changes them
// (pending reply work), so for it the two are the same. The mapping starts at LATEST: items that
// exist when it starts produce no records until they change.

import { AttributeValue, DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from "aws-lambda";
import { randomUUID } from "node:crypto";
import { HarnessConfigError } from "./config";
import type { InvokeResult } from "./delivery";

/**
 * Lambda event filtering for the subset the harness supports: nested objects, and arrays of exact
 * string, number, boolean or null values. Content filters (prefix, exists, numeric, …) are refused.
 */
export function matchesFilter(pattern: unknown, value: unknown, where = "pattern"): boolean {
    if (Array.isArray(pattern)) {
        for (const candidate of pattern) {
            if (candidate !== null && typeof candidate === "object") {
                throw new HarnessConfigError(`${where}: content filter ${JSON.stringify(candidate)} is not supported by the harness's stream mapping`);
            }
        }
        return pattern.some((candidate) => candidate === value);
    }
    if (pattern === null || typeof pattern !== "object") {
        throw new HarnessConfigError(`${where}: got ${JSON.stringify(pattern)}; a filter pattern holds objects and arrays of values`);
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
        return false;
    }
    return Object.entries(pattern).every(([key, inner]) => matchesFilter(inner, (value as Record<string, unknown>)[key], `${where}.${key}`));
}

/** Serialises with sorted keys, so an unchanged item always compares equal. */
function stable(value: unknown): string {
    if (Array.isArray(value)) {
        return `[${value.map(stable).join(",")}]`;
    }
    if (value !== null && typeof value === "object") {
        return `{${Object.keys(value)
            .sort()
            .map((k) => `${JSON.stringify(k)}:${stable((value as Record<string, unknown>)[k])}`)
            .join(",")}}`;
    }
    return JSON.stringify(value);
}

export interface TableStreamOptions {
    readonly tableName: string;
    readonly streamArn: string;
    readonly region: string;
    /** The mapping's filter pattern (parsed). */
    readonly filter: unknown;
    readonly batchSize: number;
    /** Retries of a failed record before the on-failure destination. */
    readonly maximumRetryAttempts: number;
    readonly keyAttributes: readonly string[];
    readonly pollMs: number;
}

export interface StreamDelivery {
    readonly at: string;
    /** `pk|sk` of the item. */
    readonly key: string;
    readonly sequenceNumber: string;
    readonly attempt: number;
    readonly failed: boolean;
    readonly error?: string;
}

export class TableStream {
    readonly deliveries: StreamDelivery[] = [];
    /** Records given up after their retries (the mapping's on-failure destination). */
    readonly failed: DynamoDBRecord[] = [];
    /** Records the filter let through while the mapping was paused (never delivered). */
    readonly dropped: DynamoDBRecord[] = [];
    private readonly images = new Map<string, string>();
    private sequence = 0;
    private timer: NodeJS.Timeout | undefined;
    private polling: Promise<void> = Promise.resolve();
    private paused = false;
    private stopped = false;

    constructor(
        private readonly client: DynamoDBClient,
        private readonly invoke: (event: DynamoDBStreamEvent) => Promise<InvokeResult>,
        private readonly options: TableStreamOptions,
    ) {}

    /** Reads the table once without emitting (LATEST), then follows it. */
    async start(): Promise<void> {
        await this.read(false);
        this.timer = setInterval(() => {
            this.polling = this.polling.then(() => this.read(true)).catch(() => undefined);
        }, this.options.pollMs);
    }

    /** Like a disabled mapping whose records age out: changes meanwhile are never delivered. */
    pause(): void {
        this.paused = true;
    }

    resume(): void {
        this.paused = false;
    }

    async stop(): Promise<void> {
        this.stopped = true;
        clearInterval(this.timer);
        await this.polling;
    }

    private async scan(): Promise<Record<string, AttributeValue>[]> {
        const items: Record<string, AttributeValue>[] = [];
        let start: Record<string, AttributeValue> | undefined;
        do {
            const out = await this.client.send(new ScanCommand({ TableName: this.options.tableName, ConsistentRead: true, ExclusiveStartKey: start }));
            items.push(...(out.Items ?? []));
            start = out.LastEvaluatedKey;
        } while (start);
        return items;
    }

    private async read(emit: boolean): Promise<void> {
        if (this.stopped) {
            return;
        }
        const records: DynamoDBRecord[] = [];
        for (const item of await this.scan()) {
            const key = this.options.keyAttributes.map((k) => item[k]?.S ?? "").join("|");
            const image = stable(item);
            const previous = this.images.get(key);
            if (previous === image) {
                continue;
            }
            this.images.set(key, image);
            if (!emit) {
                continue;
            }
            records.push({
                eventID: randomUUID().replace(/-/g, ""),
                eventName: previous === undefined ? "INSERT" : "MODIFY",
                eventVersion: "1.1",
                eventSource: "aws:dynamodb",
                awsRegion: this.options.region,
                dynamodb: {
                    ApproximateCreationDateTime: Math.floor(Date.now() / 1000),
                    Keys: Object.fromEntries(this.options.keyAttributes.map((k) => [k, item[k]])) as NonNullable<DynamoDBRecord["dynamodb"]>["Keys"],
                    NewImage: item as NonNullable<DynamoDBRecord["dynamodb"]>["NewImage"],
                    SequenceNumber: String(++this.sequence).padStart(21, "0"),
                    SizeBytes: Buffer.byteLength(image),
                    StreamViewType: "NEW_IMAGE",
                },
                eventSourceARN: this.options.streamArn,
            });
        }
        const passing = records.filter((r) => matchesFilter(this.options.filter, r));
        if (this.paused) {
            this.dropped.push(...passing);
            return;
        }
        for (let i = 0; i < passing.length; i += this.options.batchSize) {
            await this.deliver(passing.slice(i, i + this.options.batchSize));
        }
    }

    /** One batch, retried from its failed records as the mapping does (ReportBatchItemFailures). */
    private async deliver(batch: DynamoDBRecord[]): Promise<void> {
        let pending = batch;
        for (let attempt = 1; pending.length > 0; attempt++) {
            let failedFrom = pending.length;
            let error: string | undefined;
            try {
                const result = await this.invoke({ Records: pending });
                if (result.functionError) {
                    failedFrom = 0;
                    error = `${result.functionError}: ${JSON.stringify(result.payload).slice(0, 2000)}`;
                } else {
                    const ids = ((result.payload as DynamoDBBatchResponse | null)?.batchItemFailures ?? []).map((f) => f.itemIdentifier);
                    const first = pending.findIndex((r) => ids.includes(r.dynamodb?.SequenceNumber ?? ""));
                    failedFrom = first < 0 ? pending.length : first;
                    error = first < 0 ? undefined : "reported in batchItemFailures";
                }
            } catch (err) {
                failedFrom = 0;
                error = `invocation failed: ${(err as Error).message}`;
            }
            pending.forEach((r, i) =>
                this.deliveries.push({
                    at: new Date().toISOString(),
                    key: this.options.keyAttributes.map((k) => r.dynamodb?.Keys?.[k]?.S ?? "").join("|"),
                    sequenceNumber: r.dynamodb?.SequenceNumber ?? "",
                    attempt,
                    failed: i >= failedFrom,
                    ...(i >= failedFrom ? { error } : {}),
                }),
            );
            // The checkpoint moves past what succeeded; the rest is retried.
            pending = pending.slice(failedFrom);
            if (pending.length > 0 && attempt > this.options.maximumRetryAttempts) {
                this.failed.push(...pending);
                return;
            }
        }
    }
}

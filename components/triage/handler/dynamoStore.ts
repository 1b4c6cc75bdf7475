// The DynamoDB case store. One table holds cases, heartbeats and unparsed messages; every write is
// a single-item conditional write (no transactions, no ReturnValuesOnConditionCheckFailure: the
// store runs on dynalite in tests). TABLE_DEFINITION is the table's contract: the tests create the
// table in dynalite from it and the TriageService component creates the real table from it.
//
// The table's stream (new images) drives the immediate follow-up of replies: a case item carries
// `replyWork: "pending"` while a reply's work waits for the timer function, and the timer
// function's stream mapping lets only such images through (REPLY_WORK_FILTER). dynalite has no
// streams; the tests feed the timer function stream records built from the items it stores.

import {
    AttributeValue,
    CreateTableCommandInput,
    DynamoDBClient,
    GetItemCommand,
    PutItemCommand,
    QueryCommand,
    ScanCommand,
    UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { acceptObservation, isPendingReplyWork } from "./lifecycle";
import { CaseRecord, Claim, Heartbeat, UnparsedMessage } from "./model";
import { CaseStore, Observation, ObserveResult } from "./ports";

/** The triage table: key schema, attributes, the sweep's index, and the TTL attribute. */
export const TABLE_DEFINITION = {
    hashKey: "pk",
    rangeKey: "sk",
    /** Only key attributes are declared (DynamoDB is schemaless otherwise). */
    attributes: [
        { name: "pk", type: "S" },
        { name: "sk", type: "S" },
        { name: "dueBucket", type: "S" },
        { name: "dueAt", type: "S" },
    ],
    /** Sparse index of cases the sweep must look at (`dueAt` ≤ now): deadlines, stale work, retries. */
    globalSecondaryIndexes: [{ name: "due", hashKey: "dueBucket", rangeKey: "dueAt", projectionType: "KEYS_ONLY" }],
    /** Epoch seconds; DynamoDB TTL deletes closed cases and old records (garbage collection only, never a timer). */
    ttlAttribute: "expiresAt",
    billingMode: "PAY_PER_REQUEST",
    /** The stream's records carry the new image, which the follow-up filter matches on. */
    streamViewType: "NEW_IMAGE",
} as const;

/** Set on a case item (and only there) while a reply's work waits for the timer function. */
export const REPLY_WORK_ATTRIBUTE = "replyWork";
export const REPLY_WORK_PENDING = "pending";

/**
 * The event filter of the timer function's stream mapping (a Lambda filter pattern, as the
 * mapping's FilterCriteria takes it after JSON.stringify): only records whose new image carries
 * pending reply work. Deletions (TTL) have no new image; the timer function's own writes take the
 * work over or finish it, which removes the attribute, so they do not invoke it again.
 */
export const REPLY_WORK_FILTER = { dynamodb: { NewImage: { [REPLY_WORK_ATTRIBUTE]: { S: [REPLY_WORK_PENDING] } } } } as const;

/** Item key prefixes. */
const CASE_PREFIX = "case#";
const CLAIM_PREFIX = "claim#";
const DUE_BUCKET = "due";

/** The CreateTable request for TABLE_DEFINITION (tests; the component maps the same object to Pulumi). */
export function createTableInput(tableName: string): CreateTableCommandInput {
    return {
        TableName: tableName,
        BillingMode: TABLE_DEFINITION.billingMode,
        KeySchema: [
            { AttributeName: TABLE_DEFINITION.hashKey, KeyType: "HASH" },
            { AttributeName: TABLE_DEFINITION.rangeKey, KeyType: "RANGE" },
        ],
        AttributeDefinitions: TABLE_DEFINITION.attributes.map((a) => ({ AttributeName: a.name, AttributeType: a.type })),
        GlobalSecondaryIndexes: TABLE_DEFINITION.globalSecondaryIndexes.map((g) => ({
            IndexName: g.name,
            KeySchema: [
                { AttributeName: g.hashKey, KeyType: "HASH" },
                { AttributeName: g.rangeKey, KeyType: "RANGE" },
            ],
            Projection: { ProjectionType: g.projectionType },
        })),
        // dynalite accepts and ignores it (no streams); the real table has one.
        StreamSpecification: { StreamEnabled: true, StreamViewType: TABLE_DEFINITION.streamViewType },
    };
}

// ---- marshalling (JSON-like values ↔ attribute values) ---------------------------------------

export function toAttr(value: unknown): AttributeValue {
    if (value === null) {
        return { NULL: true };
    }
    switch (typeof value) {
        case "string":
            return { S: value };
        case "number":
            if (!Number.isFinite(value)) {
                throw new Error(`cannot store ${value}`);
            }
            return { N: String(value) };
        case "boolean":
            return { BOOL: value };
        case "object":
            if (Array.isArray(value)) {
                return { L: value.map(toAttr) };
            }
            return {
                M: Object.fromEntries(
                    Object.entries(value as Record<string, unknown>)
                        .filter(([, v]) => v !== undefined)
                        .map(([k, v]) => [k, toAttr(v)]),
                ),
            };
        default:
            throw new Error(`cannot store a ${typeof value}`);
    }
}

export function fromAttr(attr: AttributeValue): unknown {
    if (attr.S !== undefined) {
        return attr.S;
    }
    if (attr.N !== undefined) {
        return Number(attr.N);
    }
    if (attr.BOOL !== undefined) {
        return attr.BOOL;
    }
    if (attr.NULL !== undefined) {
        return null;
    }
    if (attr.L !== undefined) {
        return attr.L.map(fromAttr);
    }
    if (attr.M !== undefined) {
        return Object.fromEntries(Object.entries(attr.M).map(([k, v]) => [k, fromAttr(v)]));
    }
    throw new Error(`unsupported attribute value ${JSON.stringify(attr)}`);
}

function caseKey(caseId: string): Record<string, AttributeValue> {
    return { pk: { S: `${CASE_PREFIX}${caseId}` }, sk: { S: "case" } };
}

/** A case as a table item: fields as attributes, each claim its own `claim#<key>` attribute. */
export function caseToItem(record: CaseRecord): Record<string, AttributeValue> {
    const item: Record<string, AttributeValue> = caseKey(record.caseId);
    for (const [name, value] of Object.entries(record)) {
        if (name !== "claims" && value !== undefined) {
            item[name] = toAttr(value);
        }
    }
    for (const [key, claim] of Object.entries(record.claims)) {
        item[`${CLAIM_PREFIX}${key}`] = toAttr(claim);
    }
    if (record.dueAt !== undefined) {
        item.dueBucket = { S: DUE_BUCKET };
    }
    if (Object.entries(record.claims).some(([key, claim]) => isPendingReplyWork(key, claim))) {
        item[REPLY_WORK_ATTRIBUTE] = { S: REPLY_WORK_PENDING };
    }
    return item;
}

/** The parts of a DynamoDB stream record's `dynamodb` object the follow-up reads (attribute values as DynamoDB JSON). */
export interface StreamImage {
    readonly Keys?: Readonly<Record<string, { readonly S?: string }>>;
    readonly NewImage?: Readonly<Record<string, { readonly S?: string }>>;
}

/** The case id of a stream record whose new image is a case with pending reply work, else undefined. */
export function replyWorkCaseId(change: StreamImage | undefined): string | undefined {
    const pk = change?.Keys?.pk?.S ?? "";
    if (!pk.startsWith(CASE_PREFIX) || change?.Keys?.sk?.S !== "case" || change?.NewImage?.[REPLY_WORK_ATTRIBUTE]?.S !== REPLY_WORK_PENDING) {
        return undefined;
    }
    return pk.slice(CASE_PREFIX.length);
}

export function itemToCase(item: Record<string, AttributeValue>): CaseRecord {
    const record: Record<string, unknown> = {};
    const claims: Record<string, Claim> = {};
    for (const [name, attr] of Object.entries(item)) {
        if (name === "pk" || name === "sk" || name === "dueBucket" || name === REPLY_WORK_ATTRIBUTE) {
            continue;
        }
        if (name.startsWith(CLAIM_PREFIX)) {
            claims[name.slice(CLAIM_PREFIX.length)] = fromAttr(attr) as Claim;
        } else {
            record[name] = fromAttr(attr);
        }
    }
    record.claims = claims;
    return record as unknown as CaseRecord;
}

function isConditionFailure(err: unknown): boolean {
    return (err as { name?: string })?.name === "ConditionalCheckFailedException";
}

export class DynamoStore implements CaseStore {
    constructor(
        private readonly client: DynamoDBClient,
        private readonly tableName: string,
    ) {}

    async observe(observation: Observation): Promise<ObserveResult> {
        const { caseId, alert, now, claimUntil } = observation;
        const claimKey = `${CLAIM_PREFIX}obs|${alert.order}`;
        // Creation-only fields use if_not_exists; everything else mirrors acceptObservation().
        const createOnly: Record<string, unknown> = {
            caseId,
            key: alert.key,
            source: alert.source,
            state: "NEW",
            cluster: alert.cluster,
            title: alert.title,
            episode: 0,
            firstSeen: now,
            tokens: {},
            attempts: 0,
            history: [],
            historyDropped: 0,
        };
        const names: Record<string, string> = { "#pk": "pk", "#lastOrder": "lastOrder", "#lastSeen": "lastSeen", "#claim": claimKey, "#dueBucket": "dueBucket", "#dueAt": "dueAt", "#version": "version", "#occurrences": "occurrences" };
        const values: Record<string, AttributeValue> = {
            ":order": { S: alert.order },
            ":now": { S: now },
            ":claim": toAttr({ until: claimUntil, alert }),
            ":due": { S: DUE_BUCKET },
            ":until": { S: claimUntil },
            ":one": { N: "1" },
        };
        const sets = Object.entries(createOnly).map(([name, value], i) => {
            names[`#c${i}`] = name;
            values[`:c${i}`] = toAttr(value);
            return `#c${i} = if_not_exists(#c${i}, :c${i})`;
        });
        sets.push("#lastOrder = :order", "#lastSeen = :now", "#claim = :claim", "#dueBucket = :due", "#dueAt = :until");
        try {
            const out = await this.client.send(
                new UpdateItemCommand({
                    TableName: this.tableName,
                    Key: caseKey(caseId),
                    UpdateExpression: `SET ${sets.join(", ")} ADD #version :one, #occurrences :one`,
                    ConditionExpression: "attribute_not_exists(#pk) OR #lastOrder < :order",
                    ExpressionAttributeNames: names,
                    ExpressionAttributeValues: values,
                    ReturnValues: "ALL_OLD",
                }),
            );
            const existing = out.Attributes && Object.keys(out.Attributes).length > 0 ? itemToCase(out.Attributes) : undefined;
            return { duplicate: false, created: existing === undefined, record: acceptObservation(existing, caseId, alert, now, claimUntil) };
        } catch (err) {
            if (isConditionFailure(err)) {
                return { duplicate: true };
            }
            throw err;
        }
    }

    async load(caseId: string): Promise<CaseRecord | undefined> {
        const out = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: caseKey(caseId), ConsistentRead: true }));
        return out.Item ? itemToCase(out.Item) : undefined;
    }

    async save(record: CaseRecord, expectedVersion: number): Promise<boolean> {
        try {
            await this.client.send(
                new PutItemCommand({
                    TableName: this.tableName,
                    Item: caseToItem(record),
                    ConditionExpression: "#version = :expected",
                    ExpressionAttributeNames: { "#version": "version" },
                    ExpressionAttributeValues: { ":expected": { N: String(expectedVersion) } },
                }),
            );
            return true;
        } catch (err) {
            if (isConditionFailure(err)) {
                return false;
            }
            throw err;
        }
    }

    async listDue(now: string, limit: number): Promise<string[]> {
        const ids: string[] = [];
        let start: Record<string, AttributeValue> | undefined;
        do {
            const out = await this.client.send(
                new QueryCommand({
                    TableName: this.tableName,
                    IndexName: TABLE_DEFINITION.globalSecondaryIndexes[0].name,
                    KeyConditionExpression: "#b = :b AND #d <= :now",
                    ExpressionAttributeNames: { "#b": "dueBucket", "#d": "dueAt" },
                    ExpressionAttributeValues: { ":b": { S: DUE_BUCKET }, ":now": { S: now } },
                    Limit: limit - ids.length,
                    ExclusiveStartKey: start,
                }),
            );
            for (const item of out.Items ?? []) {
                const pk = item.pk?.S ?? "";
                if (pk.startsWith(CASE_PREFIX)) {
                    ids.push(pk.slice(CASE_PREFIX.length));
                }
            }
            start = out.LastEvaluatedKey;
        } while (start && ids.length < limit);
        return ids;
    }

    async recordHeartbeat(heartbeat: Heartbeat): Promise<void> {
        const values: Record<string, AttributeValue> = { ":cluster": { S: heartbeat.cluster }, ":at": { S: heartbeat.at }, ":status": { S: heartbeat.status } };
        let update = "SET #cluster = :cluster, #at = :at, #status = :status";
        if (heartbeat.startsAt) {
            values[":startsAt"] = { S: heartbeat.startsAt };
            update += ", #startsAt = :startsAt";
        } else {
            update += " REMOVE #startsAt";
        }
        try {
            await this.client.send(
                new UpdateItemCommand({
                    TableName: this.tableName,
                    Key: { pk: { S: `heartbeat#${heartbeat.cluster}` }, sk: { S: "heartbeat" } },
                    UpdateExpression: update,
                    // Only move forward: a late redelivery must not make the pipeline look older.
                    ConditionExpression: "attribute_not_exists(#at) OR #at < :at",
                    ExpressionAttributeNames: { "#cluster": "cluster", "#at": "at", "#status": "status", "#startsAt": "startsAt" },
                    ExpressionAttributeValues: values,
                }),
            );
        } catch (err) {
            if (!isConditionFailure(err)) {
                throw err;
            }
        }
    }

    async recordUnparsed(message: UnparsedMessage, expiresAt: number): Promise<boolean> {
        try {
            await this.client.send(
                new PutItemCommand({
                    TableName: this.tableName,
                    Item: {
                        pk: { S: `message#${message.messageId}` },
                        sk: { S: "unparsed" },
                        ...(toAttr(message).M as Record<string, AttributeValue>),
                        expiresAt: { N: String(expiresAt) },
                    },
                    ConditionExpression: "attribute_not_exists(#pk)",
                    ExpressionAttributeNames: { "#pk": "pk" },
                }),
            );
            return true;
        } catch (err) {
            if (isConditionFailure(err)) {
                return false;
            }
            throw err;
        }
    }

    private async scan(sk: string): Promise<Record<string, AttributeValue>[]> {
        const items: Record<string, AttributeValue>[] = [];
        let start: Record<string, AttributeValue> | undefined;
        do {
            const out = await this.client.send(
                new ScanCommand({
                    TableName: this.tableName,
                    FilterExpression: "#sk = :sk",
                    ExpressionAttributeNames: { "#sk": "sk" },
                    ExpressionAttributeValues: { ":sk": { S: sk } },
                    ConsistentRead: true,
                    ExclusiveStartKey: start,
                }),
            );
            items.push(...(out.Items ?? []));
            start = out.LastEvaluatedKey;
        } while (start);
        return items;
    }

    /** Every case (a full scan: for tools and tests, not the Lambda's hot path). */
    async allCases(): Promise<CaseRecord[]> {
        return (await this.scan("case")).map(itemToCase).sort((a, b) => (a.firstSeen < b.firstSeen ? -1 : a.firstSeen > b.firstSeen ? 1 : 0));
    }

    /** The last heartbeat per cluster. */
    async heartbeats(): Promise<Heartbeat[]> {
        return (await this.scan("heartbeat")).map((item) => {
            const { cluster, at, status, startsAt } = fromAttr({ M: item }) as Record<string, string>;
            return { cluster, at, status: status as Heartbeat["status"], startsAt };
        });
    }

    /** Messages kept as unparsed. */
    async unparsed(): Promise<UnparsedMessage[]> {
        return (await this.scan("unparsed")).map((item) => {
            const { pk: _pk, sk: _sk, expiresAt: _e, ...rest } = fromAttr({ M: item }) as Record<string, unknown>;
            return rest as unknown as UnparsedMessage;
        });
    }
}

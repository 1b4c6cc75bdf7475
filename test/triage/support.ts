// Test support for the triage engine: a real DynamoDB-protocol server (dynalite) on loopback, the
// table created from TABLE_DEFINITION, and an engine wired to recording ports and a manual clock.

import * as fs from "node:fs";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { AttributeValue, CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import type { DynamoDBRecord } from "aws-lambda";
import { createTableInput, DynamoStore } from "../../components/triage/handler/dynamoStore";
import { TriageEngine } from "../../components/triage/handler/engine";
import { ImpactTable, parseImpactTable } from "../../components/triage/handler/impact";
import { impactTableText } from "../../components/triage/handler/impactSource";
import { DEFAULT_SETTINGS, Settings } from "../../components/triage/handler/lifecycle";
import { InboundMessage, messagesFromJson } from "../../components/triage/handler/normalize";
import { Diagnostics, NodeDirectory } from "../../components/triage/handler/ports";
import { ManualClock, RecordingIncidents, RecordingNotifier, RecordingTimers } from "../../components/triage/handler/recording";

// dynalite has no type declarations.
const dynalite = require("dynalite") as (options: Record<string, unknown>) => import("node:http").Server;

export const FIXTURES = path.join(__dirname, "..", "fixtures", "messages");

/** Credentials and region for the local server (never real ones). */
export const LOCAL_AWS = { region: "eu-west-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } };

export interface Dynalite {
    readonly endpoint: string;
    close(): Promise<void>;
}

/** Starts dynalite on 127.0.0.1 on a free port (in memory). Close it in `after`. */
export async function startDynalite(options: Record<string, unknown> = {}): Promise<Dynalite> {
    const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...options });
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    return {
        endpoint: `http://127.0.0.1:${port}`,
        close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
}

/**
 * Starts dynalite in the calling suite's `before` hook and closes it in its `after` hook; read
 * `endpoint` inside the suite's hooks and tests.
 */
export function dynaliteForSuite(): { readonly endpoint: string } {
    let server: Dynalite | undefined;
    before(async () => {
        server = await startDynalite();
    });
    after(async () => {
        await server?.close();
    });
    return {
        get endpoint(): string {
            if (!server) {
                throw new Error("dynalite is started in the suite's before hook; read its endpoint in a hook or a test");
            }
            return server.endpoint;
        },
    };
}

export function dynamoClient(endpoint: string): DynamoDBClient {
    return new DynamoDBClient({ ...LOCAL_AWS, endpoint });
}

let tables = 0;

/** Creates a fresh table from TABLE_DEFINITION and returns its name. */
export async function createTable(endpoint: string): Promise<string> {
    const name = `vigil-triage-test-${++tables}`;
    const client = dynamoClient(endpoint);
    await client.send(new CreateTableCommand(createTableInput(name)));
    client.destroy();
    return name;
}

export const IMPACT_TABLE: ImpactTable = parseImpactTable(impactTableText());

export const START = "2024-05-01T12:00:00.000Z";

export interface Harness {
    readonly engine: TriageEngine;
    readonly store: DynamoStore;
    readonly clock: ManualClock;
    /** The customer's channel. */
    readonly notifier: RecordingNotifier;
    /** The operator's channel (operator notices). */
    readonly operatorNotifier: RecordingNotifier;
    readonly incidents: RecordingIncidents;
    readonly timers: RecordingTimers;
    /** DynamoDB operations sent, in order (e.g. "UpdateItemCommand"). */
    readonly requests: string[];
    readonly settings: Settings;
    readonly tableName: string;
    readonly client: DynamoDBClient;
}

/** An engine on a fresh dynalite table with recording ports. */
export async function harness(
    endpoint: string,
    options: { settings?: Partial<Settings>; impactTable?: ImpactTable; diagnostics?: Diagnostics; nodes?: NodeDirectory; tableName?: string } = {},
): Promise<Harness> {
    const tableName = options.tableName ?? (await createTable(endpoint));
    const client = dynamoClient(endpoint);
    const requests: string[] = [];
    client.middlewareStack.add(
        (next, context) => async (args) => {
            requests.push(String(context.commandName));
            return next(args);
        },
        { step: "initialize", name: "countRequests" },
    );
    const store = new DynamoStore(client, tableName);
    const clock = new ManualClock(START);
    const notifier = new RecordingNotifier();
    const operatorNotifier = new RecordingNotifier();
    const incidents = new RecordingIncidents();
    const timers = new RecordingTimers();
    const settings: Settings = { ...DEFAULT_SETTINGS, replyBaseUrl: "https://reply.vigil.example", ...options.settings };
    const engine = new TriageEngine({
        store,
        notifier,
        operatorNotifier,
        incidents,
        timers,
        clock,
        impactTable: options.impactTable ?? IMPACT_TABLE,
        settings,
        diagnostics: options.diagnostics,
        nodes: options.nodes,
    });
    return { engine, store, clock, notifier, operatorNotifier, incidents, timers, requests, settings, tableName, client };
}

/** The messages of a fixture file (path relative to test/fixtures/messages). */
export function fixture(relative: string): InboundMessage[] {
    const file = path.join(FIXTURES, relative);
    const text = fs.readFileSync(file, "utf8");
    return messagesFromJson(JSON.parse(text), `file:${relative}`);
}

/** The one message of a fixture file. */
export function message(relative: string): InboundMessage {
    const messages = fixture(relative);
    if (messages.length !== 1) {
        throw new Error(`${relative} holds ${messages.length} messages, expected 1`);
    }
    return messages[0];
}

/** The parsed JSON of a fixture file. */
export function fixtureJson(relative: string): any {
    return JSON.parse(fs.readFileSync(path.join(FIXTURES, relative), "utf8"));
}

/** A copy of an SNS-envelope fixture whose alert manager body is changed by `edit` (new MessageId). */
export function editAmp(relative: string, messageId: string, edit: (body: any) => void): InboundMessage {
    const original = message(relative);
    const body = JSON.parse(original.body);
    edit(body);
    return { ...original, messageId, body: JSON.stringify(body) };
}

/** A copy of an AMP fixture whose (first) alert has another status and times (a new SNS message). */
export function ampEpisode(relative: string, messageId: string, status: "firing" | "resolved", startsAt: string, endsAt?: string): InboundMessage {
    return editAmp(relative, messageId, (body) => {
        body.status = status;
        body.alerts[0].status = status;
        body.alerts[0].startsAt = startsAt;
        body.alerts[0].endsAt = endsAt ?? "0001-01-01T00:00:00.000Z";
    });
}

export const CORRUPT_CASE_ID = "corrupt-case-id-0000";

/** Writes a case item the store cannot read (no state, no history) that carries pending reply work. */
export async function putCorruptCase(client: DynamoDBClient, tableName: string): Promise<void> {
    await client.send(
        new PutItemCommand({
            TableName: tableName,
            Item: {
                pk: { S: `case#${CORRUPT_CASE_ID}` },
                sk: { S: "case" },
                caseId: { S: CORRUPT_CASE_ID },
                version: { N: "1" },
                "claim#work|reply-0123456789ab": { M: { until: { S: "2024-05-01T12:01:00.000Z" } } },
                replyWork: { S: "pending" },
            },
        }),
    );
}

/** A table item as DynamoDB holds it (what its stream records carry), read with a strongly consistent GetItem. */
export async function rawItem(client: DynamoDBClient, tableName: string, pk: string, sk: string): Promise<Record<string, AttributeValue>> {
    const out = await client.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: pk }, sk: { S: sk } }, ConsistentRead: true }));
    if (!out.Item) {
        throw new Error(`no item ${pk} / ${sk} in ${tableName}`);
    }
    return out.Item;
}

let sequence = 4_421_584_500_000_000_017_450n;

/**
 * A DynamoDB stream record as Lambda hands it to a function for a table whose stream view is
 * NEW_IMAGE (AWS Lambda Developer Guide, "Using AWS Lambda with Amazon DynamoDB"): keys, the new
 * image (none for REMOVE), a fresh sequence number. TTL deletions name the DynamoDB service.
 */
export function streamRecord(eventName: "INSERT" | "MODIFY" | "REMOVE", item: Record<string, AttributeValue>, tableName = "vigil-triage-cases"): DynamoDBRecord {
    sequence += 1n;
    const image = JSON.parse(JSON.stringify(item)) as NonNullable<DynamoDBRecord["dynamodb"]>["NewImage"];
    const keys = { pk: item.pk, sk: item.sk } as unknown as NonNullable<DynamoDBRecord["dynamodb"]>["Keys"];
    return {
        eventID: `${sequence.toString(16)}`,
        eventName,
        eventVersion: "1.1",
        eventSource: "aws:dynamodb",
        awsRegion: "eu-west-1",
        dynamodb: {
            ApproximateCreationDateTime: 1714564800,
            Keys: keys,
            ...(eventName === "REMOVE" ? {} : { NewImage: image }),
            SequenceNumber: sequence.toString(),
            SizeBytes: Buffer.byteLength(JSON.stringify(item)),
            StreamViewType: "NEW_IMAGE",
        },
        eventSourceARN: `arn:aws:dynamodb:eu-west-1:111122223333:table/${tableName}/stream/2024-05-01T00:00:00.000`,
        ...(eventName === "REMOVE" ? { userIdentity: { type: "Service", principalId: "dynamodb.amazonaws.com" } } : {}),
    };
}

/** Extracts the reply links of a notification body: { confirm, "no-impact" } tokens. */
export function replyTokens(body: string): { confirm: string; noImpact: string } {
    const confirm = /Confirm customer impact[^\n]*\/r\/(\S+)/.exec(body)?.[1];
    const noImpact = /No customer impact[^\n]*\/r\/(\S+)/.exec(body)?.[1];
    if (!confirm || !noImpact) {
        throw new Error(`no reply links in:\n${body}`);
    }
    return { confirm, noImpact };
}

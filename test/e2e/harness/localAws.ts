// One loopback HTTP endpoint that answers, with the wire protocols of the real services, the AWS
// calls the pipeline makes outside DynamoDB:
//   sns        Publish (Query API: form-encoded request, XML response) from Alertmanager's
//              sns_configs and from the triage Lambda's notifier;
//   ssm        CreateOpsItem (JSON 1.1) from the Lambda's incident port;
//   scheduler  CreateSchedule / DeleteSchedule (REST-JSON) from the Lambda's timer port.
// The service is read from the SigV4 credential scope, and every request must carry a valid
// signature by a key the harness handed out (sigv4.ts). Everything accepted is recorded; anything
// refused is recorded with the reason and answered with the service's error shape.

import { randomBytes, randomUUID } from "node:crypto";
import * as http from "node:http";
import { closeServer, listenOnLoopback } from "../../../tools/loopback";
import { verifySigV4 } from "./sigv4";

export interface PublishedMessage {
    readonly messageId: string;
    readonly topicArn: string;
    readonly subject?: string;
    readonly message: string;
    /** Message attributes (name → string value). */
    readonly attributes: Readonly<Record<string, string>>;
    /** When the endpoint accepted it (ISO), the SNS `Timestamp`. */
    readonly at: string;
    /** Who signed the request. */
    readonly accessKeyId: string;
}

export interface OpsItemCall {
    /** When the endpoint received the call (ISO). */
    readonly at: string;
    readonly opsItemId: string;
    readonly created: boolean;
    readonly input: Record<string, any>;
}

export interface ScheduleCall {
    readonly operation: "CreateSchedule" | "DeleteSchedule";
    readonly name: string;
    readonly groupName: string;
    readonly input?: Record<string, any>;
    readonly outcome: "ok" | "conflict" | "not-found";
}

export interface RefusedRequest {
    readonly method: string;
    readonly url: string;
    readonly reason: string;
}

export interface LocalAwsOptions {
    readonly region: string;
    readonly accountId: string;
    /** Access key id → secret access key of the signers the harness configured. */
    readonly credentials: Readonly<Record<string, string>>;
    /** Topics that exist; a Publish to any other topic fails with NotFound. */
    readonly topics: readonly string[];
}

/** SNS: "less than 100 characters", ASCII, starting with a letter, number or punctuation mark, no control characters. */
const SNS_SUBJECT = /^[\x21-\x7e][\x20-\x7e]{0,98}$/;
/** SNS message size limit (bytes, message plus attributes). */
const SNS_MAX_BYTES = 262_144;

interface Reply {
    readonly status: number;
    readonly headers: Record<string, string>;
    readonly body: string;
}

class ServiceError extends Error {
    constructor(
        readonly status: number,
        readonly code: string,
        message: string,
    ) {
        super(message);
    }
}

/** Decodes an `application/x-www-form-urlencoded` body, refusing bytes that are not UTF-8 (as SNS does). */
export function parseQueryForm(body: Buffer): Map<string, string> {
    const decoder = new TextDecoder("utf-8", { fatal: true });
    const decode = (part: string): string => {
        const bytes: number[] = [];
        for (let i = 0; i < part.length; i++) {
            const c = part[i];
            if (c === "+") {
                bytes.push(0x20);
            } else if (c === "%" && /^[0-9A-Fa-f]{2}$/.test(part.slice(i + 1, i + 3))) {
                bytes.push(parseInt(part.slice(i + 1, i + 3), 16));
                i += 2;
            } else {
                bytes.push(...Buffer.from(c, "utf8"));
            }
        }
        return decoder.decode(Uint8Array.from(bytes));
    };
    const form = new Map<string, string>();
    for (const pair of body.toString("latin1").split("&")) {
        if (pair === "") {
            continue;
        }
        const eq = pair.indexOf("=");
        form.set(decode(eq < 0 ? pair : pair.slice(0, eq)), eq < 0 ? "" : decode(pair.slice(eq + 1)));
    }
    return form;
}

/** SNS Query API message attributes: `MessageAttributes.entry.N.Name` / `.Value.DataType` / `.Value.StringValue`. */
export function queryMessageAttributes(form: ReadonlyMap<string, string>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, name] of form) {
        const m = /^MessageAttributes\.entry\.(\d+)\.Name$/.exec(key);
        if (!m) {
            continue;
        }
        const type = form.get(`MessageAttributes.entry.${m[1]}.Value.DataType`);
        const value = form.get(`MessageAttributes.entry.${m[1]}.Value.StringValue`);
        if (type !== "String" || value === undefined) {
            throw new ServiceError(400, "InvalidParameterValue", `message attribute ${name}: only String attributes are recorded, got DataType ${JSON.stringify(type)}`);
        }
        out[name] = value;
    }
    return out;
}

function xmlEscape(text: string): string {
    return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c] as string);
}

export class LocalAws {
    readonly published: PublishedMessage[] = [];
    readonly opsItems: OpsItemCall[] = [];
    readonly scheduleCalls: ScheduleCall[] = [];
    readonly refused: RefusedRequest[] = [];
    /** Called for every accepted Publish (the harness delivers to subscribed queues). */
    onPublish: (message: PublishedMessage) => void = () => undefined;

    private readonly server: http.Server;
    private readonly schedules = new Map<string, Record<string, any>>();
    private readonly openOpsItems = new Map<string, string>();
    private endpoint = "";

    constructor(private readonly options: LocalAwsOptions) {
        this.server = http.createServer((req, res) => {
            const chunks: Buffer[] = [];
            req.on("data", (c: Buffer) => chunks.push(c));
            req.on("end", () => {
                this.handle(req, Buffer.concat(chunks)).then(
                    ({ status, headers, body }) => {
                        res.writeHead(status, headers);
                        res.end(body);
                    },
                    (err: Error) => {
                        res.writeHead(500, { "Content-Type": "text/plain" });
                        res.end(`local AWS endpoint failed: ${err.stack ?? err.message}`);
                    },
                );
            });
        });
    }

    /** Starts on a free loopback port; resolves with the endpoint URL. */
    async start(): Promise<string> {
        this.endpoint = await listenOnLoopback(this.server);
        return this.endpoint;
    }

    get url(): string {
        return this.endpoint;
    }

    close(): Promise<void> {
        return closeServer(this.server);
    }

    /** Messages published to one topic, in order. */
    to(topicArn: string): PublishedMessage[] {
        return this.published.filter((p) => p.topicArn === topicArn);
    }

    private async handle(req: http.IncomingMessage, body: Buffer): Promise<Reply> {
        const method = req.method ?? "GET";
        const url = req.url ?? "/";
        const verdict = await verifySigV4({ method, url, headers: req.headers, body }, this.options.credentials, this.options.region);
        if (!verdict.ok) {
            this.refused.push({ method, url, reason: verdict.reason });
            return { status: 403, headers: { "Content-Type": "text/xml" }, body: this.queryError("SignatureDoesNotMatch", verdict.reason, "Sender") };
        }
        try {
            switch (verdict.service) {
                case "sns":
                    return this.sns(body, verdict.accessKeyId);
                case "ssm":
                    return this.ssm(String(req.headers["x-amz-target"] ?? ""), body);
                case "scheduler":
                    return this.scheduler(method, url, body);
                default:
                    throw new ServiceError(400, "UnknownService", `the local endpoint does not serve ${verdict.service}`);
            }
        } catch (err) {
            if (!(err instanceof ServiceError)) {
                throw err;
            }
            this.refused.push({ method, url, reason: `${verdict.service} ${err.code}: ${err.message}` });
            if (verdict.service === "sns") {
                return { status: err.status, headers: { "Content-Type": "text/xml" }, body: this.queryError(err.code, err.message, "Sender") };
            }
            return {
                status: err.status,
                headers: { "Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": err.code },
                body: JSON.stringify({ __type: err.code, message: err.message }),
            };
        }
    }

    private queryError(code: string, message: string, type: string): string {
        return `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>${type}</Type><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;
    }

    private sns(body: Buffer, accessKeyId: string): Reply {
        let form: Map<string, string>;
        try {
            form = parseQueryForm(body);
        } catch {
            throw new ServiceError(400, "InvalidParameter", "Invalid parameter: the request is not valid UTF-8");
        }
        if (form.get("Action") !== "Publish") {
            throw new ServiceError(400, "InvalidAction", `the local endpoint serves Publish only, got Action=${JSON.stringify(form.get("Action"))}`);
        }
        if (form.get("Version") !== "2010-03-31") {
            throw new ServiceError(400, "InvalidParameter", `Version must be 2010-03-31, got ${JSON.stringify(form.get("Version"))}`);
        }
        const topicArn = form.get("TopicArn") ?? "";
        if (!this.options.topics.includes(topicArn)) {
            throw new ServiceError(404, "NotFound", `Topic does not exist: ${topicArn}`);
        }
        const message = form.get("Message");
        if (message === undefined || message === "") {
            throw new ServiceError(400, "InvalidParameter", "Invalid parameter: Empty message");
        }
        const subject = form.get("Subject");
        if (subject !== undefined && !SNS_SUBJECT.test(subject)) {
            throw new ServiceError(400, "InvalidParameter", `Invalid parameter: Subject ${JSON.stringify(subject)} (ASCII, no control characters, under 100 characters)`);
        }
        const attributes = queryMessageAttributes(form);
        const size = Buffer.byteLength(message, "utf8") + Object.entries(attributes).reduce((n, [k, v]) => n + Buffer.byteLength(k + "String" + v, "utf8"), 0);
        if (size > SNS_MAX_BYTES) {
            throw new ServiceError(400, "InvalidParameter", `Invalid parameter: Message too long (${size} bytes)`);
        }
        const published: PublishedMessage = { messageId: randomUUID(), topicArn, subject, message, attributes, at: new Date().toISOString(), accessKeyId };
        this.published.push(published);
        // Delivery to subscriptions is asynchronous, as in SNS: the publisher gets its answer first.
        setImmediate(() => this.onPublish(published));
        return {
            status: 200,
            headers: { "Content-Type": "text/xml" },
            body: `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${published.messageId}</MessageId></PublishResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`,
        };
    }

    private json(body: Buffer): Record<string, any> {
        try {
            const value = JSON.parse(body.toString("utf8") || "{}");
            if (typeof value !== "object" || value === null || Array.isArray(value)) {
                throw new Error("not an object");
            }
            return value;
        } catch (err) {
            throw new ServiceError(400, "SerializationException", `request body is not a JSON object: ${(err as Error).message}`);
        }
    }

    private ssm(target: string, body: Buffer): Reply {
        if (target !== "AmazonSSM.CreateOpsItem") {
            throw new ServiceError(400, "UnknownOperationException", `the local endpoint serves AmazonSSM.CreateOpsItem only, got ${JSON.stringify(target)}`);
        }
        const input = this.json(body);
        for (const field of ["Title", "Description", "Source"]) {
            if (typeof input[field] !== "string" || input[field] === "") {
                throw new ServiceError(400, "ValidationException", `CreateOpsItem: ${field} is required`);
            }
        }
        // OpsCenter refuses a second open OpsItem with the same /aws/dedup string and names the first.
        const dedup = input.OperationalData?.["/aws/dedup"]?.Value;
        const dedupString = typeof dedup === "string" ? (JSON.parse(dedup) as { dedupString?: string }).dedupString : undefined;
        const existing = dedupString ? this.openOpsItems.get(dedupString) : undefined;
        if (existing) {
            this.opsItems.push({ at: new Date().toISOString(), opsItemId: existing, created: false, input });
            return {
                status: 400,
                headers: { "Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": "OpsItemAlreadyExistsException" },
                body: JSON.stringify({ __type: "OpsItemAlreadyExistsException", Message: `OpsItem with dedup string already exists: ${existing}`, OpsItemId: existing }),
            };
        }
        const opsItemId = `oi-${randomBytes(6).toString("hex")}`;
        if (dedupString) {
            this.openOpsItems.set(dedupString, opsItemId);
        }
        this.opsItems.push({ at: new Date().toISOString(), opsItemId, created: true, input });
        return { status: 200, headers: { "Content-Type": "application/x-amz-json-1.1" }, body: JSON.stringify({ OpsItemId: opsItemId, OpsItemArn: `arn:aws:ssm:${this.options.region}:${this.options.accountId}:opsitem/${opsItemId}` }) };
    }

    private scheduler(method: string, rawUrl: string, body: Buffer): Reply {
        const url = new URL(rawUrl, "http://local");
        const m = /^\/schedules\/([^/]+)$/.exec(url.pathname);
        if (!m || (method !== "POST" && method !== "DELETE")) {
            throw new ServiceError(400, "ValidationException", `the local endpoint serves CreateSchedule and DeleteSchedule only, got ${method} ${url.pathname}`);
        }
        const name = decodeURIComponent(m[1]);
        const json = { "Content-Type": "application/json" };
        if (method === "POST") {
            const input = this.json(body);
            const groupName = typeof input.GroupName === "string" ? input.GroupName : "default";
            const key = `${groupName}/${name}`;
            if (this.schedules.has(key)) {
                this.scheduleCalls.push({ operation: "CreateSchedule", name, groupName, input, outcome: "conflict" });
                return { status: 409, headers: { ...json, "x-amzn-ErrorType": "ConflictException" }, body: JSON.stringify({ Message: `Schedule ${name} already exists.` }) };
            }
            for (const field of ["ScheduleExpression", "FlexibleTimeWindow", "Target"]) {
                if (input[field] === undefined) {
                    throw new ServiceError(400, "ValidationException", `CreateSchedule: ${field} is required`);
                }
            }
            this.schedules.set(key, input);
            this.scheduleCalls.push({ operation: "CreateSchedule", name, groupName, input, outcome: "ok" });
            return { status: 200, headers: json, body: JSON.stringify({ ScheduleArn: `arn:aws:scheduler:${this.options.region}:${this.options.accountId}:schedule/${groupName}/${name}` }) };
        }
        const groupName = url.searchParams.get("groupName") ?? "default";
        const key = `${groupName}/${name}`;
        if (!this.schedules.delete(key)) {
            this.scheduleCalls.push({ operation: "DeleteSchedule", name, groupName, outcome: "not-found" });
            return { status: 404, headers: { ...json, "x-amzn-ErrorType": "ResourceNotFoundException" }, body: JSON.stringify({ Message: `Schedule ${name} does not exist.` }) };
        }
        this.scheduleCalls.push({ operation: "DeleteSchedule", name, groupName, outcome: "ok" });
        return { status: 200, headers: json, body: "{}" };
    }
}

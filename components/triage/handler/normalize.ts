// From what arrives (an SQS record carrying an SNS notification, or for replay a file's JSON) to
// normalized alerts. Nothing here throws on bad input: a message that cannot be used becomes an
// `unparsed` result that keeps the raw body (contract C1).

import type { SQSRecord } from "aws-lambda";
import { alertnamesInAmpText, AmpParseResult, looksLikeAmpMessage, looksLikeAmpText, parseAmpMessage, parseAmpText } from "./amp";
import { looksLikeAlarmAction, looksLikeEvent, parseAlarmAction, parseEvent } from "./events";
import { Alert, Heartbeat, UnparsedMessage } from "./model";
import { parseSourceTime } from "./time";
import { clip, clipBytes, isObject, JsonObject, obj, str } from "./text";

/** One delivered message: the SNS notification's body and metadata. */
export interface InboundMessage {
    /** The SNS MessageId (or the SQS message id when the body was not an SNS envelope). */
    readonly messageId: string;
    /** The notification's `Message`: alert manager JSON, an EventBridge event, or anything else. */
    readonly body: string;
    /** SNS message attributes (AMP sets `truncated` / `modified` when it changed the message). */
    readonly attributes: Readonly<Record<string, string>>;
    /** SNS `Timestamp` (when SNS accepted the message). */
    readonly receivedAt?: string;
    readonly subject?: string;
    readonly topicArn?: string;
}

export type ParsedMessage =
    | {
          readonly kind: "alerts";
          readonly alerts: Alert[];
          readonly heartbeats: Heartbeat[];
          /** Parts of the message that could not be used: recorded as a parse failure as well. */
          readonly problems: string[];
          /**
           * What is wrong with the message although its alerts were used (AMP's JSON template not
           * applied): recorded with the raw message like problems, so the operator fixes it.
           */
          readonly warnings: string[];
      }
    | { readonly kind: "ignored"; readonly reason: string }
    | { readonly kind: "unparsed"; readonly unparsed: Omit<UnparsedMessage, "receivedAt"> };

/** Raw bodies are kept up to this size (a DynamoDB item holds 400 KB; AMP caps messages at 256 KB). */
export const MAX_RAW_BYTES = 300 * 1024;

function attributeValues(value: unknown, field: "Value" | "stringValue"): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, attr] of Object.entries(obj(value))) {
        const v = obj(attr)[field];
        if (typeof v === "string") {
            out[name] = v;
        }
    }
    return out;
}

/** True when `value` is an SNS notification envelope (as SNS delivers it to SQS or HTTP). */
export function isSnsEnvelope(value: unknown): value is JsonObject {
    return isObject(value) && value.Type === "Notification" && typeof value.Message === "string" && typeof value.MessageId === "string";
}

/** The message inside an SNS envelope (SQS/HTTP spelling, or the `Sns` object of a Lambda SNS event). */
export function fromSnsEnvelope(envelope: JsonObject): InboundMessage {
    return {
        messageId: String(envelope.MessageId),
        body: String(envelope.Message),
        attributes: attributeValues(envelope.MessageAttributes, "Value"),
        receivedAt: parseSourceTime(envelope.Timestamp),
        subject: str(envelope.Subject),
        topicArn: str(envelope.TopicArn),
    };
}

/**
 * The message an SQS record carries. The SNS→SQS subscription delivers the SNS envelope (no raw
 * message delivery); a raw body is accepted too, with the SQS message attributes.
 */
export function fromSqsRecord(record: Pick<SQSRecord, "messageId" | "body" | "messageAttributes" | "attributes">): InboundMessage {
    let parsed: unknown;
    try {
        parsed = JSON.parse(record.body);
    } catch {
        parsed = undefined;
    }
    if (isSnsEnvelope(parsed)) {
        return fromSnsEnvelope(parsed);
    }
    const sent = record.attributes?.SentTimestamp;
    return {
        messageId: record.messageId,
        body: record.body,
        attributes: attributeValues(record.messageAttributes, "stringValue"),
        receivedAt: sent && /^\d+$/.test(sent) ? new Date(Number(sent)).toISOString() : undefined,
    };
}

/**
 * The messages in a recorded JSON document (replay): an SNS envelope, a Lambda SNS event, an SQS
 * event, a bare EventBridge event or alert manager message, or an array of any of these.
 */
export function messagesFromJson(value: unknown, idPrefix: string): InboundMessage[] {
    if (Array.isArray(value)) {
        return value.flatMap((item, i) => messagesFromJson(item, `${idPrefix}[${i}]`));
    }
    if (isSnsEnvelope(value)) {
        return [fromSnsEnvelope(value)];
    }
    if (isObject(value) && Array.isArray(value.Records)) {
        return value.Records.flatMap((r, i): InboundMessage[] => {
            const rec = obj(r);
            if (isObject(rec.Sns)) {
                return [fromSnsEnvelope({ Type: "Notification", ...rec.Sns })];
            }
            if (typeof rec.body === "string") {
                return [fromSqsRecord({ messageId: str(rec.messageId) ?? `${idPrefix}#${i}`, body: rec.body, messageAttributes: {}, attributes: {} as SQSRecord["attributes"] })];
            }
            return [{ messageId: `${idPrefix}#${i}`, body: JSON.stringify(r), attributes: {} }];
        });
    }
    const receivedAt = isObject(value) && looksLikeEvent(value) ? parseSourceTime(value.time) : undefined;
    return [{ messageId: idPrefix, body: JSON.stringify(value), attributes: {}, receivedAt }];
}

function unparsed(message: InboundMessage, kind: UnparsedMessage["kind"], reason: string): ParsedMessage {
    const raw = clipBytes(message.body, MAX_RAW_BYTES);
    return {
        kind: "unparsed",
        unparsed: {
            messageId: message.messageId,
            kind,
            reason,
            raw,
            rawTruncated: raw.length !== message.body.length,
            attributes: message.attributes,
            subject: message.subject,
            topicArn: message.topicArn,
        },
    };
}

function amendedNote(message: InboundMessage): string {
    const notes = ["truncated", "modified"].filter((a) => message.attributes[a] !== undefined).map((a) => `${a}=${JSON.stringify(message.attributes[a])}`);
    return notes.length > 0 ? `; AMP changed the message (${notes.join(", ")})` : "";
}

/** What the operator is told (with the raw message) whenever AMP sends its default text body. */
export const AMP_TEXT_WARNING = "AMP default text body (the alert manager's JSON template is not applied)";

/**
 * AMP's default text body: its alerts are triaged (keyed by the fingerprint Alertmanager computes,
 * timed by delivery), and the message is still recorded with a warning, because without the
 * template the times are the delivery times and long messages lose whole alerts. A body of which
 * nothing can be used is a parse failure, raw kept.
 */
function parseText(message: InboundMessage): ParsedMessage {
    const result = parseAmpText(message.body, message.receivedAt ?? "", message.messageId);
    if (result.alerts.length === 0 && result.heartbeats.length === 0) {
        const names = alertnamesInAmpText(message.body);
        const why = result.problems.length > 0 ? `; ${result.problems.join("; ")}` : "; no alert in it";
        return unparsed(message, "parse-failure", clip(`${AMP_TEXT_WARNING}${names.length ? `; alerts: ${names.join(", ")}` : ""}${why}${amendedNote(message)}`, 4000));
    }
    const used = result.alerts.length + result.heartbeats.length;
    return ampAlerts(message, result, `${AMP_TEXT_WARNING}: ${used} alert(s) triaged from the text, timed by delivery`);
}

/** The alerts of an AMP message (JSON or text body); heartbeats are timed by delivery, and what AMP changed is noted. */
function ampAlerts(message: InboundMessage, result: AmpParseResult, warning?: string): ParsedMessage {
    const at = message.receivedAt ?? "";
    const amended = amendedNote(message);
    return {
        kind: "alerts",
        alerts: result.alerts,
        heartbeats: result.heartbeats.map((h) => ({ ...h, at })),
        problems: result.problems.map((p) => p + amended),
        warnings: warning === undefined ? [] : [warning + amended],
    };
}

/** Turns one delivered message into alerts, heartbeats, an ignore decision, or a parse failure. */
export function parseMessage(message: InboundMessage): ParsedMessage {
    let body: unknown;
    try {
        body = JSON.parse(message.body);
    } catch (err) {
        if (looksLikeAmpText(message.body)) {
            return parseText(message);
        }
        return unparsed(message, "parse-failure", `body is not JSON: ${(err as Error).message}${amendedNote(message)}`);
    }
    // A notification wrapped twice (an SNS envelope published to SNS) is unwrapped once.
    if (isSnsEnvelope(body)) {
        return parseMessage({ ...fromSnsEnvelope(body), attributes: { ...message.attributes, ...fromSnsEnvelope(body).attributes } });
    }
    if (looksLikeAmpMessage(body)) {
        return ampAlerts(message, parseAmpMessage(body, message.messageId));
    }
    if (looksLikeEvent(body) || looksLikeAlarmAction(body)) {
        try {
            const result = looksLikeEvent(body) ? parseEvent(body) : parseAlarmAction(body);
            switch (result.kind) {
                case "alert":
                    return { kind: "alerts", alerts: [{ ...result.alert, messageId: message.messageId }], heartbeats: [], problems: [], warnings: [] };
                case "ignored":
                    return result;
                case "unknown":
                    return unparsed(message, "unknown-source", result.reason);
            }
        } catch (err) {
            const what = looksLikeEvent(body) ? `${String(body.source)} ${JSON.stringify(body["detail-type"])} event` : "CloudWatch alarm action message";
            return unparsed(message, "parse-failure", `${what}: ${(err as Error).message}`);
        }
    }
    return unparsed(message, "unknown-source", `JSON message of no known shape (keys: ${isObject(body) ? Object.keys(body).slice(0, 10).join(", ") : typeof body})${amendedNote(message)}`);
}

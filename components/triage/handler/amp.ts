// AMP alert manager messages (contract C1): one JSON object per notification in the field names of
// the Alertmanager webhook payload, version 4. A message is a snapshot of one alert group, so it is
// split into one observation per alert, keyed by the alert's fingerprint (stable across firing and
// resolved; the group key is not available to templates).
//
// Without the JSON template AMP sends Alertmanager's default SNS body (`sns.default.message` in
// Alertmanager's template/default.tmpl): plain text with each alert's labels and annotations but
// no times and no fingerprint. parseAmpText reads it and computes the fingerprint Alertmanager
// would (model.LabelSet.Fingerprint()), so a text message and a JSON message about the same alert
// are one case; the times are the delivery time, placed against the case by the engine.

import { Alert, Heartbeat, LEVELS, Level, SEVERITIES, Severity } from "./model";
import { parseSourceTime } from "./time";
import { clip, isObject, JsonObject, str } from "./text";

/** The alert name contract C2 reserves for the heartbeat. */
export const HEARTBEAT_ALERTNAME = "Watchdog";

const FINGERPRINT = /^[0-9a-f]{1,16}$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export interface AmpParseResult {
    readonly alerts: Alert[];
    readonly heartbeats: Heartbeat[];
    /** Alerts of the message that could not be used, each with the reason. */
    readonly problems: string[];
}

/** True when `value` has the shape of an Alertmanager webhook payload. */
export function looksLikeAmpMessage(value: unknown): value is JsonObject {
    return isObject(value) && Array.isArray(value.alerts) && (typeof value.receiver === "string" || value.version === "4");
}

// The section headers of the default body; AWS's documentation shows the template indented, so
// leading whitespace is allowed on every structural line.
const SECTION = /^\s*Alerts (Firing|Resolved):\s*$/;
const LABELS_LINE = /^\s*Labels:\s*$/;
const ANNOTATIONS_LINE = /^\s*Annotations:\s*$/;
const SOURCE_LINE = /^\s*Source: ?(.*)$/;
// ` - name = value`: the value is everything after the first " = " (names cannot contain one).
const PAIR_LINE = /^\s*- ([a-zA-Z_][a-zA-Z0-9_]*) =(?: (.*))?$/;

/** True when `text` is AMP's default SNS body (plain text, used when no JSON template is configured). */
export function looksLikeAmpText(text: string): boolean {
    const lines = text.split("\n");
    return lines.some((line, i) => SECTION.test(line) && LABELS_LINE.test(lines[i + 1] ?? ""));
}

/** Alert names mentioned in AMP's default text body (for the record of a body nothing could be used of). */
export function alertnamesInAmpText(text: string): string[] {
    return [...new Set([...text.matchAll(/^\s*-\s*alertname = (.+?)\s*$/gm)].map((m) => m[1]))];
}

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const U64 = (1n << 64n) - 1n;
/** Separates names and values in the hash (a byte that cannot occur in UTF-8; prometheus/common model.SeparatorByte). */
const SEPARATOR = 0xff;

/**
 * The fingerprint Alertmanager gives an alert: prometheus/common `model.LabelSet.Fingerprint()`,
 * FNV-1a 64 over the label names in byte order, each name and value (UTF-8) followed by 0xff,
 * printed as `Fingerprint.String()` does (16 lower-case hex digits).
 */
export function alertFingerprint(labels: Readonly<Record<string, string>>): string {
    let hash = FNV_OFFSET;
    const add = (bytes: Iterable<number>): void => {
        for (const byte of bytes) {
            hash = ((hash ^ BigInt(byte)) * FNV_PRIME) & U64;
        }
    };
    // Label names are ASCII, so JavaScript's UTF-16 order is Go's byte order.
    for (const name of Object.keys(labels).sort()) {
        add(Buffer.from(name, "utf8"));
        add([SEPARATOR]);
        add(Buffer.from(labels[name], "utf8"));
        add([SEPARATOR]);
    }
    return hash.toString(16).padStart(16, "0");
}

function stringMap(value: unknown, what: string): Record<string, string> {
    if (value === undefined || value === null) {
        return {};
    }
    if (!isObject(value)) {
        throw new Error(`${what} is not an object`);
    }
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(value)) {
        if (typeof v !== "string") {
            throw new Error(`${what}.${k} is not a string`);
        }
        out[k] = v;
    }
    return out;
}

function severityOf(label: string | undefined): Severity {
    return (SEVERITIES as readonly string[]).includes(label ?? "") ? (label as Severity) : "warning";
}

function levelOf(label: string | undefined): Level {
    return (LEVELS as readonly string[]).includes(label ?? "") ? (label as Level) : "cluster";
}

/** Mitigation annotation → options: one per line, list markers removed. */
export function mitigationOptions(text: string | undefined): string[] {
    if (!text) {
        return [];
    }
    return text
        .split(/\r?\n/)
        .map((line) => line.replace(/^\s*(?:[-*•]|\d+[.)])\s+/, "").trim())
        .filter((line) => line !== "");
}

/** An alert's fields, however the message carried them. */
interface AlertParts {
    readonly status: "firing" | "resolved";
    readonly labels: Record<string, string>;
    readonly annotations: Readonly<Record<string, string>>;
    readonly fingerprint: string;
    readonly cluster: string;
    readonly generatorURL?: string;
    readonly messageId?: string;
}

/** Times of an observation: from the source (JSON), or only the delivery time (text body). */
type AlertTimes = Pick<Alert, "startsAt" | "endsAt" | "observedAt" | "order" | "untimed">;

function prometheusAlert(p: AlertParts, times: AlertTimes): Alert {
    const alertname = p.labels.alertname;
    return {
        source: "prometheus",
        key: `prometheus:${p.fingerprint}`,
        status: p.status,
        ...times,
        cluster: p.cluster,
        alertname,
        title: alertname,
        summary: clip(p.annotations.summary ?? "", 1000),
        description: clip(p.annotations.description ?? "", 4000),
        severity: severityOf(p.labels.severity),
        level: levelOf(p.labels.level),
        runbookUrl: str(p.annotations.runbook_url),
        mitigations: mitigationOptions(p.annotations.mitigation),
        impactLabel: p.labels.impact,
        attributes: p.labels,
        resources: [],
        links: p.generatorURL ? [{ label: "Prometheus expression", url: p.generatorURL }] : [],
        messageId: p.messageId,
    };
}

function parseOne(raw: unknown, index: number, message: JsonObject, messageId: string | undefined): Alert | Heartbeat {
    if (!isObject(raw)) {
        throw new Error(`alerts[${index}] is not an object`);
    }
    const status = raw.status;
    if (status !== "firing" && status !== "resolved") {
        throw new Error(`alerts[${index}].status is ${JSON.stringify(status)}, not "firing" or "resolved"`);
    }
    const labels = stringMap(raw.labels, `alerts[${index}].labels`);
    const annotations = stringMap(raw.annotations, `alerts[${index}].annotations`);
    for (const name of Object.keys(labels)) {
        if (!LABEL_NAME.test(name)) {
            throw new Error(`alerts[${index}].labels has an invalid label name ${JSON.stringify(name)}`);
        }
    }
    const alertname = labels.alertname;
    if (!alertname) {
        throw new Error(`alerts[${index}] has no alertname label`);
    }
    const startsAt = parseSourceTime(raw.startsAt);
    if (!startsAt) {
        throw new Error(`alerts[${index}] (${alertname}).startsAt ${JSON.stringify(raw.startsAt)} is not a time`);
    }
    const commonLabels = isObject(message.commonLabels) ? message.commonLabels : {};
    const cluster = labels.cluster ?? (typeof commonLabels.cluster === "string" ? commonLabels.cluster : "");
    if (alertname === HEARTBEAT_ALERTNAME) {
        return { cluster, status, at: "", startsAt } satisfies Heartbeat;
    }
    const fingerprint = raw.fingerprint;
    if (typeof fingerprint !== "string" || !FINGERPRINT.test(fingerprint)) {
        throw new Error(`alerts[${index}] (${alertname}).fingerprint ${JSON.stringify(fingerprint)} is not a hex fingerprint`);
    }
    // A resolved alert carries its end; the template renders Go's zero time for firing alerts.
    const endsAt = status === "resolved" ? (parseSourceTime(raw.endsAt) ?? startsAt) : undefined;
    return prometheusAlert(
        { status, labels, annotations, fingerprint, cluster, generatorURL: str(raw.generatorURL), messageId },
        {
            startsAt,
            endsAt,
            observedAt: endsAt ?? startsAt,
            // Same episode: resolved sorts after firing; a later episode sorts after both.
            order: `${startsAt}|${status === "resolved" ? 1 : 0}`,
        },
    );
}

/**
 * Splits an alert manager message into alerts and heartbeats. An alert that does not follow C1
 * is reported in `problems` and the others are still used.
 */
export function parseAmpMessage(message: JsonObject, messageId?: string): AmpParseResult {
    const alerts: Alert[] = [];
    const heartbeats: Heartbeat[] = [];
    const problems: string[] = [];
    (message.alerts as unknown[]).forEach((raw, index) => {
        try {
            const parsed = parseOne(raw, index, message, messageId);
            if ("source" in parsed) {
                alerts.push(parsed);
            } else {
                heartbeats.push(parsed);
            }
        } catch (err) {
            problems.push((err as Error).message);
        }
    });
    // Apply a group's alerts in the order they happened (research §7 #4).
    alerts.sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
    return { alerts, heartbeats, problems };
}

/** One alert of a text body being read. */
interface TextBlock {
    readonly status: "firing" | "resolved";
    readonly labels: [string, string][];
    readonly annotations: [string, string][];
    part: "labels" | "annotations";
    source?: string;
    /** Why the block cannot be used (set when a line does not fit the template). */
    broken?: string;
}

/**
 * True when ` - name = …` starts a new pair rather than continuing a multi-line value: the
 * template prints pairs sorted by name, `alertname` first (template.KV.SortedPairs).
 */
function startsPair(pairs: readonly [string, string][], name: string): boolean {
    if (pairs.length === 0 || (pairs.length === 1 && pairs[0][0] === "alertname")) {
        return name !== pairs[0]?.[0];
    }
    return name > pairs[pairs.length - 1][0];
}

/**
 * Reads AMP's default text body (Alertmanager's `sns.default.message`: the common annotation
 * values, then `Alerts Firing:` and `Alerts Resolved:`, each followed by `__text_alert_list` blocks
 * `Labels:` / ` - name = value` … / `Annotations:` / … / `Source: <generator URL>`). The body has
 * no times: every alert is `untimed`, observed at `deliveredAt` (the SNS Timestamp; "" when not
 * known, and the engine uses its clock). A block cut short (AMP truncates long messages) or not
 * following the template is reported in `problems`; its labels may be incomplete, and with them
 * the fingerprint, so it is not used.
 */
export function parseAmpText(text: string, deliveredAt: string, messageId?: string): AmpParseResult {
    const lines = text.split("\n");
    const blocks: TextBlock[] = [];
    const problems: string[] = [];
    let section: "firing" | "resolved" | undefined;
    let block: TextBlock | undefined;
    const finished = (): boolean => block === undefined || block.source !== undefined;
    for (let i = 0; i < lines.length; i++) {
        const line = lines[i];
        const next = lines[i + 1];
        const sectionMatch = SECTION.exec(line);
        if (sectionMatch && finished() && LABELS_LINE.test(next ?? "")) {
            section = sectionMatch[1] === "Firing" ? "firing" : "resolved";
            continue;
        }
        if (section === undefined) {
            // The common annotation values come first; they say nothing per alert.
            continue;
        }
        if (finished()) {
            if (LABELS_LINE.test(line)) {
                block = { status: section, labels: [], annotations: [], part: "labels" };
                blocks.push(block);
            } else if (line.trim() !== "") {
                problems.push(`text body line ${i + 1} ${JSON.stringify(clip(line, 80))} is not part of an alert`);
            }
            continue;
        }
        const current = block as TextBlock;
        const source = SOURCE_LINE.exec(line);
        // `Source:` ends the block only where the template continues: the next block, a section, or the end.
        if (current.part === "annotations" && source && (next === undefined || next.trim() === "" || LABELS_LINE.test(next) || SECTION.test(next))) {
            current.source = source[1];
            continue;
        }
        if (current.part === "labels" && ANNOTATIONS_LINE.test(line)) {
            current.part = "annotations";
            continue;
        }
        const pairs = current.part === "labels" ? current.labels : current.annotations;
        const pair = PAIR_LINE.exec(line);
        if (pair && startsPair(pairs, pair[1])) {
            pairs.push([pair[1], pair[2] ?? ""]);
        } else if (pairs.length > 0) {
            // A value with line breaks: the template prints it as it is.
            pairs[pairs.length - 1][1] += `\n${line}`;
        } else {
            current.broken ??= `line ${i + 1} ${JSON.stringify(clip(line, 80))} is not a "- name = value" pair`;
        }
    }
    const alerts: Alert[] = [];
    const heartbeats: Heartbeat[] = [];
    blocks.forEach((b, index) => {
        const labels = Object.fromEntries(b.labels);
        const what = `text body alert ${index + 1}${labels.alertname ? ` (${labels.alertname})` : ""}`;
        if (b.source === undefined) {
            problems.push(`${what} is incomplete (no "Source:" line: the message was cut short)`);
        } else if (b.broken) {
            problems.push(`${what}: ${b.broken}`);
        } else if (Object.keys(labels).length !== b.labels.length) {
            problems.push(`${what} repeats a label name`);
        } else if (!labels.alertname) {
            problems.push(`${what} has no alertname label`);
        } else if (labels.alertname === HEARTBEAT_ALERTNAME) {
            heartbeats.push({ cluster: labels.cluster ?? "", status: b.status, at: "" });
        } else {
            alerts.push(
                prometheusAlert(
                    {
                        status: b.status,
                        labels,
                        annotations: Object.fromEntries(b.annotations),
                        fingerprint: alertFingerprint(labels),
                        cluster: labels.cluster ?? "",
                        generatorURL: str(b.source),
                        messageId,
                    },
                    // No source times: the engine places the observation against the case (lifecycle.placeUntimed).
                    { observedAt: deliveredAt, order: "", untimed: true },
                ),
            );
        }
    });
    return { alerts, heartbeats, problems };
}

// AMP alert manager messages (contract C1): one JSON object per notification in the field names of
// the Alertmanager webhook payload, version 4. A message is a snapshot of one alert group, so it is
// split into one observation per alert, keyed by the alert's fingerprint (stable across firing and
// resolved; the group key is not available to templates).

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

/**
 * True when `text` is AMP's default SNS body (plain text, used when no template is configured):
 * it cannot be triaged reliably (no fingerprints, no times) and is recorded as a parse failure.
 */
export function looksLikeAmpText(text: string): boolean {
    return /(^|\n)\s*Alerts (Firing|Resolved):/.test(text);
}

/** Alert names mentioned in AMP's default text body, for the parse-failure record. */
export function alertnamesInAmpText(text: string): string[] {
    return [...new Set([...text.matchAll(/^\s*-\s*alertname\s*=\s*(\S+)\s*$/gm)].map((m) => m[1]))];
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
    const generatorURL = str(raw.generatorURL);
    return {
        source: "prometheus",
        key: `prometheus:${fingerprint}`,
        status,
        startsAt,
        endsAt,
        observedAt: endsAt ?? startsAt,
        // Same episode: resolved sorts after firing; a later episode sorts after both.
        order: `${startsAt}|${status === "resolved" ? 1 : 0}`,
        cluster,
        alertname,
        title: alertname,
        summary: clip(annotations.summary ?? "", 1000),
        description: clip(annotations.description ?? "", 4000),
        severity: severityOf(labels.severity),
        level: levelOf(labels.level),
        runbookUrl: str(annotations.runbook_url),
        mitigations: mitigationOptions(annotations.mitigation),
        impactLabel: labels.impact,
        attributes: labels,
        resources: [],
        links: generatorURL ? [{ label: "Prometheus expression", url: generatorURL }] : [],
        messageId,
    } satisfies Alert;
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

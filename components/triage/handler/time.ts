// Time handling for the triage engine: every time is stored and compared as an ISO 8601 UTC string
// with milliseconds (`2024-05-01T12:00:00.000Z`), so string order is time order (the store's
// observation order and due index rely on that).

/** Go's zero time as our alert template renders it; Alertmanager sends it as a firing alert's end. */
const YEAR_ONE = /^0001-01-01/;

// RFC 3339 (Alertmanager, EventBridge, GuardDuty), also with a `+0000` offset (CloudWatch alarms).
const RFC3339 = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/;
// RFC 1123 (AWS Health): `Fri, 27 Jan 2023 06:02:51 GMT`.
const RFC1123 = /^[A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;
// Go's time.Time.String() (AWS's sample alert manager template): `2024-05-01 12:00:00.123456789 +0000 UTC`.
const GO_STRING = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d+)? ([+-]\d{2})(\d{2})(?: [A-Z]+)?$/;

function millis(fraction: string | undefined): string {
    // Keep milliseconds; sub-millisecond digits carry no meaning for triage.
    return ((fraction ?? ".").slice(1) + "000").slice(0, 3);
}

/**
 * Parses a time as the sources send it and returns ISO 8601 UTC with milliseconds, or undefined
 * for Go's zero time (year 1: "no end") and for anything that is not a time.
 */
export function parseSourceTime(text: unknown): string | undefined {
    if (typeof text !== "string") {
        return undefined;
    }
    const value = text.trim();
    if (value === "" || YEAR_ONE.test(value)) {
        return undefined;
    }
    let normalized: string | undefined;
    let m = RFC3339.exec(value);
    if (m) {
        const zone = m[4] === "Z" ? "Z" : `${m[4].slice(0, 3)}:${m[4].slice(-2)}`;
        normalized = `${m[1]}T${m[2]}.${millis(m[3])}${zone}`;
    } else if (RFC1123.test(value)) {
        normalized = value;
    } else if ((m = GO_STRING.exec(value))) {
        normalized = `${m[1]}T${m[2]}.${millis(m[3])}${m[4]}:${m[5]}`;
    }
    if (normalized === undefined) {
        return undefined;
    }
    const ms = Date.parse(normalized);
    return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** ISO 8601 UTC with milliseconds. */
export function iso(date: Date | number): string {
    return new Date(date).toISOString();
}

/** `time` plus `seconds`, as ISO. */
export function addSeconds(time: string, seconds: number): string {
    return iso(Date.parse(time) + seconds * 1000);
}

/** Whole seconds from `from` to `to` (negative when `to` is earlier). */
export function secondsBetween(from: string, to: string): number {
    return Math.floor((Date.parse(to) - Date.parse(from)) / 1000);
}

/** The later of two ISO times (undefined-safe). */
export function later(a: string | undefined, b: string | undefined): string | undefined {
    if (a === undefined) {
        return b;
    }
    if (b === undefined) {
        return a;
    }
    return a >= b ? a : b;
}

/** Human-readable duration for messages: `3 days`, `72 hours`, `30 minutes`. */
export function describeSeconds(seconds: number): string {
    const plural = (n: number, unit: string): string => `${n} ${unit}${n === 1 ? "" : "s"}`;
    if (seconds % 86400 === 0) {
        return plural(seconds / 86400, "day");
    }
    if (seconds % 3600 === 0) {
        return plural(seconds / 3600, "hour");
    }
    if (seconds % 60 === 0) {
        return plural(seconds / 60, "minute");
    }
    return plural(seconds, "second");
}

// Small helpers for reading untrusted JSON and bounding text.

import { createHash } from "node:crypto";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function isObject(value: unknown): value is JsonObject {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The value if it is a non-empty string, else undefined. */
export function str(value: unknown): string | undefined {
    return typeof value === "string" && value !== "" ? value : undefined;
}

/** The object at `value`, or an empty one. */
export function obj(value: unknown): JsonObject {
    return isObject(value) ? value : {};
}

/** Cuts `text` to at most `max` characters, marking the cut. */
export function clip(text: string, max: number): string {
    if (text.length <= max) {
        return text;
    }
    const marker = " …[truncated]";
    return text.slice(0, Math.max(0, max - marker.length)) + marker;
}

/** Cuts `text` to at most `maxBytes` UTF-8 bytes without splitting a character. */
export function clipBytes(text: string, maxBytes: number): string {
    if (Buffer.byteLength(text, "utf8") <= maxBytes) {
        return text;
    }
    let out = Buffer.from(text, "utf8").subarray(0, maxBytes).toString("utf8");
    // A split multi-byte character decodes to U+FFFD at the end; drop it.
    out = out.replace(/\uFFFD+$/, "");
    return out;
}

export function sha256Hex(text: string): string {
    return createHash("sha256").update(text, "utf8").digest("hex");
}

/** Replaces what is not printable ASCII with `?` and collapses whitespace (SNS subjects). */
export function asciiLine(text: string): string {
    return text
        .replace(/[\r\n\t]+/g, " ")
        .replace(/[^\x20-\x7e]/g, "?")
        .replace(/ {2,}/g, " ")
        .trim();
}

// A small EventBridge event-pattern matcher for tests, following the documented semantics
// (Amazon EventBridge User Guide, "Event patterns" and "Content filtering"):
// - every field of the pattern must match; a nested object descends into the event;
// - a leaf is a non-empty array: the field matches if its value (or, for an array value, any of
//   its elements) matches any entry;
// - entries: literals (string, number compared numerically, boolean, null), `prefix`, `suffix`,
//   `equals-ignore-case`, `anything-but` (value, list, or {prefix|suffix}), `numeric`, `exists`,
//   `wildcard` (`*` matches any run of characters), `cidr` is not supported and rejected;
// - `$or` (at an object level): at least one of the listed sub-patterns matches;
// - a field missing from the event matches only `{"exists": false}`.
// Unknown operators and malformed patterns throw, so a pattern this matcher cannot judge fails
// the test instead of passing silently.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const MISSING = Symbol("missing");
type Value = Json | typeof MISSING;

function isObject(v: unknown): v is Record<string, Json> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

function wildcardRegExp(pattern: string): RegExp {
    if (/\*\*/.test(pattern)) {
        throw new Error(`wildcard ${JSON.stringify(pattern)}: consecutive * are not allowed`);
    }
    const body = pattern
        .split(/(\\\*|\*)/)
        .map((part) => (part === "*" ? ".*" : part === "\\*" ? "\\*" : part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")))
        .join("");
    return new RegExp(`^${body}$`, "s");
}

function numericMatches(spec: Json, value: number): boolean {
    if (!Array.isArray(spec) || spec.length === 0 || spec.length % 2 !== 0) {
        throw new Error(`numeric needs operator/number pairs, got ${JSON.stringify(spec)}`);
    }
    for (let i = 0; i < spec.length; i += 2) {
        const op = spec[i];
        const bound = spec[i + 1];
        if (typeof bound !== "number") {
            throw new Error(`numeric bound must be a number, got ${JSON.stringify(bound)}`);
        }
        const ok =
            op === "=" ? value === bound : op === "<" ? value < bound : op === "<=" ? value <= bound : op === ">" ? value > bound : op === ">=" ? value >= bound : undefined;
        if (ok === undefined) {
            throw new Error(`numeric operator ${JSON.stringify(op)} is not one of = < <= > >=`);
        }
        if (!ok) {
            return false;
        }
    }
    return true;
}

function literalMatches(entry: null | boolean | number | string, value: Json): boolean {
    if (typeof entry === "number") {
        return typeof value === "number" && value === entry;
    }
    return value === entry;
}

function anythingButMatches(spec: Json, value: Json): boolean {
    if (isObject(spec)) {
        const [[op, arg], ...rest] = Object.entries(spec);
        if (rest.length > 0 || typeof arg !== "string") {
            throw new Error(`anything-but takes one prefix or suffix string, got ${JSON.stringify(spec)}`);
        }
        if (typeof value !== "string") {
            return true;
        }
        if (op === "prefix") {
            return !value.startsWith(arg);
        }
        if (op === "suffix") {
            return !value.endsWith(arg);
        }
        throw new Error(`anything-but operator ${JSON.stringify(op)} is not supported`);
    }
    const excluded = Array.isArray(spec) ? spec : [spec];
    return !excluded.some((e) => (isObject(e) || Array.isArray(e) ? false : literalMatches(e as string, value)));
}

/** Whether one leaf entry matches one (non-array) event value. */
function entryMatches(entry: Json, value: Json): boolean {
    if (!isObject(entry)) {
        if (Array.isArray(entry)) {
            throw new Error(`a pattern entry cannot be an array: ${JSON.stringify(entry)}`);
        }
        return literalMatches(entry, value);
    }
    const keys = Object.keys(entry);
    if (keys.length !== 1) {
        throw new Error(`a pattern operator object has exactly one key, got ${JSON.stringify(entry)}`);
    }
    const [op] = keys;
    const arg = entry[op];
    switch (op) {
        case "prefix":
            if (isObject(arg) && typeof arg["equals-ignore-case"] === "string") {
                return typeof value === "string" && value.toLowerCase().startsWith(arg["equals-ignore-case"].toLowerCase());
            }
            if (typeof arg !== "string") {
                throw new Error(`prefix takes a string, got ${JSON.stringify(arg)}`);
            }
            return typeof value === "string" && value.startsWith(arg);
        case "suffix":
            if (typeof arg !== "string") {
                throw new Error(`suffix takes a string, got ${JSON.stringify(arg)}`);
            }
            return typeof value === "string" && value.endsWith(arg);
        case "equals-ignore-case":
            if (typeof arg !== "string") {
                throw new Error(`equals-ignore-case takes a string, got ${JSON.stringify(arg)}`);
            }
            return typeof value === "string" && value.toLowerCase() === arg.toLowerCase();
        case "anything-but":
            return anythingButMatches(arg, value);
        case "numeric":
            return typeof value === "number" && numericMatches(arg, value);
        case "wildcard":
            if (typeof arg !== "string") {
                throw new Error(`wildcard takes a string, got ${JSON.stringify(arg)}`);
            }
            return typeof value === "string" && wildcardRegExp(arg).test(value);
        case "exists":
            throw new Error("exists is handled by the field matcher");
        default:
            throw new Error(`pattern operator ${JSON.stringify(op)} is not supported by this matcher`);
    }
}

function leafMatches(entries: Json[], value: Value): boolean {
    if (entries.length === 0) {
        throw new Error("a pattern leaf must be a non-empty array");
    }
    for (const entry of entries) {
        if (isObject(entry) && "exists" in entry) {
            if (typeof entry.exists !== "boolean" || Object.keys(entry).length !== 1) {
                throw new Error(`exists takes true or false, got ${JSON.stringify(entry)}`);
            }
            const present = value !== MISSING && !isObject(value);
            if (present === entry.exists) {
                return true;
            }
            continue;
        }
        if (value === MISSING || isObject(value)) {
            continue;
        }
        const values: Json[] = Array.isArray(value) ? value : [value];
        if (values.some((v) => !Array.isArray(v) && !isObject(v) && entryMatches(entry, v))) {
            return true;
        }
    }
    return false;
}

function objectMatches(pattern: Record<string, Json>, event: Value): boolean {
    for (const [field, sub] of Object.entries(pattern)) {
        if (field === "$or") {
            if (!Array.isArray(sub) || sub.length < 2 || !sub.every(isObject)) {
                throw new Error(`$or takes at least two sub-patterns, got ${JSON.stringify(sub)}`);
            }
            if (!sub.some((alt) => objectMatches(alt as Record<string, Json>, event))) {
                return false;
            }
            continue;
        }
        const value: Value = isObject(event) && field in event ? event[field] : MISSING;
        if (Array.isArray(sub)) {
            if (!leafMatches(sub, value)) {
                return false;
            }
        } else if (isObject(sub)) {
            if (!objectMatches(sub, isObject(value) ? value : MISSING)) {
                return false;
            }
        } else {
            throw new Error(`pattern field ${JSON.stringify(field)} must be an array or an object, got ${JSON.stringify(sub)}`);
        }
    }
    return true;
}

/** Whether an event matches an EventBridge event pattern. */
export function matchesPattern(pattern: unknown, event: unknown): boolean {
    if (!isObject(pattern) || Object.keys(pattern).length === 0) {
        throw new Error(`an event pattern is a non-empty JSON object, got ${JSON.stringify(pattern)}`);
    }
    return objectMatches(pattern, event as Json);
}

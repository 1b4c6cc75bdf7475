// Reads and validates the stack configuration (the `vigil:` namespace).
//
// Pulumi.yaml declares every key with its type and default; the CLI (or the offline plan, which
// mirrors it) merges those defaults into the stack's values before the program runs. This module
// then checks what the schema cannot express: allowed values, ranges, durations, duplicates and
// unknown keys. Every error names the key, the value given and what is allowed.

export const PROJECT = "vigil";

/** A configuration value the program cannot use. */
export class ConfigError extends Error {
    constructor(
        /** The fully qualified key, e.g. `vigil:collector`. */
        readonly key: string,
        /** The value as given (already rendered for the message). */
        readonly given: string,
        /** What is allowed instead. */
        readonly allowed: string,
    ) {
        super(`Invalid stack configuration ${key}: got ${given}; allowed: ${allowed}.`);
        this.name = "ConfigError";
    }
}

export type Collector = "prometheus" | "managed";
export type CollectorIdentity = "irsa" | "pod-identity";
export type GuardDutyMode = "create" | "adopt" | "off";

/** The validated stack configuration. Durations are in seconds. */
export interface VigilConfig {
    readonly clusters: readonly string[];
    readonly namespace: string;
    readonly collector: Collector;
    readonly collectorIdentity: CollectorIdentity;
    readonly scrapeIntervalSeconds: number;
    readonly extraKeepMetrics: readonly string[];
    readonly maxSeriesPerCluster: number;
    readonly logRetentionDays: number;
    readonly controlPlaneLogging: boolean;
    readonly guardDuty: GuardDutyMode;
    readonly guardDutyRuntimeMonitoring: boolean;
    readonly grafana: boolean;
    readonly notificationEmails: readonly string[];
    readonly notificationHttpsEndpoints: readonly string[];
    /** Undefined when Vigil creates its own notifications topic. */
    readonly notificationTopicArn?: string;
    /** The existing notifications topic's own CMK; undefined when there is none to grant. */
    readonly notificationTopicKeyArn?: string;
    readonly operatorEmails: readonly string[];
    readonly repeatIntervalSeconds: number;
    readonly replyWindowSeconds: number;
    readonly replyGraceSeconds: number;
    readonly flapCooldownSeconds: number;
    readonly sweepIntervalSeconds: number;
    readonly diagnostics: boolean;
}

/** Retention values CloudWatch Logs accepts (days). */
export const LOG_RETENTION_DAYS = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
] as const;

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
const DURATION = /^(?:\d+[smhdw])+$/;

/**
 * Parses a Prometheus-style duration (`30s`, `5m`, `72h`, `3d`, `1h30m`) into seconds.
 * Returns undefined for anything else.
 */
export function parseDuration(text: string): number | undefined {
    if (!DURATION.test(text)) {
        return undefined;
    }
    let seconds = 0;
    for (const [, amount, unit] of text.matchAll(/(\d+)([smhdw])/g)) {
        seconds += Number(amount) * UNIT_SECONDS[unit];
    }
    return seconds;
}

/** Formats seconds as the shortest Prometheus duration (`14400` → `4h`, `90` → `1m30s`). */
export function formatDuration(seconds: number): string {
    if (!Number.isInteger(seconds) || seconds < 0) {
        throw new RangeError(`formatDuration needs a whole, non-negative number of seconds, got ${seconds}`);
    }
    if (seconds === 0) {
        return "0s";
    }
    let rest = seconds;
    let out = "";
    for (const unit of ["d", "h", "m", "s"]) {
        const size = UNIT_SECONDS[unit];
        if (rest >= size) {
            out += `${Math.floor(rest / size)}${unit}`;
            rest %= size;
        }
    }
    return out;
}

// ---- value readers ------------------------------------------------------------------------------

type Raw = string | undefined;

function show(raw: string): string {
    return JSON.stringify(raw);
}

function readString(key: string, raw: Raw): string {
    if (raw === undefined) {
        throw new ConfigError(key, "nothing (the key is missing)", "a string; declare a default in Pulumi.yaml or set it");
    }
    return raw;
}

function readEnum<T extends string>(key: string, raw: Raw, values: readonly T[]): T {
    const value = readString(key, raw);
    if (!(values as readonly string[]).includes(value)) {
        throw new ConfigError(key, show(value), values.map((v) => `"${v}"`).join(", "));
    }
    return value as T;
}

function readBoolean(key: string, raw: Raw): boolean {
    const value = readString(key, raw);
    if (value === "true") {
        return true;
    }
    if (value === "false") {
        return false;
    }
    throw new ConfigError(key, show(value), "true or false");
}

function readInteger(key: string, raw: Raw, min: number, max: number): number {
    const value = readString(key, raw);
    if (!/^-?\d+$/.test(value)) {
        throw new ConfigError(key, show(value), `a whole number between ${min} and ${max}`);
    }
    const n = Number(value);
    if (n < min || n > max) {
        throw new ConfigError(key, show(value), `a whole number between ${min} and ${max}`);
    }
    return n;
}

function readDuration(key: string, raw: Raw, min: number, max: number): number {
    const value = readString(key, raw);
    const range = `a duration such as 30s, 15m, 4h or 3d, between ${formatDuration(min)} and ${formatDuration(max)}`;
    const seconds = parseDuration(value);
    if (seconds === undefined || seconds < min || seconds > max) {
        throw new ConfigError(key, show(value), range);
    }
    return seconds;
}

interface ListRules {
    readonly itemName: string;
    readonly itemPattern: RegExp;
    readonly minItems?: number;
}

function readList(key: string, raw: Raw, rules: ListRules): string[] {
    const value = readString(key, raw);
    let parsed: unknown;
    try {
        parsed = JSON.parse(value);
    } catch {
        throw new ConfigError(key, show(value), `a list of ${rules.itemName}s`);
    }
    if (!Array.isArray(parsed)) {
        throw new ConfigError(key, value, `a list of ${rules.itemName}s`);
    }
    const seen = new Set<string>();
    parsed.forEach((item, index) => {
        if (typeof item !== "string" || !rules.itemPattern.test(item)) {
            throw new ConfigError(
                `${key}[${index}]`,
                JSON.stringify(item),
                `a ${rules.itemName} matching ${rules.itemPattern}`,
            );
        }
        if (seen.has(item)) {
            throw new ConfigError(`${key}[${index}]`, JSON.stringify(item), `each ${rules.itemName} only once (duplicate)`);
        }
        seen.add(item);
    });
    if (parsed.length < (rules.minItems ?? 0)) {
        throw new ConfigError(key, value, `a list of at least ${rules.minItems} ${rules.itemName}(s)`);
    }
    return parsed as string[];
}

// EKS: 1-100 characters, starts with a letter or digit, then letters, digits, hyphens, underscores.
const EKS_CLUSTER_NAME = /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/;
// Kubernetes namespace: an RFC 1123 label.
const NAMESPACE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const HTTPS_URL = /^https:\/\/[^\s/?#]+[^\s]*$/;
const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:[A-Za-z0-9_-]{1,256}$/;
/** A KMS key ARN (a key id or a multi-Region key id; IAM grants on alias ARNs do not cover the key). */
export const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:key\/(?:mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/**
 * How each key is read. The keys here are exactly the keys Pulumi.yaml declares (a test keeps the
 * two and the README's configuration reference in step).
 */
const READERS = {
    clusters: (k: string, r: Raw) =>
        readList(k, r, { itemName: "EKS cluster name", itemPattern: EKS_CLUSTER_NAME, minItems: 1 }),
    namespace: (k: string, r: Raw) => {
        const value = readString(k, r);
        if (!NAMESPACE.test(value) || ["default", "kube-system", "kube-public", "kube-node-lease"].includes(value)) {
            throw new ConfigError(k, show(value), "a DNS-1123 label of its own (not default or a kube-* namespace)");
        }
        return value;
    },
    collector: (k: string, r: Raw) => readEnum<Collector>(k, r, ["prometheus", "managed"]),
    collectorIdentity: (k: string, r: Raw) => readEnum<CollectorIdentity>(k, r, ["irsa", "pod-identity"]),
    scrapeInterval: (k: string, r: Raw) => readDuration(k, r, 10, 300),
    extraKeepMetrics: (k: string, r: Raw) => readList(k, r, { itemName: "metric name", itemPattern: METRIC_NAME }),
    maxSeriesPerCluster: (k: string, r: Raw) => readInteger(k, r, 0, 1_000_000_000),
    logRetentionDays: (k: string, r: Raw) => {
        const value = readString(k, r);
        const n = Number(value);
        if (!(LOG_RETENTION_DAYS as readonly number[]).includes(n) || !/^\d+$/.test(value)) {
            throw new ConfigError(k, show(value), `one of ${LOG_RETENTION_DAYS.join(", ")}`);
        }
        return n;
    },
    controlPlaneLogging: readBoolean,
    guardDuty: (k: string, r: Raw) => readEnum<GuardDutyMode>(k, r, ["create", "adopt", "off"]),
    guardDutyRuntimeMonitoring: readBoolean,
    grafana: readBoolean,
    notificationEmails: (k: string, r: Raw) => readList(k, r, { itemName: "e-mail address", itemPattern: EMAIL }),
    notificationHttpsEndpoints: (k: string, r: Raw) => readList(k, r, { itemName: "https:// URL", itemPattern: HTTPS_URL }),
    notificationTopicArn: (k: string, r: Raw) => {
        const value = readString(k, r);
        if (value !== "" && !SNS_TOPIC_ARN.test(value)) {
            throw new ConfigError(k, show(value), 'an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>) or "" to create one');
        }
        return value === "" ? undefined : value;
    },
    notificationTopicKeyArn: (k: string, r: Raw) => {
        const value = readString(k, r);
        if (value !== "" && !KMS_KEY_ARN.test(value)) {
            throw new ConfigError(k, show(value), 'a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>; not an alias) or "" for none');
        }
        return value === "" ? undefined : value;
    },
    operatorEmails: (k: string, r: Raw) => readList(k, r, { itemName: "e-mail address", itemPattern: EMAIL }),
    repeatInterval: (k: string, r: Raw) => readDuration(k, r, 60, 120 * 3600),
    replyWindow: (k: string, r: Raw) => readDuration(k, r, 3600, 14 * 86400),
    replyGrace: (k: string, r: Raw) => readDuration(k, r, 0, 30 * 86400),
    flapCooldown: (k: string, r: Raw) => readDuration(k, r, 0, 86400),
    sweepInterval: (k: string, r: Raw) => readDuration(k, r, 60, 86400),
    diagnostics: readBoolean,
} as const;

/** Every key this program reads, without the `vigil:` prefix. */
export const CONFIG_KEYS: readonly string[] = Object.keys(READERS);

function editDistance(a: string, b: string): number {
    const row = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
        let previous = row[0];
        row[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const current = row[j];
            row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
            previous = current;
        }
    }
    return row[b.length];
}

/**
 * Validates the raw configuration (as `pulumi.runtime.allConfig()` returns it: fully qualified
 * keys, string values, JSON for lists) and returns the typed configuration.
 * Keys of other namespaces (`aws:region`, ...) are ignored.
 *
 * @throws ConfigError for the first invalid, unknown or missing key.
 */
export function parseConfig(raw: Readonly<Record<string, string>>): VigilConfig {
    const prefix = `${PROJECT}:`;
    for (const fullKey of Object.keys(raw).sort()) {
        if (!fullKey.startsWith(prefix)) {
            continue;
        }
        const key = fullKey.slice(prefix.length);
        if (!(key in READERS)) {
            const nearest = [...CONFIG_KEYS].sort((a, b) => editDistance(key, a) - editDistance(key, b))[0];
            const hint = editDistance(key, nearest) <= 3 ? ` (did you mean ${prefix}${nearest}?)` : "";
            throw new ConfigError(fullKey, `an unknown key${hint}`, `the keys Pulumi.yaml declares: ${CONFIG_KEYS.join(", ")}`);
        }
    }
    const read = <K extends keyof typeof READERS>(key: K): ReturnType<(typeof READERS)[K]> =>
        READERS[key](`${prefix}${key}`, raw[`${prefix}${key}`]) as ReturnType<(typeof READERS)[K]>;

    const config: VigilConfig = {
        clusters: read("clusters"),
        namespace: read("namespace"),
        collector: read("collector"),
        collectorIdentity: read("collectorIdentity"),
        scrapeIntervalSeconds: read("scrapeInterval"),
        extraKeepMetrics: read("extraKeepMetrics"),
        maxSeriesPerCluster: read("maxSeriesPerCluster"),
        logRetentionDays: read("logRetentionDays"),
        controlPlaneLogging: read("controlPlaneLogging"),
        guardDuty: read("guardDuty"),
        guardDutyRuntimeMonitoring: read("guardDutyRuntimeMonitoring"),
        grafana: read("grafana"),
        notificationEmails: read("notificationEmails"),
        notificationHttpsEndpoints: read("notificationHttpsEndpoints"),
        notificationTopicArn: read("notificationTopicArn"),
        notificationTopicKeyArn: read("notificationTopicKeyArn"),
        operatorEmails: read("operatorEmails"),
        repeatIntervalSeconds: read("repeatInterval"),
        replyWindowSeconds: read("replyWindow"),
        replyGraceSeconds: read("replyGrace"),
        flapCooldownSeconds: read("flapCooldown"),
        sweepIntervalSeconds: read("sweepInterval"),
        diagnostics: read("diagnostics"),
    };
    if (config.guardDutyRuntimeMonitoring && config.guardDuty === "off") {
        throw new ConfigError(
            `${prefix}guardDutyRuntimeMonitoring`,
            'true while vigil:guardDuty is "off"',
            'false, or vigil:guardDuty "create" or "adopt"',
        );
    }
    if (config.notificationTopicArn !== undefined && (config.notificationEmails.length > 0 || config.notificationHttpsEndpoints.length > 0)) {
        throw new ConfigError(
            `${prefix}notificationTopicArn`,
            `${show(config.notificationTopicArn)} together with notification subscriptions`,
            "either an existing topic (its owner manages subscriptions) or vigil:notificationEmails/vigil:notificationHttpsEndpoints, not both",
        );
    }
    if (config.notificationTopicKeyArn !== undefined) {
        if (config.notificationTopicArn === undefined) {
            throw new ConfigError(
                `${prefix}notificationTopicKeyArn`,
                `${show(config.notificationTopicKeyArn)} without vigil:notificationTopicArn`,
                '"" (Vigil\'s own notifications topic is encrypted with its own key), or set vigil:notificationTopicArn to the existing topic this key encrypts',
            );
        }
        const keyRegion = config.notificationTopicKeyArn.split(":")[3];
        const topicRegion = config.notificationTopicArn.split(":")[3];
        if (keyRegion !== topicRegion) {
            throw new ConfigError(`${prefix}notificationTopicKeyArn`, `a key in ${keyRegion} for a topic in ${topicRegion}`, `a key in ${topicRegion}, the topic's region (SNS encrypts with a key of its own region)`);
        }
    }
    return config;
}

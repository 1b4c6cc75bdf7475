// The triage functions' configuration: environment variables, read and validated in one place.
// ENV_VARS is the contract with the deploying component (TriageService): its tests check that
// every function gets the variables its entry point requires.

import { Settings, DEFAULT_SETTINGS } from "./lifecycle";

/** The three Lambda entry points (components/triage/handler/index.ts). */
export type EntryPoint = "handler" | "replyHandler" | "timerHandler";

export interface EnvVar {
    readonly name: string;
    /** Entry points that cannot start without it. */
    readonly requiredBy: readonly EntryPoint[];
    /** Default when not set (optional variables). */
    readonly default?: string;
    readonly description: string;
}

export const ENV_VARS: readonly EnvVar[] = [
    { name: "TABLE_NAME", requiredBy: ["handler", "replyHandler", "timerHandler"], description: "DynamoDB table (TABLE_DEFINITION) holding cases, heartbeats and unparsed messages." },
    { name: "NOTIFICATION_TOPIC_ARN", requiredBy: ["handler", "replyHandler", "timerHandler"], description: "SNS topic for customer notifications." },
    { name: "OPERATOR_TOPIC_ARN", requiredBy: ["handler", "timerHandler"], description: "SNS topic for operator notices (the account's pipeline topic): no-impact alerts an operator notice rule selects, and their recovery." },
    { name: "REPLY_BASE_URL", requiredBy: ["handler", "timerHandler"], description: "Base URL of the reply endpoint; links are <REPLY_BASE_URL>/r/<token>." },
    { name: "TIMER_FUNCTION_ARN", requiredBy: ["handler"], description: "ARN of the function running timerHandler (target of one-time schedules); the timer function defaults to its own ARN." },
    { name: "SCHEDULER_ROLE_ARN", requiredBy: ["handler", "timerHandler"], description: "IAM role EventBridge Scheduler assumes to invoke the timer function." },
    { name: "SCHEDULE_GROUP", requiredBy: [], default: "default", description: "EventBridge Scheduler schedule group for the reply timers." },
    { name: "SCHEDULE_NAME_PREFIX", requiredBy: [], default: DEFAULT_SETTINGS.scheduleNamePrefix, description: "Prefix of reply timer names (unique per deployment in the group; up to 24 of [0-9A-Za-z-_.])." },
    { name: "TIMER_DEAD_LETTER_ARN", requiredBy: [], description: "SQS queue ARN for timer invocations Scheduler could not deliver (optional)." },
    { name: "REPLY_WINDOW_SECONDS", requiredBy: [], default: String(DEFAULT_SETTINGS.replyWindowSeconds), description: "How long the customer has to answer (vigil:replyWindow), 3600-1209600." },
    { name: "REPLY_GRACE_SECONDS", requiredBy: [], default: String(DEFAULT_SETTINGS.replyGraceSeconds), description: "How long reply links keep working after the window (vigil:replyGrace), 0-2592000." },
    { name: "FLAP_COOLDOWN_SECONDS", requiredBy: [], default: String(DEFAULT_SETTINGS.flapCooldownSeconds), description: "Recurrences this soon after a case went quiet reattach without a new notification (vigil:flapCooldown), 0-86400." },
    { name: "CLAIM_LEASE_SECONDS", requiredBy: [], default: String(DEFAULT_SETTINGS.claimLeaseSeconds), description: "How long an invocation owns work it started before the sweep resumes it; above the functions' timeout, 60-3600." },
    { name: "RETRY_DELAY_SECONDS", requiredBy: [], default: String(DEFAULT_SETTINGS.retryDelaySeconds), description: "When a failed notification or incident is retried by the sweep, 60-86400." },
    { name: "RETENTION_DAYS", requiredBy: [], default: String(DEFAULT_SETTINGS.retentionDays), description: "Days a case stays in the table after its last activity (DynamoDB TTL), 1-3650." },
    { name: "OPSITEM_SOURCE", requiredBy: [], default: "Vigil", description: "Source field of the OpsItems the engine creates (up to 128 characters)." },
    {
        name: "DIAGNOSTICS",
        requiredBy: [],
        default: "off",
        description: "on: a case that opens an incident or asks the customer records a diagnostics request in the same write, which the diagnostics function runs from the case table's stream; off: no requests.",
    },
];

/** The variable names, for the deploying component's tests. */
export const ENV_VAR_NAMES: readonly string[] = ENV_VARS.map((v) => v.name);

/** An environment variable the function cannot use. */
export class ConfigurationError extends Error {
    constructor(
        readonly variable: string,
        message: string,
    ) {
        super(`Invalid triage configuration: environment variable ${variable} ${message}`);
        this.name = "ConfigurationError";
    }
}

export interface TriageConfig {
    readonly tableName: string;
    readonly notificationTopicArn: string;
    /** Unset only for the reply function, which sends no operator notices. */
    readonly operatorTopicArn?: string;
    /** Unset only for the reply function, which never asks customers. */
    readonly replyBaseUrl?: string;
    readonly timerFunctionArn?: string;
    readonly schedulerRoleArn?: string;
    readonly scheduleGroup: string;
    readonly timerDeadLetterArn?: string;
    readonly opsItemSource: string;
    /** Whether cases record diagnostics requests (a diagnostics function runs them). */
    readonly diagnostics: boolean;
    readonly settings: Settings;
}

const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;
const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]+)?$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const SQS_ARN = /^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}(\.fifo)?$/;
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
const SCHEDULE_GROUP = /^[0-9A-Za-z_.-]{1,64}$/;
const SCHEDULE_PREFIX = /^[0-9A-Za-z_.-]{1,24}$/;
// https://host[:port][/path], no query or fragment; plain http only for loopback (local tests).
const BASE_URL = /^(https:\/\/[A-Za-z0-9.-]+(:\d+)?|http:\/\/(localhost|127\.0\.0\.1)(:\d+)?)(\/[A-Za-z0-9._~%!$&'()*+,;=:@/-]*)?$/;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads and validates the configuration `entry` needs from `env`.
 * @throws ConfigurationError naming the first variable that is missing or invalid.
 */
export function readConfig(entry: EntryPoint, env: Env = process.env): TriageConfig {
    const spec = new Map(ENV_VARS.map((v) => [v.name, v]));
    const get = (name: string): string | undefined => {
        const value = env[name];
        if (value === undefined || value.trim() === "") {
            const v = spec.get(name);
            if (v?.requiredBy.includes(entry)) {
                throw new ConfigurationError(name, `is not set; the ${entry} function requires it (${v.description})`);
            }
            return v?.default;
        }
        return value.trim();
    };
    const matching = (name: string, pattern: RegExp, what: string): string | undefined => {
        const value = get(name);
        if (value !== undefined && !pattern.test(value)) {
            throw new ConfigurationError(name, `is ${JSON.stringify(value)}; expected ${what}`);
        }
        return value;
    };
    const integer = (name: string, min: number, max: number): number => {
        const value = get(name) as string;
        if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
            throw new ConfigurationError(name, `is ${JSON.stringify(value)}; expected a whole number from ${min} to ${max}`);
        }
        return Number(value);
    };
    const replyBaseUrl = matching("REPLY_BASE_URL", BASE_URL, "an https:// URL without query or fragment (http:// only for localhost)");
    const opsItemSource = get("OPSITEM_SOURCE") as string;
    if (opsItemSource.length > 128) {
        throw new ConfigurationError("OPSITEM_SOURCE", `is ${opsItemSource.length} characters long; at most 128 are allowed`);
    }
    const diagnostics = get("DIAGNOSTICS") as string;
    if (diagnostics !== "on" && diagnostics !== "off") {
        throw new ConfigurationError("DIAGNOSTICS", `is ${JSON.stringify(diagnostics)}; expected "on" or "off"`);
    }
    const settings: Settings = {
        ...DEFAULT_SETTINGS,
        replyWindowSeconds: integer("REPLY_WINDOW_SECONDS", 3600, 14 * 86400),
        replyGraceSeconds: integer("REPLY_GRACE_SECONDS", 0, 30 * 86400),
        flapCooldownSeconds: integer("FLAP_COOLDOWN_SECONDS", 0, 86400),
        claimLeaseSeconds: integer("CLAIM_LEASE_SECONDS", 60, 3600),
        retryDelaySeconds: integer("RETRY_DELAY_SECONDS", 60, 86400),
        retentionDays: integer("RETENTION_DAYS", 1, 3650),
        replyBaseUrl: (replyBaseUrl ?? "").replace(/\/+$/, ""),
        scheduleNamePrefix: matching("SCHEDULE_NAME_PREFIX", SCHEDULE_PREFIX, "1-24 of 0-9 A-Z a-z - _ .") as string,
    };
    return {
        tableName: matching("TABLE_NAME", TABLE_NAME, "a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)") as string,
        notificationTopicArn: matching("NOTIFICATION_TOPIC_ARN", SNS_TOPIC_ARN, "an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)") as string,
        operatorTopicArn: matching("OPERATOR_TOPIC_ARN", SNS_TOPIC_ARN, "an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)"),
        replyBaseUrl: replyBaseUrl === undefined ? undefined : settings.replyBaseUrl,
        timerFunctionArn: matching("TIMER_FUNCTION_ARN", LAMBDA_ARN, "a Lambda function ARN (arn:aws:lambda:<region>:<account>:function:<name>)"),
        schedulerRoleArn: matching("SCHEDULER_ROLE_ARN", ROLE_ARN, "an IAM role ARN (arn:aws:iam::<account>:role/<name>)"),
        scheduleGroup: matching("SCHEDULE_GROUP", SCHEDULE_GROUP, "a schedule group name (1-64 of 0-9 A-Z a-z - _ .)") as string,
        timerDeadLetterArn: matching("TIMER_DEAD_LETTER_ARN", SQS_ARN, "an SQS queue ARN"),
        opsItemSource,
        diagnostics: diagnostics === "on",
        settings,
    };
}

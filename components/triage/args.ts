// TriageService's arguments, their defaults and checks, and the pure functions the component is
// wired from: each function's sizing and environment, the intake queue's timings, the sweep's
// schedule expression and the alarms.

import type * as pulumi from "@pulumi/pulumi";
import { ALARM_PERIOD_SECONDS } from "../account/alarms";
import { KMS_KEY_ARN, LOG_RETENTION_DAYS } from "../../stacks/config";
import type { TriageDiagnosticsArgs } from "./diagnostics";
import { ENV_VARS, EntryPoint } from "./handler/config";
import { DEFAULT_SETTINGS } from "./handler/lifecycle";

export interface TriageServiceArgs {
    /** The topic every alert reaches (AccountMonitoring.alertTopicArn); the intake queue subscribes to it. */
    readonly alertTopicArn: pulumi.Input<string>;
    /** The Watchdog heartbeat topic (AccountMonitoring.heartbeatTopicArn); the intake queue subscribes to it. */
    readonly heartbeatTopicArn: pulumi.Input<string>;
    /** The customer notifications topic the engine publishes to (AccountMonitoring.notificationTopicArn). */
    readonly notificationTopicArn: pulumi.Input<string>;
    /**
     * The CMK of an existing notifications topic that is not encrypted with `keyArn` (a KMS key
     * ARN): the functions that publish may then use it, through SNS, for that topic only. Default:
     * none (the topic is Vigil's own, encrypted with `keyArn`, or uses no customer managed key).
     */
    readonly notificationTopicKeyArn?: pulumi.Input<string>;
    /**
     * The operators' topic (AccountMonitoring.pipelineTopicArn): the service's alarms notify it, and
     * the engine publishes operator notices to it (OPERATOR_TOPIC_ARN).
     */
    readonly pipelineTopicArn: pulumi.Input<string>;
    /**
     * The CMK of the topics (AccountMonitoring.keyArn): it encrypts the intake and dead-letter queues,
     * and the functions use it to read the queue and publish to the notifications topic.
     */
    readonly keyArn: pulumi.Input<string>;
    /** The CMK of CloudWatch log groups (AccountMonitoring.logKeyArn). */
    readonly logKeyArn: pulumi.Input<string>;
    /**
     * Alarm names start with this (AccountMonitoring.alarmNamePrefix), so that the account's
     * `pipeline-alarms` EventBridge rule brings their state changes to triage as well.
     */
    readonly alarmNamePrefix: string;
    /** Retention of the functions' log groups, a value CloudWatch Logs accepts. Defaults to 365. */
    readonly logRetentionDays?: number;
    /** How long the customer has to answer (vigil:replyWindow). Defaults to 72 hours (259200). */
    readonly replyWindowSeconds?: number;
    /** How long reply links work after the window (vigil:replyGrace). Defaults to 96 hours (345600). */
    readonly replyGraceSeconds?: number;
    /** Recurrences this soon after a case went quiet reattach silently (vigil:flapCooldown). Defaults to 1800. */
    readonly flapCooldownSeconds?: number;
    /** Period of the sweep (vigil:sweepInterval), whole minutes. Defaults to 900. */
    readonly sweepIntervalSeconds?: number;
    /** When a failed notification or incident is retried. Defaults to 300. */
    readonly retryDelaySeconds?: number;
    /** Days a case stays in the table after its last activity (DynamoDB TTL). Defaults to 90. */
    readonly caseRetentionDays?: number;
    /** Source of the OpsItems the engine opens. Defaults to "Vigil". */
    readonly opsItemSource?: string;
    /**
     * Reserved concurrency per function. Defaults to intake 5 (also the intake mapping's maximum
     * concurrency, at least 2), reply 5, timer 3 (reply timers, the sweep and the table stream's
     * follow-ups share it). Reserving needs unreserved account concurrency.
     */
    readonly reservedConcurrency?: { readonly intake?: number; readonly reply?: number; readonly timer?: number };
    /** Steady requests per second the reply endpoint accepts. Defaults to 5. */
    readonly replyRateLimit?: number;
    /** Requests the reply endpoint accepts in a burst. Defaults to 10. */
    readonly replyBurstLimit?: number;
    /** Alarm when the oldest intake message waits longer than this. Defaults to 900. */
    readonly queueAgeAlarmSeconds?: number;
    /** Refuse to delete the case table (cases and their history). Defaults to true. */
    readonly tableDeletionProtection?: boolean;
    /** Where the bundle is built and read. Defaults to the repository's dist/triage. */
    readonly bundleDir?: string;
    /**
     * Incident diagnostics: a function that runs read-only Kubernetes checks and Logs Insights
     * queries for the listed clusters when a case opens an incident or asks the customer, and
     * attaches the report (README "Incident diagnostics"). Defaults to none (no diagnostics).
     */
    readonly diagnostics?: TriageDiagnosticsArgs;
}

/** The three functions, by role. */
export type FunctionRole = "intake" | "reply" | "timer";
export const FUNCTION_ROLES: readonly FunctionRole[] = ["intake", "reply", "timer"];

/** The entry point each function runs. */
export const ENTRY_POINTS: Readonly<Record<FunctionRole, EntryPoint>> = { intake: "handler", reply: "replyHandler", timer: "timerHandler" };

export interface FunctionSizing {
    readonly memoryMb: number;
    readonly timeoutSeconds: number;
}

/**
 * Memory (arm64 CPU grows with it) and timeout per function. Intake handles up to a batch of 10
 * messages one after another, each a few DynamoDB, SNS, OpsCenter and Scheduler calls (diagnostics
 * run in their own function, never here); the sweep handles up to 200 due cases; a reply is one
 * read and one conditional write behind an API that gives up after 15 s.
 */
export const FUNCTION_SIZING: Readonly<Record<FunctionRole, FunctionSizing>> = {
    intake: { memoryMb: 512, timeoutSeconds: 60 },
    reply: { memoryMb: 256, timeoutSeconds: 10 },
    timer: { memoryMb: 512, timeoutSeconds: 120 },
};

/** Messages per intake invocation, handled one after another: small batches stay well inside the timeout. */
export const INTAKE_BATCH_SIZE = 10;
/** How long the mapping gathers a batch: a burst of alerts goes to one invocation, a lone alert waits 2 s at most. */
export const INTAKE_BATCHING_WINDOW_SECONDS = 2;
/** Receives before SQS moves a message to the dead-letter queue (AWS recommends at least 5 for Lambda). */
export const MAX_RECEIVE_COUNT = 5;
/** SQS's longest retention: messages wait two weeks for a consumer or a redrive. */
export const QUEUE_RETENTION_SECONDS = 14 * 86400;
/** The engine's claim lease for intake and timer: above both functions' timeout. */
export const CLAIM_LEASE_SECONDS = 300;
/**
 * The reply function's claim lease: the work a reply claims is left to the sweep, which takes it
 * over once the lease ends (the engine's minimum, well above the reply function's timeout).
 */
export const REPLY_CLAIM_LEASE_SECONDS = 60;
/** Stream records per follow-up invocation: records only pass the filter when a reply was just recorded. */
export const FOLLOW_UP_BATCH_SIZE = 10;
/** Retries of a failed follow-up batch (halved each time) before its records go to the timer dead-letter queue. */
export const FOLLOW_UP_RETRIES = 3;
/** Alarm when reply follow-ups fall this far behind the table's stream (IteratorAge, milliseconds). */
export const FOLLOW_UP_AGE_ALARM_MS = 120_000;
/** The reply API's integration timeout (API Gateway allows 30 s): above the reply function's timeout. */
export const REPLY_INTEGRATION_TIMEOUT_MS = 15_000;
/** Retries of the timer function's asynchronous invocations (EventBridge, Scheduler) before the dead-letter queue. */
export const TIMER_ASYNC_RETRIES = 2;
/** A reply timer or sweep older than this is dead-lettered instead of retried (the sweep catches up anyway). */
export const TIMER_ASYNC_MAX_AGE_SECONDS = 3600;

/**
 * SQS visibility timeout of the intake queue: six times the function timeout plus the batching
 * window, as AWS recommends for Lambda event sources, so that a message is not redelivered while
 * an invocation (or its retries after a throttle) still holds it.
 */
export function intakeVisibilityTimeoutSeconds(timeoutSeconds: number = FUNCTION_SIZING.intake.timeoutSeconds, windowSeconds: number = INTAKE_BATCHING_WINDOW_SECONDS): number {
    return 6 * timeoutSeconds + windowSeconds;
}

/** An EventBridge rate expression for a period in whole minutes (`rate(15 minutes)`, `rate(1 hour)`). */
export function rateExpression(seconds: number): string {
    if (!Number.isInteger(seconds) || seconds < 60 || seconds % 60 !== 0) {
        throw new RangeError(`a rate needs whole minutes (at least 60 seconds), got ${seconds} seconds`);
    }
    const [amount, unit] = seconds % 86400 === 0 ? [seconds / 86400, "day"] : seconds % 3600 === 0 ? [seconds / 3600, "hour"] : [seconds / 60, "minute"];
    return `rate(${amount} ${unit}${amount === 1 ? "" : "s"})`;
}

/** Arguments with every default applied (plain values; the ARNs stay Inputs). */
export interface ResolvedTriageArgs extends Omit<TriageServiceArgs, "reservedConcurrency"> {
    readonly logRetentionDays: number;
    readonly replyWindowSeconds: number;
    readonly replyGraceSeconds: number;
    readonly flapCooldownSeconds: number;
    readonly sweepIntervalSeconds: number;
    readonly retryDelaySeconds: number;
    readonly caseRetentionDays: number;
    readonly opsItemSource: string;
    readonly reservedConcurrency: Readonly<Record<FunctionRole, number>>;
    readonly replyRateLimit: number;
    readonly replyBurstLimit: number;
    readonly queueAgeAlarmSeconds: number;
    readonly tableDeletionProtection: boolean;
}

/** An argument TriageService cannot use. */
export class TriageArgsError extends Error {
    constructor(argument: string, given: unknown, allowed: string) {
        super(`TriageService argument ${argument}: got ${JSON.stringify(given)}; allowed: ${allowed}.`);
        this.name = "TriageArgsError";
    }
}

/** `value` when it is a whole number from `min` to `max`; otherwise a TriageArgsError naming `argument`. */
export function wholeNumber(argument: string, value: number, min: number, max: number): number {
    if (!Number.isInteger(value) || value < min || value > max) {
        throw new TriageArgsError(argument, value, `a whole number from ${min} to ${max}`);
    }
    return value;
}

/** The component's name becomes part of resource names (queues allow 80 characters, functions 64). */
export function checkComponentName(name: string): void {
    if (!/^[A-Za-z0-9][A-Za-z0-9-]{0,29}$/.test(name)) {
        throw new TriageArgsError("name", name, "1-30 letters, digits and hyphens, starting with a letter or digit");
    }
}

/** Applies the defaults and checks every argument (ranges follow the engine's own checks). */
export function resolveTriageArgs(args: TriageServiceArgs): ResolvedTriageArgs {
    const logRetentionDays = args.logRetentionDays ?? 365;
    if (!(LOG_RETENTION_DAYS as readonly number[]).includes(logRetentionDays)) {
        throw new TriageArgsError("logRetentionDays", logRetentionDays, `one of ${LOG_RETENTION_DAYS.join(", ")}`);
    }
    if (typeof args.alarmNamePrefix !== "string" || !/^[A-Za-z0-9_.-]{1,200}$/.test(args.alarmNamePrefix)) {
        throw new TriageArgsError("alarmNamePrefix", args.alarmNamePrefix, "the account's alarm name prefix (AccountMonitoring.alarmNamePrefix), letters, digits, _ . -");
    }
    const sweepIntervalSeconds = args.sweepIntervalSeconds ?? 900;
    if (!Number.isInteger(sweepIntervalSeconds) || sweepIntervalSeconds < 60 || sweepIntervalSeconds > 86400 || sweepIntervalSeconds % 60 !== 0) {
        throw new TriageArgsError("sweepIntervalSeconds", sweepIntervalSeconds, "whole minutes from 60 to 86400 seconds (EventBridge schedules run at most once a minute)");
    }
    const opsItemSource = args.opsItemSource ?? "Vigil";
    if (opsItemSource.length < 1 || opsItemSource.length > 128) {
        throw new TriageArgsError("opsItemSource", opsItemSource, "1 to 128 characters");
    }
    const reserved = args.reservedConcurrency ?? {};
    const reservedConcurrency = {
        intake: wholeNumber("reservedConcurrency.intake", reserved.intake ?? 5, 2, 1000),
        reply: wholeNumber("reservedConcurrency.reply", reserved.reply ?? 5, 1, 1000),
        timer: wholeNumber("reservedConcurrency.timer", reserved.timer ?? 3, 1, 1000),
    };
    if (typeof args.notificationTopicKeyArn === "string" && !KMS_KEY_ARN.test(args.notificationTopicKeyArn)) {
        throw new TriageArgsError("notificationTopicKeyArn", args.notificationTopicKeyArn, "a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>; not an alias)");
    }
    const replyRateLimit = args.replyRateLimit ?? 5;
    if (typeof replyRateLimit !== "number" || !(replyRateLimit > 0) || replyRateLimit > 10_000) {
        throw new TriageArgsError("replyRateLimit", replyRateLimit, "requests per second, above 0 and at most 10000");
    }
    return {
        ...args,
        logRetentionDays,
        replyWindowSeconds: wholeNumber("replyWindowSeconds", args.replyWindowSeconds ?? DEFAULT_SETTINGS.replyWindowSeconds, 3600, 14 * 86400),
        replyGraceSeconds: wholeNumber("replyGraceSeconds", args.replyGraceSeconds ?? DEFAULT_SETTINGS.replyGraceSeconds, 0, 30 * 86400),
        flapCooldownSeconds: wholeNumber("flapCooldownSeconds", args.flapCooldownSeconds ?? DEFAULT_SETTINGS.flapCooldownSeconds, 0, 86400),
        sweepIntervalSeconds,
        retryDelaySeconds: wholeNumber("retryDelaySeconds", args.retryDelaySeconds ?? DEFAULT_SETTINGS.retryDelaySeconds, 60, 86400),
        caseRetentionDays: wholeNumber("caseRetentionDays", args.caseRetentionDays ?? DEFAULT_SETTINGS.retentionDays, 1, 3650),
        opsItemSource,
        reservedConcurrency,
        replyRateLimit,
        replyBurstLimit: wholeNumber("replyBurstLimit", args.replyBurstLimit ?? 10, 1, 5000),
        queueAgeAlarmSeconds: wholeNumber("queueAgeAlarmSeconds", args.queueAgeAlarmSeconds ?? 900, 60, QUEUE_RETENTION_SECONDS),
        tableDeletionProtection: args.tableDeletionProtection ?? true,
    };
}

/** The deployed resources the functions' environments name. */
export interface EnvironmentInputs<T> {
    readonly tableName: T;
    readonly notificationTopicArn: T;
    readonly replyBaseUrl: T;
    /** Only the intake function names the timer function (the target of the timers it sets). */
    readonly timerFunctionArn?: T;
    readonly schedulerRoleArn: T;
    readonly scheduleGroup: T;
    readonly timerDeadLetterArn: T;
}

/**
 * Variables the functions get that are not the engine's: source maps for stack traces, and the
 * Powertools service name that tells the three functions' logs apart.
 */
export const RUNTIME_ENV_VARS = ["NODE_OPTIONS", "POWERTOOLS_SERVICE_NAME"] as const;

/** The RUNTIME_ENV_VARS of a function whose logs carry `serviceName`. */
export function runtimeEnvironment(serviceName: string): Record<(typeof RUNTIME_ENV_VARS)[number], string> {
    return { NODE_OPTIONS: "--enable-source-maps", POWERTOOLS_SERVICE_NAME: serviceName };
}

/**
 * Each function's environment: the engine's variables (handler/config.ts ENV_VARS) its entry point
 * reads, and RUNTIME_ENV_VARS. Intake and timer get all of them (the timer function is the target
 * of its own timers and falls back to its own ARN: naming it would make the function depend on
 * itself); their operator notices go to the pipeline topic. The reply function gets what a reply
 * needs: it asks no one, notifies no operator and touches no timer.
 */
export function functionEnvironment<T>(role: FunctionRole, a: ResolvedTriageArgs, inputs: EnvironmentInputs<T>): Record<string, T | pulumi.Input<string>> {
    const settings: Record<string, string> = {
        REPLY_WINDOW_SECONDS: String(a.replyWindowSeconds),
        REPLY_GRACE_SECONDS: String(a.replyGraceSeconds),
        FLAP_COOLDOWN_SECONDS: String(a.flapCooldownSeconds),
        CLAIM_LEASE_SECONDS: String(role === "reply" ? REPLY_CLAIM_LEASE_SECONDS : CLAIM_LEASE_SECONDS),
        RETRY_DELAY_SECONDS: String(a.retryDelaySeconds),
        RETENTION_DAYS: String(a.caseRetentionDays),
        SCHEDULE_NAME_PREFIX: DEFAULT_SETTINGS.scheduleNamePrefix,
    };
    const runtime = runtimeEnvironment(`vigil-triage-${role}`);
    const store = { TABLE_NAME: inputs.tableName, NOTIFICATION_TOPIC_ARN: inputs.notificationTopicArn };
    if (role === "reply") {
        return { ...runtime, ...store, ...settings };
    }
    if (role === "intake" && inputs.timerFunctionArn === undefined) {
        throw new Error("the intake function's environment needs the timer function's ARN (timerFunctionArn)");
    }
    return {
        ...runtime,
        ...store,
        OPERATOR_TOPIC_ARN: a.pipelineTopicArn,
        REPLY_BASE_URL: inputs.replyBaseUrl,
        ...(role === "intake" ? { TIMER_FUNCTION_ARN: inputs.timerFunctionArn as T } : {}),
        SCHEDULER_ROLE_ARN: inputs.schedulerRoleArn,
        SCHEDULE_GROUP: inputs.scheduleGroup,
        TIMER_DEAD_LETTER_ARN: inputs.timerDeadLetterArn,
        ...settings,
        OPSITEM_SOURCE: a.opsItemSource,
        // Cases record diagnostics requests only when a diagnostics function runs them.
        ...(a.diagnostics ? { DIAGNOSTICS: "on" } : {}),
    };
}

/** The engine's variable names (for checks that an environment holds nothing else). */
export const ENGINE_ENV_VARS: readonly string[] = ENV_VARS.map((v) => v.name);

export interface AlarmSpec {
    /** Suffix of the alarm name (after the account's prefix). */
    readonly id: string;
    readonly description: string;
    /** An AWS service's metrics, or Vigil's own (from log metric filters). */
    readonly namespace: "AWS/Lambda" | "AWS/SQS" | `Vigil/${string}`;
    readonly metricName: string;
    readonly dimensions: Readonly<Record<string, pulumi.Input<string>>>;
    readonly statistic: "Sum" | "Maximum";
    readonly threshold: number;
}

export interface AlarmTargets {
    readonly functionNames: Readonly<Record<FunctionRole, pulumi.Input<string>>>;
    readonly intakeQueueName: pulumi.Input<string>;
    readonly deadLetterQueueName: pulumi.Input<string>;
    readonly timerDeadLetterQueueName: pulumi.Input<string>;
    readonly queueAgeAlarmSeconds: number;
    /** The metric the intake log group's filter counts unparsed messages in (unparsedMessagesFilter). */
    readonly unparsedMetric: { readonly namespace: `Vigil/${string}`; readonly metricName: string };
}

/**
 * What the engine logs, at error level, when it keeps a message it cannot use as unparsed
 * (engine.ts recordUnparsed). Powertools Logger writes it as one JSON line whose `level` is
 * "ERROR" and whose `message` is this text; a test runs the engine with that logger and checks
 * that the filter below matches what it writes.
 */
export const UNPARSED_LOG_MESSAGE = "message kept as unparsed";

export interface LogMetricFilterSpec {
    /** A CloudWatch Logs filter pattern. */
    readonly pattern: string;
    readonly namespace: `Vigil/${string}`;
    readonly metricName: string;
    /** Published per matching log event. */
    readonly value: "1";
    readonly unit: "Count";
}

/**
 * The intake log group's metric filter that counts messages kept as unparsed. One namespace per
 * service (`Vigil/Triage/<name>`, unique as the log group's name is), so two services in an
 * account never count each other's. No default value: without unparsed messages there is no
 * data, which the alarm treats as fine.
 */
export function unparsedMessagesFilter(componentName: string): LogMetricFilterSpec {
    return {
        pattern: `{ ($.level = "ERROR") && ($.message = "${UNPARSED_LOG_MESSAGE}") }`,
        namespace: `Vigil/Triage/${componentName}`,
        metricName: "UnparsedMessages",
        value: "1",
        unit: "Count",
    };
}

/**
 * The service's alarms: every function's errors and throttles, the two dead-letter queues not
 * empty, the intake queue's oldest message too old, reply follow-ups behind the table's stream,
 * and messages kept as unparsed (the intake log group's metric filter). Each fires on one 5-minute period above its threshold (missing data is no problem: an
 * idle function publishes none).
 */
export function triageAlarms(t: AlarmTargets): AlarmSpec[] {
    const perFunction = FUNCTION_ROLES.flatMap((role): AlarmSpec[] => [
        {
            id: `triage-${role}-errors`,
            description: `The triage ${role} function failed invocations (crashes, timeouts or configuration errors); see its log group.`,
            namespace: "AWS/Lambda",
            metricName: "Errors",
            dimensions: { FunctionName: t.functionNames[role] },
            statistic: "Sum",
            threshold: 0,
        },
        {
            id: `triage-${role}-throttles`,
            description:
                role === "reply"
                    ? "The reply function refused requests at its reserved concurrency: reply links are being flooded, or the reservation is too small."
                    : `The triage ${role} function was throttled at its reserved concurrency; work waits (intake messages stay in the queue, timers are retried).`,
            namespace: "AWS/Lambda",
            metricName: "Throttles",
            dimensions: { FunctionName: t.functionNames[role] },
            statistic: "Sum",
            threshold: 0,
        },
    ]);
    return [
        ...perFunction,
        {
            id: "triage-dlq-not-empty",
            description: "Alert messages wait in the triage dead-letter queue (failed 5 times, or SNS could not deliver them); fix the cause, then move them back to the intake queue.",
            namespace: "AWS/SQS",
            metricName: "ApproximateNumberOfMessagesVisible",
            dimensions: { QueueName: t.deadLetterQueueName },
            statistic: "Maximum",
            threshold: 0,
        },
        {
            id: "triage-timer-dlq-not-empty",
            description: "Reply timers or sweeps failed and wait in the timer dead-letter queue (the next sweep resolves overdue cases anyway); check the timer function's log group.",
            namespace: "AWS/SQS",
            metricName: "ApproximateNumberOfMessagesVisible",
            dimensions: { QueueName: t.timerDeadLetterQueueName },
            statistic: "Maximum",
            threshold: 0,
        },
        {
            id: "triage-reply-follow-up-age",
            description: `Reply follow-ups are more than ${FOLLOW_UP_AGE_ALARM_MS / 1000} seconds behind the case table's stream: confirmed incidents wait for the sweep instead; check the timer function's errors and throttles.`,
            namespace: "AWS/Lambda",
            metricName: "IteratorAge",
            dimensions: { FunctionName: t.functionNames.timer },
            statistic: "Maximum",
            threshold: FOLLOW_UP_AGE_ALARM_MS,
        },
        {
            id: "triage-intake-queue-age",
            description: `The oldest alert in the triage intake queue has waited more than ${t.queueAgeAlarmSeconds} seconds: triage is stuck, throttled or failing.`,
            namespace: "AWS/SQS",
            metricName: "ApproximateAgeOfOldestMessage",
            dimensions: { QueueName: t.intakeQueueName },
            statistic: "Maximum",
            threshold: t.queueAgeAlarmSeconds,
        },
        {
            id: "triage-unparsed-messages",
            description: `The intake function kept messages it could not parse or whose source it does not know ("${UNPARSED_LOG_MESSAGE}" in its log group): they were not triaged. Each is kept in the case table (sort key "unparsed") with its raw body and the reason; fix the sender or the parser.`,
            namespace: t.unparsedMetric.namespace,
            metricName: t.unparsedMetric.metricName,
            dimensions: {},
            statistic: "Sum",
            threshold: 0,
        },
    ];
}

/** Alarm period (CloudWatch evaluates 10, 30 or multiples of 60 seconds). */
export const TRIAGE_ALARM_PERIOD_SECONDS = ALARM_PERIOD_SECONDS;

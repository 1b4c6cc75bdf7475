// The engine's ports: everything it needs from the outside world. The Lambda wires AWS adapters
// (aws.ts, dynamoStore.ts); replay wires an in-memory store and recorders; tests wire dynalite and
// recorders. The engine itself never imports an AWS SDK.

import { Alert, CaseRecord, Heartbeat, Impact, UnparsedMessage } from "./model";

/** What the store answers when an observation is offered. */
export type ObserveResult =
    /** The same observation was accepted before (or is being processed right now): nothing to do. */
    | { readonly duplicate: true }
    /** Accepted and claimed; `record` is the case as it is now (after accepting). */
    | { readonly duplicate: false; readonly created: boolean; readonly record: CaseRecord };

/** An observation offered to the store. */
export interface Observation {
    readonly caseId: string;
    readonly alert: Alert;
    /** Now (ISO). */
    readonly now: string;
    /** Until when this invocation owns the claim (ISO). */
    readonly claimUntil: string;
}

/**
 * The case store. Every write is a single-item conditional write (no transactions): `observe` is a
 * conditional upsert that rejects an observation already accepted; `save` replaces a case only if
 * its version is still the one read.
 */
export interface CaseStore {
    /** Accepts an observation unless it is a duplicate; bumps the version and records a claim. */
    observe(observation: Observation): Promise<ObserveResult>;
    /** The case as it is now (strongly consistent). */
    load(caseId: string): Promise<CaseRecord | undefined>;
    /** Writes `record` (whose version is `expectedVersion + 1`) if the stored version is `expectedVersion`. */
    save(record: CaseRecord, expectedVersion: number): Promise<boolean>;
    /** Ids of cases whose `dueAt` is at or before `now`, oldest first. */
    listDue(now: string, limit: number): Promise<string[]>;
    /** Records a heartbeat unless a later one is already recorded. */
    recordHeartbeat(heartbeat: Heartbeat): Promise<void>;
    /** Keeps a message that could not be used; false when it was already kept. */
    recordUnparsed(message: UnparsedMessage, expiresAt: number): Promise<boolean>;
}

/**
 * A notification: to the notifications topic (the customer's channel) — `incident` (known impact
 * or confirmed), `ask` (uncertain impact: details and reply links) or `diagnostics` (the
 * diagnostics report that follows either) — or to the pipeline topic (the operator's channel) —
 * `operator-notice` (a no-impact alert the operator must know about) or `operator-recovered` (its
 * episode resolved).
 */
export interface Notification {
    readonly caseId: string;
    readonly kind: "incident" | "ask" | "diagnostics" | "operator-notice" | "operator-recovered";
    /** ≤ 99 printable ASCII characters. */
    readonly subject: string;
    readonly body: string;
    /** SNS message attributes, for subscription filter policies. */
    readonly attributes: Readonly<Record<string, string>>;
}

export interface Notifier {
    /** Publishes; resolves with the SNS message id. Throws when it could not be sent. */
    publish(notification: Notification): Promise<string>;
}

/** An incident report to open (an OpsCenter OpsItem). */
export interface IncidentRequest {
    /** Deduplication string (`/aws/dedup`): the case key. */
    readonly dedupKey: string;
    readonly caseId: string;
    readonly title: string;
    /** Markdown. */
    readonly description: string;
    readonly alert: Alert;
    readonly impact: Impact;
    readonly impactReason: string;
    readonly evidence: readonly Evidence[];
}

export interface Incidents {
    /**
     * Opens the incident, or finds the open one with the same dedup key (`created: false`).
     * Throws when neither worked.
     */
    open(request: IncidentRequest): Promise<{ readonly id: string; readonly created: boolean }>;
}

/** The payloads the timer function receives (EventBridge Scheduler target input). */
export type TimerPayload =
    | { readonly kind: "reply-timeout"; readonly caseId: string; readonly deadline: string }
    | { readonly kind: "sweep" };

export interface Timers {
    /** Creates a one-time schedule that invokes the timer function with `payload` at `at` (UTC). */
    schedule(name: string, at: string, payload: TimerPayload): Promise<void>;
    /** Deletes a schedule; a schedule that no longer exists is not an error. */
    cancel(name: string): Promise<void>;
}

export interface Clock {
    now(): Date;
}

/** Evidence collected by diagnostics, attached to the incident and the notification. */
export interface Evidence {
    readonly title: string;
    readonly body: string;
}

/**
 * Optional: diagnostics for cases that open an incident or ask the customer. With it, the engine
 * records a diagnostics request in the same write that records the incident or the question
 * (diagnostics/request.ts) and never waits for the checks; after that write it calls
 * `requested`. The deployed functions leave the run to the case table's stream (the diagnostics
 * function), so their `requested` does nothing; replay and tests run the diagnostics job there.
 * Failures of `requested` are logged and never hold up triage.
 */
export interface Diagnostics {
    requested(caseId: string): Promise<void>;
}

/**
 * Optional: the EKS cluster an EC2 instance belongs to (from its tags), for EC2 events, which do
 * not carry tags. Resolves "" when the instance is not a cluster node, undefined when unknown.
 */
export interface NodeDirectory {
    clusterOfInstance(instanceId: string): Promise<string | undefined>;
}

/** Structured logging (Powertools Logger satisfies it). */
export interface Log {
    debug(message: string, ...extra: Record<string, unknown>[]): void;
    info(message: string, ...extra: Record<string, unknown>[]): void;
    warn(message: string, ...extra: Record<string, unknown>[]): void;
    error(message: string, ...extra: Record<string, unknown>[]): void;
}

/** A log that drops everything (replay's default). */
export const SILENT_LOG: Log = { debug() {}, info() {}, warn() {}, error() {} };

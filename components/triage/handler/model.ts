// The triage engine's data model: the normalized alert every input becomes, and the case the
// engine keeps per alert (one DynamoDB item). Runtime code: no Pulumi imports.

import type { DiagnosticsReport, DiagnosticsRequestState } from "./diagnostics/report";

export const SOURCES = ["prometheus", "guardduty", "health", "eks", "ec2", "cloudwatch"] as const;
/** Where an alert comes from. */
export type Source = (typeof SOURCES)[number];

export const IMPACTS = ["known", "uncertain", "none"] as const;
/** Customer impact class (DESIGN.md): known → incident, uncertain → ask the customer, none → close. */
export type Impact = (typeof IMPACTS)[number];

export const SEVERITIES = ["critical", "warning", "info"] as const;
export type Severity = (typeof SEVERITIES)[number];

export const LEVELS = ["cluster", "node", "workload", "pod", "apiserver", "coredns", "control-plane", "network", "pipeline"] as const;
export type Level = (typeof LEVELS)[number];

/** One observation of an alert, whatever its source. Times are ISO 8601 UTC with milliseconds. */
export interface Alert {
    readonly source: Source;
    /** Stable dedup key: the same alert keeps it across messages, repeats and its resolution. */
    readonly key: string;
    readonly status: "firing" | "resolved";
    /** When the alert's current episode started, from the source; undefined for a resolve signal that does not say. */
    readonly startsAt?: string;
    /** When it resolved, from the source (resolved observations only). */
    readonly endsAt?: string;
    /** The source's time of this observation (not arrival). */
    readonly observedAt: string;
    /**
     * Sort key of this observation among all observations of the same alert: later or more final
     * observations sort higher. Equal means the same observation delivered again.
     */
    readonly order: string;
    /**
     * The source gave no times (AMP's default text body): `observedAt` is the delivery time, and
     * the engine sets `order` and the episode times against the case before accepting it
     * (lifecycle.placeUntimed), so repeats of a firing alert are duplicates, not new episodes.
     */
    readonly untimed?: true;
    /** The EKS cluster, or "" when the source does not say. */
    readonly cluster: string;
    /** Prometheus alert name (prometheus alerts only). */
    readonly alertname?: string;
    readonly title: string;
    readonly summary: string;
    readonly description: string;
    readonly severity: Severity;
    readonly level: Level;
    /** What to read first: the alert's runbook, or the source's documentation or console page for it. */
    readonly runbookUrl?: string;
    /** First actions the customer or operator can take, in order. */
    readonly mitigations: readonly string[];
    /** The alert's own `impact` label (Prometheus), as given. */
    readonly impactLabel?: string;
    /** What the impact table matches on (per source; see rules/impact.yaml). */
    readonly attributes: Readonly<Record<string, string>>;
    /** Related AWS resource ARNs. */
    readonly resources: readonly string[];
    /** Links for people: source console, Prometheus expression. */
    readonly links: readonly { readonly label: string; readonly url: string }[];
    /** Occurrence count the source reports (GuardDuty). */
    readonly count?: number;
    /** The SNS message this observation arrived in. */
    readonly messageId?: string;
}

/** A Watchdog heartbeat (contract C2): recorded per cluster, never a case. */
export interface Heartbeat {
    readonly cluster: string;
    readonly status: "firing" | "resolved";
    /** When the heartbeat was delivered (SNS time), else when it was processed. */
    readonly at: string;
    readonly startsAt?: string;
}

export const CASE_STATES = ["NEW", "AWAITING_CUSTOMER", "INCIDENT_OPEN", "RESOLVED"] as const;
/**
 * NEW: seen, triage not finished (or its notification/incident failed and will be retried);
 * AWAITING_CUSTOMER: uncertain impact, notification sent, waiting for a reply until the deadline;
 * INCIDENT_OPEN: an OpsCenter OpsItem exists (people close it); RESOLVED: closed, see `resolution`.
 */
export type CaseState = (typeof CASE_STATES)[number];

export const RESOLUTIONS = ["NO_IMPACT_AUTO", "CUSTOMER_NO_IMPACT", "REPLY_TIMEOUT", "SOURCE_RESOLVED_BEFORE_TRIAGE"] as const;
export type Resolution = (typeof RESOLUTIONS)[number];

export const REPLY_ACTIONS = ["confirm", "no-impact"] as const;
/** What a reply link does: confirm customer impact (opens an incident) or report none (resolves). */
export type ReplyAction = (typeof REPLY_ACTIONS)[number];

/** One entry of a case's history: who or what did what, when. */
export interface HistoryEntry {
    readonly at: string;
    readonly event: string;
    /** `source:<name>`, `engine`, `customer`, `timer`, `sweep`. */
    readonly by: string;
    readonly detail?: string;
}

/** A reply link, stored by the SHA-256 of the token (the token itself is never stored). */
export interface ReplyToken {
    readonly action: ReplyAction;
    readonly episode: number;
    readonly issuedAt: string;
    readonly expiresAt: string;
    readonly usedAt?: string;
}

/**
 * Work on a case that has started but not finished: an accepted observation (`obs|<order>`, with
 * the alert) or side effects being performed (`work|...`). Kept on the case so that a crash is
 * resumed by the sweep once `until` has passed; `work|retry` marks a failed effect to retry then.
 */
export interface Claim {
    /** Until when the invocation that made the claim owns it. */
    readonly until: string;
    readonly alert?: Alert;
    /**
     * Who took the work over or does it itself (`sweep`, `stream`, `reply`). A reply's claim
     * without a holder is work the reply left for the timer function (contract of the table's
     * stream filter: see dynamoStore.ts REPLY_WORK_FILTER).
     */
    readonly holder?: string;
}

/** The case the engine keeps for one alert key (one store item). */
export interface CaseRecord {
    readonly caseId: string;
    readonly key: string;
    readonly source: Source;
    /** Bumped by every write; every write is conditional on it. */
    readonly version: number;
    readonly state: CaseState;
    readonly resolution?: Resolution;
    readonly impact?: Impact;
    /** Why the case has its impact (label or impact-table rule). */
    readonly impactReason?: string;
    readonly cluster: string;
    readonly alertname?: string;
    readonly title: string;
    readonly severity?: Severity;
    /** Episodes of the alert this case has seen (a recurrence after the cooldown starts a new one). */
    readonly episode: number;
    readonly episodeStart?: string;
    readonly sourceStatus?: "firing" | "resolved";
    readonly sourceResolvedAt?: string;
    readonly firstSeen: string;
    readonly lastSeen: string;
    /** Observations accepted (duplicates excluded). */
    readonly occurrences: number;
    /** Highest observation order accepted. */
    readonly lastOrder: string;
    /** Highest observation order applied. */
    readonly appliedOrder?: string;
    /** The latest applied observation. */
    readonly alert?: Alert;
    /** Work in progress, by claim key. */
    readonly claims: Readonly<Record<string, Claim>>;
    /** Episode for which the customer was asked (uncertain impact). */
    readonly askedEpisode?: number;
    /** Episode for which an OpsItem was opened or found open. */
    readonly incidentEpisode?: number;
    /** Episode for which the incident notification was sent. */
    readonly incidentNotifiedEpisode?: number;
    /** The operator notice rule that selected this no-impact case for an operator notice. */
    readonly operatorNotice?: string;
    /** Episode the operator notice rule selected (notices are due for this episode only). */
    readonly operatorNoticeEpisode?: number;
    /** Episode for which the operator notice was sent. */
    readonly operatorNotifiedEpisode?: number;
    /** Episode for which the operator was told the alert recovered. */
    readonly operatorRecoveredEpisode?: number;
    readonly notifiedAt?: string;
    readonly replyDeadline?: string;
    readonly scheduleName?: string;
    readonly opsItemId?: string;
    readonly resolvedAt?: string;
    readonly lateConfirmation?: boolean;
    /** Reply links by SHA-256 (hex) of the token. */
    readonly tokens: Readonly<Record<string, ReplyToken>>;
    /** Failed attempts at the pending notification or incident. */
    readonly attempts: number;
    readonly lastError?: string;
    readonly history: readonly HistoryEntry[];
    /** History entries dropped to keep the item small (oldest first). */
    readonly historyDropped: number;
    /** When the sweep must look at the case again (reply deadline, stale claim, retry). */
    readonly dueAt?: string;
    /**
     * Epoch seconds after which the store may delete the case (DynamoDB TTL): set only while the
     * engine is done with the case (lifecycle.finalize), absent while it is open.
     */
    readonly expiresAt?: number;
    /** The latest diagnostics request (diagnostics/request.ts). */
    readonly diagnosticsRequest?: DiagnosticsRequestState;
    /** "pending" while that request waits for its report: the diagnostics mapping's filter matches it. */
    readonly diagnosticsWork?: "pending";
    /** The latest diagnostics report (bounded to fit the item). */
    readonly diagnostics?: DiagnosticsReport;
}

/** A message that could not be used, kept with its raw body (contract C1: never lost). */
export interface UnparsedMessage {
    readonly messageId: string;
    readonly kind: "parse-failure" | "unknown-source";
    readonly reason: string;
    readonly raw: string;
    readonly rawTruncated: boolean;
    readonly attributes: Readonly<Record<string, string>>;
    readonly receivedAt: string;
    readonly subject?: string;
    readonly topicArn?: string;
}

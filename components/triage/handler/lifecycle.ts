// The case lifecycle as pure functions: how an observation, a reply, a timeout or an effect's
// result changes a case. The engine (engine.ts) runs the side effects and the conditional writes;
// everything that decides lives here so it can be tested without any store.
//
// States (model.ts): NEW → AWAITING_CUSTOMER | INCIDENT_OPEN | RESOLVED. What still has to happen
// for a case (its *obligations*) follows from its state: an INCIDENT_OPEN case needs an OpsItem and
// an incident notification for its episode; a NEW case of uncertain impact needs the customer asked;
// a no-impact case an operator notice rule selected needs the operator told (and, once the source
// resolves, told that it recovered).
// A failed side effect therefore needs no special state: the obligation stays, and a claim with a
// retry time makes the sweep try again.

import { createHash } from "node:crypto";
import { impactRank, Classification } from "./impact";
import { Alert, CaseRecord, Claim, HistoryEntry, ReplyAction, Resolution } from "./model";
import { addSeconds, later } from "./time";

/** Engine settings (from config.ts in the Lambda; defaults in replay). */
export interface Settings {
    /** How long the customer has to answer (from a successful send). */
    readonly replyWindowSeconds: number;
    /** How long reply links keep working after the deadline. */
    readonly replyGraceSeconds: number;
    /** A recurrence this soon after the case went quiet reattaches instead of notifying again. */
    readonly flapCooldownSeconds: number;
    /** How long an invocation owns an observation it accepted before the sweep may take over. */
    readonly claimLeaseSeconds: number;
    /** When to retry a failed notification or incident. */
    readonly retryDelaySeconds: number;
    /** How long a closed case stays in the store after its last activity (DynamoDB TTL; see engineDone). */
    readonly retentionDays: number;
    /** Base of reply links: `<replyBaseUrl>/r/<token>`. */
    readonly replyBaseUrl: string;
    /** Prefix of one-time schedule names (unique per deployment). */
    readonly scheduleNamePrefix: string;
    /** History entries kept per case (older ones are counted, not kept). */
    readonly historyLimit: number;
}

export const DEFAULT_SETTINGS: Settings = {
    replyWindowSeconds: 72 * 3600,
    replyGraceSeconds: 96 * 3600,
    flapCooldownSeconds: 30 * 60,
    claimLeaseSeconds: 300,
    retryDelaySeconds: 300,
    retentionDays: 90,
    replyBaseUrl: "https://reply.invalid",
    scheduleNamePrefix: "vigil-reply-",
    historyLimit: 100,
};

export type Mutable<T> = { -readonly [K in keyof T]: T[K] };
export type Draft = Mutable<CaseRecord> & { claims: Record<string, Claim>; history: HistoryEntry[]; tokens: Record<string, CaseRecord["tokens"][string]> };

/** Side effects a case can need. */
export type Effect = "incident" | "notify-incident" | "ask" | "notify-operator" | "notify-operator-recovered";

/** Results of side effects already performed (kept across retries of one operation). */
export interface EffectResults {
    incident?: { readonly id: string; readonly created: boolean; readonly episode: number };
    notifyIncident?: { readonly messageId: string; readonly episode: number };
    ask?: {
        readonly messageId: string;
        readonly episode: number;
        readonly sentAt: string;
        readonly tokens: readonly { readonly hash: string; readonly action: ReplyAction }[];
    };
    operatorNotice?: { readonly messageId: string; readonly episode: number };
    operatorRecovered?: { readonly messageId: string; readonly episode: number };
    failure?: { readonly effect: Effect; readonly error: string };
}

/** True once an operation performed a side effect: its results must still be written, whoever holds the work now. */
export function performedAny(results: EffectResults): boolean {
    return Boolean(results.incident || results.notifyIncident || results.ask || results.operatorNotice || results.operatorRecovered);
}

/** The case id: a short, URL-safe digest of the key (it appears in reply links and schedule names). */
export function caseIdFor(key: string): string {
    return createHash("sha256").update(key, "utf8").digest("base64url").slice(0, 22);
}

/** Claim key of an observation. */
export function observationClaimKey(alert: Pick<Alert, "order">): string {
    return `obs|${alert.order}`;
}

export const RETRY_CLAIM = "work|retry";

/** Claim keys of the work a reply claims: `work|reply-<first 12 hex of the token hash>`. */
export const REPLY_CLAIM_PREFIX = "work|reply-";

/** True for a reply's claim that nobody has taken over: the work the reply left for the timer function. */
export function isPendingReplyWork(key: string, claim: Claim): boolean {
    return key.startsWith(REPLY_CLAIM_PREFIX) && claim.holder === undefined;
}

export function clone(record: CaseRecord): Draft {
    return structuredClone(record) as Draft;
}

function note(d: Draft, at: string, by: string, event: string, detail?: string): void {
    d.history.push(detail === undefined ? { at, by, event } : { at, by, event, detail });
}

/** The record a first observation creates (exactly what the store's conditional upsert writes). */
export function acceptObservation(existing: CaseRecord | undefined, caseId: string, alert: Alert, now: string, claimUntil: string): CaseRecord {
    const base: CaseRecord = existing ?? {
        caseId,
        key: alert.key,
        source: alert.source,
        version: 0,
        state: "NEW",
        cluster: alert.cluster,
        title: alert.title,
        episode: 0,
        firstSeen: now,
        lastSeen: now,
        occurrences: 0,
        lastOrder: "",
        claims: {},
        tokens: {},
        attempts: 0,
        history: [],
        historyDropped: 0,
    };
    return {
        ...base,
        version: base.version + 1,
        occurrences: base.occurrences + 1,
        lastOrder: alert.order,
        lastSeen: now,
        claims: { ...base.claims, [observationClaimKey(alert)]: { until: claimUntil, alert } },
        dueAt: claimUntil,
    };
}

/**
 * Places an observation the source gave no times for (AMP's default text body; `observedAt` is the
 * delivery time D) among the case's observations: sets its `order` and episode times, or returns
 * undefined when it adds nothing (a duplicate). Orders of untimed observations are derived from the
 * case's highest accepted order L, so that they fit between the source-timed orders of the same
 * alert (`<startsAt>|0` firing, `<startsAt>|1` resolved):
 * - the status it reports is the case's latest (a text repeat of a firing alert, every
 *   `repeat_interval`): nothing new, a duplicate, never a new episode;
 * - resolved while firing: L with its last digit made 1 (a firing order ends in 0), which is
 *   exactly the order of the JSON resolve of that episode, so the two are duplicates of each other;
 *   ignored when delivered before the firing episode started (a late text from an older episode);
 * - firing after a resolve delivered later than that resolve (SNS stamps publication, so an older
 *   episode's message carries an earlier time): a new firing, ordered just above the resolve
 *   (`max(L, "<resolved at>|1") + "+0"`), below any source-timed order of a later episode;
 * - no case yet: `+0` / `+1`, below every source-timed order, so the JSON messages of the same
 *   episode (once the template is fixed) are still accepted and applied.
 */
export function placeUntimed(record: CaseRecord | undefined, alert: Alert): Alert | undefined {
    const at = alert.observedAt;
    const status = alert.status;
    const digit = status === "resolved" ? "1" : "0";
    if (!record) {
        return status === "firing" ? { ...alert, order: `+${digit}`, startsAt: at } : { ...alert, order: `+${digit}`, startsAt: undefined, endsAt: at };
    }
    const last = record.lastOrder;
    // The latest accepted observation: still claimed (being applied), else the applied one.
    const latest = record.claims[observationClaimKey({ order: last })]?.alert ?? (record.alert?.order === last ? record.alert : undefined);
    const latestStatus = latest?.status ?? record.sourceStatus ?? "firing";
    if (latestStatus === status) {
        return undefined;
    }
    if (status === "resolved") {
        const firingSince = latest?.startsAt ?? record.episodeStart;
        if (firingSince !== undefined && at < firingSince) {
            return undefined;
        }
        const order = last.endsWith("0") ? `${last.slice(0, -1)}1` : `${last}+1`;
        return { ...alert, order, startsAt: undefined, endsAt: at };
    }
    const resolvedAt = latest?.status === "resolved" ? (latest.endsAt ?? latest.observedAt) : record.sourceResolvedAt;
    if (resolvedAt !== undefined && at <= resolvedAt) {
        return undefined;
    }
    const floor = resolvedAt !== undefined && `${resolvedAt}|1` > last ? `${resolvedAt}|1` : last;
    return { ...alert, order: `${floor}+0`, startsAt: at };
}

/** True when the store must reject `alert` as already accepted (the upsert's condition, negated). */
export function isDuplicateObservation(existing: CaseRecord | undefined, alert: Alert): boolean {
    return existing !== undefined && !(existing.lastOrder < alert.order);
}

function startEpisode(d: Draft, alert: Alert, episode: number): void {
    d.episode = episode;
    d.episodeStart = alert.startsAt ?? alert.observedAt;
    d.sourceStatus = alert.status;
    d.sourceResolvedAt = alert.status === "resolved" ? (alert.endsAt ?? alert.observedAt) : undefined;
    d.resolution = undefined;
    d.resolvedAt = undefined;
    d.replyDeadline = undefined;
    d.notifiedAt = undefined;
    d.scheduleName = undefined;
    d.lateConfirmation = undefined;
    d.operatorNotice = undefined;
    d.operatorNoticeEpisode = undefined;
    d.attempts = 0;
    d.lastError = undefined;
}

function resolve(d: Draft, resolution: Resolution, now: string): void {
    d.state = "RESOLVED";
    d.resolution = resolution;
    d.resolvedAt = now;
}

/** Sets the impact and the state it leads to: none → resolved, known → incident, uncertain → ask. */
function triage(d: Draft, cls: Classification, now: string, by: string, event = "classified"): void {
    d.impact = cls.impact;
    d.impactReason = cls.reason;
    note(d, now, by, event, `impact ${cls.impact} (${cls.reason})`);
    if (cls.impact === "none") {
        resolve(d, "NO_IMPACT_AUTO", now);
        d.operatorNotice = cls.operatorNotice;
        d.operatorNoticeEpisode = cls.operatorNotice === undefined ? undefined : d.episode;
        note(d, now, "engine", "resolved", `no customer impact: closed${cls.operatorNotice === undefined ? "" : `; the operator gets a notice (operator notice rule ${cls.operatorNotice})`}`);
    } else if (cls.impact === "known") {
        d.state = "INCIDENT_OPEN";
    } else {
        d.state = "NEW";
    }
}

function within(since: string | undefined, start: string | undefined, seconds: number): boolean {
    if (since === undefined || start === undefined) {
        return false;
    }
    return Date.parse(start) - Date.parse(since) <= seconds * 1000;
}

/** What an observation did to the case (for logs and the engine's report). */
export type ObservationKind = "stale" | "triaged" | "resolved-before-triage" | "source-resolved" | "repeat" | "recurred" | "escalated" | "new-episode";

/**
 * Applies an accepted observation to the case (removing its claim). Pure; the obligations it
 * creates are fulfilled by the engine afterwards.
 */
export function applyObservation(
    record: CaseRecord,
    alert: Alert,
    cls: Classification,
    settings: Settings,
    now: string,
): { draft: Draft; kind: ObservationKind } {
    const d = clone(record);
    delete d.claims[observationClaimKey(alert)];
    const by = `source:${alert.source}`;
    if (record.appliedOrder !== undefined && alert.order <= record.appliedOrder) {
        note(d, now, by, "stale", `${alert.status} observation of ${alert.observedAt} is older than the one applied; ignored`);
        return { draft: d, kind: "stale" };
    }
    d.appliedOrder = alert.order;
    d.alert = alert;
    d.cluster = alert.cluster || record.cluster;
    // A resolve signal names the recovery ("Health Restored"); the case keeps the problem's title.
    d.title = alert.status === "firing" || record.episode === 0 ? alert.title : record.title;
    d.alertname = alert.alertname;
    d.severity = alert.severity;
    const countNote = alert.count !== undefined ? ` (count ${alert.count})` : "";
    // Times of an untimed observation are when it was delivered: the event happened then or before.
    const timeNote = alert.untimed ? " or earlier (delivery time: AMP's JSON template is not applied)" : "";

    if (alert.status === "resolved") {
        const endedAt = alert.endsAt ?? alert.observedAt;
        if (record.state === "NEW" && record.episode === 0) {
            startEpisode(d, alert, 1);
            d.impact = cls.impact;
            d.impactReason = cls.reason;
            resolve(d, "SOURCE_RESOLVED_BEFORE_TRIAGE", now);
            note(d, now, by, "resolved-before-triage", `resolved at ${endedAt}${timeNote} before it was seen firing; impact would be ${cls.impact} (${cls.reason}); nobody notified`);
            return { draft: d, kind: "resolved-before-triage" };
        }
        d.sourceStatus = "resolved";
        d.sourceResolvedAt = later(record.sourceResolvedAt, endedAt);
        if (record.state === "NEW") {
            resolve(d, "SOURCE_RESOLVED_BEFORE_TRIAGE", now);
            note(d, now, by, "resolved-before-triage", `resolved at ${endedAt}${timeNote} before the customer could be asked`);
            return { draft: d, kind: "resolved-before-triage" };
        }
        const what =
            record.state === "AWAITING_CUSTOMER"
                ? `still waiting for the customer until ${record.replyDeadline}`
                : record.state === "INCIDENT_OPEN"
                  ? "the incident stays open until people close it"
                  : `case stays resolved (${record.resolution})`;
        note(d, now, by, "source-resolved", `resolved at ${endedAt}${timeNote}; ${what}`);
        return { draft: d, kind: "source-resolved" };
    }

    // Firing.
    if (record.state === "NEW" && record.episode === 0) {
        startEpisode(d, alert, 1);
        note(d, now, by, "firing", `started ${d.episodeStart}${timeNote}${countNote}`);
        triage(d, cls, now, "engine");
        return { draft: d, kind: "triaged" };
    }
    const sameEpisode = alert.startsAt === undefined || record.episodeStart === undefined || alert.startsAt <= record.episodeStart;
    const escalates = impactRank(cls.impact) > impactRank(record.impact);
    const previousFiring = record.sourceStatus;
    d.sourceStatus = "firing";

    switch (record.state) {
        case "NEW":
            // Triage is pending (the customer could not be asked yet): keep the episode, re-classify.
            note(d, now, by, sameEpisode ? "repeat" : "recurred", `still firing${countNote}`);
            triage(d, cls, now, "engine");
            return { draft: d, kind: sameEpisode ? "repeat" : "recurred" };
        case "AWAITING_CUSTOMER":
            note(d, now, by, sameEpisode ? "repeat" : "recurred", `while waiting for the customer; no new notification${countNote}`);
            if (escalates && cls.impact === "known") {
                d.state = "INCIDENT_OPEN";
                d.impact = "known";
                d.impactReason = cls.reason;
                note(d, now, "engine", "escalated", `impact now known (${cls.reason}): opening an incident`);
                return { draft: d, kind: "escalated" };
            }
            return { draft: d, kind: sameEpisode ? "repeat" : "recurred" };
        case "INCIDENT_OPEN": {
            const stillFiring = previousFiring !== "resolved";
            if (sameEpisode || stillFiring || within(record.sourceResolvedAt, alert.startsAt, settings.flapCooldownSeconds)) {
                note(d, now, by, sameEpisode ? "repeat" : "recurred", `incident ${record.opsItemId ?? "(opening)"} still open${countNote}`);
                return { draft: d, kind: sameEpisode ? "repeat" : "recurred" };
            }
            startEpisode(d, alert, record.episode + 1);
            note(d, now, by, "new-episode", `fired again at ${d.episodeStart}${timeNote}, after the flap cooldown`);
            triage(d, cls, now, "engine");
            return { draft: d, kind: "new-episode" };
        }
        case "RESOLVED": {
            if (sameEpisode) {
                if (escalates) {
                    note(d, now, by, "repeat", `impact rose to ${cls.impact}${countNote}`);
                    triage(d, cls, now, "engine", "escalated");
                    d.resolution = d.state === "RESOLVED" ? d.resolution : undefined;
                    d.resolvedAt = d.state === "RESOLVED" ? d.resolvedAt : undefined;
                    return { draft: d, kind: "escalated" };
                }
                note(d, now, by, "repeat", `case stays resolved (${record.resolution})${countNote}`);
                return { draft: d, kind: "repeat" };
            }
            const quietSince = later(record.resolvedAt, record.sourceResolvedAt);
            // Once the operator was told the episode recovered, a recurrence is news to them: a new episode.
            const operatorToldRecovered = record.operatorRecoveredEpisode === record.episode;
            if (record.resolution !== "SOURCE_RESOLVED_BEFORE_TRIAGE" && !escalates && !operatorToldRecovered && within(quietSince, alert.startsAt, settings.flapCooldownSeconds)) {
                note(d, now, by, "recurred", `fired again within the flap cooldown; case stays resolved (${record.resolution}), no new notification`);
                return { draft: d, kind: "recurred" };
            }
            startEpisode(d, alert, record.episode + 1);
            note(d, now, by, "new-episode", `fired again at ${d.episodeStart}${timeNote}`);
            triage(d, cls, now, "engine");
            return { draft: d, kind: "new-episode" };
        }
    }
}

/** Side effects the case still needs, in the order they run. */
export function obligations(record: CaseRecord): Effect[] {
    const out: Effect[] = [];
    if (record.state === "INCIDENT_OPEN") {
        if (record.incidentEpisode !== record.episode) {
            out.push("incident");
        }
        if (record.incidentNotifiedEpisode !== record.episode) {
            out.push("notify-incident");
        }
    } else if (record.state === "NEW" && record.impact === "uncertain" && record.askedEpisode !== record.episode) {
        out.push("ask");
    } else if (
        record.state === "RESOLVED" &&
        record.resolution === "NO_IMPACT_AUTO" &&
        record.operatorNoticeEpisode === record.episode &&
        record.operatorNotifiedEpisode !== record.episode
    ) {
        out.push("notify-operator");
    }
    // An operator told about an episode is told when it recovers, whatever became of the case since.
    const operatorTold = record.operatorNotifiedEpisode === record.episode || out.includes("notify-operator");
    if (operatorTold && record.sourceStatus === "resolved" && record.operatorRecoveredEpisode !== record.episode) {
        out.push("notify-operator-recovered");
    }
    return out;
}

/** True when another invocation holds a live claim on work for the case (it fulfils the obligations). */
export function othersWorking(record: CaseRecord, ownClaim: string | undefined, now: string): boolean {
    return Object.entries(record.claims).some(([key, claim]) => key !== ownClaim && key.startsWith("work|") && key !== RETRY_CLAIM && claim.until > now);
}

/** Records the results of side effects on the case (whatever state it is in by now). */
export function recordEffects(d: Draft, results: EffectResults, settings: Settings, now: string): void {
    if (results.incident && d.incidentEpisode !== results.incident.episode) {
        d.opsItemId = results.incident.id;
        d.incidentEpisode = results.incident.episode;
        note(d, now, "engine", results.incident.created ? "incident-opened" : "incident-linked", `OpsItem ${results.incident.id}${results.incident.created ? "" : " (already open for this alert)"}`);
    }
    if (results.notifyIncident && d.incidentNotifiedEpisode !== results.notifyIncident.episode) {
        d.incidentNotifiedEpisode = results.notifyIncident.episode;
        note(d, now, "engine", "notified", `incident notification sent (SNS message ${results.notifyIncident.messageId})`);
    }
    if (results.ask && d.askedEpisode !== results.ask.episode) {
        const ask = results.ask;
        const deadline = addSeconds(ask.sentAt, settings.replyWindowSeconds);
        const expiresAt = addSeconds(deadline, settings.replyGraceSeconds);
        d.askedEpisode = ask.episode;
        d.notifiedAt = ask.sentAt;
        for (const t of ask.tokens) {
            d.tokens[t.hash] = { action: t.action, episode: ask.episode, issuedAt: ask.sentAt, expiresAt };
        }
        if (d.state === "NEW" && d.episode === ask.episode) {
            d.state = "AWAITING_CUSTOMER";
            d.replyDeadline = deadline;
            d.scheduleName = `${settings.scheduleNamePrefix}${d.caseId}-${ask.episode}`;
            note(d, now, "engine", "notified", `customer asked to confirm impact by ${deadline} (SNS message ${ask.messageId})`);
        } else {
            note(d, now, "engine", "notified", `customer asked (SNS message ${ask.messageId}), but the case had moved on (${d.state}); the links still work`);
        }
    }
    if (results.operatorNotice && d.operatorNotifiedEpisode !== results.operatorNotice.episode) {
        d.operatorNotifiedEpisode = results.operatorNotice.episode;
        note(d, now, "engine", "operator-notified", `operator notice sent to the pipeline topic (rule ${d.operatorNotice ?? "?"}; SNS message ${results.operatorNotice.messageId})`);
    }
    if (results.operatorRecovered && d.operatorRecoveredEpisode !== results.operatorRecovered.episode) {
        d.operatorRecoveredEpisode = results.operatorRecovered.episode;
        note(d, now, "engine", "operator-recovered", `operator told the alert recovered (SNS message ${results.operatorRecovered.messageId})`);
    }
    if (results.failure) {
        d.attempts += 1;
        d.lastError = results.failure.error;
        d.claims[RETRY_CLAIM] = { until: addSeconds(now, settings.retryDelaySeconds) };
        note(d, now, "engine", `${results.failure.effect}-failed`, `attempt ${d.attempts}: ${results.failure.error}; retrying after ${addSeconds(now, settings.retryDelaySeconds)}`);
    } else if (obligations(d).length === 0) {
        d.attempts = 0;
        d.lastError = undefined;
        delete d.claims[RETRY_CLAIM];
    }
}

/** Drops expired reply tokens (kept until their expiry so late confirmations still work). */
function pruneTokens(d: Draft, now: string): void {
    for (const [hash, token] of Object.entries(d.tokens)) {
        if (token.expiresAt < now) {
            delete d.tokens[hash];
        }
    }
}

/**
 * True when the engine has nothing more to do with the case, so the store may delete it
 * `retentionDays` after its last activity (DynamoDB TTL, `expiresAt`): a RESOLVED case, or an
 * incident whose alert has resolved at the source, with no obligation or claim left.
 * An incident counts once its alert resolved because the engine's part ends there: the OpsItem is
 * the incident's record and lives on in OpsCenter until people close it, and an alert firing
 * again after the case is gone opens a new case that finds that OpsItem through its dedup string.
 * An incident whose alert is still firing (or whose source never resolves, like GuardDuty) and
 * every case still NEW or AWAITING_CUSTOMER is kept: deleting it would lose its history and
 * treat the next repeat as a new alert.
 */
export function engineDone(record: CaseRecord): boolean {
    const closed = record.state === "RESOLVED" || (record.state === "INCIDENT_OPEN" && record.sourceStatus === "resolved");
    return closed && obligations(record).length === 0 && Object.keys(record.claims).length === 0;
}

/** Completes a draft for writing: version, due time, expiry (closed cases only), history bound. */
export function finalize(d: Draft, previous: CaseRecord, settings: Settings, now: string): CaseRecord {
    d.version = previous.version + 1;
    d.lastSeen = later(d.lastSeen, now) ?? now;
    pruneTokens(d, now);
    const dues = Object.values(d.claims).map((c) => c.until);
    if (d.state === "AWAITING_CUSTOMER" && d.replyDeadline) {
        dues.push(d.replyDeadline);
    }
    d.dueAt = dues.length > 0 ? dues.sort()[0] : undefined;
    if (engineDone(d)) {
        const tokenExpiry = Object.values(d.tokens)
            .map((t) => t.expiresAt)
            .sort()
            .pop();
        const keepFrom = later(later(now, d.replyDeadline), tokenExpiry) ?? now;
        d.expiresAt = Math.floor(Date.parse(keepFrom) / 1000) + settings.retentionDays * 86400;
    } else {
        delete d.expiresAt;
    }
    if (d.history.length > settings.historyLimit) {
        const drop = d.history.length - settings.historyLimit;
        d.history.splice(0, drop);
        d.historyDropped += drop;
    }
    return d;
}

/** Outcome of a reply link (for the page and the logs). */
export type ReplyOutcome =
    | "confirmed"
    | "late-confirmed"
    | "already-incident"
    | "no-impact"
    | "no-impact-ignored";

export type TokenCheck = { readonly ok: true; readonly action: ReplyAction; readonly episode: number } | { readonly ok: false; readonly reason: "invalid" | "used" };

/** Whether a token (by hash) can act on the case now. Expired and unknown tokens look the same. */
export function checkToken(record: CaseRecord | undefined, hash: string, now: string): TokenCheck {
    const token = record?.tokens[hash];
    if (!token || token.expiresAt < now) {
        return { ok: false, reason: "invalid" };
    }
    if (token.usedAt !== undefined) {
        return { ok: false, reason: "used" };
    }
    return { ok: true, action: token.action, episode: token.episode };
}

/** What applying a reply would do, without doing it (the GET page says it). */
export function previewReply(record: CaseRecord, action: ReplyAction, episode: number): ReplyOutcome {
    if (action === "confirm") {
        return record.state === "INCIDENT_OPEN" ? "already-incident" : record.state === "RESOLVED" ? "late-confirmed" : "confirmed";
    }
    return record.state === "AWAITING_CUSTOMER" && episode === record.episode ? "no-impact" : "no-impact-ignored";
}

/**
 * Applies a reply (token already checked): marks the token used and moves the case. A confirmation
 * opens an incident (also after the deadline: an impact report is never dropped) and claims that
 * work for `claimHolder` (undefined: for the timer function to take over); "no impact" only
 * resolves a case still waiting for this episode's answer. It claims no work: when the deployed
 * reply function (which may not touch timers) records it, the reply timer is left to fire at its
 * deadline, find the case settled and do nothing (`ActionAfterCompletion: DELETE` removes it);
 * an engine allowed to touch timers deletes it after the write (TriageEngine.afterSave).
 */
export function applyReply(
    record: CaseRecord,
    hash: string,
    action: ReplyAction,
    episode: number,
    who: string,
    workClaim: string,
    settings: Settings,
    now: string,
    claimHolder?: string,
): { draft: Draft; outcome: ReplyOutcome } {
    const d = clone(record);
    d.tokens[hash] = { ...d.tokens[hash], usedAt: now };
    const outcome = previewReply(record, action, episode);
    switch (outcome) {
        case "confirmed":
        case "late-confirmed":
            d.state = "INCIDENT_OPEN";
            d.impact = "known";
            d.impactReason = outcome === "late-confirmed" ? "customer confirmed impact after the case was resolved" : "customer confirmed impact";
            d.lateConfirmation = outcome === "late-confirmed" ? true : undefined;
            d.resolution = undefined;
            d.resolvedAt = undefined;
            // Without a holder the claim is left for the timer function (the table's stream, else the sweep).
            d.claims[workClaim] = claimHolder === undefined ? { until: addSeconds(now, settings.claimLeaseSeconds) } : { until: addSeconds(now, settings.claimLeaseSeconds), holder: claimHolder };
            note(d, now, "customer", outcome === "late-confirmed" ? "late-confirmation" : "customer-confirmed", `${who}; opening an incident`);
            break;
        case "already-incident":
            note(d, now, "customer", "customer-confirmed", `${who}; the incident is already open`);
            break;
        case "no-impact":
            resolve(d, "CUSTOMER_NO_IMPACT", now);
            note(d, now, "customer", "customer-no-impact", `${who}; resolved`);
            break;
        case "no-impact-ignored":
            note(d, now, "customer", "customer-no-impact", `${who}; late or superseded reply, nothing changed (${record.state}${record.resolution ? ` ${record.resolution}` : ""})`);
            break;
    }
    return { draft: d, outcome };
}

/** Resolves a case whose reply deadline has passed; undefined when there is nothing to do. */
export function applyTimeout(record: CaseRecord, by: string, now: string): Draft | undefined {
    if (record.state !== "AWAITING_CUSTOMER" || record.replyDeadline === undefined || record.replyDeadline > now) {
        return undefined;
    }
    const d = clone(record);
    resolve(d, "REPLY_TIMEOUT", now);
    note(d, now, by, "reply-timeout", `no reply by ${record.replyDeadline}; notification and alert resolved`);
    return d;
}

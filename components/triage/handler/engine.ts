// The triage engine: runs the lifecycle (lifecycle.ts) against the ports. The same engine runs in
// the Lambda (AWS adapters), in replay (in-memory store, recorders) and in tests (dynalite).
//
// Store requests: a new alert costs two (the conditional upsert that accepts it, then the
// conditional write of the triaged case); a duplicate costs one (the rejected upsert). Side
// effects run between the two, so a crash between them is resumed from the claim by the sweep.
// An alert from AMP's default text body (no source times) first costs a read: it is placed
// against the case (lifecycle.placeUntimed), and a repeat of what the case knows stops there.

import { classifyImpact, ImpactTable } from "./impact";
import {
    applyObservation,
    applyReply,
    applyTimeout,
    caseIdFor,
    checkToken,
    clone,
    Draft,
    Effect,
    EffectResults,
    finalize,
    isPendingReplyWork,
    obligations,
    ObservationKind,
    observationClaimKey,
    othersWorking,
    performedAny,
    placeUntimed,
    previewReply,
    recordEffects,
    REPLY_CLAIM_PREFIX,
    ReplyOutcome,
    Settings,
} from "./lifecycle";
import { Alert, CaseRecord, Claim, ReplyAction, UnparsedMessage } from "./model";
import { InboundMessage, MAX_RAW_BYTES, parseMessage } from "./normalize";
import { newDiagnosticsRequest, reportEvidence, requestDiagnostics } from "./diagnostics/request";
import { CaseStore, Clock, Diagnostics, Evidence, Incidents, Log, NodeDirectory, Notifier, SILENT_LOG, Timers } from "./ports";
import { askNotification, incidentNotification, notificationAttributes, operatorNoticeText, operatorRecoveredText, opsItemText } from "./render";
import { addSeconds, iso } from "./time";
import { clip, clipBytes } from "./text";
import { issueToken, parseToken, replyLink } from "./tokens";

export interface EngineDeps {
    readonly store: CaseStore;
    /** The customer's channel (notifications topic). */
    readonly notifier: Notifier;
    /**
     * The operator's channel (the pipeline topic) for operator notices. Without it an operator
     * notice fails and is retried by a function that has it (the reply function has none).
     */
    readonly operatorNotifier?: Notifier;
    readonly incidents: Incidents;
    readonly timers: Timers;
    readonly clock: Clock;
    readonly impactTable: ImpactTable;
    readonly settings: Settings;
    readonly log?: Log;
    /** Diagnostics for incidents and questions to the customer: requested, never waited for. */
    readonly diagnostics?: Diagnostics;
    readonly nodes?: NodeDirectory;
    /**
     * Record replies without doing the work they claim (incident, notification, reply timer
     * clean-up): the sweep resumes the claim when its lease ends. The deployed reply function is
     * public and may touch only the table.
     */
    readonly deferReplyWork?: boolean;
}

/** What happened to one alert of a message. */
export interface AlertReport {
    readonly key: string;
    readonly caseId: string;
    readonly result: "duplicate" | "not-a-node" | ObservationKind;
    readonly state?: CaseRecord["state"];
    readonly error?: string;
}

/** What happened to one delivered message. */
export interface MessageReport {
    readonly messageId: string;
    readonly outcome: "alerts" | "ignored" | "unparsed";
    readonly alerts: readonly AlertReport[];
    readonly heartbeats: number;
    readonly reason?: string;
    /** Why a message whose alerts were used was also kept raw (AMP's JSON template not applied, alerts not usable). */
    readonly kept?: string;
}

export type ReplyView =
    | { readonly status: "ok"; readonly record: CaseRecord; readonly action: ReplyAction; readonly outcome: ReplyOutcome }
    | { readonly status: "invalid" | "used" };

export type ReplyAnswer =
    | { readonly status: "ok"; readonly record: CaseRecord; readonly outcome: ReplyOutcome }
    | { readonly status: "invalid" | "used" };

export interface SweepReport {
    readonly examined: number;
    readonly timedOut: number;
    readonly resumed: number;
}

/** What following up a case's reply work did: took over and finished it, found none, or found no case. */
export type FollowUpResult = "done" | "nothing" | "missing";

/** Conditional writes lost to concurrent writers before the engine gives up (the caller retries). */
const MAX_CONFLICTS = 8;

/** The case's first claim, by key, that `which` selects. */
function firstClaim(record: CaseRecord, which: (key: string, claim: Claim) => boolean): [string, Claim] | undefined {
    return Object.entries(record.claims)
        .filter(([key, claim]) => which(key, claim))
        .sort(([a], [b]) => (a < b ? -1 : 1))[0];
}

export class ConcurrencyError extends Error {
    constructor(caseId: string) {
        super(`case ${caseId}: gave up after ${MAX_CONFLICTS} conflicting concurrent updates`);
        this.name = "ConcurrencyError";
    }
}

export class TriageEngine {
    private readonly log: Log;

    constructor(private readonly deps: EngineDeps) {
        this.log = deps.log ?? SILENT_LOG;
    }

    private now(): string {
        return iso(this.deps.clock.now());
    }

    private get settings(): Settings {
        return this.deps.settings;
    }

    /** Processes one delivered message. Throws only when the store fails (the message is retried). */
    async ingest(message: InboundMessage): Promise<MessageReport> {
        const parsed = parseMessage(message);
        const now = this.now();
        if (parsed.kind === "ignored") {
            this.log.info("message ignored", { messageId: message.messageId, reason: parsed.reason });
            return { messageId: message.messageId, outcome: "ignored", alerts: [], heartbeats: 0, reason: parsed.reason };
        }
        if (parsed.kind === "unparsed") {
            await this.recordUnparsed(message, parsed.unparsed, now);
            return { messageId: message.messageId, outcome: "unparsed", alerts: [], heartbeats: 0, reason: parsed.unparsed.reason };
        }
        let kept: string | undefined;
        if (parsed.problems.length > 0 || parsed.warnings.length > 0) {
            const raw = clipBytes(message.body, MAX_RAW_BYTES);
            const notUsable = parsed.problems.length > 0 ? [`${parsed.problems.length} alert(s) not usable: ${parsed.problems.join("; ")}`] : [];
            kept = clip([...parsed.warnings, ...notUsable].join("; "), 4000);
            await this.recordUnparsed(
                message,
                {
                    messageId: message.messageId,
                    kind: "parse-failure",
                    reason: kept,
                    raw,
                    rawTruncated: raw.length !== message.body.length,
                    attributes: message.attributes,
                    subject: message.subject,
                    topicArn: message.topicArn,
                },
                now,
            );
        }
        for (const heartbeat of parsed.heartbeats) {
            await this.deps.store.recordHeartbeat({ ...heartbeat, at: heartbeat.at || now });
            this.log.debug("heartbeat", { cluster: heartbeat.cluster, status: heartbeat.status });
        }
        const alerts: AlertReport[] = [];
        for (const alert of parsed.alerts) {
            alerts.push(await this.ingestAlert(alert));
        }
        return { messageId: message.messageId, outcome: "alerts", alerts, heartbeats: parsed.heartbeats.length, ...(kept === undefined ? {} : { kept }) };
    }

    private async recordUnparsed(message: InboundMessage, unparsed: Omit<UnparsedMessage, "receivedAt">, now: string): Promise<void> {
        const expiresAt = Math.floor(Date.parse(now) / 1000) + this.settings.retentionDays * 86400;
        const fresh = await this.deps.store.recordUnparsed({ ...unparsed, receivedAt: message.receivedAt ?? now }, expiresAt);
        // An operator looks at these: error level so an alarm on the log can catch them.
        this.log.error("message kept as unparsed", { messageId: message.messageId, kind: unparsed.kind, reason: unparsed.reason, alreadyKept: !fresh });
    }

    /** Enriches EC2 alerts with the node's cluster when a node directory is wired. */
    private async withCluster(alert: Alert): Promise<Alert | undefined> {
        if (alert.source !== "ec2" || alert.cluster !== "" || !this.deps.nodes) {
            return alert;
        }
        const instanceId = /:(i-[0-9a-f]+):/.exec(alert.key)?.[1];
        if (!instanceId) {
            return alert;
        }
        try {
            const cluster = await this.deps.nodes.clusterOfInstance(instanceId);
            if (cluster === "") {
                return undefined;
            }
            return cluster === undefined ? alert : { ...alert, cluster, attributes: { ...alert.attributes, cluster } };
        } catch (err) {
            this.log.warn("node lookup failed", { instanceId, error: (err as Error).message });
            return alert;
        }
    }

    /** Processes one normalized alert. */
    async ingestAlert(original: Alert): Promise<AlertReport> {
        const caseId = caseIdFor(original.key);
        let alert = await this.withCluster(original);
        if (!alert) {
            this.log.info("EC2 instance is not a node of an EKS cluster; ignored", { key: original.key });
            return { key: original.key, caseId, result: "not-a-node" };
        }
        const now = this.now();
        if (alert.untimed) {
            const placed = placeUntimed(await this.deps.store.load(caseId), { ...alert, observedAt: alert.observedAt || now });
            if (!placed) {
                this.log.debug("untimed observation adds nothing to the case", { caseId, key: alert.key, status: alert.status });
                return { key: alert.key, caseId, result: "duplicate" };
            }
            alert = placed;
        }
        const accepted = await this.deps.store.observe({ caseId, alert, now, claimUntil: addSeconds(now, this.settings.claimLeaseSeconds) });
        if (accepted.duplicate) {
            this.log.debug("duplicate observation", { caseId, key: alert.key, order: alert.order });
            return { key: alert.key, caseId, result: "duplicate" };
        }
        return this.processAccepted(alert, accepted.record);
    }

    /** Applies an accepted (claimed) observation, performs what it requires, and writes the case. */
    private async processAccepted(alert: Alert, initial: CaseRecord): Promise<AlertReport> {
        const claimKey = observationClaimKey(alert);
        const cls = classifyImpact(alert, this.deps.impactTable);
        const results: EffectResults = {};
        let record = initial;
        for (let attempt = 0; attempt < MAX_CONFLICTS; attempt++) {
            const now = this.now();
            const { draft, kind } = applyObservation(record, alert, cls, this.settings, now);
            if (!othersWorking(draft, undefined, now)) {
                await this.perform(draft, obligations(draft), results);
            }
            const next = this.settle(draft, record, results, now);
            if (await this.deps.store.save(next, record.version)) {
                this.log.info("alert triaged", { caseId: next.caseId, key: next.key, kind, state: next.state, impact: next.impact, cluster: next.cluster });
                await this.afterSave(record, next);
                return { key: alert.key, caseId: next.caseId, result: kind, state: next.state, error: results.failure?.error };
            }
            const reloaded = await this.deps.store.load(record.caseId);
            if (!reloaded) {
                throw new Error(`case ${record.caseId} disappeared while processing ${alert.key}`);
            }
            if (!(claimKey in reloaded.claims) && !performedAny(results)) {
                // Someone else (the sweep) finished this observation.
                return { key: alert.key, caseId: record.caseId, result: "duplicate", state: reloaded.state };
            }
            record = reloaded;
        }
        throw new ConcurrencyError(record.caseId);
    }

    /** Runs the effects the case needs that have not run yet in this operation; stops at the first failure. */
    private async perform(view: Draft, needed: readonly Effect[], results: EffectResults): Promise<void> {
        if (results.failure) {
            return;
        }
        let evidence: readonly Evidence[] | undefined;
        for (const effect of needed) {
            try {
                if (effect === "incident" && results.incident?.episode !== view.episode) {
                    // A report from earlier in the episode (a question before a confirmation) goes along.
                    evidence ??= reportEvidence(view);
                    const text = opsItemText(view, evidence);
                    const opened = await this.deps.incidents.open({
                        dedupKey: view.key,
                        caseId: view.caseId,
                        title: text.title,
                        description: text.description,
                        alert: view.alert as Alert,
                        impact: view.impact ?? "known",
                        impactReason: view.impactReason ?? "",
                        evidence,
                    });
                    results.incident = { ...opened, episode: view.episode };
                    this.log.info(opened.created ? "incident opened" : "incident already open", { caseId: view.caseId, opsItemId: opened.id });
                } else if (effect === "notify-incident" && results.notifyIncident?.episode !== view.episode) {
                    evidence ??= reportEvidence(view);
                    const text = incidentNotification(view, results.incident?.id ?? view.opsItemId, evidence);
                    const messageId = await this.deps.notifier.publish({
                        caseId: view.caseId,
                        kind: "incident",
                        subject: text.subject,
                        body: text.body,
                        attributes: notificationAttributes(view, "incident"),
                    });
                    results.notifyIncident = { messageId, episode: view.episode };
                } else if (effect === "ask" && results.ask?.episode !== view.episode) {
                    if (!this.settings.replyBaseUrl) {
                        // Only the reply function runs without it; the sweep (timer function) retries.
                        throw new Error("cannot ask the customer: REPLY_BASE_URL is not configured for this function");
                    }
                    evidence ??= reportEvidence(view);
                    const confirm = issueToken(view.caseId, "confirm");
                    const noImpact = issueToken(view.caseId, "no-impact");
                    const sentAt = this.now();
                    const deadline = addSeconds(sentAt, this.settings.replyWindowSeconds);
                    const text = askNotification(
                        view,
                        { confirm: replyLink(this.settings.replyBaseUrl, confirm.token), "no-impact": replyLink(this.settings.replyBaseUrl, noImpact.token) },
                        deadline,
                        this.settings.replyWindowSeconds,
                        evidence,
                    );
                    const messageId = await this.deps.notifier.publish({
                        caseId: view.caseId,
                        kind: "ask",
                        subject: text.subject,
                        body: text.body,
                        attributes: notificationAttributes(view, "ask"),
                    });
                    results.ask = {
                        messageId,
                        episode: view.episode,
                        sentAt,
                        tokens: [confirm, noImpact].map((t) => ({ hash: t.hash, action: t.action })),
                    };
                    this.log.info("customer asked", { caseId: view.caseId, deadline });
                } else if (effect === "notify-operator" && results.operatorNotice?.episode !== view.episode) {
                    results.operatorNotice = await this.notifyOperator(view, "operator-notice", operatorNoticeText(view));
                    this.log.info("operator notified", { caseId: view.caseId, rule: view.operatorNotice });
                } else if (effect === "notify-operator-recovered" && results.operatorRecovered?.episode !== view.episode) {
                    results.operatorRecovered = await this.notifyOperator(view, "operator-recovered", operatorRecoveredText(view));
                    this.log.info("operator told the alert recovered", { caseId: view.caseId });
                }
            } catch (err) {
                results.failure = { effect, error: (err as Error).message || String(err) };
                this.log.error(`${effect} failed`, { caseId: view.caseId, error: results.failure.error });
                return;
            }
        }
    }

    /** Publishes an operator notice (or its recovery) to the pipeline topic. */
    private async notifyOperator(
        view: Draft,
        kind: "operator-notice" | "operator-recovered",
        text: { subject: string; body: string },
    ): Promise<{ messageId: string; episode: number }> {
        if (!this.deps.operatorNotifier) {
            // Only the reply function runs without it; the sweep (timer function) retries.
            throw new Error("cannot notify the operator: OPERATOR_TOPIC_ARN is not configured for this function");
        }
        const messageId = await this.deps.operatorNotifier.publish({
            caseId: view.caseId,
            kind,
            subject: text.subject,
            body: text.body,
            attributes: notificationAttributes(view, kind),
        });
        return { messageId, episode: view.episode };
    }

    /** Records what this operation performed (and, with diagnostics, their request) and completes the draft for writing. */
    private settle(draft: Draft, previous: CaseRecord, results: EffectResults, now: string): CaseRecord {
        recordEffects(draft, results, this.settings, now);
        if (this.deps.diagnostics) {
            requestDiagnostics(draft, results, now);
        }
        return finalize(draft, previous, this.settings, now);
    }

    /**
     * Takes `key`'s claim over for `holder` (a fresh lease) with a conditional write, so that a
     * concurrent sweep or follow-up does not repeat the work; undefined when another writer won.
     */
    private async takeOver(record: CaseRecord, key: string, claim: Claim, holder: string, now: string): Promise<CaseRecord | undefined> {
        const draft = clone(record);
        draft.claims[key] = { ...claim, until: addSeconds(now, this.settings.claimLeaseSeconds), holder };
        const taken = finalize(draft, record, this.settings, now);
        return (await this.deps.store.save(taken, record.version)) ? taken : undefined;
    }

    /**
     * Timers follow the state: create when waiting starts, delete (best effort) when it ends. A new
     * diagnostics request is handed over once the case that carries it is written.
     */
    private async afterSave(previous: CaseRecord, next: CaseRecord): Promise<void> {
        if (this.deps.diagnostics && newDiagnosticsRequest(previous, next)) {
            try {
                await this.deps.diagnostics.requested(next.caseId);
            } catch (err) {
                // The request stays on the case; the diagnostics function's stream picks it up.
                this.log.warn("diagnostics not run", { caseId: next.caseId, error: (err as Error).message });
            }
        }
        if (previous.state !== "AWAITING_CUSTOMER" && next.state === "AWAITING_CUSTOMER" && next.scheduleName && next.replyDeadline) {
            try {
                await this.deps.timers.schedule(next.scheduleName, next.replyDeadline, { kind: "reply-timeout", caseId: next.caseId, deadline: next.replyDeadline });
            } catch (err) {
                // The sweep resolves the case at its deadline anyway.
                this.log.warn("reply timer not created; the sweep will resolve the case", { caseId: next.caseId, error: (err as Error).message });
            }
        }
        if (previous.state === "AWAITING_CUSTOMER" && next.state !== "AWAITING_CUSTOMER" && previous.scheduleName) {
            try {
                await this.deps.timers.cancel(previous.scheduleName);
            } catch (err) {
                // A stale timer finds the case no longer waiting and does nothing.
                this.log.warn("reply timer not deleted", { caseId: next.caseId, error: (err as Error).message });
            }
        }
    }

    /**
     * Performs the obligations of a case on behalf of `workClaim` (held by `holder`), then releases
     * the claim. Stops early when someone else has taken the claim over before this did anything.
     */
    private async fulfil(initial: CaseRecord, workClaim: string, holder: string | undefined): Promise<CaseRecord> {
        const results: EffectResults = {};
        let record = initial;
        for (let attempt = 0; attempt < MAX_CONFLICTS; attempt++) {
            const now = this.now();
            const draft = clone(record);
            if (!othersWorking(draft, workClaim, now)) {
                await this.perform(draft, obligations(draft), results);
            }
            delete draft.claims[workClaim];
            const next = this.settle(draft, record, results, now);
            if (await this.deps.store.save(next, record.version)) {
                await this.afterSave(record, next);
                return next;
            }
            const reloaded = await this.deps.store.load(record.caseId);
            if (!reloaded) {
                throw new Error(`case ${record.caseId} disappeared`);
            }
            if (!performedAny(results) && (!(workClaim in reloaded.claims) || reloaded.claims[workClaim].holder !== holder)) {
                return reloaded;
            }
            record = reloaded;
        }
        throw new ConcurrencyError(record.caseId);
    }

    // ---- replies ------------------------------------------------------------------------------

    /** GET: what the link would do; changes nothing. */
    async viewReply(token: string): Promise<ReplyView> {
        const parsed = parseToken(token);
        if (!parsed) {
            return { status: "invalid" };
        }
        const record = await this.deps.store.load(parsed.caseId);
        const check = checkToken(record, parsed.hash, this.now());
        if (!check.ok || !record) {
            return { status: check.ok ? "invalid" : check.reason };
        }
        return { status: "ok", record, action: check.action, outcome: previewReply(record, check.action, check.episode) };
    }

    /** POST: applies the link's action once. `who` describes the requester for the history. */
    async answerReply(token: string, who: string): Promise<ReplyAnswer> {
        const parsed = parseToken(token);
        if (!parsed) {
            return { status: "invalid" };
        }
        for (let attempt = 0; attempt < MAX_CONFLICTS; attempt++) {
            const now = this.now();
            const record = await this.deps.store.load(parsed.caseId);
            const check = checkToken(record, parsed.hash, now);
            if (!check.ok || !record) {
                return { status: check.ok ? "invalid" : check.reason };
            }
            const workClaim = `${REPLY_CLAIM_PREFIX}${parsed.hash.slice(0, 12)}`;
            // Deferred, the claim has no holder: the timer function takes it over (table stream, else sweep).
            const holder = this.deps.deferReplyWork ? undefined : "reply";
            const { draft, outcome } = applyReply(record, parsed.hash, check.action, check.episode, who, workClaim, this.settings, now, holder);
            const next = finalize(draft, record, this.settings, now);
            if (!(await this.deps.store.save(next, record.version))) {
                continue;
            }
            this.log.info("reply applied", { caseId: record.caseId, action: check.action, outcome, tokenHash: parsed.hash.slice(0, 12) });
            if (this.deps.deferReplyWork) {
                // A claimed confirmation goes to the timer function, which also deletes the reply timer. After a
                // "no impact" nothing is left to do: the timer fires at its deadline, finds the case settled and
                // does nothing (a follow-up invocation and two writes per answer to delete it early buy nothing).
                return { status: "ok", record: next, outcome };
            }
            await this.afterSave(record, next);
            if (workClaim in next.claims) {
                return { status: "ok", record: await this.fulfil(next, workClaim, holder), outcome };
            }
            return { status: "ok", record: next, outcome };
        }
        throw new ConcurrencyError(parsed.caseId);
    }

    /**
     * Does the work replies left on a case (the deployed reply function only records the answer):
     * takes each such claim over with a conditional write, then performs what the case needs.
     * The timer function runs it for the table's stream records; idempotent with the sweep, which
     * takes over the same claims once their lease has run out.
     */
    async followUpReplies(caseId: string): Promise<FollowUpResult> {
        let record = await this.deps.store.load(caseId);
        if (!record) {
            return "missing";
        }
        let done = 0;
        // Bounded: each round finishes a claim or loses it to a concurrent writer.
        for (let round = 0; record && round < MAX_CONFLICTS; round++) {
            const pending = firstClaim(record, isPendingReplyWork);
            if (!pending) {
                break;
            }
            const [key, claim] = pending;
            const taken = await this.takeOver(record, key, claim, "stream", this.now());
            if (!taken) {
                record = await this.deps.store.load(caseId);
                continue;
            }
            this.log.info("following up a reply", { caseId, claim: key });
            await this.dropReplyTimer(await this.fulfil(taken, key, "stream"));
            done++;
            record = await this.deps.store.load(caseId);
        }
        return done > 0 ? "done" : "nothing";
    }

    /**
     * Deletes the reply timer a reply made moot (best effort). The deployed reply function may not
     * touch timers, so whoever does a reply's work for it deletes the timer.
     */
    private async dropReplyTimer(record: CaseRecord): Promise<void> {
        if (record.state === "AWAITING_CUSTOMER" || !record.scheduleName) {
            return;
        }
        try {
            await this.deps.timers.cancel(record.scheduleName);
        } catch (err) {
            // A stale timer finds the case no longer waiting and does nothing.
            this.log.warn("reply timer not deleted", { caseId: record.caseId, error: (err as Error).message });
        }
    }

    // ---- timers -------------------------------------------------------------------------------

    /** Resolves the case if it is still waiting past its deadline. Idempotent. */
    async timeout(caseId: string, by: "timer" | "sweep" = "timer"): Promise<"resolved" | "not-due" | "missing"> {
        for (let attempt = 0; attempt < MAX_CONFLICTS; attempt++) {
            const now = this.now();
            const record = await this.deps.store.load(caseId);
            if (!record) {
                return "missing";
            }
            const draft = applyTimeout(record, by, now);
            if (!draft) {
                return "not-due";
            }
            const next = finalize(draft, record, this.settings, now);
            if (await this.deps.store.save(next, record.version)) {
                this.log.info("reply window over; case resolved", { caseId, by });
                if (by === "sweep") {
                    await this.afterSave(record, next);
                }
                return "resolved";
            }
        }
        throw new ConcurrencyError(caseId);
    }

    /** The backstop: resolves overdue cases and resumes work whose claim has gone stale. */
    async sweep(limit = 200): Promise<SweepReport> {
        const now = this.now();
        const ids = await this.deps.store.listDue(now, limit);
        let timedOut = 0;
        let resumed = 0;
        for (const caseId of ids) {
            try {
                if ((await this.timeout(caseId, "sweep")) === "resolved") {
                    timedOut++;
                }
                resumed += await this.resumeStale(caseId);
            } catch (err) {
                this.log.error("sweep could not finish a case", { caseId, error: (err as Error).message });
            }
        }
        this.log.info("sweep done", { examined: ids.length, timedOut, resumed });
        return { examined: ids.length, timedOut, resumed };
    }

    private async resumeStale(caseId: string): Promise<number> {
        let resumed = 0;
        let record = await this.deps.store.load(caseId);
        // Bounded: each round finishes or re-times one claim.
        for (let round = 0; record && round < 16; round++) {
            const now = this.now();
            const stale = firstClaim(record, (_, claim) => claim.until <= now);
            if (!stale) {
                return resumed;
            }
            const [key, claim] = stale;
            // Take the claim over first, so a concurrent sweep does not repeat the work.
            const taken = await this.takeOver(record, key, claim, "sweep", now);
            if (!taken) {
                record = await this.deps.store.load(caseId);
                continue;
            }
            this.log.info("resuming stale work", { caseId, claim: key });
            resumed++;
            if (key.startsWith("obs|") && claim.alert) {
                await this.processAccepted(claim.alert, taken);
            } else {
                const next = await this.fulfil(taken, key, "sweep");
                if (key.startsWith(REPLY_CLAIM_PREFIX)) {
                    await this.dropReplyTimer(next);
                }
            }
            record = await this.deps.store.load(caseId);
        }
        return resumed;
    }
}

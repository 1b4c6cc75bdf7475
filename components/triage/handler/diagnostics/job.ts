// A diagnostics run for one case, from the request the engine recorded to the report on the case:
//   1. take the run's lease (`diag|run` claim) with a conditional write, counting the attempt;
//   2. run the checks and queries within the budget (runner.ts);
//   3. send the follow-up notification and update the incident's OpsItem, if the case is still
//      where the request found it;
//   4. write the report to the case (conditional, retried on conflicts), release the lease and
//      clear the pending marker, unless a newer request arrived meanwhile (then the stream
//      brings the case back for it).
// Every write goes through the same store and `finalize` as the engine's.

import { randomUUID } from "node:crypto";
import { clone, finalize, Settings } from "../lifecycle";
import { CaseRecord } from "../model";
import { CaseStore, Clock, Log, Notifier, SILENT_LOG } from "../ports";
import { notificationAttributes } from "../render";
import { addSeconds, iso } from "../time";
import { OpsItemUpdates } from "./opsItems";
import { followUpNotification, opsItemDiagnostics } from "./render";
import { boundReport, DiagnosticsReport, DiagnosticsRequestState, makeReport, notChecked } from "./report";
import { DIAGNOSTICS_PENDING, DIAGNOSTICS_RUN_CLAIM, MAX_DIAGNOSTICS_ATTEMPTS, sameRequest } from "./request";
import { runDiagnostics, RunnerDeps } from "./runner";

export interface DiagnosticsJobDeps {
    readonly store: CaseStore;
    /** The customer's channel (the notifications topic) for the follow-up; none: no follow-up. */
    readonly notifier?: Notifier;
    /** OpsItem updates; none: the OpsItem is left as it is. */
    readonly opsItems?: OpsItemUpdates;
    /** Everything the run needs but the clock. */
    readonly runner: Omit<RunnerDeps, "now">;
    readonly clock: Clock;
    /** The engine's settings (history bound, retention) for the writes. */
    readonly settings: Settings;
    /** How long a run owns the case's diagnostics; above the function's timeout. */
    readonly leaseSeconds: number;
    readonly log?: Log;
}

/** What a job did with a case. */
export type JobResult = "done" | "nothing" | "running-elsewhere" | "missing" | "given-up";

/** Conditional writes lost to concurrent writers before the job gives up (the caller retries). */
const MAX_CONFLICTS = 8;

/** The request a manual re-run makes for the case's current episode. */
function rerunRequest(record: CaseRecord, now: string): DiagnosticsRequestState {
    return { episode: record.episode, reason: record.state === "INCIDENT_OPEN" ? "incident" : "notification", requestedAt: now, attempts: 0 };
}

export class DiagnosticsJob {
    private readonly log: Log;

    constructor(private readonly deps: DiagnosticsJobDeps) {
        this.log = deps.log ?? SILENT_LOG;
    }

    private now(): string {
        return iso(this.deps.clock.now());
    }

    /**
     * Runs the case's pending diagnostics request, if any and nobody else is. With `rerun`, makes
     * a new request for the current episode first (an operator's manual re-run).
     * Throws only when the store fails (the stream record is retried).
     */
    async run(caseId: string, options: { rerun?: boolean } = {}): Promise<JobResult> {
        const runId = randomUUID();
        let taken: { record: CaseRecord; request: DiagnosticsRequestState } | undefined;
        for (let attempt = 0; attempt < MAX_CONFLICTS && !taken; attempt++) {
            const record = await this.deps.store.load(caseId);
            if (!record) {
                return "missing";
            }
            const now = this.now();
            const lease = record.claims[DIAGNOSTICS_RUN_CLAIM];
            if (lease && lease.until > now) {
                this.log.info("diagnostics already running", { caseId, holder: lease.holder, until: lease.until });
                return "running-elsewhere";
            }
            const draft = clone(record);
            if (options.rerun) {
                draft.diagnosticsRequest = rerunRequest(record, now);
                draft.diagnosticsWork = DIAGNOSTICS_PENDING;
                draft.history.push({ at: now, by: "operator", event: "diagnostics-requested", detail: "manual re-run" });
            }
            const request = draft.diagnosticsRequest;
            if (draft.diagnosticsWork !== DIAGNOSTICS_PENDING || !request) {
                return "nothing";
            }
            if (request.attempts >= MAX_DIAGNOSTICS_ATTEMPTS) {
                await this.complete(caseId, request, this.givenUp(record, request), undefined);
                return "given-up";
            }
            draft.diagnosticsRequest = { ...request, attempts: request.attempts + 1 };
            draft.claims[DIAGNOSTICS_RUN_CLAIM] = { until: addSeconds(now, this.deps.leaseSeconds), holder: `diagnostics:${runId}` };
            const next = finalize(draft, record, this.deps.settings, now);
            if (await this.deps.store.save(next, record.version)) {
                taken = { record: next, request: draft.diagnosticsRequest };
            }
        }
        if (!taken) {
            throw new Error(`case ${caseId}: gave up taking the diagnostics lease after ${MAX_CONFLICTS} conflicting updates`);
        }
        const { record, request } = taken;
        this.log.info("diagnostics started", { caseId, episode: request.episode, reason: request.reason, attempt: request.attempts });
        let report: DiagnosticsReport;
        if (!record.alert) {
            report = this.emptyReport(record, request, "the case holds no alert to diagnose");
        } else {
            try {
                report = await runDiagnostics(
                    { alert: record.alert, cluster: record.cluster, episode: request.episode, reason: request.reason, requestedAt: request.requestedAt },
                    { ...this.deps.runner, now: () => this.now() },
                );
            } catch (err) {
                // The runner reports failed checks itself; this is a bug or an unexpected answer.
                this.log.error("diagnostics run failed", { caseId, error: (err as Error).message });
                report = this.emptyReport(record, request, `the run failed: ${(err as Error).message}`);
            }
        }
        const bounded = boundReport(report);
        const delivered = await this.deliver(caseId, bounded);
        await this.complete(caseId, request, { ...bounded, delivery: delivered }, runId);
        this.log.info("diagnostics done", { caseId, outcome: bounded.outcome, checks: bounded.checks.length, notified: delivered.notificationMessageId !== undefined, opsItem: delivered.opsItemId });
        return "done";
    }

    private emptyReport(record: CaseRecord, request: DiagnosticsRequestState, reason: string): DiagnosticsReport {
        const now = this.now();
        return makeReport(request, { startedAt: now, finishedAt: now, budgetMs: this.deps.runner.budgetMs, cluster: record.cluster }, record.alert, [
            notChecked("diagnostics", "Diagnostics", "eks", "failed", reason),
        ]);
    }

    private givenUp(record: CaseRecord, request: DiagnosticsRequestState): DiagnosticsReport {
        return {
            ...this.emptyReport(record, request, `the diagnostics did not finish in ${request.attempts} attempt(s) (the function stopped before writing its report; see the diagnostics function's log group and dead-letter queue)`),
            delivery: { problems: ["no follow-up: the diagnostics never finished"] },
        };
    }

    /** Sends the follow-up and updates the OpsItem when the case is still where the request found it. */
    private async deliver(caseId: string, report: DiagnosticsReport): Promise<NonNullable<DiagnosticsReport["delivery"]>> {
        const problems: string[] = [];
        const record = await this.deps.store.load(caseId);
        if (!record) {
            return { problems: ["the case disappeared"] };
        }
        if (record.episode !== report.episode) {
            return { problems: [`not sent: the case is at episode ${record.episode} now`] };
        }
        let notificationMessageId: string | undefined;
        const wanted = report.reason === "incident" ? "INCIDENT_OPEN" : "AWAITING_CUSTOMER";
        if (record.state !== wanted) {
            problems.push(`follow-up not sent: the case is ${record.state} now, not ${wanted}`);
        } else if (!this.deps.notifier) {
            problems.push("follow-up not sent: no notifications topic is configured");
        } else {
            const text = followUpNotification(record, report);
            try {
                notificationMessageId = await this.deps.notifier.publish({
                    caseId,
                    kind: "diagnostics",
                    subject: text.subject,
                    body: text.body,
                    attributes: notificationAttributes(record, "diagnostics"),
                });
            } catch (err) {
                problems.push(`follow-up not sent: ${(err as Error).message}`);
            }
        }
        let opsItemId: string | undefined;
        if (record.state === "INCIDENT_OPEN" && record.opsItemId && record.incidentEpisode === report.episode) {
            if (!this.deps.opsItems) {
                problems.push("OpsItem not updated: no OpsItem access is configured");
            } else {
                try {
                    await this.deps.opsItems.attach(record.opsItemId, opsItemDiagnostics(record, report));
                    opsItemId = record.opsItemId;
                } catch (err) {
                    problems.push(`OpsItem ${record.opsItemId} not updated: ${(err as { name?: string }).name ?? "Error"}: ${(err as Error).message}`);
                }
            }
        }
        return { ...(notificationMessageId ? { notificationMessageId } : {}), ...(opsItemId ? { opsItemId } : {}), problems };
    }

    /** Writes the report, releases this run's lease and clears the marker if no newer request came. */
    private async complete(caseId: string, request: DiagnosticsRequestState, report: DiagnosticsReport, runId: string | undefined): Promise<void> {
        for (let attempt = 0; attempt < MAX_CONFLICTS; attempt++) {
            const record = await this.deps.store.load(caseId);
            if (!record) {
                return;
            }
            const now = this.now();
            const draft = clone(record);
            draft.diagnostics = report;
            const lease = draft.claims[DIAGNOSTICS_RUN_CLAIM];
            if (lease && (runId === undefined ? lease.until <= now : lease.holder === `diagnostics:${runId}`)) {
                delete draft.claims[DIAGNOSTICS_RUN_CLAIM];
            }
            const same = sameRequest(draft.diagnosticsRequest, request);
            if (same) {
                delete draft.diagnosticsWork;
            }
            const found = report.checks.filter((c) => c.outcome === "found").length;
            const sent = report.delivery?.notificationMessageId ? `; follow-up sent (SNS message ${report.delivery.notificationMessageId})` : "";
            const ops = report.delivery?.opsItemId ? `; OpsItem ${report.delivery.opsItemId} updated` : "";
            const problems = report.delivery?.problems.length ? `; ${report.delivery.problems.join("; ")}` : "";
            draft.history.push({
                at: now,
                by: "diagnostics",
                event: "diagnostics",
                detail: `${report.outcome}: ${report.checks.length} check(s), ${found} found something${sent}${ops}${problems}${same ? "" : "; a newer request is pending"}`,
            });
            const next = finalize(draft, record, this.deps.settings, now);
            if (await this.deps.store.save(next, record.version)) {
                return;
            }
        }
        throw new Error(`case ${caseId}: gave up writing the diagnostics report after ${MAX_CONFLICTS} conflicting updates`);
    }
}

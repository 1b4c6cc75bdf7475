// How the engine asks for diagnostics without waiting for them: in the same conditional write that
// records an opened incident or a question to the customer, the case gets a diagnostics request
// and the marker `diagnosticsWork: "pending"`. The case table's stream brings items with that
// marker to the diagnostics function (DIAGNOSTICS_WORK_FILTER), which runs the checks within its
// budget and writes the report back, removing the marker. Triage itself never waits.
//
// A run holds the claim `diag|run` (a lease) while it works: other deliveries of the same item
// skip the case, and a run that died leaves a stale claim that the engine's sweep clears, which
// writes the item again with the marker still set, so the stream brings it back.

import type { Draft, EffectResults } from "../lifecycle";
import type { CaseRecord } from "../model";
import type { DiagnosticsReason, DiagnosticsReport, DiagnosticsRequestState } from "./report";
import type { Evidence } from "../ports";

/** The case attribute the diagnostics mapping's filter matches on. */
export const DIAGNOSTICS_WORK_ATTRIBUTE = "diagnosticsWork";
export const DIAGNOSTICS_PENDING = "pending";

/**
 * The event filter of the diagnostics function's stream mapping (a Lambda filter pattern, as the
 * mapping's FilterCriteria takes it after JSON.stringify): only new images of cases with a pending
 * diagnostics request. Removing the marker when the report is written ends the loop.
 */
export const DIAGNOSTICS_WORK_FILTER = { dynamodb: { NewImage: { [DIAGNOSTICS_WORK_ATTRIBUTE]: { S: [DIAGNOSTICS_PENDING] } } } } as const;

/** The claim a diagnostics run holds while it works (not `work|…`: it never holds up triage's own work). */
export const DIAGNOSTICS_RUN_CLAIM = "diag|run";

/** Runs started for one request before the request is given up with a failed report. */
export const MAX_DIAGNOSTICS_ATTEMPTS = 3;

/** Why an effect that just happened calls for diagnostics, if it does. */
function reasonFor(d: Draft, results: EffectResults): DiagnosticsReason | undefined {
    if (results.incident?.episode === d.episode || results.notifyIncident?.episode === d.episode) {
        return "incident";
    }
    if (results.ask?.episode === d.episode) {
        return "notification";
    }
    return undefined;
}

/**
 * Records a diagnostics request on the case when this operation opened an incident (or sent its
 * notification) or asked the customer, unless the same episode already has a request for the same
 * reason. Returns whether it did. Pure: the engine calls it before its conditional write.
 */
export function requestDiagnostics(d: Draft, results: EffectResults, now: string): boolean {
    const reason = reasonFor(d, results);
    if (reason === undefined) {
        return false;
    }
    const current = d.diagnosticsRequest;
    if (current && current.episode === d.episode && current.reason === reason) {
        return false;
    }
    d.diagnosticsRequest = { episode: d.episode, reason, requestedAt: now, attempts: 0 };
    d.diagnosticsWork = DIAGNOSTICS_PENDING;
    d.history.push({ at: now, by: "engine", event: "diagnostics-requested", detail: `read-only checks and log queries for the ${reason === "incident" ? "incident" : "question to the customer"} (episode ${d.episode}); the report follows` });
    return true;
}

/** Whether two requests are the same one (episode, reason and time). */
export function sameRequest(a: DiagnosticsRequestState | undefined, b: DiagnosticsRequestState | undefined): boolean {
    return a !== undefined && b !== undefined && a.episode === b.episode && a.reason === b.reason && a.requestedAt === b.requestedAt;
}

/** True when `next` carries a request that `previous` did not (the engine then hands it over). */
export function newDiagnosticsRequest(previous: CaseRecord, next: CaseRecord): boolean {
    return next.diagnosticsWork === DIAGNOSTICS_PENDING && next.diagnosticsRequest !== undefined && !sameRequest(next.diagnosticsRequest, previous.diagnosticsRequest);
}

/**
 * The evidence of the case's report for its current episode, for the notifications and the OpsItem
 * the engine sends later in the same episode (a confirmed incident after a question, for example).
 */
export function reportEvidence(record: Pick<CaseRecord, "episode" | "diagnostics">): Evidence[] {
    const report: DiagnosticsReport | undefined = record.diagnostics;
    if (!report || report.episode !== record.episode) {
        return [];
    }
    return report.checks
        .filter((c) => c.outcome === "found" || c.outcome === "ok")
        .map((c) => ({ title: c.title, body: [c.summary, ...c.lines.slice(0, 12)].join("\n") }));
}

/** The parts of a stream record the diagnostics function reads (attribute values as DynamoDB JSON). */
export interface DiagnosticsStreamImage {
    readonly Keys?: Readonly<Record<string, { readonly S?: string }>>;
    readonly NewImage?: Readonly<Record<string, { readonly S?: string }>>;
}

/** Case items are keyed `pk: case#<caseId>`, `sk: case` (dynamoStore.ts). */
const CASE_PK = /^case#(.+)$/;

/** The case id of a stream record whose new image is a case with pending diagnostics, else undefined. */
export function diagnosticsWorkCaseId(change: DiagnosticsStreamImage | undefined): string | undefined {
    const pk = CASE_PK.exec(change?.Keys?.pk?.S ?? "");
    if (!pk || change?.Keys?.sk?.S !== "case" || change?.NewImage?.[DIAGNOSTICS_WORK_ATTRIBUTE]?.S !== DIAGNOSTICS_PENDING) {
        return undefined;
    }
    return pk[1];
}

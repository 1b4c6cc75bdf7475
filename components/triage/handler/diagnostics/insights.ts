// CloudWatch Logs Insights on the cluster's control-plane log group: the level's queries are
// started together, polled until they complete or the budget runs out (then stopped), and their
// rows rendered into the report. Queries that cannot run say why (log type off, no permission,
// log group missing, account query limit).

import { CloudWatchLogsClient, GetQueryResultsCommand, StartQueryCommand, StopQueryCommand } from "@aws-sdk/client-cloudwatch-logs";
import { Deadline, DeadlineExceeded } from "./budget";
import { oneLine } from "./kubernetes";
import { CONTROL_PLANE_STREAMS, QueryDefinition, QueryParameters, queryWindow, renderQuery } from "./queries";
import { CheckResult, notChecked } from "./report";

export interface StartQueryInput {
    /** Which query this is (`<level>/<id>`), for logs and recorded answers; not sent to AWS. */
    readonly name?: string;
    readonly logGroupName: string;
    /** Epoch seconds. */
    readonly startTime: number;
    readonly endTime: number;
    readonly queryString: string;
    readonly limit: number;
}

export interface QueryResults {
    /** Scheduled, Running, Complete, Failed, Cancelled, Timeout or Unknown. */
    readonly status: string;
    readonly results: readonly (readonly { readonly field?: string; readonly value?: string }[])[];
    readonly statistics?: { readonly recordsMatched?: number; readonly recordsScanned?: number; readonly bytesScanned?: number };
}

/** The Logs Insights calls the queries need (StartQuery, GetQueryResults, StopQuery). */
export interface LogsInsights {
    /** Resolves with the query id; throws the service's error (its `name` says which). */
    startQuery(input: StartQueryInput): Promise<string>;
    getQueryResults(queryId: string): Promise<QueryResults>;
    stopQuery(queryId: string): Promise<void>;
}

export class CloudWatchLogsInsights implements LogsInsights {
    constructor(private readonly client: CloudWatchLogsClient) {}

    async startQuery(input: StartQueryInput): Promise<string> {
        const { logGroupName, startTime, endTime, queryString, limit } = input;
        const out = await this.client.send(new StartQueryCommand({ logGroupName, startTime, endTime, queryString, limit }));
        if (!out.queryId) {
            throw new Error("StartQuery returned no queryId");
        }
        return out.queryId;
    }

    async getQueryResults(queryId: string): Promise<QueryResults> {
        const out = await this.client.send(new GetQueryResultsCommand({ queryId }));
        return { status: out.status ?? "Unknown", results: out.results ?? [], statistics: out.statistics };
    }

    async stopQuery(queryId: string): Promise<void> {
        await this.client.send(new StopQueryCommand({ queryId }));
    }
}

/** The control-plane log type (DescribeCluster's logging types) each log stream prefix belongs to. */
const STREAM_LOG_TYPE: Readonly<Record<(typeof CONTROL_PLANE_STREAMS)[number], string | undefined>> = {
    "kube-apiserver-audit": "audit",
    "kube-apiserver": "api",
    "authenticator": "authenticator",
    "kube-controller-manager": "controllerManager",
    "kube-scheduler": "scheduler",
    // Written whenever the API log type is on.
    "cloud-controller-manager": "api",
};

/** The stream prefixes, longest first: kube-apiserver-audit before kube-apiserver. */
const STREAMS_LONGEST_FIRST = [...CONTROL_PLANE_STREAMS].sort((a, b) => b.length - a.length);

/** The log types a query reads, from its @logStream filter. */
export function logTypesOf(query: string): string[] {
    const types = new Set<string>();
    for (const m of query.matchAll(/@logStream\s+like\s+\/\^([a-z-]+)/g)) {
        const stream = STREAMS_LONGEST_FIRST.find((s) => m[1].startsWith(s));
        const type = stream ? STREAM_LOG_TYPE[stream] : undefined;
        if (type) {
            types.add(type);
        }
    }
    return [...types];
}

/** A service error as a check outcome and reason. */
export function describeLogsError(err: unknown, logGroup: string): { outcome: "denied" | "failed"; reason: string } {
    const name = (err as { name?: string })?.name ?? "Error";
    const message = oneLine((err as Error)?.message ?? String(err), 300);
    switch (name) {
        case "AccessDeniedException":
            return { outcome: "denied", reason: `not allowed to query ${logGroup} (AccessDeniedException): ${message}` };
        case "ResourceNotFoundException":
            return { outcome: "failed", reason: `the log group ${logGroup} does not exist: control-plane logging is off for the cluster, or the group was deleted` };
        case "LimitExceededException":
            return { outcome: "failed", reason: `the account runs as many Logs Insights queries as it may at once; try again later (${message})` };
        case "MalformedQueryException":
            return { outcome: "failed", reason: `CloudWatch Logs refused the query as malformed; fix it in rules/diagnostics (${message})` };
        default:
            return { outcome: "failed", reason: `${name}: ${message}` };
    }
}

/** Rows as lines: a header of field names, then one line per row (`@ptr` left out). */
export function resultLines(results: QueryResults["results"], maxRows: number): { lines: string[]; rows: number } {
    const rows = results.map((row) => row.filter((f) => f.field !== "@ptr"));
    const fields = [...new Set(rows.flatMap((r) => r.map((f) => f.field ?? "")))];
    if (rows.length === 0) {
        return { lines: [], rows: 0 };
    }
    const lines = [oneLine(fields.join(" | "), 400)];
    for (const row of rows.slice(0, maxRows)) {
        const byField = new Map(row.map((f) => [f.field ?? "", f.value ?? ""]));
        lines.push(oneLine(fields.map((f) => byField.get(f) ?? "").join(" | "), 400));
    }
    return { lines, rows: rows.length };
}

export interface QueryRun {
    readonly level: string;
    readonly def: QueryDefinition;
}

export interface QueryContext {
    readonly logs: LogsInsights;
    readonly deadline: Deadline;
    readonly logGroup: string;
    /** Log types the cluster has on, when known. */
    readonly enabledLogTypes?: readonly string[];
    readonly alert: { readonly startsAt?: string; readonly endsAt?: string };
    readonly parameters: QueryParameters;
    /** Now (ISO), the end of the windows. */
    readonly now: string;
    /** Milliseconds between polls. */
    readonly pollMs?: number;
}

/** Rows a query shows in the report. */
export const MAX_ROWS = 20;

/** Starts the queries, waits for them within the deadline, and reports each. */
export async function runQueries(ctx: QueryContext, runs: readonly QueryRun[]): Promise<CheckResult[]> {
    const pending: { run: QueryRun; id: string; title: string; queryId: string; window: string }[] = [];
    const results = new Map<string, CheckResult>();
    const order = runs.map((r) => `logs:${r.level}/${r.def.id}`);
    for (const run of runs) {
        const id = `logs:${run.level}/${run.def.id}`;
        const title = run.def.title;
        const rendered = renderQuery(run.def, ctx.parameters);
        if (!rendered.ok) {
            results.set(id, notChecked(id, title, "logs-insights", "skipped", rendered.reason));
            continue;
        }
        const off = ctx.enabledLogTypes ? logTypesOf(run.def.query).filter((t) => !ctx.enabledLogTypes?.includes(t)) : [];
        if (off.length > 0) {
            results.set(id, notChecked(id, title, "logs-insights", "skipped", `the cluster's control-plane log type ${off.join(" and ")} is off, so there is nothing to query`));
            continue;
        }
        const { startTime, endTime } = queryWindow(run.def, ctx.alert, ctx.now);
        const window = `${new Date(startTime * 1000).toISOString()} to ${new Date(endTime * 1000).toISOString()}`;
        try {
            const queryId = await ctx.deadline.race(
                ctx.logs.startQuery({ name: `${run.level}/${run.def.id}`, logGroupName: ctx.logGroup, startTime, endTime, queryString: rendered.queryString, limit: run.def.limit }),
                `StartQuery ${id}`,
            );
            pending.push({ run, id, title, queryId, window });
        } catch (err) {
            if (err instanceof DeadlineExceeded) {
                results.set(id, notChecked(id, title, "logs-insights", "timed-out", err.message));
            } else {
                const e = describeLogsError(err, ctx.logGroup);
                results.set(id, notChecked(id, title, "logs-insights", e.outcome, e.reason));
            }
        }
    }
    let waiting = [...pending];
    const poll = ctx.pollMs ?? 1000;
    while (waiting.length > 0) {
        const still: typeof waiting = [];
        for (const q of waiting) {
            try {
                const out = await ctx.deadline.race(ctx.logs.getQueryResults(q.queryId), `GetQueryResults ${q.id}`);
                if (out.status === "Scheduled" || out.status === "Running") {
                    still.push(q);
                    continue;
                }
                if (out.status !== "Complete") {
                    results.set(q.id, notChecked(q.id, q.title, "logs-insights", out.status === "Timeout" ? "timed-out" : "failed", `the query ended ${out.status} (window ${q.window})`));
                    continue;
                }
                const { lines, rows } = resultLines(out.results, MAX_ROWS);
                const stats = out.statistics;
                const scanned = stats ? `; ${stats.recordsMatched ?? 0} of ${stats.recordsScanned ?? 0} log events matched, ${Math.round((stats.bytesScanned ?? 0) / 1024)} KiB scanned` : "";
                results.set(q.id, {
                    id: q.id,
                    title: q.title,
                    source: "logs-insights",
                    outcome: rows > 0 ? "found" : "ok",
                    summary: rows > 0 ? `${rows} row(s) from ${q.window}${scanned}` : `nothing found from ${q.window}${scanned}`,
                    lines,
                    ...(rows > MAX_ROWS ? { truncated: `${rows - MAX_ROWS} more row(s) not shown` } : {}),
                });
            } catch (err) {
                if (err instanceof DeadlineExceeded) {
                    still.push(q);
                    continue;
                }
                const e = describeLogsError(err, ctx.logGroup);
                results.set(q.id, notChecked(q.id, q.title, "logs-insights", e.outcome, e.reason));
            }
        }
        waiting = still;
        if (waiting.length === 0) {
            break;
        }
        if (ctx.deadline.expired()) {
            for (const q of waiting) {
                results.set(q.id, notChecked(q.id, q.title, "logs-insights", "timed-out", `the query was still running when the diagnostics budget ran out (window ${q.window}); it was stopped`));
                // Best effort: a query left running costs scanning until it ends by itself.
                ctx.logs.stopQuery(q.queryId).catch(() => undefined);
            }
            break;
        }
        await ctx.deadline.sleep(poll);
    }
    return order.map((id) => results.get(id)).filter((r): r is CheckResult => r !== undefined);
}

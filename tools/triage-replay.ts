// `npm run triage:replay -- <file|dir>... [--now ISO] [--advance DURATION] [--impact FILE] [--diagnostics DIR]`
// (DESIGN.md, "Triage replay"): feeds recorded messages through the same triage engine the Lambda
// runs, with an in-memory store and recording ports (customer notifications, operator notices,
// incidents, timers), in file order; then advances the clock (firing due reply timers, then a
// sweep) and prints the cases as JSON. With --diagnostics, incidents and questions run the real
// diagnostics against recorded Kubernetes, EKS and Logs Insights answers, and each case shows its
// report.
//
// Exit codes: 0 replayed, 2 bad arguments or unreadable input (the message says which), 3 internal error.

import * as fs from "node:fs";
import * as path from "node:path";
import { parseDuration } from "../stacks/config";
import { TriageEngine } from "../components/triage/handler/engine";
import { ImpactTable, ImpactTableError, parseImpactTable } from "../components/triage/handler/impact";
import { IMPACT_TABLE_FILE } from "../components/triage/handler/impactSource";
import { DEFAULT_SETTINGS } from "../components/triage/handler/lifecycle";
import { MemoryStore } from "../components/triage/handler/memoryStore";
import { CaseRecord } from "../components/triage/handler/model";
import { InboundMessage, messagesFromJson } from "../components/triage/handler/normalize";
import { ManualClock, RecordingIncidents, RecordingNotifier, RecordingTimers } from "../components/triage/handler/recording";
import { parseSourceTime } from "../components/triage/handler/time";
import { DEFAULT_BUDGET_SECONDS, DEFAULT_VIGIL_NAMESPACE } from "../components/triage/handler/diagnostics/config";
import { DiagnosticsJob } from "../components/triage/handler/diagnostics/job";
import { RecordingOpsItemUpdates } from "../components/triage/handler/diagnostics/opsItems";
import { parseQueryFiles, QueryFileError } from "../components/triage/handler/diagnostics/queries";
import { queryTexts } from "../components/triage/handler/diagnostics/querySource";
import { loadRecordedDiagnostics, RecordingError } from "../components/triage/handler/diagnostics/recorded";

const USAGE = `usage: npm run triage:replay -- <file|dir>... [--now ISO] [--advance DURATION] [--impact FILE] [--diagnostics DIR]

  <file|dir>         recorded messages: SNS notifications (alert manager JSON or EventBridge
                     events inside), Lambda SNS/SQS events, bare EventBridge events or alert
                     manager JSON; a JSON array of these; or a text body. Directories are read
                     recursively, files in path order.
  --now ISO          the clock while the messages are processed (default: the current time)
  --advance DURATION then move the clock forward by DURATION (30m, 72h, 3d, 1h30m), firing due
                     reply timers and a sweep on the way
  --impact FILE      the impact table to classify with (default: rules/impact.yaml)
  --diagnostics DIR  run diagnostics for incidents and questions, answering eks:DescribeCluster,
                     the Kubernetes API and Logs Insights from the recorded answers in DIR
                     (clusters.json, kubernetes.json, logs.json); cases then show their report`;

class UsageError extends Error {}

export interface ReplayArgs {
    readonly inputs: readonly string[];
    readonly now?: string;
    readonly advanceSeconds?: number;
    readonly impact: string;
    /** A directory of recorded diagnostics answers. */
    readonly diagnostics?: string;
}

export function parseArgs(argv: readonly string[]): ReplayArgs {
    const inputs: string[] = [];
    let now: string | undefined;
    let advanceSeconds: number | undefined;
    let impact = IMPACT_TABLE_FILE;
    let diagnostics: string | undefined;
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        const value = (): string => {
            const v = argv[++i];
            if (v === undefined || v.startsWith("--")) {
                throw new UsageError(`${arg} needs a value`);
            }
            return v;
        };
        switch (arg) {
            case "--now": {
                const given = value();
                now = parseSourceTime(given);
                if (!now) {
                    throw new UsageError(`--now ${JSON.stringify(given)} is not a time; use ISO 8601 such as 2024-05-01T12:00:00Z`);
                }
                break;
            }
            case "--advance": {
                const given = value();
                advanceSeconds = parseDuration(given);
                if (advanceSeconds === undefined) {
                    throw new UsageError(`--advance ${JSON.stringify(given)} is not a duration; use e.g. 30m, 72h, 3d or 1h30m`);
                }
                break;
            }
            case "--impact":
                impact = path.resolve(value());
                break;
            case "--diagnostics":
                diagnostics = path.resolve(value());
                break;
            case "--help":
            case "-h":
                process.stdout.write(`${USAGE}\n`);
                process.exit(0);
                break;
            default:
                if (arg.startsWith("--")) {
                    throw new UsageError(`unknown option ${JSON.stringify(arg)}`);
                }
                inputs.push(arg);
        }
    }
    if (inputs.length === 0) {
        throw new UsageError("give at least one file or directory of recorded messages");
    }
    return { inputs, now, advanceSeconds, impact, ...(diagnostics ? { diagnostics } : {}) };
}

/** Files to replay, in order: each argument as given; directories recursively, by path. */
export function inputFiles(inputs: readonly string[]): string[] {
    const files: string[] = [];
    const walk = (dir: string): void => {
        for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
            const full = path.join(dir, entry.name);
            if (entry.isDirectory()) {
                walk(full);
            } else if (entry.isFile() && !entry.name.startsWith(".")) {
                files.push(full);
            }
        }
    };
    for (const input of inputs) {
        let stat: fs.Stats;
        try {
            stat = fs.statSync(input);
        } catch {
            throw new UsageError(`no such file or directory: ${input}`);
        }
        if (stat.isDirectory()) {
            walk(input);
        } else {
            files.push(input);
        }
    }
    return files;
}

/** The messages in one file: JSON documents (any recorded shape), else the text as one message body. */
export function readMessages(file: string): InboundMessage[] {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (err) {
        throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
    }
    const id = `file:${path.relative(process.cwd(), file) || file}`;
    try {
        return messagesFromJson(JSON.parse(text), id);
    } catch {
        return [{ messageId: id, body: text, attributes: {} }];
    }
}

/** One case as replay prints it (DESIGN.md). */
export function caseView(record: CaseRecord): Record<string, unknown> {
    return {
        key: record.key,
        source: record.source,
        cluster: record.cluster,
        ...(record.source === "prometheus" ? { alertname: record.alertname ?? record.title } : { title: record.title }),
        impact: record.impact ?? null,
        state: record.state,
        history: record.history,
        // Only when diagnostics ran (--diagnostics): the report as the case keeps it.
        ...(record.diagnostics ? { diagnostics: record.diagnostics } : {}),
    };
}

export interface ReplayResult {
    readonly cases: Record<string, unknown>[];
    readonly notes: string[];
}

/** Replays the inputs and returns the cases and a summary for stderr. */
export async function replay(args: ReplayArgs, impactTable: ImpactTable): Promise<ReplayResult> {
    const files = inputFiles(args.inputs);
    const clock = new ManualClock(args.now ?? new Date());
    const store = new MemoryStore();
    const notifier = new RecordingNotifier();
    const operatorNotifier = new RecordingNotifier();
    const incidents = new RecordingIncidents();
    const timers = new RecordingTimers();
    const opsItems = new RecordingOpsItemUpdates();
    let job: DiagnosticsJob | undefined;
    if (args.diagnostics) {
        const recorded = loadRecordedDiagnostics(args.diagnostics);
        job = new DiagnosticsJob({
            store,
            notifier,
            opsItems,
            runner: {
                clusters: recorded.clusters,
                kubernetes: (cluster) => recorded.kubernetes(cluster),
                logs: recorded.logs,
                queries: parseQueryFiles(queryTexts()),
                // The recorded clusters are the monitored ones.
                allowedClusters: new Set(recorded.clusterNames),
                vigilNamespace: DEFAULT_VIGIL_NAMESPACE,
                budgetMs: DEFAULT_BUDGET_SECONDS * 1000,
                // Recorded answers are there at once.
                pollMs: 0,
            },
            clock,
            settings: DEFAULT_SETTINGS,
            leaseSeconds: DEFAULT_BUDGET_SECONDS + 120,
        });
    }
    const diagnostics = job ? { requested: async (caseId: string) => void (await (job as DiagnosticsJob).run(caseId)) } : undefined;
    const engine = new TriageEngine({ store, notifier, operatorNotifier, incidents, timers, clock, impactTable, settings: DEFAULT_SETTINGS, diagnostics });
    const notes: string[] = [];
    const counts = { messages: 0, alerts: 0, duplicates: 0, heartbeats: 0, ignored: 0, unparsed: 0, kept: 0 };
    for (const file of files) {
        for (const message of readMessages(file)) {
            const report = await engine.ingest(message);
            counts.messages++;
            counts.heartbeats += report.heartbeats;
            counts.alerts += report.alerts.length;
            counts.duplicates += report.alerts.filter((a) => a.result === "duplicate").length;
            if (report.outcome === "ignored") {
                counts.ignored++;
                notes.push(`ignored ${file}: ${report.reason}`);
            } else if (report.outcome === "unparsed") {
                counts.unparsed++;
                notes.push(`unparsed ${file}: ${report.reason}`);
            } else if (report.kept !== undefined) {
                // Used, and kept raw with a warning as the Lambda keeps it (e.g. AMP's default text body).
                counts.kept++;
                notes.push(`kept ${file}: ${report.kept}`);
            }
        }
    }
    if (args.advanceSeconds !== undefined) {
        const target = new Date(clock.now().getTime() + args.advanceSeconds * 1000).toISOString();
        // Timers fire at their own times, in order; then the sweep catches anything left.
        for (const timer of timers.takeDue(target)) {
            if (timer.at > clock.now().toISOString()) {
                clock.set(timer.at);
            }
            if (timer.payload.kind === "reply-timeout") {
                await engine.timeout(timer.payload.caseId, "timer");
            }
        }
        clock.set(target);
        await engine.sweep();
    }
    notes.unshift(
        `replayed ${counts.messages} message(s) from ${files.length} file(s): ${counts.alerts} alert observation(s) (${counts.duplicates} duplicate), ` +
            `${counts.heartbeats} heartbeat(s), ${counts.ignored} ignored, ${counts.unparsed} unparsed, ${counts.kept} kept with a warning; ` +
            `${notifier.sent.length} notification(s), ${incidents.opened.length} incident(s) opened, ${operatorNotifier.sent.length} operator notice(s); clock ${clock.now().toISOString()}`,
    );
    if (job) {
        const reports = store.allCases().filter((c) => c.diagnostics);
        notes.push(
            `diagnostics: ${reports.length} report(s) (${reports.map((c) => `${c.alertname ?? c.title}: ${c.diagnostics?.outcome}`).join(", ") || "none"}), ` +
                `${notifier.sent.filter((n) => n.kind === "diagnostics").length} follow-up notification(s), ${opsItems.updates.length} OpsItem update(s)`,
        );
    }
    for (const heartbeat of store.heartbeats()) {
        notes.push(`heartbeat ${heartbeat.cluster || "(no cluster label)"}: last ${heartbeat.at} (${heartbeat.status})`);
    }
    return { cases: store.allCases().map(caseView), notes };
}

export interface ReplayIO {
    out(text: string): void;
    err(text: string): void;
}

const PROCESS_IO: ReplayIO = { out: (s) => void process.stdout.write(s), err: (s) => void process.stderr.write(s) };

/** The command line: parses arguments, replays, and maps failures to exit codes. */
export async function cli(argv: readonly string[], io: ReplayIO = PROCESS_IO): Promise<number> {
    try {
        const args = parseArgs(argv);
        let tableText: string;
        try {
            tableText = fs.readFileSync(args.impact, "utf8");
        } catch (err) {
            throw new UsageError(`cannot read the impact table ${args.impact}: ${(err as Error).message}`);
        }
        const table = parseImpactTable(tableText, path.relative(process.cwd(), args.impact) || args.impact);
        const result = await replay(args, table);
        io.out(`${JSON.stringify(result.cases, null, 2)}\n`);
        io.err(`${result.notes.join("\n")}\n`);
        return 0;
    } catch (err) {
        if (err instanceof UsageError || err instanceof ImpactTableError || err instanceof RecordingError || err instanceof QueryFileError) {
            io.err(`error: ${err.message}\n`);
            if (err instanceof UsageError) {
                io.err(`${USAGE}\n`);
            }
            return 2;
        }
        io.err(`internal error: ${(err as Error).stack ?? String(err)}\n`);
        return 3;
    }
}

if (require.main === module) {
    // exitCode, not exit(): let stdout drain when it is a pipe.
    void cli(process.argv.slice(2)).then((code) => {
        process.exitCode = code;
    });
}

// `npm run bench` — Vigil's benchmarks (issue 10), each against a baseline measured in the same run:
//   ingestion  series and AMP cost per node with the keep-list vs everything scraped
//   storm      alert storms through the triage handler on dynalite vs bare conditional PutItems
//   lambda     the triage bundle: size, and module initialisation vs `node -e 0`
//   plan       the offline plan with 1, 10 and 100 clusters
// Every result line prints the measurement, the baseline, the ratio, the goal and whether it is met.
// The bench never fails CI: it exits 0 whatever the verdicts, 1 only when no benchmark could run at
// all, 2 on bad arguments; `--help` prints the usage and exits 0. A complete full run writes its
// results into docs/PERFORMANCE.md.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runIngestion } from "./ingestion";
import { runLambda } from "./lambda";
import { describeMachine, describeRevision } from "./lib/machine";
import { Failure, formatFailure, formatLine, markdownResults, replaceResults, Result, Run, verdict } from "./lib/results";
import { closeAllScopes, Scope } from "./lib/scope";
import { runPlanScale } from "./plan";
import { runStorm } from "./storm";

export const BENCHMARKS = ["ingestion", "storm", "lambda", "plan"] as const;
export type BenchmarkName = (typeof BENCHMARKS)[number];

export const PERFORMANCE_DOC = path.join(__dirname, "..", "docs", "PERFORMANCE.md");

const USAGE = `usage: npm run bench -- [--quick] [--only NAME[,NAME...]] [--out FILE] [--revision TEXT] [--help]

  --quick        a short run (fewer scrapes, smaller storms, fewer repetitions, fewer clusters)
  --only NAMES   run only these benchmarks: ${BENCHMARKS.join(", ")}
  --out FILE     write the results block into FILE (default: docs/PERFORMANCE.md, after a complete
                 full run only; quick and partial runs print their results and write nothing)
  --revision TEXT  what is measured, for the results (default: the git commit, and any
                 uncommitted changes to measured files); for a run from an exported tree
  -h, --help     print this usage and exit`;

export interface BenchArgs {
    readonly quick: boolean;
    readonly only: readonly BenchmarkName[];
    readonly out?: string;
    readonly revision?: string;
}

export class UsageError extends Error {}

/** `--help` / `-h`: the caller prints the usage and exits 0. */
export class HelpRequested extends Error {
    constructor() {
        super("help requested");
    }
}

export function parseArgs(argv: readonly string[]): BenchArgs {
    let quick = false;
    let only: BenchmarkName[] = [...BENCHMARKS];
    let out: string | undefined;
    let revision: string | undefined;
    for (let i = 0; i < argv.length; i++) {
        const flag = argv[i];
        const value = (): string => {
            const v = argv[++i];
            if (v === undefined || v.startsWith("--")) {
                throw new UsageError(`${flag} needs a value`);
            }
            return v;
        };
        if (flag === "--quick") {
            quick = true;
        } else if (flag === "--only") {
            const names = value().split(",").map((s) => s.trim());
            for (const n of names) {
                if (!(BENCHMARKS as readonly string[]).includes(n)) {
                    throw new UsageError(`--only: got ${JSON.stringify(n)}; allowed: ${BENCHMARKS.join(", ")}`);
                }
            }
            only = BENCHMARKS.filter((b) => names.includes(b));
        } else if (flag === "--out") {
            out = path.resolve(value());
        } else if (flag === "--revision") {
            revision = value();
        } else if (flag === "--help" || flag === "-h") {
            throw new HelpRequested();
        } else {
            throw new UsageError(`unknown argument ${JSON.stringify(flag)}`);
        }
    }
    return { quick, only, out, revision };
}

/** Sizes of each benchmark in a full and a quick run. */
export function sizes(quick: boolean) {
    return {
        ingestion: { scrapes: quick ? 3 : 6 },
        storm: { groupAlerts: 1000, singleMessages: quick ? 1000 : 10_000 },
        lambda: { runs: quick ? 5 : 15 },
        plan: { clusters: quick ? [1, 2, 20] : [1, 10, 100] },
    };
}

async function runOne(name: BenchmarkName, args: BenchArgs, log: (line: string) => void): Promise<Result[]> {
    const size = sizes(args.quick);
    const scope = new Scope();
    try {
        switch (name) {
            case "ingestion":
                return await runIngestion(size.ingestion, scope);
            case "storm":
                return await runStorm(size.storm, scope, log);
            case "lambda":
                return await runLambda(size.lambda, scope);
            case "plan":
                return await runPlanScale(size.plan, scope, log);
        }
    } finally {
        await scope.close();
    }
}

export async function bench(args: BenchArgs, out: (text: string) => void = (t) => process.stdout.write(t)): Promise<number> {
    const started = Date.now();
    const loadAtStart = os.loadavg()[0];
    // Read before running: the code measured is the code of this moment.
    const revision = args.revision ?? describeRevision(path.join(__dirname, ".."));
    const results: Result[] = [];
    const failures: Failure[] = [];
    const log = (line: string) => out(`  ${line}\n`);
    out(`Vigil benchmarks (${args.quick ? "quick" : "full"} run): ${args.only.join(", ")}; load average ${loadAtStart.toFixed(2)} on ${os.cpus().length} cores\n`);
    for (const name of args.only) {
        out(`\n== ${name}\n`);
        const t0 = Date.now();
        try {
            const measured = await runOne(name, args, log);
            for (const r of measured) {
                out(`${formatLine(r)}\n`);
                (r.notes ?? []).forEach((note) => out(`    - ${note}\n`));
            }
            results.push(...measured);
        } catch (err) {
            const failure = { benchmark: name, reason: (err as Error).message.split("\n")[0] };
            failures.push(failure);
            out(`${formatFailure(failure)}\n`);
            const detail = (err as Error).stack ?? "";
            out(`${detail.split("\n").slice(1, 12).join("\n")}\n`);
        }
        out(`  (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
    }
    const run: Run = {
        date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
        mode: args.quick ? "quick" : "full",
        revision,
        machine: describeMachine(),
        durationSeconds: (Date.now() - started) / 1000,
        load: { start: loadAtStart, end: os.loadavg()[0] },
        results,
        failures,
    };
    const verdicts = results.map(verdict);
    out(
        `\n${results.length} results (${verdicts.filter((v) => v === "met").length} goals met, ${verdicts.filter((v) => v === "missed").length} missed), ${failures.length} benchmarks not measured; missed goals do not fail the run.\n`,
    );
    const complete = !args.quick && args.only.length === BENCHMARKS.length;
    const target = args.out ?? (complete ? PERFORMANCE_DOC : undefined);
    if (target && results.length > 0) {
        const existing = fs.existsSync(target) ? fs.readFileSync(target, "utf8") : "# Performance\n";
        fs.writeFileSync(target, replaceResults(existing, markdownResults(run)));
        out(`Wrote the results to ${path.relative(process.cwd(), target) || target}.\n`);
    }
    return results.length === 0 ? 1 : 0;
}

/** Where the command line writes (the process's streams, or a test's buffers). */
export interface BenchIO {
    readonly out: (text: string) => void;
    readonly err: (text: string) => void;
}

const PROCESS_IO: BenchIO = {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
};

export async function cli(argv: readonly string[], io: BenchIO = PROCESS_IO): Promise<number> {
    let args: BenchArgs;
    try {
        args = parseArgs(argv);
    } catch (err) {
        if (err instanceof HelpRequested) {
            io.out(`${USAGE}\n`);
            return 0;
        }
        if (err instanceof UsageError) {
            io.err(`error: ${err.message}\n${USAGE}\n`);
            return 2;
        }
        throw err;
    }
    return bench(args, io.out);
}

if (require.main === module) {
    // The AWS SDK warns once per process that its 2027 releases need Node 22; the bench's own
    // clients (table set-up) would print it in the middle of the results.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
    // Ctrl-C: stop what the running benchmark started and remove its directories, then leave
    // (the interrupted benchmark's own clean-up waits for the same work, and then does not exit).
    let interrupted = false;
    process.once("SIGINT", () => {
        interrupted = true;
        void closeAllScopes().finally(() => process.exit(130));
    });
    void cli(process.argv.slice(2)).then(
        (code) => {
            if (!interrupted) {
                process.exit(code);
            }
        },
        (err: Error) => {
            process.stderr.write(`internal error: ${err.stack ?? err.message}\n`);
            process.exit(1);
        },
    );
}

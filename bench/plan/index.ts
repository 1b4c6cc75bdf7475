// Benchmark 4, plan scale: `npm run plan` (tools/plan.ts, with --out as CI runs it) on generated
// stacks of 1, 10 and 100 clusters, each in a fresh process as a user runs it: wall time, resources
// per cluster, peak memory. The goal is linear cost: 100 clusters in at most 12× the time of 10.

import { spawn } from "node:child_process";
import * as path from "node:path";
import { ensureBundle } from "../../components/triage/bundle";
import { formatNumber, formatRatio, Result } from "../lib/results";
import { Scope } from "../lib/scope";
import { parsePlanOutput, PlanOutput, writeStack } from "./generate";

export interface PlanScaleOptions {
    /** Cluster counts, ascending; the last two are compared (their ratio is the scale factor). */
    readonly clusters: readonly number[];
}

const REPO_ROOT = path.join(__dirname, "..", "..");
const CHILD = path.join(__dirname, "child.ts");

export interface PlanRun extends PlanOutput {
    readonly clusters: number;
    readonly seconds: number;
}

function runPlan(config: string, out: string): Promise<{ seconds: number; stdout: string; stderr: string; code: number | null }> {
    return new Promise((resolve, reject) => {
        const start = process.hrtime.bigint();
        const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", CHILD, "--config", config, "--out", out], { cwd: REPO_ROOT, env: process.env, stdio: ["ignore", "pipe", "pipe"] });
        const stdout: Buffer[] = [];
        const stderr: Buffer[] = [];
        child.stdout.on("data", (c: Buffer) => stdout.push(c));
        child.stderr.on("data", (c: Buffer) => stderr.push(c));
        child.once("error", reject);
        child.once("exit", (code) => {
            resolve({ seconds: Number(process.hrtime.bigint() - start) / 1e9, stdout: Buffer.concat(stdout).toString("utf8"), stderr: Buffer.concat(stderr).toString("utf8"), code });
        });
    });
}

/** Resources a cluster adds: the slope between the smallest and largest run. */
export function resourcesPerCluster(runs: readonly PlanRun[]): number {
    const first = runs[0];
    const last = runs[runs.length - 1];
    if (!first || !last || last.clusters === first.clusters) {
        throw new RangeError("resourcesPerCluster needs runs with at least two cluster counts");
    }
    return (last.resources - first.resources) / (last.clusters - first.clusters);
}

export async function runPlanScale(options: PlanScaleOptions, scope: Scope, log: (line: string) => void): Promise<Result[]> {
    const dir = scope.tempDir("plan");
    // The plan builds the triage bundle when it is stale; build it now so no run pays for that.
    ensureBundle();
    const runs: PlanRun[] = [];
    for (const count of options.clusters) {
        const config = writeStack(dir, count);
        const result = await runPlan(config, path.join(dir, `out-${count}`));
        if (result.code !== 0 && result.code !== 1) {
            throw new Error(`the plan of ${count} clusters exited ${result.code}: ${result.stderr.slice(-2000)}`);
        }
        const parsed = parsePlanOutput(result.stdout, result.stderr);
        runs.push({ clusters: count, seconds: result.seconds, ...parsed });
        log(`${count} clusters: ${result.seconds.toFixed(1)} s, ${parsed.resources} resources${result.code === 1 ? " (plan blocked by a mandatory policy violation)" : ""}`);
    }
    const perCluster = resourcesPerCluster(runs);
    const small = runs[runs.length - 2];
    const large = runs[runs.length - 1];
    const factor = large.clusters / small.clusters;
    const results: Result[] = runs.map((r) => ({
        benchmark: "plan",
        name: `offline plan of ${r.clusters} cluster${r.clusters === 1 ? "" : "s"} (fresh process, --out)`,
        value: `${r.seconds.toFixed(1)} s, ${formatNumber(r.resources)} resources`,
        baseline: r === runs[0] ? undefined : `${runs[0].seconds.toFixed(1)} s for ${runs[0].clusters}`,
        ratio: r === runs[0] ? undefined : r.seconds / runs[0].seconds,
        notes: [
            `program ${r.programSeconds?.toFixed(1) ?? "?"} s of it; peak memory ${r.maxRssKb ? `${formatNumber(r.maxRssKb / 1024)} MiB` : "not reported"}${r.code === 1 ? "; blocked by a mandatory policy violation" : ""}`,
        ],
    }));
    results.push({
        benchmark: "plan",
        name: `scale: ${large.clusters} clusters against ${small.clusters}`,
        value: `${large.seconds.toFixed(1)} s`,
        baseline: `${small.seconds.toFixed(1)} s`,
        ratio: large.seconds / small.seconds,
        checked: large.seconds / small.seconds,
        goal: { op: "<=", limit: factor * 1.2, text: `≤ ${formatRatio(factor * 1.2)} (linear: ${formatRatio(factor)} the clusters)` },
        notes: [
            `${perCluster.toFixed(1)} resources per cluster (slope from ${runs[0].clusters} to ${large.clusters} clusters); ${formatNumber(runs[0].resources - perCluster * runs[0].clusters)} per account`,
            `marginal time per cluster: ${(((large.seconds - small.seconds) / (large.clusters - small.clusters)) * 1000).toFixed(0)} ms`,
        ],
    });
    return results;
}

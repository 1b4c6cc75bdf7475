// The machine a run measured: results are only comparable between runs on the same machine.

import { spawnSync } from "node:child_process";
import * as os from "node:os";
import { Machine } from "./results";

/** First line of `<command> --version`, or undefined when the tool is missing. */
export function toolVersion(command: string): string | undefined {
    const out = spawnSync(command, ["--version"], { encoding: "utf8", timeout: 10_000 });
    if (out.error || out.status !== 0) {
        return undefined;
    }
    // Prometheus tools print "name, version X (branch: ...)" on stdout or stderr.
    const text = `${out.stdout}\n${out.stderr}`;
    return /version ([^\s(]+)/.exec(text)?.[1];
}

export function describeMachine(tools: readonly string[] = ["prometheus", "prometheus-node-exporter"]): Machine {
    const cpus = os.cpus();
    const versions: Record<string, string> = {};
    for (const tool of tools) {
        const v = toolVersion(tool);
        if (v) {
            versions[tool] = v;
        }
    }
    return {
        cpu: cpus[0]?.model.trim() || "unknown CPU",
        cores: cpus.length,
        memoryBytes: os.totalmem(),
        node: process.version,
        os: `${os.type()} ${os.release()} ${os.arch()}`,
        tools: versions,
    };
}

/** Paths whose code the benchmarks measure. */
export const MEASURED_PATHS = ["components", "rules", "dashboards", "stacks", "tools", "policies", "Pulumi.yaml"];

/** `abc1234`, or `abc1234 with uncommitted changes to N files (…)` when measured code differs from the commit. */
export function describeRevision(repoRoot: string): string {
    const head = spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: repoRoot, encoding: "utf8" });
    if (head.status !== 0) {
        return "an unknown revision (not a git checkout)";
    }
    const status = spawnSync("git", ["status", "--porcelain", "--", ...MEASURED_PATHS], { cwd: repoRoot, encoding: "utf8" });
    const changed = status.stdout.split("\n").filter((l) => l.trim() !== "").map((l) => l.slice(3));
    const commit = `commit ${head.stdout.trim()}`;
    if (changed.length === 0) {
        return commit;
    }
    const shown = changed.slice(0, 6).join(", ");
    return `${commit} with uncommitted changes to ${changed.length} measured file(s) (${shown}${changed.length > 6 ? ", …" : ""})`;
}

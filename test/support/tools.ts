// Runs the real Prometheus tools (promtool, amtool) and fails with their output.

import { spawnSync } from "node:child_process";

export interface ToolResult {
    readonly status: number;
    readonly stdout: string;
    readonly stderr: string;
}

/** Fails with install instructions when a Debian tool is missing. */
export function requireTool(name: string): void {
    const found = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
    if (found.status !== 0) {
        throw new Error(
            `${name} is not installed; run tools/ensure-tools.sh (or: apt-get install -y prometheus prometheus-alertmanager prometheus-node-exporter)`,
        );
    }
}

/** Runs a tool and returns its output whatever the exit status. */
export function runTool(name: string, args: readonly string[], options: { cwd?: string; input?: string } = {}): ToolResult {
    requireTool(name);
    const result = spawnSync(name, args, { cwd: options.cwd, input: options.input, encoding: "utf8", timeout: 120_000 });
    if (result.error) {
        throw result.error;
    }
    return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Runs a tool and throws with its command line and output unless it exits 0. */
export function expectTool(name: string, args: readonly string[], options: { cwd?: string; input?: string } = {}): string {
    const result = runTool(name, args, options);
    if (result.status !== 0) {
        throw new Error(`${name} ${args.join(" ")} exited ${result.status}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`);
    }
    return result.stdout;
}

export const promtool = (args: readonly string[], options?: { cwd?: string; input?: string }) => expectTool("promtool", args, options);
export const amtool = (args: readonly string[], options?: { cwd?: string; input?: string }) => expectTool("amtool", args, options);

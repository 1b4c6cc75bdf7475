// Runs the repository's command-line tools the way a user does, in a child process.

import { spawn } from "node:child_process";
import * as path from "node:path";

export const REPO_ROOT = path.join(__dirname, "..", "..");

export interface CliResult {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
}

/** Runs `tools/<script>.ts` with ts-node and resolves with its exit code and output. */
export function runScript(script: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(REPO_ROOT, "tools", script), ...args], {
            cwd: options.cwd ?? REPO_ROOT,
            env: { ...process.env, ...options.env },
            stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        const timer = setTimeout(() => {
            child.kill("SIGKILL");
            reject(new Error(`${script} ${args.join(" ")} did not finish within ${options.timeoutMs ?? 120_000} ms\n${stdout}\n${stderr}`));
        }, options.timeoutMs ?? 120_000);
        child.on("error", reject);
        child.on("close", (code) => {
            clearTimeout(timer);
            resolve({ code: code ?? -1, stdout, stderr });
        });
    });
}

// Everything a benchmark starts is registered with a Scope: child processes, servers and temporary
// directories. `close()` stops the processes (SIGTERM, then SIGKILL), closes the servers and removes
// the directories, last registered first; an `exit` hook kills what is still running if the bench
// is cut short, so no server outlives the run.

import { ChildProcess, spawn, SpawnOptions } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

type Cleanup = { readonly kind: "process"; readonly child: ChildProcess; readonly name: string } | { readonly kind: "dir"; readonly dir: string } | { readonly kind: "close"; readonly close: () => Promise<void> };

const live = new Set<ChildProcess>();
const open = new Set<Scope>();
let hookInstalled = false;

function installExitHook(): void {
    if (hookInstalled) {
        return;
    }
    hookInstalled = true;
    process.on("exit", () => {
        for (const child of live) {
            try {
                child.kill("SIGKILL");
            } catch {
                // Already gone.
            }
        }
    });
}

/** True while the child has neither exited nor been killed by a signal. */
export function isRunning(child: ChildProcess): boolean {
    return child.exitCode === null && child.signalCode === null;
}

/** Waits for `child` to exit; SIGTERM first, SIGKILL after `graceMs`. */
export async function stopProcess(child: ChildProcess, graceMs = 5000): Promise<void> {
    if (!isRunning(child)) {
        return;
    }
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
}

export class Scope {
    private readonly cleanups: Cleanup[] = [];
    private closing: Promise<void> | undefined;

    constructor() {
        installExitHook();
        open.add(this);
    }

    /** A new temporary directory, removed on close. */
    tempDir(prefix: string): string {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), `vigil-bench-${prefix}-`));
        this.cleanups.push({ kind: "dir", dir });
        return dir;
    }

    /** Starts a process that is stopped on close. Its output goes to `logFile` when given. */
    spawn(name: string, command: string, args: readonly string[], options: SpawnOptions & { logFile?: string } = {}): ChildProcess {
        const { logFile, ...spawnOptions } = options;
        let stdio = spawnOptions.stdio;
        let fd: number | undefined;
        if (logFile) {
            fd = fs.openSync(logFile, "a");
            stdio = ["ignore", fd, fd, ...(Array.isArray(spawnOptions.stdio) && spawnOptions.stdio.includes("ipc") ? ["ipc" as const] : [])];
        }
        const child = spawn(command, [...args], { ...spawnOptions, stdio });
        if (fd !== undefined) {
            fs.closeSync(fd);
        }
        live.add(child);
        child.once("exit", () => live.delete(child));
        // A command that cannot be started reports it here; callers see the child exit.
        child.once("error", () => live.delete(child));
        this.cleanups.push({ kind: "process", child, name });
        return child;
    }

    /** Anything else to undo on close (a server). */
    defer(close: () => Promise<void>): void {
        this.cleanups.push({ kind: "close", close });
    }

    /** Undoes everything registered, once; concurrent callers wait for the same clean-up. */
    close(): Promise<void> {
        this.closing ??= this.undo();
        return this.closing;
    }

    private async undo(): Promise<void> {
        open.delete(this);
        const errors: string[] = [];
        for (const c of this.cleanups.splice(0).reverse()) {
            try {
                if (c.kind === "process") {
                    await stopProcess(c.child);
                } else if (c.kind === "dir") {
                    fs.rmSync(c.dir, { recursive: true, force: true });
                } else {
                    await c.close();
                }
            } catch (err) {
                errors.push((err as Error).message);
            }
        }
        if (errors.length > 0) {
            throw new Error(`cleanup failed: ${errors.join("; ")}`);
        }
    }
}

/** Polls `check` every 100 ms until it returns true; fails after `timeoutMs` or when `child` exits. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number, child?: ChildProcess, logFile?: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const tail = () => (logFile && fs.existsSync(logFile) ? `\n${fs.readFileSync(logFile, "utf8").slice(-3000)}` : "");
    while (Date.now() < deadline) {
        if (child && !isRunning(child)) {
            throw new Error(`${what}: the process exited (code ${child.exitCode}, signal ${child.signalCode})${tail()}`);
        }
        try {
            if (await check()) {
                return;
            }
        } catch {
            // Not ready yet.
        }
        await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${what}: not ready within ${timeoutMs} ms${tail()}`);
}

/** True when `url` answers 2xx. */
export async function httpOk(url: string): Promise<boolean> {
    const response = await fetch(url);
    await response.arrayBuffer();
    return response.ok;
}

/** Closes every scope still open (an interrupted run): processes stopped, directories removed. */
export async function closeAllScopes(): Promise<void> {
    for (const scope of [...open].reverse()) {
        await scope.close().catch(() => undefined);
    }
}

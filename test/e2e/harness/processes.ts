// Starts, watches and stops the harness's server processes. Each process logs to
// `<logDir>/<name>.log`; a process that exits or does not become ready in time fails the start with
// the end of its log. Children are not detached: Ctrl-C in a terminal signals them along with the
// run. A run that exits through process.exit() kills them from an `exit` hook; one that is sent
// SIGTERM, SIGINT or SIGHUP by itself (a CI timeout, `kill`) kills them from a signal handler and
// then ends as that signal would have ended it.

import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export interface StartOptions {
    /** Unique among running processes; names the log file. */
    readonly name: string;
    readonly command: string;
    readonly args: readonly string[];
    /** The complete environment (nothing is inherited). */
    readonly env: NodeJS.ProcessEnv;
    readonly cwd?: string;
    /** True once the process serves; polled every 200 ms. */
    readonly ready: (output: string) => boolean | Promise<boolean>;
    readonly timeoutMs?: number;
    /** Keep a pipe on stdin (the Lambda hosts exit when it closes). */
    readonly stdin?: boolean;
}

/** A server that did not start; the message carries its log. */
export class ProcessStartError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "ProcessStartError";
    }
}

const TAIL_BYTES = 6000;

export class ManagedProcess {
    /** Everything the process wrote (stdout and stderr), for readiness checks and errors. */
    output = "";
    readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

    constructor(
        readonly name: string,
        readonly child: ChildProcess,
        readonly logFile: string,
    ) {
        // Opened synchronously: the file exists (and can be named in errors) before the first output.
        const log = fs.createWriteStream("", { fd: fs.openSync(logFile, "a") });
        log.on("error", () => undefined);
        log.write(`--- ${new Date().toISOString()} started pid ${child.pid}: ${child.spawnfile} ${child.spawnargs.slice(1).join(" ")}\n`);
        // A command that cannot be spawned never exits; its log ends here.
        child.once("error", (err) => log.end(`--- ${new Date().toISOString()} could not be started: ${err.message}\n`));
        const collect = (chunk: Buffer) => {
            log.write(chunk);
            // Bounded: readiness needs the start of the output (ports, ready lines), errors the end.
            this.output = this.output.length < 1_000_000 ? this.output + chunk.toString("utf8") : this.output;
        };
        child.stdout?.on("data", collect);
        child.stderr?.on("data", collect);
        this.exited = new Promise((resolve) => {
            child.once("exit", (code, signal) => {
                log.end(`--- ${new Date().toISOString()} exited code ${code} signal ${signal}\n`);
                resolve({ code, signal });
            });
        });
    }

    get pid(): number {
        return this.child.pid ?? -1;
    }

    get running(): boolean {
        return this.child.exitCode === null && this.child.signalCode === null;
    }

    /** The end of the process's output, for error messages. */
    tail(bytes = TAIL_BYTES): string {
        return this.output.length > bytes ? `…${this.output.slice(-bytes)}` : this.output;
    }
}

/** Signals that end a run by default; none of them may leave a server behind. */
export const FATAL_SIGNALS = ["SIGTERM", "SIGINT", "SIGHUP"] as const;
type FatalSignal = (typeof FATAL_SIGNALS)[number];

/** Every Processes whose children may still run: the exit hook and the signal handlers kill theirs. */
const live = new Set<Processes>();

const killLive = (): void => {
    for (const processes of live) {
        processes.killAll();
    }
};

const onFatalSignal = (signal: FatalSignal): void => {
    killLive();
    // With other listeners for this signal (a reporter, a test runner), ending the run is theirs to
    // decide, as it would have been without the harness. Alone, restore what the signal would have
    // done: remove the handlers and raise it again, so the run ends by it (exit status 128 + its
    // number, as shells report it); should it not end the process, exit with that status.
    if (process.listenerCount(signal) > 1) {
        return;
    }
    for (const s of FATAL_SIGNALS) {
        process.removeListener(s, onFatalSignal);
    }
    process.kill(process.pid, signal);
    setTimeout(() => process.exit(128 + os.constants.signals[signal]), 1000);
};

/** One exit hook and one handler per signal for the whole process, whatever the number of Processes. */
function watch(processes: Processes): void {
    live.add(processes);
    if (!process.listeners("exit").includes(killLive)) {
        process.on("exit", killLive);
    }
    for (const s of FATAL_SIGNALS) {
        if (!(process.listeners(s) as unknown[]).includes(onFatalSignal)) {
            process.on(s, onFatalSignal);
        }
    }
}

/** Once no Processes has children left, the run's exits and signals are its own again. */
function unwatch(processes: Processes): void {
    live.delete(processes);
    if (live.size === 0) {
        process.removeListener("exit", killLive);
        for (const s of FATAL_SIGNALS) {
            process.removeListener(s, onFatalSignal);
        }
    }
}

export class Processes {
    private readonly running = new Map<string, ManagedProcess>();
    /** Every process started, running or not (for the no-leftovers check). */
    readonly started: ManagedProcess[] = [];

    constructor(readonly logDir: string) {
        fs.mkdirSync(logDir, { recursive: true });
        watch(this);
    }

    /** SIGKILL to every running child at once (exit hook and signal handler: no time to wait). */
    killAll(): void {
        for (const p of this.running.values()) {
            try {
                p.child.kill("SIGKILL");
            } catch {
                // Already gone.
            }
        }
    }

    get(name: string): ManagedProcess {
        const p = this.running.get(name);
        if (!p) {
            throw new Error(`no running process named ${name}`);
        }
        return p;
    }

    async start(options: StartOptions): Promise<ManagedProcess> {
        if (this.running.has(options.name)) {
            throw new Error(`a process named ${options.name} is already running`);
        }
        const child = spawn(options.command, [...options.args], {
            cwd: options.cwd,
            env: options.env,
            stdio: [options.stdin ? "pipe" : "ignore", "pipe", "pipe"],
        });
        const managed = new ManagedProcess(options.name, child, path.join(this.logDir, `${options.name}.log`));
        this.running.set(options.name, managed);
        const spawnError = new Promise<Error>((resolve) =>
            child.once("error", (err) => {
                // A process that could not be spawned never exits: forget it here.
                this.running.delete(options.name);
                resolve(err);
            }),
        );
        this.started.push(managed);
        void managed.exited.then(() => {
            if (this.running.get(options.name) === managed) {
                this.running.delete(options.name);
            }
        });

        const timeoutMs = options.timeoutMs ?? 30_000;
        const deadline = Date.now() + timeoutMs;
        const failure = (why: string) => new ProcessStartError(`${options.name} ${why}; log ${managed.logFile}:\n${managed.tail()}`);
        let lastError = "";
        // Poll every 200 ms, but never past the deadline: a check after it would let a process that
        // got ready late count as ready in time.
        for (let remaining = timeoutMs; remaining > 0; remaining = deadline - Date.now()) {
            const early = await Promise.race([spawnError, new Promise<undefined>((r) => setTimeout(r, Math.min(200, remaining), undefined))]);
            if (early) {
                throw failure(`could not be started (${early.message}); is it installed? (tools/ensure-tools.sh)`);
            }
            if (!managed.running) {
                const { code, signal } = await managed.exited;
                throw failure(`exited (code ${code}, signal ${signal}) before it was ready`);
            }
            try {
                if (await options.ready(managed.output)) {
                    return managed;
                }
            } catch (err) {
                lastError = (err as Error).message;
            }
        }
        await this.stop(options.name);
        throw failure(`was not ready within ${timeoutMs} ms${lastError ? ` (last check: ${lastError})` : ""}`);
    }

    /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
    async stop(name: string, graceMs = 10_000): Promise<void> {
        const managed = this.running.get(name);
        if (!managed) {
            return;
        }
        if (managed.running) {
            managed.child.kill("SIGTERM");
            const killer = setTimeout(() => managed.child.kill("SIGKILL"), graceMs);
            await managed.exited;
            clearTimeout(killer);
        }
        this.running.delete(name);
    }

    /** Stops every running process, the last started first. */
    async stopAll(): Promise<void> {
        for (const name of [...this.running.keys()].reverse()) {
            await this.stop(name);
        }
        unwatch(this);
    }
}

/** True when a process with this id exists (zombies included: they have not been reaped). */
export function processExists(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (err) {
        return (err as NodeJS.ErrnoException).code === "EPERM";
    }
}

/**
 * The ids of the processes below `roots` (children, grandchildren, …), read from /proc. Empty
 * where /proc is not available.
 */
export function descendants(roots: readonly number[]): number[] {
    if (!fs.existsSync("/proc/self/stat")) {
        return [];
    }
    const children = new Map<number, number[]>();
    for (const entry of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) {
            continue;
        }
        let stat: string;
        try {
            stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
        } catch {
            continue; // Exited while listing.
        }
        // "pid (comm) state ppid ...": comm may hold spaces and parentheses; the last ')' ends it.
        const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    }
    const out: number[] = [];
    const queue = [...roots];
    while (queue.length > 0) {
        const pid = queue.shift() as number;
        for (const child of children.get(pid) ?? []) {
            out.push(child);
            queue.push(child);
        }
    }
    return out;
}

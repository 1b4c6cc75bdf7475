// Helpers for tests that run real Prometheus and exporter processes on loopback: a free port, a
// child process whose output is kept for the failure message, polling, and a clean stop.

import { ChildProcess, spawn } from "node:child_process";
import * as http from "node:http";
import * as net from "node:net";
import { parser } from "@prometheus-io/lezer-promql";

/** A child process with its combined output. */
export interface Running {
    readonly child: ChildProcess;
    readonly output: string[];
}

/** Starts a process; its stdout and stderr are kept in `output`. */
export function start(command: string, args: readonly string[]): Running {
    const output: string[] = [];
    const child = spawn(command, [...args], { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout?.on("data", (d) => output.push(String(d)));
    child.stderr?.on("data", (d) => output.push(String(d)));
    return { child, output };
}

/** Stops a process with SIGTERM and waits for it to exit. */
export function stop(running: Running | undefined): Promise<void> {
    return new Promise((resolve) => {
        if (!running || running.child.exitCode !== null || running.child.signalCode !== null) {
            return resolve();
        }
        running.child.once("exit", () => resolve());
        running.child.kill("SIGTERM");
    });
}

/** Polls `probe` until it returns a value; fails with `what` and the last error after the timeout. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
        try {
            const value = await probe();
            if (value !== undefined) {
                return value;
            }
        } catch (err) {
            last = err;
        }
        await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}

/** Serves a fixed Prometheus text exposition on 127.0.0.1. */
export async function exposition(body: string): Promise<{ port: number; close: () => Promise<void> }> {
    const server = http.createServer((_req, res) => {
        res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4" });
        res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return { port: (server.address() as net.AddressInfo).port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Runs an instant query against a Prometheus server; returns the result vector. */
export async function query(port: number, promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
    const response = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await response.json()) as { status: string; error?: string; data?: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    if (body.status !== "success" || !body.data) {
        throw new Error(`query ${promql}: ${body.error ?? response.status}`);
    }
    return body.data.result;
}

/** Every vector selector of a PromQL expression, as written (`metric{label="value"}`). */
export function vectorSelectors(expr: string): string[] {
    const found: string[] = [];
    parser.parse(expr).iterate({
        enter: (ref) => {
            if (ref.name === "VectorSelector") {
                found.push(expr.slice(ref.from, ref.to));
                return false;
            }
            return undefined;
        },
    });
    return found;
}

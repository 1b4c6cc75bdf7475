// Benchmark 3, the Lambda package: the triage bundle exactly as TriageService builds and ships it
// (components/triage/bundle.ts, into a temporary directory), its size against the same build with
// the AWS SDK bundled in, and its module initialisation — a fresh `node` that loads it with the
// function's NODE_OPTIONS, the SDK resolved from node_modules as the Lambda runtime provides it —
// against a bare `node -e 0`, median of several runs, interleaved so drift hits both alike.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { isBuiltin } from "node:module";
import * as path from "node:path";
import * as zlib from "node:zlib";
import type { Metafile } from "esbuild";
import { functionEnvironment, resolveTriageArgs } from "../../components/triage/args";
import { BUNDLE_FILES, bundleOptions, buildBundle, REPO_ROOT } from "../../components/triage/bundle";
import { formatBytes, formatNumber, median, Result } from "../lib/results";
import { Scope } from "../lib/scope";

export interface LambdaOptions {
    /** Runs of each command. */
    readonly runs: number;
}

/** The goal's megabyte: decimal, the stricter reading. */
export const ONE_MB = 1_000_000;

/**
 * Size of a zip archive holding `files` (deflated), computed without writing it: per entry a local
 * header (30 bytes + name) and a central directory record (46 bytes + name), plus the 22-byte end record.
 */
export function zipSize(files: readonly { name: string; data: Buffer }[]): number {
    let size = 22;
    for (const f of files) {
        const name = Buffer.byteLength(f.name);
        const compressed = Math.min(zlib.deflateRawSync(f.data).length, f.data.length);
        size += 30 + name + compressed + 46 + name;
    }
    return size;
}

/**
 * A preload (`node -r`) that answers every `@aws-sdk/*` require with empty client classes: loading
 * the bundle with it measures the bundle's own code without the SDK it leaves to the runtime.
 */
export const SDK_STUB = `const Module = require("node:module");
const load = Module._load;
// Every export is a client class that can also be called (factories such as defaultProvider).
function StubClient() { return this instanceof StubClient ? this : new StubClient(); }
StubClient.prototype.send = function () { throw new Error("the AWS SDK is stubbed out (bench)"); };
const sdk = new Proxy({}, { get: (_, name) => (name === "__esModule" ? false : StubClient) });
Module._load = function (request, ...rest) { return request.startsWith("@aws-sdk/") ? sdk : load.call(this, request, ...rest); };
`;

/**
 * A preload that reports the process's peak resident set (VmHWM, see lib/peakMemory.ts: getrusage
 * would include the bench's own memory) on stderr when it exits.
 */
export const RSS_REPORTER = `process.on("exit", () => {
    const fs = require("node:fs");
    const hwm = /^VmHWM:\\s+(\\d+) kB$/m.exec(fs.readFileSync("/proc/self/status", "utf8"));
    fs.writeSync(2, "\\nVIGIL_BENCH_MAX_RSS_KB " + (hwm ? hwm[1] : process.resourceUsage().maxRSS) + "\\n");
});
`;

/** Peak resident set (KiB) of one run of `node <args>` with the RSS reporter preloaded. */
export function peakRssKb(reporter: string, args: readonly string[], env: NodeJS.ProcessEnv): number {
    const out = spawnSync(process.execPath, ["-r", reporter, ...args], { env, encoding: "utf8", timeout: 60_000 });
    const kb = /VIGIL_BENCH_MAX_RSS_KB (\d+)/.exec(out.stderr ?? "")?.[1];
    if (out.status !== 0 || kb === undefined) {
        throw new Error(`node ${args.join(" ")} reported no peak memory (exit ${out.status}): ${(out.stderr ?? "").slice(0, 2000)}`);
    }
    return Number(kb);
}

/** Wall-clock milliseconds of one run of `node <args>`; throws when it fails. */
export function timeNode(args: readonly string[], env: NodeJS.ProcessEnv): number {
    const start = process.hrtime.bigint();
    const out = spawnSync(process.execPath, [...args], { env, encoding: "utf8", timeout: 60_000 });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (out.error || out.status !== 0) {
        throw new Error(`node ${args.join(" ")} failed (${out.error?.message ?? `exit ${out.status}`}): ${out.stderr.slice(0, 2000)}`);
    }
    return ms;
}

/** Packages the bundle requires at run time (left to the Lambda runtime); Node's own modules excluded. */
export function externalImports(metafile: Metafile): string[] {
    const output = Object.entries(metafile.outputs).find(([file]) => file.endsWith(".js"))?.[1];
    return [...new Set((output?.imports ?? []).filter((i) => i.external && !isBuiltin(i.path)).map((i) => i.path))].sort();
}

/** The bundle's size with nothing left external (what shipping the SDK would cost). */
function sizeWithSdk(): number {
    const esbuild = require("esbuild") as typeof import("esbuild");
    const result = esbuild.buildSync({ ...bundleOptions(), external: [], sourcemap: false });
    const js = (result.outputFiles ?? []).find((f) => f.path.endsWith("index.js"));
    if (!js) {
        throw new Error("esbuild produced no index.js for the bundle with the SDK");
    }
    return js.contents.byteLength;
}

export async function runLambda(options: LambdaOptions, scope: Scope): Promise<Result[]> {
    const dir = scope.tempDir("lambda");
    const built = buildBundle(dir);
    const files = BUNDLE_FILES.map((name) => ({ name, data: fs.readFileSync(path.join(dir, name)) }));
    const unzipped = files.reduce((n, f) => n + f.data.length, 0);
    const archive = zipSize(files);
    const withSdk = sizeWithSdk();
    const externals = externalImports(built.metafile);

    // The intake function's NODE_OPTIONS (source maps), as TriageService sets it.
    const env = functionEnvironment("intake", resolveTriageArgs({
        alertTopicArn: "arn:aws:sns:eu-west-1:111122223333:alerts",
        heartbeatTopicArn: "arn:aws:sns:eu-west-1:111122223333:heartbeat",
        notificationTopicArn: "arn:aws:sns:eu-west-1:111122223333:notifications",
        pipelineTopicArn: "arn:aws:sns:eu-west-1:111122223333:pipeline",
        keyArn: "arn:aws:kms:eu-west-1:111122223333:key/bench",
        logKeyArn: "arn:aws:kms:eu-west-1:111122223333:key/bench-logs",
        alarmNamePrefix: "vigil-pipeline-",
    }), { tableName: "t", notificationTopicArn: "n", replyBaseUrl: "r", timerFunctionArn: "f", schedulerRoleArn: "s", scheduleGroup: "g", timerDeadLetterArn: "d" });
    const base: NodeJS.ProcessEnv = { PATH: process.env.PATH, AWS_REGION: "eu-west-1", NODE_PATH: path.join(REPO_ROOT, "node_modules") };
    const nodeOptions = String(env.NODE_OPTIONS);
    const bundle = path.join(dir, "index.js");
    const stub = path.join(dir, "sdk-stub.js");
    fs.writeFileSync(stub, SDK_STUB);
    const reporter = path.join(dir, "rss-reporter.js");
    fs.writeFileSync(reporter, RSS_REPORTER);
    const load = "require(process.argv[1])";
    const sdkOnly = "for (const m of process.argv.slice(1)) require(m)";
    const commands: Record<string, { args: string[]; env: NodeJS.ProcessEnv }> = {
        bare: { args: ["-e", "0"], env: base },
        bundle: { args: ["-e", load, bundle], env: { ...base, NODE_OPTIONS: nodeOptions } },
        bundleNoMaps: { args: ["-e", load, bundle], env: base },
        ownCode: { args: ["-r", stub, "-e", load, bundle], env: { ...base, NODE_OPTIONS: nodeOptions } },
        ownCodeNoMaps: { args: ["-r", stub, "-e", load, bundle], env: base },
        sdk: { args: ["-e", sdkOnly, ...externals], env: base },
        ...Object.fromEntries(externals.map((pkg) => [pkg, { args: ["-e", sdkOnly, pkg], env: base }])),
    };
    // One run each, not timed, warms the file cache and reports the peak memory.
    const rss: Record<string, number> = {};
    for (const [name, c] of Object.entries(commands)) {
        rss[name] = peakRssKb(reporter, c.args, c.env);
    }
    const times: Record<string, number[]> = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
    for (let i = 0; i < options.runs; i++) {
        for (const [name, c] of Object.entries(commands)) {
            times[name].push(timeNode(c.args, c.env));
        }
    }
    const m: Record<string, number> = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
    const ms = (v: number) => `${v.toFixed(0)} ms`;
    const mib = (kb: number) => `${(kb / 1024).toFixed(0)} MiB`;

    return [
        {
            benchmark: "lambda",
            name: "bundle size (index.js)",
            value: `${formatBytes(built.size)} (${formatNumber(built.size)} bytes)`,
            baseline: `${formatBytes(withSdk)} with the AWS SDK bundled`,
            ratio: built.size / withSdk,
            checked: built.size,
            goal: { op: "<", limit: ONE_MB, text: "< 1 MB" },
            notes: [`left to the runtime: ${externals.join(", ")}; ${built.inputs.length} inputs bundled`],
        },
        {
            benchmark: "lambda",
            name: "deployment archive (index.js + index.js.map, zipped)",
            value: formatBytes(archive),
            baseline: `${formatBytes(unzipped)} unzipped`,
            ratio: archive / unzipped,
        },
        {
            benchmark: "lambda",
            name: `module initialisation (fresh node loading the bundle, NODE_OPTIONS=${nodeOptions})`,
            value: ms(m.bundle),
            baseline: `${ms(m.bare)} for node -e 0`,
            ratio: m.bundle / m.bare,
            checked: m.bundle / m.bare,
            goal: { op: "<", limit: 1.5, text: "< 1.5× bare start" },
            notes: [
                `median of ${options.runs} runs each (bundle ${times.bundle.map((t) => t.toFixed(0)).join("/")} ms; bare ${times.bare.map((t) => t.toFixed(0)).join("/")} ms)`,
                `the bundle with the AWS SDK stubbed out (its own code only): ${ms(m.ownCode)} (${(m.ownCode / m.bare).toFixed(2)}×), ${ms(m.ownCodeNoMaps)} (${(m.ownCodeNoMaps / m.bare).toFixed(2)}×) without source maps; the whole bundle without source maps: ${ms(m.bundleNoMaps)} (${(m.bundleNoMaps / m.bare).toFixed(2)}×); the ${externals.length} packages it leaves to the runtime, loaded alone: ${ms(m.sdk)} (${(m.sdk / m.bare).toFixed(2)}×)`,
                `each of them alone in a fresh node (median): ${externals.map((pkg) => `${pkg} ${ms(m[pkg])}`).join(", ")}`,
                `peak resident memory after loading: bundle ${mib(rss.bundle)}, its own code ${mib(rss.ownCode)}, the packages left to the runtime ${mib(rss.sdk)} (${externals.map((pkg) => `${pkg.replace("@aws-sdk/", "")} ${mib(rss[pkg])}`).join(", ")}), node -e 0 ${mib(rss.bare)}`,
            ],
        },
    ];
}

// The plan and Lambda benchmarks' parts: generated stacks are ones the offline plan accepts, the
// plan's output is read correctly, the archive size arithmetic matches a real zip, and the Scope
// leaves no process or directory behind.

import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Metafile } from "esbuild";
import { parseConfig } from "../../stacks/config";
import { parseAccountDescription } from "../../tools/offline/account";
import { loadStackConfig } from "../../tools/offline/stackConfig";
import { externalImports, peakRssKb, RSS_REPORTER, SDK_STUB, timeNode, zipSize } from "../../bench/lambda";
import { compileScript } from "../../bench/lib/compile";
import { parseVmHwmKb } from "../../bench/lib/peakMemory";
import { isRunning, Scope } from "../../bench/lib/scope";
import { resourcesPerCluster } from "../../bench/plan";
import { accountText, clusterNames, EXAMPLE_ACCOUNT, EXAMPLE_STACK, parsePlanOutput, stackConfigText, USAGE_MARKER, writeStack } from "../../bench/plan/generate";

describe("bench plan: generated stacks", () => {
    it("names clusters in order and refuses counts it cannot name", () => {
        assert.deepEqual(clusterNames(3), ["bench-001", "bench-002", "bench-003"]);
        assert.equal(clusterNames(100).length, 100);
        assert.throws(() => clusterNames(0), /count: got 0; allowed: a whole number from 1 to 999/);
        assert.throws(() => clusterNames(1.5), RangeError);
    });

    it("writes a stack and account the offline plan accepts, with every cluster distinct", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-bench-test-"));
        try {
            const file = writeStack(dir, 12);
            assert.equal(path.basename(file), "Pulumi.bench-12.yaml");
            const stack = loadStackConfig(file);
            const config = parseConfig(stack.values);
            assert.deepEqual(config.clusters, clusterNames(12));
            const account = parseAccountDescription(fs.readFileSync(path.join(dir, "bench-12.account.yaml"), "utf8"));
            assert.deepEqual(Object.keys(account.clusters), clusterNames(12));
            assert.equal(new Set(Object.values(account.clusters).map((c) => c.endpoint)).size, 12);
            assert.equal(new Set(Object.values(account.clusters).map((c) => c.roleArn)).size, 12);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("keeps everything else of the example stack", () => {
        const example = fs.readFileSync(EXAMPLE_STACK, "utf8");
        const out = stackConfigText(example, ["a-1"]);
        assert.match(out, /vigil:clusters:\n\s+- a-1\n/);
        const strip = (text: string) => text.replace(/vigil:clusters:(\n\s+- .*)+/, "");
        assert.ok(strip(out).includes("aws:region: eu-west-1"));
        assert.throws(() => stackConfigText("config: {}\n", ["x"]), /no vigil:clusters list/);
        assert.throws(() => accountText('accountId: "111122223333"\nregion: eu-west-1\n', ["x"]), /lists no cluster to copy/);
        assert.match(accountText(fs.readFileSync(EXAMPLE_ACCOUNT, "utf8"), ["x-1"]), /roleArn: arn:aws:iam::111122223333:role\/x-1-cluster/);
    });

    it("reads the plan's resource count, program time, exit code and memory", () => {
        const out = parsePlanOutput("Vigil offline plan\n\nResources: 277 to create, in 13 components\n", `Planning ...\nProgram registered 290 resources in 5.9s; running policies ...\n\n${USAGE_MARKER} {"code":0,"maxRssKb":347712}\n`);
        assert.deepEqual(out, { resources: 277, programSeconds: 5.9, code: 0, maxRssKb: 347712 });
        assert.throws(() => parsePlanOutput("error: bad\n", "stderr tail"), /printed no "Resources: N to create" line/);
    });

    it("derives resources per cluster from the smallest and largest run", () => {
        const run = (clusters: number, resources: number) => ({ clusters, resources, seconds: 1 });
        assert.equal(resourcesPerCluster([run(1, 133), run(10, 277), run(100, 1717)]), 16);
        assert.throws(() => resourcesPerCluster([run(1, 133)]), RangeError);
    });
});

describe("bench lambda: parts", () => {
    it("computes a zip archive's size as zip writes it", function () {
        if (spawnSync("sh", ["-c", "command -v zip"]).status !== 0) {
            this.skip();
        }
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-bench-test-"));
        try {
            // Random bytes do not deflate: zip stores them, which `-0` forces, so the sizes must agree exactly.
            const files = [
                { name: "index.js", data: crypto.randomBytes(3000) },
                { name: "index.js.map", data: crypto.randomBytes(1234) },
            ];
            files.forEach((f) => fs.writeFileSync(path.join(dir, f.name), f.data));
            const out = spawnSync("zip", ["-X", "-0", "-q", "a.zip", ...files.map((f) => f.name)], { cwd: dir });
            assert.equal(out.status, 0);
            assert.equal(zipSize(files), fs.statSync(path.join(dir, "a.zip")).size);
            // Text deflates well.
            const text = { name: "t.js", data: Buffer.from("const x = 1;\n".repeat(1000)) };
            assert.ok(zipSize([text]) < text.data.length / 10);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("lists the packages a bundle leaves to the runtime, not Node's own modules or the source map", () => {
        const metafile = {
            inputs: {},
            outputs: {
                "index.js.map": { bytes: 1, inputs: {}, imports: [], exports: [] },
                "index.js": {
                    bytes: 1,
                    inputs: {},
                    exports: [],
                    imports: [
                        { path: "@aws-sdk/client-sns", kind: "require-call", external: true },
                        { path: "node:crypto", kind: "require-call", external: true },
                        { path: "buffer", kind: "require-call", external: true },
                        { path: "@aws-sdk/client-sns", kind: "require-call", external: true },
                        { path: "@aws-sdk/client-dynamodb", kind: "require-call", external: true },
                    ],
                },
            },
        } as unknown as Metafile;
        assert.deepEqual(externalImports(metafile), ["@aws-sdk/client-dynamodb", "@aws-sdk/client-sns"]);
    });

    it("reads a node run's peak memory, and fails when the run does", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-bench-test-"));
        try {
            const reporter = path.join(dir, "rss.js");
            fs.writeFileSync(reporter, RSS_REPORTER);
            const small = peakRssKb(reporter, ["-e", "0"], { PATH: process.env.PATH });
            const large = peakRssKb(reporter, ["-e", "globalThis.keep = Buffer.alloc(64 * 1024 * 1024, 1)"], { PATH: process.env.PATH });
            assert.ok(small > 10_000, `${small} KiB`);
            assert.ok(large - small > 60_000, `64 MiB more is seen (${small} → ${large} KiB)`);
            assert.throws(() => peakRssKb(reporter, ["-e", "process.exit(2)"], { PATH: process.env.PATH }), /reported no peak memory \(exit 2\)/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("stubs the AWS SDK out: clients construct, factories call, nothing of the SDK is loaded", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-bench-test-"));
        try {
            const stub = path.join(dir, "stub.js");
            fs.writeFileSync(stub, SDK_STUB);
            const probe = [
                'const { SNSClient, PublishCommand } = require("@aws-sdk/client-sns");',
                'const { defaultProvider } = require("@aws-sdk/credential-provider-node");',
                "const client = new SNSClient({}); defaultProvider();",
                "let refused = false; try { client.send(new PublishCommand({})); } catch (e) { refused = /stubbed out/.test(e.message); }",
                'const loaded = Object.keys(require.cache).filter((f) => f.includes("@aws-sdk")).length;',
                "console.log(JSON.stringify({ refused, loaded }));",
            ].join("\n");
            const out = spawnSync(process.execPath, ["-r", stub, "-e", probe], { encoding: "utf8", env: { PATH: process.env.PATH, NODE_PATH: path.join(__dirname, "..", "..", "node_modules") } });
            assert.equal(out.status, 0, out.stderr);
            assert.deepEqual(JSON.parse(out.stdout), { refused: true, loaded: 0 });
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("times a node run and fails with its output when it fails", () => {
        assert.ok(timeNode(["-e", "0"], { PATH: process.env.PATH }) > 0);
        assert.throws(() => timeNode(["-e", "process.stderr.write('boom'); process.exit(3)"], { PATH: process.env.PATH }), /exit 3\): boom/);
    });
});

describe("bench scope", () => {
    it("stops its processes and removes its directories on close, once", async () => {
        const scope = new Scope();
        const dir = scope.tempDir("test");
        const child = scope.spawn("sleeper", process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
        await new Promise((r) => setTimeout(r, 100));
        assert.ok(isRunning(child) && fs.existsSync(dir));
        await Promise.all([scope.close(), scope.close()]);
        assert.ok(!isRunning(child), "stopped");
        assert.ok(!fs.existsSync(dir), "removed");
    });
});

describe("bench peak memory", () => {
    it("reads VmHWM from a /proc status text", () => {
        assert.equal(parseVmHwmKb("Name:\tnode\nVmPeak:\t  900 kB\nVmHWM:\t   40116 kB\nVmRSS:\t 39000 kB\n"), 40116);
        assert.equal(parseVmHwmKb("Name:\tnode\n"), undefined);
    });

    it("reports a child's own peak, not the memory of the process that started it", function () {
        if (!fs.existsSync("/proc/self/status")) {
            this.skip();
        }
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-bench-test-"));
        try {
            const entry = path.join(dir, "child.ts");
            const module = path.join(__dirname, "..", "..", "bench", "lib", "peakMemory.ts");
            fs.writeFileSync(entry, `import { peakRssKb } from ${JSON.stringify(module)};\nconsole.log(JSON.stringify({ own: peakRssKb(), rusage: process.resourceUsage().maxRSS }));\n`);
            const script = compileScript(entry, path.join(dir, "child.js"));
            // A parent holding 256 MiB: getrusage in the child counts it, VmHWM does not.
            const ballast = Buffer.alloc(256 * 1024 * 1024, 1);
            const out = spawnSync(process.execPath, [script], { encoding: "utf8" });
            assert.equal(ballast[0], 1);
            assert.equal(out.status, 0, out.stderr);
            const { own, rusage } = JSON.parse(out.stdout) as { own: number; rusage: number };
            assert.ok(rusage > 256 * 1024, `rusage ${rusage} KiB includes the parent's ballast`);
            assert.ok(own < 200 * 1024, `own peak ${own} KiB`);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

// The triage bundle: it builds from nothing, stays small and self-contained (impact table
// embedded, AWS SDK left to the runtime, no Pulumi), is rebuilt exactly when it is stale, and —
// copied alone into a directory as Lambda unpacks it — runs the three functions with the
// environment TriageService gives them, against dynalite and a loopback AWS fake.

import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { functionEnvironment, FunctionRole, resolveTriageArgs } from "../../components/triage/args";
import { buildBundle, BUNDLE_FILES, ensureBundle, MANIFEST_FILE, REPO_ROOT, staleReason } from "../../components/triage/bundle";
import { DynamoStore } from "../../components/triage/handler/dynamoStore";
import { caseIdFor } from "../../components/triage/handler/lifecycle";
import { createTable, dynamoClient, Dynalite, fixtureJson, rawItem, startDynalite, streamRecord } from "../triage/support";
import { FakeAws, startFakeAws } from "./fakeAws";

const ACCOUNT = "111122223333";
const REPLY_BASE_URL = "https://abcdefghij.execute-api.eu-west-1.amazonaws.com";
const TIMER_ARN = `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:vigil-triage-timer-4ff191e`;
const SPOT_INSTANCE = "i-0f9e8d7c6b5a43210";

function runNode(script: string, options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ["-e", script], { ...options, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
        child.on("error", reject);
        child.on("close", (status) => {
            clearTimeout(timer);
            resolve({ status, stdout, stderr });
        });
    });
}

function tempDir(prefix: string): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

describe("triage bundle", function () {
    this.timeout(120_000);
    const dirs: string[] = [];
    const fresh = (prefix: string) => {
        const dir = tempDir(prefix);
        dirs.push(dir);
        return dir;
    };
    after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

    describe("building", () => {
        let dir: string;
        let text: string;
        let inputs: readonly string[];

        before(() => {
            dir = fresh("vigil-bundle-clean-");
            inputs = buildBundle(dir).inputs;
            text = fs.readFileSync(path.join(dir, "index.js"), "utf8");
        });

        it("builds index.js, its source map and a manifest from a clean state, under 1 MB", () => {
            assert.deepEqual(fs.readdirSync(dir).sort(), ["bundle.json", "index.js", "index.js.map"]);
            assert.ok(Buffer.byteLength(text) < 1024 * 1024, `index.js is ${Buffer.byteLength(text)} bytes`);
            assert.match(text, /\n\/\/# sourceMappingURL=index\.js\.map\n?$/);
            const map = JSON.parse(fs.readFileSync(path.join(dir, "index.js.map"), "utf8")) as { sources: string[] };
            assert.ok(map.sources.includes("components/triage/handler/engine.ts"), "stack traces map to the handler's sources");
        });

        it("holds the handler and its libraries, but no Pulumi and no deployment code", () => {
            for (const needed of ["components/triage/handler/lambda.ts", "components/triage/handler/index.ts", "components/triage/handler/ec2.ts", "components/triage/handler/engine.ts", "rules/impact.yaml"]) {
                assert.ok(inputs.includes(needed), `${needed} is an input`);
            }
            assert.ok(inputs.some((i) => i.includes("node_modules/@aws-lambda-powertools/batch/")), "Powertools is bundled (pinned)");
            assert.deepEqual(
                inputs.filter((i) => /@pulumi|@aws-sdk|^components\/(account|cluster|customer|index\.ts|triage\/[a-z]+\.ts)/.test(i)),
                [],
            );
        });

        it("leaves the AWS SDK clients to the Lambda runtime and embeds the impact table", () => {
            const required = [...new Set([...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]))].filter((m) => !m.startsWith("node:")).sort();
            assert.deepEqual(
                required.filter((m) => !/^(crypto|fs|os|path|util|events|stream|buffer|url|http|https|zlib|async_hooks|process|tty|net|worker_threads)$/.test(m)),
                [
                    "@aws-sdk/client-cloudwatch-logs",
                    "@aws-sdk/client-dynamodb",
                    "@aws-sdk/client-ec2",
                    "@aws-sdk/client-eks",
                    "@aws-sdk/client-scheduler",
                    "@aws-sdk/client-sns",
                    "@aws-sdk/client-ssm",
                    "@aws-sdk/credential-provider-node",
                ],
            );
            const impact = fs.readFileSync(path.join(REPO_ROOT, "rules", "impact.yaml"), "utf8");
            const ruleNames = [...impact.matchAll(/^ {2}- name: (\S+)$/gm)].map((m) => m[1]);
            assert.ok(ruleNames.length > 5);
            for (const name of ruleNames) {
                assert.ok(text.includes(name), `rule ${name} of the impact table is in the bundle`);
            }
            assert.ok(!text.includes("readFileSync"), "nothing in the bundle reads a file (the table's fallback read is gone)");
        });

        it("is byte-for-byte the same when built again (no spurious deployments)", () => {
            const again = fresh("vigil-bundle-again-");
            buildBundle(again);
            for (const file of BUNDLE_FILES) {
                assert.ok(fs.readFileSync(path.join(dir, file)).equals(fs.readFileSync(path.join(again, file))), `${file} is reproducible`);
            }
        });
    });

    describe("staleness", () => {
        let dir: string;
        const manifest = () => JSON.parse(fs.readFileSync(path.join(dir, MANIFEST_FILE), "utf8")) as { builtAt: number; options: string; inputs: string[] };
        const rewrite = (change: (m: ReturnType<typeof manifest>) => void) => {
            const m = manifest();
            change(m);
            fs.writeFileSync(path.join(dir, MANIFEST_FILE), JSON.stringify(m));
        };

        beforeEach(() => {
            dir = fresh("vigil-bundle-stale-");
            buildBundle(dir);
        });

        it("a fresh build is current, and ensureBundle leaves it alone", () => {
            assert.equal(staleReason(dir), undefined);
            const before = fs.statSync(path.join(dir, "index.js")).mtimeMs;
            const builtAt = manifest().builtAt;
            ensureBundle(dir);
            assert.equal(fs.statSync(path.join(dir, "index.js")).mtimeMs, before);
            assert.equal(manifest().builtAt, builtAt);
        });

        it("a source changed after the build makes it stale, and ensureBundle rebuilds it", () => {
            rewrite((m) => (m.builtAt = fs.statSync(path.join(REPO_ROOT, "components/triage/handler/engine.ts")).mtimeMs - 1));
            assert.match(staleReason(dir) ?? "", /changed after the last build/);
            ensureBundle(dir);
            assert.equal(staleReason(dir), undefined);
            assert.ok(manifest().builtAt > Date.now() - 60_000, "rebuilt just now");
        });

        it("a missing file, manifest or input, or changed build options make it stale", () => {
            fs.rmSync(path.join(dir, "index.js.map"));
            assert.match(staleReason(dir) ?? "", /index\.js\.map is missing/);
            buildBundle(dir);
            rewrite((m) => (m.options = "0000000000000000"));
            assert.equal(staleReason(dir), "the build options changed");
            buildBundle(dir);
            rewrite((m) => m.inputs.push("components/triage/handler/gone.ts"));
            assert.equal(staleReason(dir), "components/triage/handler/gone.ts no longer exists");
            fs.rmSync(path.join(dir, MANIFEST_FILE));
            assert.match(staleReason(dir) ?? "", /bundle\.json is missing or unreadable/);
            ensureBundle(dir);
            assert.equal(staleReason(dir), undefined);
        });
    });

    describe("esbuild at deploy time", () => {
        it("is a dependency, so a project installing Vigil without development dependencies can build the bundle", () => {
            const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8"));
            assert.equal(manifest.dependencies.esbuild, "^0.28.2");
            assert.equal(manifest.devDependencies.esbuild, undefined);
            const lock = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package-lock.json"), "utf8"));
            assert.equal(lock.packages[""].dependencies.esbuild, "^0.28.2", "the lockfile agrees");
            assert.equal(lock.packages["node_modules/esbuild"].dev, undefined, "npm ci --omit=dev installs it");
        });

        it("without it, a stale bundle fails with a clear error that says what to install, and a current one needs none", async () => {
            const current = fresh("vigil-bundle-current-");
            buildBundle(current);
            const missing = fresh("vigil-bundle-missing-");
            // Make require("esbuild") fail as it would where it is not installed.
            const preload = path.join(missing, "no-esbuild.js");
            fs.writeFileSync(
                preload,
                `const Module = require("module"); const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
    if (request === "esbuild") { const err = new Error("Cannot find module 'esbuild'"); err.code = "MODULE_NOT_FOUND"; throw err; }
    return resolve.call(this, request, ...rest);
};`,
            );
            const script = (dir: string) =>
                `const b = require(${JSON.stringify(path.join(REPO_ROOT, "components", "triage", "bundle.ts"))});
try { process.stdout.write(JSON.stringify({ ok: b.ensureBundle(${JSON.stringify(dir)}) })); } catch (e) { process.stdout.write(JSON.stringify({ name: e.name, message: e.message })); }`;
            const env = { PATH: process.env.PATH, NODE_OPTIONS: `-r ${preload} -r ts-node/register/transpile-only` };
            const stale = await runNode(script(missing), { cwd: REPO_ROOT, env });
            assert.equal(stale.status, 0, stale.stderr);
            assert.deepEqual(JSON.parse(stale.stdout), {
                name: "BundleError",
                message:
                    "the triage handler bundle must be (re)built, but esbuild cannot be loaded (Cannot find module 'esbuild'); install Vigil's dependencies (npm ci; esbuild is one of them) or build it with npm run bundle where they are installed",
            });
            const fine = await runNode(script(current), { cwd: REPO_ROOT, env });
            assert.deepEqual(JSON.parse(fine.stdout), { ok: current }, fine.stderr);
        });
    });

    describe("deployed: the bundle alone, with the component's environment", () => {
        let task: string;
        let dynamo: Dynalite;
        let aws: FakeAws;
        let tableName: string;

        before(async () => {
            const built = fresh("vigil-bundle-run-");
            buildBundle(built);
            // Lambda unpacks the archive into an empty directory; the runtime puts its SDK on NODE_PATH.
            task = fresh("vigil-task-");
            for (const file of BUNDLE_FILES) {
                fs.copyFileSync(path.join(built, file), path.join(task, file));
            }
            dynamo = await startDynalite();
            aws = await startFakeAws({ [SPOT_INSTANCE]: { "eks:cluster-name": "payments-prod", "eks:nodegroup-name": "spot" } });
            tableName = await createTable(dynamo.endpoint);
        });

        after(async () => {
            await aws.close();
            await dynamo.close();
        });

        /** Runs `call` (JavaScript using `m`, the module, and `event`) in a fresh process as the `role` function. */
        async function invoke(role: FunctionRole, event: unknown, call: string): Promise<any> {
            const variables = functionEnvironment(role, resolveTriageArgs({ ...topics(), alarmNamePrefix: "vigil-pipeline-" }), {
                tableName,
                notificationTopicArn: `arn:aws:sns:eu-west-1:${ACCOUNT}:vigil-notifications-9b4162a`,
                replyBaseUrl: REPLY_BASE_URL,
                timerFunctionArn: TIMER_ARN,
                schedulerRoleArn: `arn:aws:iam::${ACCOUNT}:role/vigil-triage-scheduler-role-dea1780`,
                scheduleGroup: "vigil-triage-timers-7e000dd",
                timerDeadLetterArn: `arn:aws:sqs:eu-west-1:${ACCOUNT}:vigil-triage-timer-dlq-0aa735c`,
            });
            const eventFile = path.join(task, `${role}-event.json`);
            fs.writeFileSync(eventFile, JSON.stringify(event));
            const context = { functionName: `vigil-triage-${role}`, awsRequestId: "c6af9ac6-7b61-11e6-9a41-93e812345678", invokedFunctionArn: role === "timer" ? TIMER_ARN : `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:vigil-triage-${role}`, getRemainingTimeInMillis: () => 30_000 };
            const script = `const m = require(${JSON.stringify(path.join(task, "index.js"))});
const event = JSON.parse(require("fs").readFileSync(${JSON.stringify(eventFile)}, "utf8"));
const context = ${JSON.stringify(context)}; context.getRemainingTimeInMillis = () => 30000;
Promise.resolve().then(() => ${call}).then((r) => process.stdout.write(JSON.stringify({ ok: r })), (e) => process.stdout.write(JSON.stringify({ error: String(e && e.stack) })));`;
            // dynalite and the fake run in this process: the child must be asynchronous.
            const run = await runNode(script, {
                cwd: task,
                env: {
                    PATH: process.env.PATH,
                    NODE_PATH: path.join(REPO_ROOT, "node_modules"),
                    AWS_REGION: "eu-west-1",
                    AWS_ACCESS_KEY_ID: "local",
                    AWS_SECRET_ACCESS_KEY: "local",
                    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
                    AWS_ENDPOINT_URL_EC2: aws.endpoint,
                    AWS_ENDPOINT_URL_SNS: aws.endpoint,
                    AWS_ENDPOINT_URL_SSM: aws.endpoint,
                    AWS_ENDPOINT_URL_SCHEDULER: aws.endpoint,
                    POWERTOOLS_LOG_LEVEL: "SILENT",
                    ...(variables as Record<string, string>),
                },
            });
            assert.equal(run.status, 0, run.stderr);
            return JSON.parse(run.stdout);
        }

        const topics = () => ({
            alertTopicArn: `arn:aws:sns:eu-west-1:${ACCOUNT}:vigil-alerts-0328fb5`,
            heartbeatTopicArn: `arn:aws:sns:eu-west-1:${ACCOUNT}:vigil-heartbeat-5d6e7f8`,
            notificationTopicArn: `arn:aws:sns:eu-west-1:${ACCOUNT}:vigil-notifications-9b4162a`,
            pipelineTopicArn: `arn:aws:sns:eu-west-1:${ACCOUNT}:vigil-pipeline-1c2d3e4`,
            keyArn: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/0f1e2d3c-4b5a-6978-8091-a2b3c4d5e6f7`,
            logKeyArn: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/9a8b7c6d-5e4f-3a2b-1c0d-e9f8a7b6c5d4`,
        });

        const sqsRecord = (id: string, body: unknown) => ({
            messageId: id,
            receiptHandle: `rh-${id}`,
            body: JSON.stringify(body),
            attributes: { ApproximateReceiveCount: "1", SentTimestamp: "1714564800000", SenderId: "AIDAEXAMPLE", ApproximateFirstReceiveTimestamp: "1714564800001" },
            messageAttributes: {},
            md5OfBody: "",
            eventSource: "aws:sqs",
            eventSourceARN: `arn:aws:sqs:eu-west-1:${ACCOUNT}:vigil-triage-intake-d8eae9f`,
            awsRegion: "eu-west-1",
        });

        const httpEvent = (method: string, rawPath: string) => ({
            version: "2.0",
            routeKey: `${method} /r/{token}`,
            rawPath,
            rawQueryString: "",
            headers: { "user-agent": "Mozilla/5.0" },
            isBase64Encoded: false,
            requestContext: {
                accountId: ACCOUNT,
                apiId: "abcdefghij",
                domainName: "abcdefghij.execute-api.eu-west-1.amazonaws.com",
                domainPrefix: "abcdefghij",
                http: { method, path: rawPath, protocol: "HTTP/1.1", sourceIp: "203.0.113.7", userAgent: "Mozilla/5.0" },
                requestId: "r-1",
                routeKey: `${method} /r/{token}`,
                stage: "$default",
                time: "01/May/2024:12:00:00 +0000",
                timeEpoch: 1714564800000,
            },
        });

        it("exposes exactly the three engine entry points and the diagnostics function's", async () => {
            const out = await invoke("intake", {}, "Object.keys(m).sort()");
            assert.deepEqual(out, { ok: ["diagnosticsHandler", "handler", "replyHandler", "timerHandler"] });
        });

        it("intake: finds an EC2 node's cluster, asks the customer, sets the reply timer", async () => {
            const spotEvent = fixtureJson("ec2/02-spot-interruption.json");
            const spot = { Type: "Notification", MessageId: "0c1d2e3f-0000-4000-8000-000000000001", TopicArn: `arn:aws:sns:eu-west-1:${ACCOUNT}:vigil-alerts-0328fb5`, Message: JSON.stringify(spotEvent), Timestamp: "2024-05-01T14:20:01.000Z", SignatureVersion: "1" };
            const out = await invoke("intake", { Records: [sqsRecord("spot", spot), sqsRecord("crash", fixtureJson("amp/01-crashloop-firing.sns.json"))] }, "m.handler(event, context)");
            assert.deepEqual(out, { ok: { batchItemFailures: [] } });

            assert.deepEqual(
                aws.calls.map((c) => `${c.service}:${c.action}`),
                ["ec2:DescribeInstances", "sns:Publish", "scheduler:CreateSchedule"],
            );
            assert.equal(aws.calls[0].params["InstanceId.1"], SPOT_INSTANCE);
            const store = new DynamoStore(dynamoClient(dynamo.endpoint), tableName);
            const spotCase = await store.load(caseIdFor(`ec2:${ACCOUNT}:eu-west-1:${SPOT_INSTANCE}:spot-interruption`));
            assert.equal(spotCase?.cluster, "payments-prod", "the cluster came from the instance's tags");
            const schedule = aws.calls[2].params as Record<string, any>;
            assert.equal(schedule.GroupName, "vigil-triage-timers-7e000dd");
            assert.equal(schedule.Target.RoleArn, `arn:aws:iam::${ACCOUNT}:role/vigil-triage-scheduler-role-dea1780`);
            assert.equal(schedule.Target.DeadLetterConfig.Arn, `arn:aws:sqs:eu-west-1:${ACCOUNT}:vigil-triage-timer-dlq-0aa735c`);
            assert.equal(schedule.Target.Arn, TIMER_ARN);
            assert.match(String(aws.calls[1].params.Message), new RegExp(`${REPLY_BASE_URL.replace(/[.]/g, "\\.")}/r/`));
        });

        it("reply: answers through the HTTP API with the security headers, and leaves the incident to the sweep", async () => {
            const message = String(aws.calls.find((c) => c.service === "sns")?.params.Message);
            const token = /Confirm customer impact[^\n]*\/r\/(\S+)/.exec(message)?.[1] as string;
            const before = aws.calls.length;

            const unknown = await invoke("reply", httpEvent("GET", `/r/${caseIdFor("prometheus:3f1c9a4be07d2e11")}.${"A".repeat(22)}`), "m.replyHandler(event, context)");
            assert.equal(unknown.ok.statusCode, 404);
            const post = await invoke("reply", httpEvent("POST", `/r/${token}`), "m.replyHandler(event, context)");
            assert.equal(post.ok.statusCode, 200, JSON.stringify(post));
            assert.equal(post.ok.headers["Cache-Control"], "no-store");
            assert.equal(post.ok.headers["Referrer-Policy"], "no-referrer");
            assert.match(post.ok.headers["Content-Security-Policy"], /frame-ancestors 'none'/);

            const record = await new DynamoStore(dynamoClient(dynamo.endpoint), tableName).load(caseIdFor("prometheus:3f1c9a4be07d2e11"));
            assert.equal(record?.state, "INCIDENT_OPEN");
            assert.ok(Object.keys(record?.claims ?? {}).some((k) => k.startsWith("work|reply-")), "the work is claimed for the timer function");
            assert.deepEqual(aws.calls.slice(before), [], "the deployed reply function called no service but DynamoDB");
        });

        it("timer: follows the reply up from the table's stream at once (incident, notification, reply timer deleted)", async () => {
            const before = aws.calls.length;
            const caseId = caseIdFor("prometheus:3f1c9a4be07d2e11");
            const item = await rawItem(dynamoClient(dynamo.endpoint), tableName, `case#${caseId}`, "case");
            assert.deepEqual(item.replyWork, { S: "pending" }, "the reply left its work marked for the stream");
            const out = await invoke("timer", { Records: [streamRecord("MODIFY", item, tableName)] }, "m.timerHandler(event, context)");
            assert.deepEqual(out, { ok: { batchItemFailures: [] } });
            assert.deepEqual(
                aws.calls.slice(before).map((c) => `${c.service}:${c.action}`),
                ["ssm:CreateOpsItem", "sns:Publish", "scheduler:DeleteSchedule"],
            );
            const record = await new DynamoStore(dynamoClient(dynamo.endpoint), tableName).load(caseId);
            assert.equal(record?.opsItemId, "oi-000000000001");
            assert.deepEqual(record?.claims, {});
        });

        it("intake: a no-impact pipeline alert reaches the operator on the pipeline topic the component names", async () => {
            const before = aws.calls.length;
            const out = await invoke("intake", { Records: [sqsRecord("target-down", fixtureJson("amp/11-target-down-pipeline.sns.json"))] }, "m.handler(event, context)");
            assert.deepEqual(out, { ok: { batchItemFailures: [] } });
            const calls = aws.calls.slice(before);
            assert.deepEqual(calls.map((c) => [c.service, c.action, c.params.TopicArn, c.params.Subject]), [
                ["sns", "Publish", topics().pipelineTopicArn, "[Vigil] Operator notice: TargetDown (payments-prod)"],
            ]);
        });

        it("timer: handles its payloads, and its stack traces point into the TypeScript sources", async () => {
            const due = await invoke("timer", { kind: "reply-timeout", caseId: caseIdFor("prometheus:3f1c9a4be07d2e11"), deadline: "2024-05-04T12:00:00.000Z" }, "m.timerHandler(event, context)");
            assert.deepEqual(due, { ok: { kind: "reply-timeout", result: "not-due" } });
            const bad = await invoke("timer", { kind: "nonsense" }, "m.timerHandler(event, context)");
            assert.match(bad.error, /unrecognised payload/);
            assert.match(bad.error, /components\/triage\/handler\/index\.ts:\d+/, "NODE_OPTIONS=--enable-source-maps maps the minified bundle");
        });
    });
});

// The handler code bundles with esbuild into one file without Pulumi, embeds the impact table
// given at build time, and runs from the bundle alone (DynamoDB on dynalite via the standard
// endpoint override).

import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { build } from "esbuild";
import { IMPACT_TABLE_DEFINE } from "../../components/triage/handler/impactSource";
import { caseIdFor } from "../../components/triage/handler/lifecycle";
import { createTable, dynamoClient, Dynalite, fixtureJson, startDynalite } from "./support";
import { DynamoStore } from "../../components/triage/handler/dynamoStore";

function runNode(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
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

const ENTRY = path.join(__dirname, "..", "..", "components", "triage", "handler", "index.ts");

describe("triage handler bundle", function () {
    this.timeout(60_000);
    let dynamo: Dynalite;
    let dir: string;

    before(async () => {
        dynamo = await startDynalite();
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-bundle-"));
    });

    after(async () => {
        fs.rmSync(dir, { recursive: true, force: true });
        await dynamo.close();
    });

    it("bundles without Pulumi and runs the handler with the embedded impact table", async () => {
        const embedded = "version: 1\ndefault: none\nrules:\n  - name: embedded-marker\n    source: prometheus\n    match: { alertname: KubeCPUOvercommit }\n    impact: none\n";
        const outfile = path.join(dir, "index.js");
        const result = await build({
            entryPoints: [ENTRY],
            bundle: true,
            platform: "node",
            target: "node20",
            format: "cjs",
            outfile,
            sourcemap: true,
            metafile: true,
            logLevel: "silent",
            define: { [IMPACT_TABLE_DEFINE]: JSON.stringify(embedded) },
        });
        assert.deepEqual(result.errors, []);
        const inputs = Object.keys(result.metafile?.inputs ?? {});
        assert.ok(inputs.some((i) => i.includes("components/triage/handler/engine.ts")));
        assert.deepEqual(inputs.filter((i) => /@pulumi|components\/(account|cluster|customer|index)/.test(i)), [], "no Pulumi in the Lambda bundle");

        const table = await createTable(dynamo.endpoint);
        const eventFile = path.join(dir, "event.json");
        const envelope = fixtureJson("amp/05-cpu-overcommit-none.sns.json");
        fs.writeFileSync(eventFile, JSON.stringify({ Records: [{ messageId: "r1", receiptHandle: "h", body: JSON.stringify(envelope), attributes: {}, messageAttributes: {}, md5OfBody: "", eventSource: "aws:sqs", eventSourceARN: "arn:aws:sqs:eu-west-1:111122223333:q", awsRegion: "eu-west-1" }] }));
        const script = `require(${JSON.stringify(outfile)}).handler(JSON.parse(require("fs").readFileSync(${JSON.stringify(eventFile)}, "utf8")), { functionName: "f", awsRequestId: "r", invokedFunctionArn: "arn:aws:lambda:eu-west-1:111122223333:function:f", getRemainingTimeInMillis: () => 30000 })
            .then((r) => process.stdout.write(JSON.stringify(r)), (e) => { process.stderr.write(String(e.stack)); process.exit(1); });`;
        // Asynchronous: dynalite runs in this process and must keep answering.
        const run = await runNode(["--enable-source-maps", "-e", script], {
            cwd: dir,
            env: {
                PATH: process.env.PATH,
                AWS_REGION: "eu-west-1",
                AWS_ACCESS_KEY_ID: "local",
                AWS_SECRET_ACCESS_KEY: "local",
                AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
                POWERTOOLS_LOG_LEVEL: "SILENT",
                TABLE_NAME: table,
                NOTIFICATION_TOPIC_ARN: "arn:aws:sns:eu-west-1:111122223333:vigil-notifications",
                OPERATOR_TOPIC_ARN: "arn:aws:sns:eu-west-1:111122223333:vigil-pipeline",
                REPLY_BASE_URL: "https://reply.vigil.example",
                TIMER_FUNCTION_ARN: "arn:aws:lambda:eu-west-1:111122223333:function:vigil-triage-timer",
                SCHEDULER_ROLE_ARN: "arn:aws:iam::111122223333:role/vigil-triage-scheduler",
            },
        });
        assert.equal(run.status, 0, run.stderr);
        assert.deepEqual(JSON.parse(run.stdout), { batchItemFailures: [] });
        const record = await new DynamoStore(dynamoClient(dynamo.endpoint), table).load(caseIdFor("prometheus:0c1d2e3f4a5b6c7d"));
        assert.equal(record?.state, "RESOLVED");
        assert.equal(record?.impactReason, "rule embedded-marker", "classified with the table embedded at build time");
    });
});

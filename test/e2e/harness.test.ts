// The end-to-end harness's own parts, each proven on its own (fast; no Prometheus server runs
// here): the configurations it derives from the components, the SigV4 check, the local AWS
// endpoint, the remote-write receiver, SNS→SQS delivery, the Lambda host and process handling.

import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import { CreateTableCommand, DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import type { DynamoDBStreamEvent, SQSEvent } from "aws-lambda";
import { build } from "esbuild";
import * as yaml from "js-yaml";
import { alertmanagerDefinition, HEARTBEAT_RECEIVER, splitDefinition } from "../../components/account/alertmanager";
import { DEFAULT_NAMESPACE } from "../../components/cluster/clusterMonitoring";
import { EXPORTER_POD_NAMES } from "../../components/cluster/scrape";
import { loadRuleFiles, RULES_DIR } from "../../components/metrics";
import { amtool, promtool, requireTool } from "../support/tools";
import {
    ALERTMANAGER_ARGS,
    AMP_REMOTE_WRITE_URL,
    durationMs,
    e2eRuleFile,
    FAST_TIMERS,
    FOR_OVERRIDES,
    HARD_TEXT,
    localAlertmanagerFiles,
    localCollectorConfig,
    missingComponentAlerts,
    NAMESPACE,
    NODE_NAME,
    renderedCollectorConfig,
    renderedKeepRule,
    rulerConfig,
    writeRuleFiles,
} from "./harness/config";
import { IntakeQueue, InvokeResult, snsEnvelope, sqsRecord } from "./harness/delivery";
import { INVOKE_PATH, READY_LINE } from "./harness/lambdaHost";
import { LocalAws, PublishedMessage } from "./harness/localAws";
import { Pipeline } from "./harness/pipeline";
import { descendants, Processes, ProcessStartError, processExists } from "./harness/processes";
import { decodeWriteRequest, encodeWriteRequest, RemoteWriteReceiver } from "./harness/remoteWrite";
import { verifySigV4 } from "./harness/sigv4";
import { matchesFilter, TableStream } from "./harness/tableStream";

const REGION = "eu-west-1";
const KEY = { accessKeyId: "AKIAE2ETEST", secretAccessKey: "e2e-test-secret" };

function tmpDir(prefix: string): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), `vigil-e2e-${prefix}-`));
}

/** A harness module and what it imports as one plain script, as the harness runs its own children. */
async function bundleHarnessModule(module: string, outfile: string): Promise<void> {
    await build({ entryPoints: [path.join(__dirname, "harness", module)], bundle: true, platform: "node", target: "node20", format: "cjs", outfile, logLevel: "silent" });
}

interface Response {
    readonly status: number;
    readonly headers: http.IncomingHttpHeaders;
    readonly body: string;
}

/** A plain HTTP request (fetch would not let the test set Host, which SigV4 signs). */
function request(url: string, method: string, headers: Record<string, string>, body: string | Buffer = ""): Promise<Response> {
    return new Promise((resolve, reject) => {
        const req = http.request(url, { method, headers }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
        });
        req.on("error", reject);
        req.end(body);
    });
}

/** Signs like an AWS SDK (the same signer the JavaScript SDK uses) and sends. */
async function signedRequest(
    url: string,
    options: { service: string; method?: string; headers?: Record<string, string>; body?: string | Buffer; key?: typeof KEY; region?: string; date?: Date },
): Promise<Response> {
    const u = new URL(url);
    const key = options.key ?? KEY;
    const body = options.body ?? "";
    const signer = new SignatureV4({ credentials: key, region: options.region ?? REGION, service: options.service, sha256: Sha256 });
    const signed = await signer.sign(
        {
            method: options.method ?? "POST",
            protocol: "http:",
            hostname: u.hostname,
            port: Number(u.port),
            path: u.pathname,
            query: Object.fromEntries(u.searchParams),
            headers: { host: u.host, "content-length": String(Buffer.byteLength(body)), ...(options.headers ?? {}) },
            body,
        },
        { signingDate: options.date },
    );
    return request(url, options.method ?? "POST", signed.headers as Record<string, string>, body);
}

function snsForm(fields: Record<string, string>): string {
    return new URLSearchParams({ Action: "Publish", Version: "2010-03-31", ...fields }).toString();
}

const FORM = { "content-type": "application/x-www-form-urlencoded; charset=utf-8" };

describe("e2e harness", function () {
    this.timeout(30_000);

    describe("collector configuration", () => {
        const keep = ["up", "node_cpu_seconds_total", "prometheus_remote_storage_samples_total"];
        const targets = { nodeExporter: "127.0.0.1:19100", prometheus: "127.0.0.1:19090", remoteWriteUrl: "http://127.0.0.1:19200/api/v1/remote_write" };

        it("is the rendered prometheus.yml with only service discovery and the remote-write URL replaced", () => {
            const rendered = renderedCollectorConfig(keep);
            const renderedDoc = yaml.load(rendered) as any;
            const localDoc = yaml.load(localCollectorConfig(rendered, targets)) as any;
            assert.equal(renderedDoc.remote_write[0].url, AMP_REMOTE_WRITE_URL);
            assert.deepEqual(renderedDoc.remote_write[0].sigv4, { region: REGION });
            assert.equal(localDoc.remote_write[0].url, targets.remoteWriteUrl);
            assert.deepEqual(localDoc.remote_write[0].write_relabel_configs, renderedDoc.remote_write[0].write_relabel_configs, "the keep rule verbatim");
            assert.deepEqual(renderedKeepRule(rendered), { source_labels: ["__name__"], regex: [...keep].sort().join("|"), action: "keep" });
            // Everything but the replaced parts is identical.
            const strip = (doc: any) => ({
                ...doc,
                scrape_configs: doc.scrape_configs.map(({ kubernetes_sd_configs: _sd, static_configs: _static, ...job }: any) => job),
                remote_write: doc.remote_write.map(({ url: _url, ...rest }: any) => rest),
            });
            assert.deepEqual(strip(localDoc), strip(renderedDoc));
            const [nodeExporter, prometheus] = localDoc.scrape_configs;
            assert.equal(nodeExporter.job_name, "node-exporter");
            assert.equal(nodeExporter.kubernetes_sd_configs, undefined);
            assert.deepEqual(nodeExporter.static_configs[0].targets, [targets.nodeExporter]);
            assert.equal(nodeExporter.static_configs[0].labels.__meta_kubernetes_namespace, DEFAULT_NAMESPACE);
            assert.equal(NAMESPACE, DEFAULT_NAMESPACE);
            assert.equal(nodeExporter.static_configs[0].labels.__meta_kubernetes_pod_label_app_kubernetes_io_name, EXPORTER_POD_NAMES.nodeExporter);
            assert.equal(nodeExporter.static_configs[0].labels.__meta_kubernetes_pod_node_name, NODE_NAME);
            assert.deepEqual(prometheus.static_configs, [{ targets: [targets.prometheus] }]);
        });

        it("passes promtool, and the pod labels pass the job's keep rules", () => {
            requireTool("promtool");
            const dir = tmpDir("collector");
            try {
                const local = localCollectorConfig(renderedCollectorConfig(keep), targets);
                fs.writeFileSync(path.join(dir, "prometheus.yml"), local);
                promtool(["check", "config", path.join(dir, "prometheus.yml")]);
                // The relabel keep rules, evaluated on the static labels as Prometheus anchors them.
                const job = (yaml.load(local) as any).scrape_configs[0];
                const labels = job.static_configs[0].labels;
                for (const rule of job.relabel_configs.filter((r: any) => r.action === "keep")) {
                    const value = rule.source_labels.map((l: string) => labels[l] ?? "").join(rule.separator ?? ";");
                    assert.match(value, new RegExp(`^(?:${rule.regex})$`), `keep rule on ${rule.source_labels.join(",")}`);
                }
                const wrong = { ...labels, __meta_kubernetes_pod_container_port_number: "8080" };
                const portRule = job.relabel_configs[0];
                assert.doesNotMatch(portRule.source_labels.map((l: string) => wrong[l]).join(";"), new RegExp(`^(?:${portRule.regex})$`), "another port would be dropped");
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });

        it("refuses a job it has no local target for, naming it", () => {
            const doc = yaml.load(renderedCollectorConfig(keep)) as any;
            doc.scrape_configs.push({ job_name: "kube-state-metrics", kubernetes_sd_configs: [{ role: "pod" }] });
            assert.throws(() => localCollectorConfig(yaml.dump(doc), targets), /job kube-state-metrics: the harness has no local target/);
        });
    });

    describe("rule copies and the `for` override", () => {
        const hash = (dir: string) =>
            fs
                .readdirSync(dir)
                .filter((f) => f.endsWith(".yaml"))
                .sort()
                .map((f) => `${f}:${createHash("sha256").update(fs.readFileSync(path.join(dir, f))).digest("hex")}`)
                .join("\n");

        it("copies every rule file verbatim except the overridden `for` windows, and leaves rules/ untouched", () => {
            const dir = tmpDir("rules");
            const before = hash(RULES_DIR);
            try {
                const { files, overridden } = writeRuleFiles(dir);
                assert.equal(hash(RULES_DIR), before, "rules/ is not written");
                const shipped = loadRuleFiles();
                assert.deepEqual(
                    files.map((f) => path.basename(f)),
                    shipped.map((f) => path.basename(f.path)),
                );
                assert.deepEqual(overridden.map((o) => [o.alert, o.to]).sort(), Object.entries(FOR_OVERRIDES).sort());
                assert.ok(overridden.every((o) => o.from !== undefined && durationMs(o.from) > durationMs(o.to)), "the override shortens a real window");
                const copies = loadRuleFiles(dir);
                for (const [i, file] of shipped.entries()) {
                    const touched = overridden.some((o) => o.file === path.basename(file.path));
                    if (!touched) {
                        assert.equal(copies[i].content, file.content, `${file.path} copied byte for byte`);
                        continue;
                    }
                    // Same rules, same order; only `for` of the named alerts differs.
                    const expected = file.groups.map((g) => ({ ...g, rules: g.rules.map((r) => (r.alert && r.alert in FOR_OVERRIDES ? { ...r, for: FOR_OVERRIDES[r.alert] } : r)) }));
                    assert.deepEqual(copies[i].groups, expected);
                }
                fs.writeFileSync(path.join(dir, "zz-vigil-e2e.yaml"), e2eRuleFile());
                requireTool("promtool");
                promtool(["check", "rules", ...fs.readdirSync(dir).map((f) => path.join(dir, f))]);
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });

        it("fails on an override that names no alert, on a bad duration, and on writing into rules/", () => {
            const dir = tmpDir("rules-bad");
            try {
                assert.throws(() => writeRuleFiles(dir, { NoSuchAlert: "5s" }), /no rule file in .* has an alert named NoSuchAlert/);
                assert.throws(() => writeRuleFiles(dir, { TargetDown: "soon" }), /overrides\.TargetDown: got "soon"/);
                assert.throws(() => writeRuleFiles(RULES_DIR), /the overrides go to copies/);
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });

        it("knows which shipped alerts report a component the harness's cluster does not run", () => {
            assert.deepEqual(
                [...missingComponentAlerts()].sort(),
                [
                    ["CoreDNSDown", { job: "kube-dns", for: "5m" }],
                    ["KubeAPIDown", { job: "apiserver", for: "5m" }],
                    ["KubeStateMetricsDown", { job: "kube-state-metrics", for: "10m" }],
                    ["KubeletDown", { job: "kubelet", for: "15m" }],
                ],
            );
            assert.ok(!missingComponentAlerts().has("NodeExporterDown"), "node-exporter runs locally");
            assert.ok(missingComponentAlerts(loadRuleFiles(), []).has("NodeExporterDown"), "it would be missing without it");
        });

        it("test-only rules carry the hard text and the ruler evaluates every second", () => {
            const doc = yaml.load(e2eRuleFile()) as any;
            const text = doc.groups[0].rules[0];
            assert.deepEqual(Object.fromEntries(Object.entries(text.labels).filter(([k]) => k in HARD_TEXT.labels)), HARD_TEXT.labels);
            assert.deepEqual(text.annotations, HARD_TEXT.annotations);
            const ruler = yaml.load(rulerConfig(["/r/a.yaml"], "127.0.0.1:9093")) as any;
            assert.deepEqual(ruler, { global: { evaluation_interval: "1s" }, rule_files: ["/r/a.yaml"], alerting: { alertmanagers: [{ static_configs: [{ targets: ["127.0.0.1:9093"] }] }] } });
            assert.throws(() => rulerConfig([], "x", 5), /evaluationIntervalSeconds: got 5; allowed: 1 or 2/);
        });
    });

    describe("alert manager configuration", () => {
        const strip = (config: string) => {
            const doc = yaml.load(config) as any;
            for (const r of doc.receivers) {
                for (const c of r.sns_configs) {
                    delete c.api_url;
                }
            }
            return doc;
        };
        const rendered = () => splitDefinition(alertmanagerDefinition(ALERTMANAGER_ARGS));

        it("rendered timers: the AMP definition with only api_url added", () => {
            const files = localAlertmanagerFiles("http://127.0.0.1:1/", "rendered");
            assert.deepEqual(strip(files.config), yaml.load(rendered().config));
            assert.deepEqual(files.templates, rendered().templates);
            const doc = yaml.load(files.config) as any;
            assert.deepEqual(
                doc.receivers.flatMap((r: any) => r.sns_configs.map((c: any) => c.api_url)),
                ["http://127.0.0.1:1/", "http://127.0.0.1:1/"],
            );
            assert.equal(doc.receivers[1].name, HEARTBEAT_RECEIVER);
        });

        it("fast timers: additionally only the root route's group_wait and group_interval", () => {
            const fast = strip(localAlertmanagerFiles("http://127.0.0.1:1/", "fast").config);
            const expected = yaml.load(rendered().config) as any;
            assert.notDeepEqual(fast.route.group_interval, expected.route.group_interval);
            Object.assign(expected.route, FAST_TIMERS);
            assert.deepEqual(fast, expected);
            assert.throws(() => localAlertmanagerFiles("http://x/", "slow" as any), /timers: got "slow"/);
        });

        it("passes amtool with its template", () => {
            requireTool("amtool");
            const dir = tmpDir("am");
            try {
                const files = localAlertmanagerFiles("http://127.0.0.1:1/");
                fs.writeFileSync(path.join(dir, "alertmanager.yml"), files.config);
                for (const [name, text] of Object.entries(files.templates)) {
                    fs.writeFileSync(path.join(dir, name), text);
                }
                assert.match(amtool(["check-config", path.join(dir, "alertmanager.yml")]), /SUCCESS/);
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });

        it("reads Prometheus durations", () => {
            assert.equal(durationMs("5m"), 300_000);
            assert.equal(durationMs("1h30m"), 5_400_000);
            assert.equal(durationMs("500ms"), 500);
            assert.throws(() => durationMs("5 minutes"), /duration: got "5 minutes"/);
        });
    });

    describe("SigV4 verification", () => {
        let server: http.Server;
        let url = "";
        let last: Awaited<ReturnType<typeof verifySigV4>> | undefined;
        before(async () => {
            server = http.createServer((req, res) => {
                const chunks: Buffer[] = [];
                req.on("data", (c: Buffer) => chunks.push(c));
                req.on("end", async () => {
                    last = await verifySigV4({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks) }, { [KEY.accessKeyId]: KEY.secretAccessKey }, REGION);
                    res.end();
                });
            });
            await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
            url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/schedules/vigil-reply-1?groupName=vigil`;
        });
        after(() => new Promise<void>((resolve) => server.close(() => resolve())));

        it("accepts a request signed with the key, for the region", async () => {
            await signedRequest(url, { service: "scheduler", body: '{"a":1}', headers: { "content-type": "application/json" } });
            assert.deepEqual(last, { ok: true, accessKeyId: KEY.accessKeyId, region: REGION, service: "scheduler" });
        });

        it("refuses unsigned, wrongly signed, tampered, other-region, unknown-key and stale requests", async () => {
            await request(url, "POST", { "content-type": "application/json" }, "{}");
            assert.deepEqual(last, { ok: false, reason: "no Authorization header (the request is not signed)" });
            await signedRequest(url, { service: "sns", key: { ...KEY, secretAccessKey: "wrong" } });
            assert.match(String(last?.ok === false && last.reason), /signature does not match/);
            await signedRequest(url, { service: "sns", region: "us-east-1" });
            assert.match(String(last?.ok === false && last.reason), /signed for region us-east-1, expected eu-west-1/);
            await signedRequest(url, { service: "sns", key: { ...KEY, accessKeyId: "AKIAOTHER" } });
            assert.match(String(last?.ok === false && last.reason), /unknown access key id AKIAOTHER/);
            await signedRequest(url, { service: "sns", date: new Date(Date.now() - 3_600_000) });
            assert.match(String(last?.ok === false && last.reason), /outside the allowed clock skew/);
            // A body changed after signing.
            const u = new URL(url);
            const signer = new SignatureV4({ credentials: KEY, region: REGION, service: "sns", sha256: Sha256, applyChecksum: false });
            const signed = await signer.sign({ method: "POST", protocol: "http:", hostname: u.hostname, port: Number(u.port), path: u.pathname, query: { groupName: "vigil" }, headers: { host: u.host }, body: "original" });
            await request(url, "POST", signed.headers as Record<string, string>, "tampered");
            assert.match(String(last?.ok === false && last.reason), /signature does not match/);
        });
    });

    describe("local AWS endpoint", () => {
        const topic = "arn:aws:sns:eu-west-1:111122223333:vigil-alerts";
        let aws: LocalAws;
        let endpoint = "";
        const delivered: PublishedMessage[] = [];
        before(async () => {
            aws = new LocalAws({ region: REGION, accountId: "111122223333", credentials: { [KEY.accessKeyId]: KEY.secretAccessKey }, topics: [topic] });
            aws.onPublish = (m) => delivered.push(m);
            endpoint = await aws.start();
        });
        after(() => aws.close());

        it("SNS Publish: records message, subject and attributes, answers PublishResponse, delivers asynchronously", async () => {
            const response = await signedRequest(`${endpoint}/`, {
                service: "sns",
                headers: FORM,
                body: snsForm({
                    TopicArn: topic,
                    Message: '{"text":"Grüße 🚨 & = +"}',
                    Subject: "Vigil FIRING: 1 firing, 0 resolved",
                    "MessageAttributes.entry.1.Name": "truncated",
                    "MessageAttributes.entry.1.Value.DataType": "String",
                    "MessageAttributes.entry.1.Value.StringValue": "true",
                }),
            });
            assert.equal(response.status, 200, response.body);
            const id = /<MessageId>([^<]+)<\/MessageId>/.exec(response.body)?.[1];
            assert.ok(id);
            const published = aws.published.find((p) => p.messageId === id);
            assert.equal(published?.message, '{"text":"Grüße 🚨 & = +"}');
            assert.equal(published?.subject, "Vigil FIRING: 1 firing, 0 resolved");
            assert.deepEqual(published?.attributes, { truncated: "true" });
            assert.equal(published?.accessKeyId, KEY.accessKeyId);
            await new Promise((resolve) => setImmediate(resolve));
            assert.ok(delivered.some((d) => d.messageId === id));
        });

        it("SNS Publish: refuses an unknown topic, a subject SNS would refuse, an empty or non-UTF-8 message", async () => {
            const cases: [Record<string, string> | string, number, RegExp][] = [
                [{ TopicArn: `${topic}-x`, Message: "m" }, 404, /NotFound/],
                [{ TopicArn: topic, Message: "m", Subject: "line\nbreak" }, 400, /Subject/],
                [{ TopicArn: topic, Message: "m", Subject: "Grüße" }, 400, /Subject/],
                [{ TopicArn: topic, Message: "m", Subject: "x".repeat(100) }, 400, /Subject/],
                [{ TopicArn: topic, Message: "" }, 400, /Empty message/],
                [`Action=Publish&Version=2010-03-31&TopicArn=${encodeURIComponent(topic)}&Message=%FF%FE`, 400, /not valid UTF-8/],
            ];
            for (const [fields, status, error] of cases) {
                const before = aws.published.length;
                const response = await signedRequest(`${endpoint}/`, { service: "sns", headers: FORM, body: typeof fields === "string" ? fields : snsForm(fields) });
                assert.equal(response.status, status, JSON.stringify(fields));
                assert.match(response.body, error);
                assert.equal(aws.published.length, before, "nothing recorded");
            }
            assert.ok(aws.refused.length >= cases.length);
        });

        it("SSM CreateOpsItem: creates, then refuses the same dedup string with the first OpsItem's id", async () => {
            const body = JSON.stringify({ Title: "t", Description: "d", Source: "Vigil", OperationalData: { "/aws/dedup": { Type: "SearchableString", Value: JSON.stringify({ dedupString: "prometheus:0123" }) } } });
            const headers = { "content-type": "application/x-amz-json-1.1", "x-amz-target": "AmazonSSM.CreateOpsItem" };
            const first = await signedRequest(`${endpoint}/`, { service: "ssm", headers, body });
            assert.equal(first.status, 200, first.body);
            const id = JSON.parse(first.body).OpsItemId;
            assert.match(id, /^oi-[0-9a-f]{12}$/);
            const second = await signedRequest(`${endpoint}/`, { service: "ssm", headers, body });
            assert.equal(second.status, 400);
            assert.equal(second.headers["x-amzn-errortype"], "OpsItemAlreadyExistsException");
            assert.equal(JSON.parse(second.body).OpsItemId, id);
            const missing = await signedRequest(`${endpoint}/`, { service: "ssm", headers, body: JSON.stringify({ Title: "t" }) });
            assert.equal(missing.status, 400);
            assert.match(missing.body, /Description is required/);
        });

        it("Scheduler: creates, refuses a duplicate, deletes, and reports a missing schedule", async () => {
            const body = JSON.stringify({ GroupName: "vigil", ScheduleExpression: "at(2030-01-01T00:00:00)", FlexibleTimeWindow: { Mode: "OFF" }, Target: { Arn: "arn:aws:lambda:eu-west-1:111122223333:function:t", RoleArn: "arn:aws:iam::111122223333:role/r" } });
            const json = { "content-type": "application/json" };
            assert.equal((await signedRequest(`${endpoint}/schedules/vigil-reply-a-1`, { service: "scheduler", headers: json, body })).status, 200);
            const dup = await signedRequest(`${endpoint}/schedules/vigil-reply-a-1`, { service: "scheduler", headers: json, body });
            assert.equal(dup.status, 409);
            assert.equal(dup.headers["x-amzn-errortype"], "ConflictException");
            assert.equal((await signedRequest(`${endpoint}/schedules/vigil-reply-a-1?groupName=vigil`, { service: "scheduler", method: "DELETE" })).status, 200);
            const gone = await signedRequest(`${endpoint}/schedules/vigil-reply-a-1?groupName=vigil`, { service: "scheduler", method: "DELETE" });
            assert.equal(gone.status, 404);
            assert.equal(gone.headers["x-amzn-errortype"], "ResourceNotFoundException");
            assert.deepEqual(
                aws.scheduleCalls.map((c) => [c.operation, c.name, c.groupName, c.outcome]),
                [
                    ["CreateSchedule", "vigil-reply-a-1", "vigil", "ok"],
                    ["CreateSchedule", "vigil-reply-a-1", "vigil", "conflict"],
                    ["DeleteSchedule", "vigil-reply-a-1", "vigil", "ok"],
                    ["DeleteSchedule", "vigil-reply-a-1", "vigil", "not-found"],
                ],
            );
        });

        it("refuses unsigned requests and records why", async () => {
            const response = await request(`${endpoint}/`, "POST", FORM, snsForm({ TopicArn: topic, Message: "m" }));
            assert.equal(response.status, 403);
            assert.deepEqual(aws.refused.at(-1), { method: "POST", url: "/", reason: "no Authorization header (the request is not signed)" });
        });
    });

    describe("remote-write receiver", () => {
        let receiver: RemoteWriteReceiver;
        let upstream: http.Server;
        let upstreamBodies: Buffer[] = [];
        let upstreamStatus = 204;
        let url = "";
        const write = { "content-encoding": "snappy", "content-type": "application/x-protobuf", "x-prometheus-remote-write-version": "0.1.0" };
        const body = Buffer.from(encodeWriteRequest([{ labels: { __name__: "up", cluster: "c", job: "node-exporter" }, value: 1, timestamp: Date.now() }]));
        before(async () => {
            upstream = http.createServer((req, res) => {
                const chunks: Buffer[] = [];
                req.on("data", (c: Buffer) => chunks.push(c));
                req.on("end", () => {
                    upstreamBodies.push(Buffer.concat(chunks));
                    res.writeHead(upstreamStatus).end(upstreamStatus === 204 ? "" : "out of order sample");
                });
            });
            await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
            receiver = new RemoteWriteReceiver({ region: REGION, credentials: { [KEY.accessKeyId]: KEY.secretAccessKey } });
            url = await receiver.start();
            receiver.forwardTo = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/api/v1/write`;
        });
        after(async () => {
            await receiver.close();
            await new Promise<void>((resolve) => upstream.close(() => resolve()));
        });

        it("decodes what it encodes", () => {
            assert.deepEqual(decodeWriteRequest(body), { series: [{ labels: { __name__: "up", cluster: "c", job: "node-exporter" }, samples: 1 }], metadata: [] });
            assert.throws(() => decodeWriteRequest(Buffer.from("not snappy")));
        });

        it("records signed and unsigned writes, forwards them unchanged and passes the upstream answer back", async () => {
            upstreamBodies = [];
            upstreamStatus = 204;
            assert.equal((await signedRequest(url, { service: "aps", headers: write, body })).status, 204);
            assert.equal((await request(url, "POST", write, body)).status, 204);
            assert.equal(receiver.requests, 2);
            assert.equal(receiver.unsigned, 1);
            assert.deepEqual([...receiver.metricNames()], ["up"]);
            assert.deepEqual(upstreamBodies, [body, body]);
            upstreamStatus = 400;
            const rejected = await request(url, "POST", write, body);
            assert.equal(rejected.status, 400);
            assert.equal(rejected.body, "out of order sample");
        });

        it("refuses a bad signature, another service's signature, the wrong encoding and a body that is not a WriteRequest", async () => {
            const before = receiver.requests;
            assert.equal((await signedRequest(url, { service: "aps", headers: write, body, key: { ...KEY, secretAccessKey: "x" } })).status, 403);
            assert.equal((await signedRequest(url, { service: "sns", headers: write, body })).status, 403);
            assert.equal((await request(url, "POST", { ...write, "content-encoding": "gzip" }, body)).status, 415);
            assert.equal((await request(url, "POST", write, Buffer.from("junk"))).status, 400);
            assert.equal(receiver.requests, before);
            assert.equal(receiver.refused.length, 4);
        });
    });

    describe("SNS to SQS delivery", () => {
        const message: PublishedMessage = { messageId: "m-1", topicArn: "arn:aws:sns:eu-west-1:111122223333:vigil-alerts", subject: "s", message: '{"a":1}', attributes: { truncated: "true" }, at: "2024-05-01T12:00:00.000Z", accessKeyId: "k" };
        const options = { queueArn: "arn:aws:sqs:eu-west-1:111122223333:q", region: REGION, maxReceiveCount: 3, visibilityTimeoutMs: 10, batchSize: 2, batchingWindowMs: 0 };

        it("wraps a message in the SNS envelope and an SQS record", () => {
            assert.deepEqual(snsEnvelope(message), {
                Type: "Notification",
                MessageId: "m-1",
                TopicArn: message.topicArn,
                Subject: "s",
                Message: '{"a":1}',
                Timestamp: message.at,
                MessageAttributes: { truncated: { Type: "String", Value: "true" } },
            });
            assert.equal(snsEnvelope({ ...message, subject: undefined, attributes: {} }).MessageAttributes, undefined);
            const record = sqsRecord("body", options, 2, 1714564800000);
            assert.equal(record.md5OfBody, createHash("md5").update("body").digest("hex"));
            assert.equal(record.attributes.ApproximateReceiveCount, "2");
            assert.equal(record.attributes.SentTimestamp, "1714564800000");
            assert.equal(record.eventSourceARN, options.queueArn);
        });

        const drained = async (queue: IntakeQueue) => {
            for (let i = 0; i < 200 && !queue.idle; i++) {
                await new Promise((resolve) => setTimeout(resolve, 10));
            }
            assert.ok(queue.idle);
        };

        it("redelivers failed records with a higher receive count and dead-letters them after maxReceiveCount", async () => {
            const batches: SQSEvent[] = [];
            const queue = new IntakeQueue(async (event): Promise<InvokeResult> => {
                batches.push(event);
                const failing = event.Records.filter((r) => JSON.parse(r.body).MessageId === "bad").map((r) => ({ itemIdentifier: r.messageId }));
                return { payload: { batchItemFailures: failing } };
            }, options);
            queue.send({ ...message, messageId: "good" });
            queue.send({ ...message, messageId: "bad" });
            queue.send({ ...message, messageId: "good-2" });
            await drained(queue);
            assert.ok(batches.every((b) => b.Records.length <= options.batchSize));
            const bad = queue.deliveries.filter((d) => d.snsMessageId === "bad");
            assert.deepEqual(
                bad.map((d) => [d.receiveCount, d.failed]),
                [
                    [1, true],
                    [2, true],
                    [3, true],
                ],
            );
            assert.deepEqual(
                queue.deliveries.filter((d) => d.snsMessageId !== "bad").map((d) => [d.snsMessageId, d.failed]),
                [
                    ["good", false],
                    ["good-2", false],
                ],
            );
            assert.equal(queue.deadLetters.length, 1);
            assert.equal(JSON.parse(queue.deadLetters[0].body).MessageId, "bad");
            const receives = batches.flatMap((b) => b.Records).filter((r) => JSON.parse(r.body).MessageId === "bad");
            assert.deepEqual(
                receives.map((r) => r.attributes.ApproximateReceiveCount),
                ["1", "2", "3"],
            );
            assert.equal(new Set(receives.map((r) => r.messageId)).size, 1, "the same SQS message id");
            assert.equal(new Set(receives.map((r) => r.receiptHandle)).size, 3, "a new receipt handle per receive");
        });

        it("gathers records for the batching window before invoking with a batch that is not full", async () => {
            const batches: number[] = [];
            const queue = new IntakeQueue(async (event): Promise<InvokeResult> => {
                batches.push(event.Records.length);
                return { payload: { batchItemFailures: [] } };
            }, { ...options, batchSize: 10, batchingWindowMs: 150 });
            queue.send({ ...message, messageId: "a" });
            await new Promise((resolve) => setTimeout(resolve, 50));
            queue.send({ ...message, messageId: "b" });
            queue.send({ ...message, messageId: "c" });
            assert.deepEqual(batches, [], "nothing is invoked inside the window");
            await drained(queue);
            assert.deepEqual(batches, [3]);
        });

        it("retries the whole batch when the invocation fails", async () => {
            let calls = 0;
            const queue = new IntakeQueue(async (): Promise<InvokeResult> => (++calls === 1 ? { functionError: "Unhandled", payload: { errorMessage: "boom" } } : { payload: { batchItemFailures: [] } }), options);
            queue.send(message);
            await drained(queue);
            assert.deepEqual(
                queue.deliveries.map((d) => [d.receiveCount, d.failed]),
                [
                    [1, true],
                    [2, false],
                ],
            );
            assert.match(queue.deliveries[0].error ?? "", /Unhandled: .*boom/);
        });
    });

    describe("table stream and follow-up mapping", () => {
        const filter = { dynamodb: { NewImage: { replyWork: { S: ["pending"] } } } };
        const record = (replyWork?: string) => ({ eventSource: "aws:dynamodb", dynamodb: { NewImage: replyWork === undefined ? { pk: { S: "case#a" } } : { replyWork: { S: replyWork } } } });

        it("filters as Lambda event filtering does for nested objects and lists of values, and refuses what it cannot evaluate", () => {
            assert.equal(matchesFilter(filter, record("pending")), true);
            assert.equal(matchesFilter(filter, record("done")), false);
            assert.equal(matchesFilter(filter, record()), false);
            assert.equal(matchesFilter({ eventName: ["INSERT", "MODIFY"] }, { eventName: "REMOVE" }), false);
            assert.throws(() => matchesFilter({ dynamodb: { NewImage: { replyWork: { S: [{ prefix: "pend" }] } } } }, record("pending")), /content filter \{"prefix":"pend"\} is not supported/);
            assert.throws(() => matchesFilter({ dynamodb: "x" }, record("pending")), /pattern\.dynamodb: got "x"/);
        });

        it("emits changed items from LATEST on, delivers what passes the filter, drops records while paused and retries failures", async function () {
            this.timeout(20_000);
            const dynalite = require("dynalite") as (options: Record<string, unknown>) => http.Server;
            const server = dynalite({ createTableMs: 0 });
            await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
            const client = new DynamoDBClient({ region: REGION, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, credentials: KEY });
            const put = (id: string, replyWork?: string) =>
                client.send(new PutItemCommand({ TableName: "cases", Item: { pk: { S: `case#${id}` }, sk: { S: "case" }, v: { S: String(Date.now()) }, ...(replyWork ? { replyWork: { S: replyWork } } : {}) } }));
            const events: DynamoDBStreamEvent[] = [];
            let failNext = 0;
            const stream = new TableStream(
                client,
                async (event): Promise<InvokeResult> => {
                    events.push(event);
                    if (failNext > 0) {
                        failNext--;
                        return { payload: { batchItemFailures: [{ itemIdentifier: event.Records[0].dynamodb?.SequenceNumber }] } };
                    }
                    return { payload: { batchItemFailures: [] } };
                },
                { tableName: "cases", streamArn: "arn:aws:dynamodb:eu-west-1:111122223333:table/cases/stream/x", region: REGION, filter, batchSize: 10, maximumRetryAttempts: 1, keyAttributes: ["pk", "sk"], pollMs: 50 },
            );
            const settle = () => new Promise((resolve) => setTimeout(resolve, 300));
            try {
                await client.send(new CreateTableCommand({ TableName: "cases", KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }, { AttributeName: "sk", KeyType: "RANGE" }], AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }, { AttributeName: "sk", AttributeType: "S" }], BillingMode: "PAY_PER_REQUEST" }));
                await put("before", "pending");
                await stream.start();
                await settle();
                assert.equal(events.length, 0, "an item older than the mapping produces nothing until it changes");
                await put("quiet");
                await put("work", "pending");
                await settle();
                assert.equal(events.length, 1);
                assert.deepEqual(
                    events[0].Records.map((r) => [r.eventName, r.dynamodb?.Keys?.pk?.S, r.dynamodb?.StreamViewType, r.eventSourceARN]),
                    [["INSERT", "case#work", "NEW_IMAGE", "arn:aws:dynamodb:eu-west-1:111122223333:table/cases/stream/x"]],
                );
                await put("before", "pending");
                await settle();
                assert.deepEqual(events.at(-1)?.Records.map((r) => [r.eventName, r.dynamodb?.Keys?.pk?.S]), [["MODIFY", "case#before"]]);
                stream.pause();
                await put("paused", "pending");
                await settle();
                assert.equal(stream.dropped.length, 1);
                stream.resume();
                const before = events.length;
                failNext = 2;
                await put("failing", "pending");
                await settle();
                assert.equal(events.length - before, 2, "delivered, then retried once (maximumRetryAttempts 1)");
                assert.deepEqual(stream.failed.map((r) => r.dynamodb?.Keys?.pk?.S), ["case#failing"]);
                assert.deepEqual(
                    stream.deliveries.filter((d) => d.key === "case#failing|case").map((d) => [d.attempt, d.failed]),
                    [
                        [1, true],
                        [2, true],
                    ],
                );
            } finally {
                await stream.stop();
                client.destroy();
                await new Promise<void>((resolve) => server.close(() => resolve()));
            }
        });
    });

    describe("Lambda host", () => {
        let dir: string;
        let processes: Processes;
        const start = async (mode: "invoke" | "http-api", name = `host-${mode}`) => {
            const host = await processes.start({
                name,
                command: process.execPath,
                args: [
                    ...[path.join(dir, "host.js"), "--bundle", path.join(dir, "fake.js"), "--handler", mode === "invoke" ? "echo" : "web", "--mode", mode],
                    ...["--function-arn", "arn:aws:lambda:eu-west-1:111122223333:function:fake", "--timeout-ms", "1000", "--routes", "GET /r/{token},POST /r/{token}"],
                ],
                env: { PATH: process.env.PATH },
                stdin: true,
                ready: (output) => READY_LINE.test(output),
            });
            return { host, url: `http://127.0.0.1:${READY_LINE.exec(host.output)?.[1]}` };
        };
        before(async () => {
            dir = tmpDir("host");
            processes = new Processes(path.join(dir, "logs"));
            await bundleHarnessModule("lambdaHost.ts", path.join(dir, "host.js"));
            fs.writeFileSync(
                path.join(dir, "fake.js"),
                [
                    "exports.echo = async (event, context) => {",
                    "  if (event.fail) throw new TypeError('asked to fail');",
                    "  if (event.hang) return new Promise(() => undefined);",
                    "  return { event, functionName: context.functionName, arn: context.invokedFunctionArn, remaining: context.getRemainingTimeInMillis() };",
                    "};",
                    "exports.web = async (event) => ({ statusCode: 201, headers: { 'X-Echo': 'yes' }, body: JSON.stringify(event) });",
                ].join("\n"),
            );
        });
        after(async () => {
            await processes.stopAll();
            fs.rmSync(dir, { recursive: true, force: true });
        });

        it("invoke mode: answers with the handler's result, or its error flagged as Lambda does, and enforces the time limit", async () => {
            const { url } = await start("invoke");
            const ok = await fetch(`${url}${INVOKE_PATH}`, { method: "POST", body: JSON.stringify({ hello: "wörld" }) });
            const result = (await ok.json()) as any;
            assert.deepEqual(result.event, { hello: "wörld" });
            assert.equal(result.functionName, "fake");
            assert.equal(result.arn, "arn:aws:lambda:eu-west-1:111122223333:function:fake");
            assert.ok(result.remaining > 0 && result.remaining <= 1000);
            const failed = await fetch(`${url}${INVOKE_PATH}`, { method: "POST", body: JSON.stringify({ fail: true }) });
            assert.equal(failed.headers.get("x-amz-function-error"), "Unhandled");
            const error = (await failed.json()) as any;
            assert.deepEqual([error.errorType, error.errorMessage], ["TypeError", "asked to fail"]);
            const hung = await fetch(`${url}${INVOKE_PATH}`, { method: "POST", body: JSON.stringify({ hang: true }) });
            assert.equal(hung.headers.get("x-amz-function-error"), "Unhandled");
            assert.match(((await hung.json()) as any).errorMessage, /Task timed out after 1\.00 seconds/);
        });

        it("http-api mode: turns a request on a route into a payload-2.0 event and the result into the response", async () => {
            const { url } = await start("http-api");
            const response = await fetch(`${url}/r/abc.def?x=1`, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded", "User-Agent": "ua" }, body: "a=b" });
            assert.equal(response.status, 201);
            assert.equal(response.headers.get("x-echo"), "yes");
            const event = (await response.json()) as any;
            assert.equal(event.version, "2.0");
            assert.equal(event.routeKey, "POST /r/{token}");
            assert.deepEqual(event.pathParameters, { token: "abc.def" });
            assert.equal(event.rawPath, "/r/abc.def");
            assert.equal(event.rawQueryString, "x=1");
            assert.deepEqual(event.queryStringParameters, { x: "1" });
            assert.equal(event.body, "a=b");
            assert.equal(event.isBase64Encoded, false);
            assert.equal(event.requestContext.http.method, "POST");
            assert.equal(event.requestContext.http.userAgent, "ua");
            assert.equal(event.requestContext.http.sourceIp, "127.0.0.1");
            // Routes the API does not have never reach the function.
            for (const [method, p] of [["DELETE", "/r/abc"], ["GET", "/r/abc/more"], ["GET", "/other"]]) {
                const missing = await fetch(`${url}${p}`, { method });
                assert.equal(missing.status, 404, `${method} ${p}`);
                assert.deepEqual(await missing.json(), { message: "Not Found" });
            }
        });

        it("exits when its stdin closes (the harness went away)", async () => {
            const { host } = await start("invoke", "host-stdin");
            host.child.stdin?.end();
            const { code } = await host.exited;
            assert.equal(code, 0);
        });
    });

    describe("pipeline start", () => {
        /** Processes whose command line names `text` (Linux /proc). */
        const processesNaming = (text: string): number[] =>
            fs
                .readdirSync("/proc")
                .filter((e) => /^\d+$/.test(e))
                .filter((e) => {
                    try {
                        return fs.readFileSync(`/proc/${e}/cmdline`, "utf8").includes(text);
                    } catch {
                        return false;
                    }
                })
                .map(Number);

        it("fails with the server's log when a server is not ready in time, stops what started and keeps the files", async () => {
            let message = "";
            await assert.rejects(
                Pipeline.start({ startTimeoutMs: 1 }),
                (err: Error) => {
                    message = err.message;
                    return err instanceof ProcessStartError;
                },
            );
            assert.match(message, /lambda-reply was not ready within 1 ms; log \/.*\/logs\/lambda-reply\.log:/);
            const dir = /files and logs kept in (\S+)\)/.exec(message)?.[1];
            assert.ok(dir && fs.existsSync(path.join(dir, "logs", "lambda-reply.log")), message);
            try {
                assert.deepEqual(processesNaming(dir), [], "nothing of the failed run still runs");
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });
    });

    describe("processes", () => {
        let dir: string;
        let processes: Processes;
        beforeEach(() => {
            dir = tmpDir("proc");
            processes = new Processes(path.join(dir, "logs"));
        });
        afterEach(async () => {
            await processes.stopAll();
            fs.rmSync(dir, { recursive: true, force: true });
        });

        it("fails with the process's output when it exits before it is ready", async () => {
            await assert.rejects(
                processes.start({ name: "quitter", command: "sh", args: ["-c", "echo 'bind: address already in use' >&2; exit 3"], env: { PATH: process.env.PATH }, ready: () => false }),
                (err: Error) => err instanceof ProcessStartError && /quitter exited \(code 3, signal null\) before it was ready/.test(err.message) && /address already in use/.test(err.message) && err.message.includes(path.join(dir, "logs", "quitter.log")),
            );
            assert.match(fs.readFileSync(path.join(dir, "logs", "quitter.log"), "utf8"), /address already in use/);
        });

        it("fails and stops a process that is not ready in time", async () => {
            let pid = 0;
            await assert.rejects(
                processes.start({
                    name: "sleeper",
                    command: "sleep",
                    args: ["30"],
                    env: { PATH: process.env.PATH },
                    ready: () => false,
                    timeoutMs: 600,
                }),
                (err: Error) => {
                    pid = processes.started[0].pid;
                    return /sleeper was not ready within 600 ms/.test(err.message);
                },
            );
            assert.equal(processExists(pid), false);
        });

        it("names a command that is not installed", async () => {
            await assert.rejects(
                processes.start({ name: "missing", command: "vigil-no-such-binary", args: [], env: { PATH: process.env.PATH }, ready: () => true }),
                /missing could not be started \(spawn vigil-no-such-binary ENOENT\); is it installed\?/,
            );
        });

        it("sees the processes a child started, and stops what it started", async () => {
            const shell = await processes.start({ name: "shell", command: "sh", args: ["-c", "sleep 30 & echo started; wait"], env: { PATH: process.env.PATH }, ready: (out) => out.includes("started") });
            const below = descendants([shell.pid]);
            assert.equal(below.length, 1, "the sleep below the shell");
            try {
                await processes.stop("shell");
                assert.equal(processExists(shell.pid), false);
            } finally {
                // The orphaned grandchild is this test's own to clean up.
                process.kill(below[0], "SIGKILL");
            }
        });

        describe("when the run itself is signalled (a CI timeout)", () => {
            /** Running and not a zombie: a killed child whose parent died waits for init to reap it. */
            const alive = (pid: number): boolean => {
                try {
                    return !/^\d+ \(.*\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
                } catch {
                    return processExists(pid);
                }
            };
            let bin: string;
            before(async () => {
                bin = tmpDir("signals");
                await bundleHarnessModule("processes.ts", path.join(bin, "processes.js"));
                // A run that starts a server through the harness, optionally with a signal handler of its own, and waits.
                fs.writeFileSync(
                    path.join(bin, "run.js"),
                    [
                        'const fs = require("node:fs");',
                        'const { Processes } = require("./processes.js");',
                        "const [logDir, own] = process.argv.slice(2);",
                        "let server = 0;",
                        "// Its own handler runs first; a moment later it reports the server's state (Z: killed, not yet reaped) and exits.",
                        "const state = () => { try { return fs.readFileSync(`/proc/${server}/stat`, 'utf8').split(') ')[1][0]; } catch { return 'gone'; } };",
                        "if (own) process.on(own, () => setTimeout(() => { console.log(`own handler ${own}: server ${state()}`); process.exit(0); }, 200));",
                        "new Processes(logDir)",
                        '  .start({ name: "sleeper", command: "sleep", args: ["30"], env: { PATH: process.env.PATH }, ready: () => true })',
                        "  .then((p) => { server = p.pid; console.log(`ready ${p.pid}`); });",
                        "setInterval(() => undefined, 1000);",
                    ].join("\n"),
                );
            });
            after(() => fs.rmSync(bin, { recursive: true, force: true }));

            /** Starts the run, waits for its server, sends `signal`; the run's exit and the server's pid. */
            const signalled = async (signal: NodeJS.Signals, own?: NodeJS.Signals) => {
                const run = spawn(process.execPath, [path.join(bin, "run.js"), path.join(dir, `logs-${signal}`), ...(own ? [own] : [])], { stdio: ["ignore", "pipe", "inherit"] });
                let out = "";
                const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>((resolve) => run.once("exit", (code, sig) => resolve({ code, signal: sig, out })));
                const server = await new Promise<number>((resolve, reject) => {
                    const timer = setTimeout(() => reject(new Error(`the run did not start its server: ${out}`)), 10_000);
                    run.stdout.on("data", (c: Buffer) => {
                        out += c.toString("utf8");
                        const pid = /ready (\d+)/.exec(out)?.[1];
                        if (pid) {
                            clearTimeout(timer);
                            resolve(Number(pid));
                        }
                    });
                });
                try {
                    assert.ok(alive(server));
                    run.kill(signal);
                    const result = await exited;
                    for (let waited = 0; alive(server) && waited < 3000; waited += 50) {
                        await new Promise((r) => setTimeout(r, 50));
                    }
                    // Read before the clean-up below, which would hide a server that outlived the run.
                    return { ...result, out, server, outlived: alive(server) };
                } finally {
                    if (alive(server)) {
                        process.kill(server, "SIGKILL");
                    }
                    run.kill("SIGKILL");
                }
            };

            for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
                it(`${signal}: the servers are killed and the run ends by the signal, as it would have without the harness`, async () => {
                    const r = await signalled(signal);
                    assert.deepEqual([r.code, r.signal], [null, signal], r.out);
                    assert.equal(r.outlived, false, `server ${r.server} outlived the run`);
                });
            }

            it("a run with its own handler for the signal: the servers are killed, and the run's handler decides how it ends", async () => {
                const r = await signalled("SIGTERM", "SIGTERM");
                assert.deepEqual([r.code, r.signal], [0, null]);
                // The harness had killed the server before the run's handler ended the run (no exit hook needed).
                assert.match(r.out, /own handler SIGTERM: server (Z|gone)\n/);
                assert.equal(r.outlived, false, `server ${r.server} outlived the run`);
            });
        });
    });
});

import * as assert from "node:assert/strict";
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import {
    ALERTS_RECEIVER,
    AlertmanagerArgs,
    alertmanagerConfig,
    alertmanagerDefinition,
    HEARTBEAT_RECEIVER,
    messageTemplate,
    splitDefinition,
    TEMPLATE_FILE,
} from "../../components/account";
import { freePort } from "../../tools/loopback";
import { amtool, requireTool, runTool } from "../support/tools";

const ARGS: AlertmanagerArgs = {
    region: "eu-west-1",
    alertTopicArn: "arn:aws:sns:eu-west-1:111122223333:vigil-alerts-0328fb5",
    heartbeatTopicArn: "arn:aws:sns:eu-west-1:111122223333:vigil-heartbeat-6c1e2f3",
    repeatIntervalSeconds: 4 * 3600,
};

/** Labels and annotations that break naive JSON templates. */
const NASTY = {
    quote: 'say "hello"',
    apostrophe: "it's a node's disk",
    backslash: "C:\\temp\\new and \\' together",
    newline: "line one\nline two\r\nline three",
    tab: "col1\tcol2",
    html: "<b>a & b = c</b>",
    unicode: "Grüße, 東京, emoji 🚨, accents éàü",
    control: "bell\u0007 and null-ish \u0001",
    separators: "line\u2028para\u2029end",
};

/** Writes the definition's configuration and templates into a fresh folder, as amtool reads them. */
function writeDefinition(definition: string): { dir: string; config: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-am-"));
    const split = splitDefinition(definition);
    const config = path.join(dir, "alertmanager.yml");
    fs.writeFileSync(config, split.config);
    for (const [name, text] of Object.entries(split.templates)) {
        fs.writeFileSync(path.join(dir, name), text);
    }
    return { dir, config };
}

/** Template data as Alertmanager builds it for a notification (what `amtool template render` reads). */
function templateData(alerts: { labels: Record<string, string>; annotations?: Record<string, string>; endsAt?: string }[], status = "firing") {
    return {
        receiver: ALERTS_RECEIVER,
        status,
        alerts: alerts.map((a, i) => ({
            status,
            labels: a.labels,
            annotations: a.annotations ?? {},
            startsAt: "2024-05-01T14:00:00.123456789+02:00",
            endsAt: a.endsAt ?? "0001-01-01T00:00:00Z",
            generatorURL: "https://prometheus.example/graph?g0.expr=up%3D%3D0&g0.tab=1",
            fingerprint: `00000000000000${String(i).padStart(2, "0")}`,
        })),
        groupLabels: {},
        commonLabels: {},
        commonAnnotations: {},
        externalURL: "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/alertmanager",
    };
}

function render(dir: string, template: string, data: unknown): string {
    const dataFile = path.join(dir, `data-${Math.random().toString(36).slice(2)}.json`);
    fs.writeFileSync(dataFile, JSON.stringify(data));
    return amtool(["template", "render", `--template.glob=${path.join(dir, TEMPLATE_FILE)}`, `--template.text=${template}`, `--template.data=${dataFile}`]);
}

describe("alert manager definition (C1, C2)", function () {
    this.timeout(60_000);
    let workdir: { dir: string; config: string };

    before(() => {
        requireTool("amtool");
        workdir = writeDefinition(alertmanagerDefinition(ARGS));
    });

    describe("the AMP definition document", () => {
        const definition = alertmanagerDefinition(ARGS);
        const config = alertmanagerConfig(ARGS) as any;

        it("holds template_files and alertmanager_config as strings, exactly the builders' output", () => {
            const doc = yaml.load(definition) as Record<string, any>;
            assert.deepEqual(Object.keys(doc).sort(), ["alertmanager_config", "template_files"]);
            assert.equal(doc.template_files[TEMPLATE_FILE], messageTemplate());
            assert.deepEqual(yaml.load(doc.alertmanager_config), config);
        });

        it("routes Watchdog to the heartbeat receiver with a short repeat interval, everything else to alerts, grouped", () => {
            assert.equal(config.route.receiver, ALERTS_RECEIVER);
            assert.deepEqual(config.route.group_by, ["cluster", "alertname", "namespace"]);
            assert.equal(config.route.repeat_interval, "4h");
            assert.equal(config.route.routes.length, 1);
            const heartbeat = config.route.routes[0];
            assert.equal(heartbeat.receiver, HEARTBEAT_RECEIVER);
            assert.deepEqual(heartbeat.matchers, ['alertname="Watchdog"']);
            assert.equal(heartbeat.repeat_interval, "5m");
            assert.equal(heartbeat.continue, false);
        });

        it("inhibits a warning while the matching critical fires (same cluster, alertname, namespace)", () => {
            assert.deepEqual(config.inhibit_rules, [
                { source_matchers: ['severity="critical"'], target_matchers: ['severity="warning"'], equal: ["cluster", "alertname", "namespace"] },
            ]);
        });

        it("uses only SNS receivers AMP accepts: sigv4 region, the JSON template, resolved notifications, no api_url or http_config", () => {
            assert.deepEqual(
                config.receivers.map((r: any) => [r.name, r.sns_configs.map((c: any) => c.topic_arn)]),
                [
                    [ALERTS_RECEIVER, [ARGS.alertTopicArn]],
                    [HEARTBEAT_RECEIVER, [ARGS.heartbeatTopicArn]],
                ],
            );
            for (const receiver of config.receivers) {
                assert.deepEqual(Object.keys(receiver).sort(), ["name", "sns_configs"]);
                for (const sns of receiver.sns_configs) {
                    assert.deepEqual(sns, {
                        topic_arn: sns.topic_arn,
                        sigv4: { region: "eu-west-1" },
                        subject: '{{ template "vigil.sns.subject" . }}',
                        message: '{{ template "vigil.sns.message" . }}',
                        send_resolved: true,
                    });
                }
            }
            assert.deepEqual(config.templates, [TEMPLATE_FILE]);
        });

        it("formats the repeat interval and refuses values AMP would cap or that make no sense", () => {
            assert.equal((alertmanagerConfig({ ...ARGS, repeatIntervalSeconds: 5 * 86400 }) as any).route.repeat_interval, "5d");
            assert.equal((alertmanagerConfig({ ...ARGS, repeatIntervalSeconds: 5400 }) as any).route.repeat_interval, "1h30m");
            assert.throws(() => alertmanagerConfig({ ...ARGS, repeatIntervalSeconds: 5 * 86400 + 1 }), /repeatIntervalSeconds must be .* between 60 \(1m\) and 432000 \(5d\), got 432001/);
            assert.throws(() => alertmanagerConfig({ ...ARGS, repeatIntervalSeconds: 30 }), /repeatIntervalSeconds/);
            assert.throws(() => alertmanagerConfig({ ...ARGS, heartbeatIntervalSeconds: 7200 }), /heartbeatIntervalSeconds/);
            assert.throws(() => alertmanagerConfig({ ...ARGS, alertTopicArn: "vigil-alerts" }), /alertTopicArn must be an SNS topic ARN, got "vigil-alerts"/);
            assert.throws(() => alertmanagerConfig({ ...ARGS, region: "Europe" }), /region must be an AWS region name/);
        });
    });

    describe("amtool", () => {
        it("accepts the configuration and its template (check-config)", () => {
            const out = amtool(["check-config", workdir.config]);
            assert.match(out, /SUCCESS/);
            assert.match(out, /1 inhibit rules/);
            assert.match(out, /2 receivers/);
            assert.match(out, /1 templates/);
        });

        it("rejects the AMP wrapper as-is (the split is needed) and a broken template", () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-am-bad-"));
            fs.writeFileSync(path.join(dir, "wrapped.yml"), alertmanagerDefinition(ARGS));
            assert.notEqual(runTool("amtool", ["check-config", path.join(dir, "wrapped.yml")]).status, 0);
            const broken = writeDefinition(alertmanagerDefinition(ARGS).replace('{{ define "vigil.sns.subject" }}', '{{ define "vigil.sns.subject" }}{{ if }}'));
            assert.notEqual(runTool("amtool", ["check-config", broken.config]).status, 0);
        });

        const routes: [string, string[], string][] = [
            ["the Watchdog heartbeat", ["alertname=Watchdog", "severity=info"], HEARTBEAT_RECEIVER],
            ["a cluster's Watchdog heartbeat", ["alertname=Watchdog", "cluster=payments-prod", "severity=info"], HEARTBEAT_RECEIVER],
            ["a critical alert", ["alertname=KubeAPIDown", "cluster=payments-prod", "severity=critical"], ALERTS_RECEIVER],
            ["a warning alert", ["alertname=KubePodCrashLooping", "cluster=payments-prod", "namespace=shop", "severity=warning"], ALERTS_RECEIVER],
            ["an info alert", ["alertname=KubeVersionMismatch", "cluster=payments-prod", "severity=info"], ALERTS_RECEIVER],
            ["an alert named like the heartbeat but not it", ["alertname=WatchdogX", "severity=info"], ALERTS_RECEIVER],
        ];
        for (const [what, labels, receiver] of routes) {
            it(`routes ${what} to ${receiver} (config routes test)`, () => {
                const out = amtool(["config", "routes", "test", `--config.file=${workdir.config}`, `--verify.receivers=${receiver}`, ...labels]);
                assert.equal(out.trim(), receiver);
            });
        }

        it("would catch a routing tree that lost the heartbeat route", () => {
            const config = alertmanagerConfig(ARGS) as any;
            config.route.routes = [];
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-am-mut-"));
            fs.writeFileSync(path.join(dir, "alertmanager.yml"), yaml.dump(config));
            fs.writeFileSync(path.join(dir, TEMPLATE_FILE), messageTemplate());
            const result = runTool("amtool", ["config", "routes", "test", `--config.file=${path.join(dir, "alertmanager.yml")}`, `--verify.receivers=${HEARTBEAT_RECEIVER}`, "alertname=Watchdog"]);
            assert.equal(result.status, 1);
        });
    });

    describe("message template, rendered by Alertmanager's template engine (amtool template render)", () => {
        it("renders one JSON object in the webhook v4 field names, with every map present", () => {
            const out = render(workdir.dir, '{{ template "vigil.sns.message" . }}', templateData([{ labels: { alertname: "KubeAPIDown", cluster: "c1" } }]));
            const message = JSON.parse(out);
            assert.deepEqual(Object.keys(message), ["version", "receiver", "status", "alerts", "groupLabels", "commonLabels", "commonAnnotations", "externalURL"]);
            assert.equal(message.version, "4");
            assert.equal(message.receiver, ALERTS_RECEIVER);
            assert.equal(message.status, "firing");
            assert.deepEqual(message.groupLabels, {});
            assert.deepEqual(message.commonAnnotations, {});
            assert.deepEqual(message.alerts, [
                {
                    status: "firing",
                    labels: { alertname: "KubeAPIDown", cluster: "c1" },
                    annotations: {},
                    startsAt: "2024-05-01T12:00:00.123Z",
                    endsAt: "0001-01-01T00:00:00.000Z",
                    generatorURL: "https://prometheus.example/graph?g0.expr=up%3D%3D0&g0.tab=1",
                    fingerprint: "0000000000000000",
                },
            ]);
        });

        it("keeps quotes, apostrophes, backslashes, newlines, tabs, control and non-ASCII characters intact", () => {
            const data = templateData([
                { labels: { alertname: "Nasty", ...NASTY }, annotations: { summary: NASTY.quote + NASTY.backslash, description: Object.values(NASTY).join(" | ") } },
                { labels: { alertname: "Nasty", quote: "second 'alert'" }, endsAt: "2024-05-01T12:30:00Z" },
            ]);
            data.commonLabels = { alertname: "Nasty" };
            data.groupLabels = { alertname: "Nasty" };
            data.commonAnnotations = { runbook_url: "https://example.com/runbook?a=1&b=<2>" };
            const message = JSON.parse(render(workdir.dir, '{{ template "vigil.sns.message" . }}', data));
            assert.deepEqual(message.alerts[0].labels, { alertname: "Nasty", ...NASTY });
            assert.equal(message.alerts[0].annotations.description, Object.values(NASTY).join(" | "));
            assert.equal(message.alerts[0].annotations.summary, NASTY.quote + NASTY.backslash);
            assert.deepEqual(message.alerts[1].labels, { alertname: "Nasty", quote: "second 'alert'" });
            assert.equal(message.alerts[1].endsAt, "2024-05-01T12:30:00.000Z");
            assert.deepEqual(message.commonAnnotations, { runbook_url: "https://example.com/runbook?a=1&b=<2>" });
        });

        it("would catch a template that escapes without turning \\' back (the test can fail)", () => {
            const naive = writeDefinition(alertmanagerDefinition(ARGS).replace(` | reReplaceAll "\\\\\\\\'" "'"`, ""));
            const out = render(naive.dir, '{{ template "vigil.sns.message" . }}', templateData([{ labels: { alertname: "X", a: NASTY.apostrophe } }]));
            assert.throws(() => JSON.parse(out), SyntaxError);
        });

        it("renders a short, fixed-form ASCII subject within SNS's 100 characters", () => {
            const many = Array.from({ length: 1500 }, (_, i) => ({ labels: { alertname: "日本語のアラート", i: String(i) } }));
            for (const [data, expected] of [
                [templateData(many), "Vigil FIRING: 1500 firing, 0 resolved"],
                [templateData([{ labels: { alertname: "A" } }], "resolved"), "Vigil RESOLVED: 0 firing, 1 resolved"],
            ] as const) {
                const subject = render(workdir.dir, '{{ template "vigil.sns.subject" . }}', data);
                assert.equal(subject, expected);
                assert.ok(subject.length <= 100);
                assert.match(subject, /^[\x20-\x7e]+$/);
            }
        });
    });

    describe("in a real Alertmanager with the SNS receivers pointed at a local SNS endpoint", function () {
        this.timeout(60_000);
        interface Published {
            readonly topicArn: string;
            readonly subject: string;
            readonly message: string;
            readonly authorization: string;
        }
        const published: Published[] = [];
        let sns: http.Server;
        let alertmanager: ChildProcess | undefined;
        let amPort = 0;
        let log = "";

        async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
            const deadline = Date.now() + timeoutMs;
            while (Date.now() < deadline) {
                if (await check()) {
                    return;
                }
                await new Promise((resolve) => setTimeout(resolve, 200));
            }
            throw new Error(`timed out waiting for ${what}; Alertmanager log:\n${log}`);
        }

        before(async () => {
            requireTool("prometheus-alertmanager");
            sns = http.createServer((req, res) => {
                let body = "";
                req.on("data", (d) => (body += d));
                req.on("end", () => {
                    const form = new URLSearchParams(body);
                    published.push({
                        topicArn: form.get("TopicArn") ?? "",
                        subject: form.get("Subject") ?? "",
                        message: form.get("Message") ?? "",
                        authorization: String(req.headers.authorization ?? ""),
                    });
                    res.setHeader("Content-Type", "text/xml");
                    res.end(
                        `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m-${published.length}</MessageId></PublishResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishResponse>`,
                    );
                });
            });
            await new Promise<void>((resolve) => sns.listen(0, "127.0.0.1", resolve));
            const snsUrl = `http://127.0.0.1:${(sns.address() as AddressInfo).port}/`;

            // The configuration AMP gets, with two test overrides: the receivers publish to the local
            // endpoint (AMP sets api_url itself) and groups flush after 1s instead of 30s.
            const config = yaml.load(splitDefinition(alertmanagerDefinition(ARGS)).config) as any;
            for (const receiver of config.receivers) {
                for (const c of receiver.sns_configs) {
                    c.api_url = snsUrl;
                }
            }
            config.route.group_wait = "1s";
            config.route.routes[0].group_wait = "1s";
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-am-run-"));
            fs.writeFileSync(path.join(dir, "alertmanager.yml"), yaml.dump(config));
            fs.writeFileSync(path.join(dir, TEMPLATE_FILE), messageTemplate());

            amPort = await freePort();
            alertmanager = spawn(
                "prometheus-alertmanager",
                [
                    `--config.file=${path.join(dir, "alertmanager.yml")}`,
                    `--storage.path=${path.join(dir, "data")}`,
                    `--web.listen-address=127.0.0.1:${amPort}`,
                    `--web.external-url=http://127.0.0.1:${amPort}/`,
                    "--cluster.listen-address=",
                ],
                // SigV4 signing needs credentials; these are dummies for the local endpoint.
                { env: { ...process.env, AWS_ACCESS_KEY_ID: "AKIAVIGILTEST", AWS_SECRET_ACCESS_KEY: "vigil-test-secret" }, stdio: ["ignore", "pipe", "pipe"] },
            );
            alertmanager.stdout?.on("data", (d) => (log += d));
            alertmanager.stderr?.on("data", (d) => (log += d));
            await waitFor(
                "Alertmanager to become ready",
                async () => {
                    try {
                        return (await fetch(`http://127.0.0.1:${amPort}/-/ready`)).ok;
                    } catch {
                        return false;
                    }
                },
                20_000,
            );
            const alert = (labels: Record<string, string>, annotations: Record<string, string> = {}) => ({ labels, annotations });
            const response = await fetch(`http://127.0.0.1:${amPort}/api/v2/alerts`, {
                method: "POST",
                headers: { "Content-Type": "application/json" },
                body: JSON.stringify([
                    alert({ alertname: "Watchdog", severity: "info" }),
                    alert({ alertname: "KubeAPIErrorBudgetBurn", cluster: "c1", severity: "critical" }),
                    alert({ alertname: "KubeAPIErrorBudgetBurn", cluster: "c1", severity: "warning" }),
                    alert({ alertname: "KubePodCrashLooping", cluster: "c1", namespace: "shop", pod: "api-1", severity: "warning" }),
                    alert({ alertname: "KubePodCrashLooping", cluster: "c1", namespace: "shop", pod: "api-2", severity: "warning" }),
                    alert({ alertname: "KubePodCrashLooping", cluster: "c1", namespace: "batch", pod: "job-1", severity: "warning" }),
                    alert({ alertname: "VigilEscapes", cluster: "c1", severity: "warning", ...NASTY }, { summary: Object.values(NASTY).join(" | ") }),
                ]),
            });
            assert.equal(response.status, 200, await response.text());
            await waitFor("five SNS publishes", () => published.length >= 5, 30_000);
            // Anything else would arrive right behind; give it a moment to show up.
            await new Promise((resolve) => setTimeout(resolve, 1500));
        });

        after(async () => {
            if (alertmanager && alertmanager.exitCode === null) {
                const exited = new Promise((resolve) => alertmanager?.once("exit", resolve));
                alertmanager.kill("SIGTERM");
                await exited;
            }
            await new Promise((resolve) => sns?.close(resolve));
        });

        const messages = () => published.map((p) => ({ ...p, body: JSON.parse(p.message) }));

        it("publishes signed SNS requests whose bodies are valid JSON and subjects short ASCII", () => {
            assert.equal(published.length, 5, JSON.stringify(published, null, 2));
            for (const p of published) {
                assert.match(p.authorization, /^AWS4-HMAC-SHA256 Credential=AKIAVIGILTEST\/\d{8}\/eu-west-1\/sns\/aws4_request/);
                assert.doesNotThrow(() => JSON.parse(p.message), p.message);
                assert.match(p.subject, /^Vigil FIRING: \d+ firing, 0 resolved$/);
            }
        });

        it("sends the Watchdog heartbeat to the heartbeat topic only", () => {
            const heartbeat = messages().filter((m) => m.topicArn === ARGS.heartbeatTopicArn);
            assert.equal(heartbeat.length, 1);
            assert.equal(heartbeat[0].body.receiver, HEARTBEAT_RECEIVER);
            assert.deepEqual(
                heartbeat[0].body.alerts.map((a: any) => a.labels.alertname),
                ["Watchdog"],
            );
            assert.ok(messages().filter((m) => m.topicArn === ARGS.alertTopicArn).every((m) => m.body.alerts.every((a: any) => a.labels.alertname !== "Watchdog")));
        });

        it("groups by cluster, alertname and namespace", () => {
            const groups = messages()
                .filter((m) => m.topicArn === ARGS.alertTopicArn)
                .map((m) => [JSON.stringify(m.body.groupLabels), m.body.alerts.length] as const)
                .sort();
            assert.deepEqual(groups, [
                [JSON.stringify({ alertname: "KubeAPIErrorBudgetBurn", cluster: "c1" }), 1],
                [JSON.stringify({ alertname: "KubePodCrashLooping", cluster: "c1", namespace: "batch" }), 1],
                [JSON.stringify({ alertname: "KubePodCrashLooping", cluster: "c1", namespace: "shop" }), 2],
                [JSON.stringify({ alertname: "VigilEscapes", cluster: "c1" }), 1],
            ]);
        });

        it("inhibits the warning while the matching critical fires", () => {
            const burn = messages().find((m) => m.body.groupLabels.alertname === "KubeAPIErrorBudgetBurn");
            assert.deepEqual(
                burn?.body.alerts.map((a: any) => a.labels.severity),
                ["critical"],
            );
        });

        it("delivers labels and annotations with special characters intact", () => {
            const escapes = messages().find((m) => m.body.groupLabels.alertname === "VigilEscapes");
            assert.ok(escapes);
            assert.deepEqual(escapes.body.alerts[0].labels, { alertname: "VigilEscapes", cluster: "c1", severity: "warning", ...NASTY });
            assert.equal(escapes.body.alerts[0].annotations.summary, Object.values(NASTY).join(" | "));
            assert.match(escapes.body.alerts[0].fingerprint, /^[0-9a-f]{16}$/);
            assert.match(escapes.body.alerts[0].startsAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
            assert.equal(escapes.body.alerts[0].endsAt, "0001-01-01T00:00:00.000Z");
        });
    });
});

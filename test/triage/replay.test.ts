import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runScript } from "../support/cli";
import { cli } from "../../tools/triage-replay";
import { FIXTURES } from "./support";

interface CaseView {
    key: string;
    source: string;
    cluster: string;
    alertname?: string;
    title?: string;
    impact: string | null;
    state: string;
    history: { at: string; event: string; by: string; detail?: string }[];
}

async function replay(argv: string[]): Promise<{ code: number; cases: CaseView[]; stderr: string; stdout: string }> {
    let stdout = "";
    let stderr = "";
    const code = await cli(argv, { out: (s) => (stdout += s), err: (s) => (stderr += s) });
    return { code, stdout, stderr, cases: code === 0 ? JSON.parse(stdout) : [] };
}

function byKey(cases: CaseView[], key: string): CaseView {
    const found = cases.find((c) => c.key === key);
    assert.ok(found, `a case ${key} in ${cases.map((c) => c.key).join(", ")}`);
    return found;
}

const f = (relative: string) => path.join(FIXTURES, relative);

describe("triage replay (npm run triage:replay)", function () {
    this.timeout(60_000);

    it("prints every case of the fixtures with exactly the documented fields, after advancing the clock", async () => {
        const { code, cases, stderr } = await replay([FIXTURES, "--now", "2024-05-01T12:00:00Z", "--advance", "4d"]);
        assert.equal(code, 0, stderr);
        assert.equal(cases.length, 16);
        for (const c of cases) {
            const nameKey = c.source === "prometheus" ? "alertname" : "title";
            assert.deepEqual(Object.keys(c), ["key", "source", "cluster", nameKey, "impact", "state", "history"]);
        }
        const crash = byKey(cases, "prometheus:3f1c9a4be07d2e11");
        assert.equal(crash.alertname, "KubePodCrashLooping");
        assert.equal(crash.state, "RESOLVED");
        assert.deepEqual(crash.history.map((e) => e.event), ["firing", "classified", "notified", "source-resolved", "reply-timeout"]);
        assert.deepEqual(crash.history.at(-1), {
            at: "2024-05-04T12:00:00.000Z",
            by: "timer",
            event: "reply-timeout",
            detail: "no reply by 2024-05-04T12:00:00.000Z; notification and alert resolved",
        });
        assert.equal(byKey(cases, "prometheus:9a8b7c6d5e4f3a2b").state, "INCIDENT_OPEN");
        const text = byKey(cases, "prometheus:85c049965f11a4fa");
        assert.deepEqual([text.alertname, text.impact, text.state], ["KubeDaemonSetMisScheduled", "none", "RESOLVED"], "AMP's default text body is triaged");
        assert.equal(text.history[0].detail, "started 2024-05-01T11:55:31.402Z or earlier (delivery time: AMP's JSON template is not applied)");
        assert.equal(byKey(cases, "prometheus:0c1d2e3f4a5b6c7d").impact, "none");
        const gd = byKey(cases, "guardduty:111122223333:eu-west-1:6ec4a3b2f1e0d9c8b7a6958473625140");
        assert.equal(gd.title, "Unusual permission check was performed in an EKS cluster.");
        assert.ok(gd.history.some((e) => e.event === "repeat" && /count 4/.test(e.detail ?? "")));
        const eks = byKey(cases, "eks:111122223333:eu-west-1:platform-staging/vpc-cni:addon-health");
        assert.equal(eks.title, "EKS Addon Health Degraded: vpc-cni", "the case keeps the problem's title after the restore");
        const pipelineAlarm = byKey(cases, "cloudwatch:arn:aws:cloudwatch:eu-west-1:111122223333:alarm:vigil-pipeline-triage-dead-letter-queue");
        assert.deepEqual([pipelineAlarm.impact, pipelineAlarm.state], ["none", "RESOLVED"], "Vigil's own pipeline alarms are never put to the customer");
        assert.ok(!pipelineAlarm.history.some((e) => e.event === "notified" || e.event === "operator-notified"));
        assert.match(stderr, /replayed 26 message\(s\) from 26 file\(s\).*1 heartbeat\(s\), 1 ignored, 2 unparsed, 1 kept with a warning; .*, 2 operator notice\(s\);/);
        assert.match(stderr, /kept .*09-default-text-body\.sns\.json: AMP default text body \(the alert manager's JSON template is not applied\): 1 alert\(s\) triaged/);
        assert.match(stderr, /unparsed .*10-truncated\.sns\.json: body is not JSON/);
        assert.match(stderr, /heartbeat payments-prod: last 2024-05-01T12:30:00\.981Z/);
    });

    it("shows operator notices in the case history: a no-impact pipeline alert closed, the operator told, then told it recovered", async () => {
        const { cases, stderr } = await replay([f("amp/11-target-down-pipeline.sns.json"), f("amp/12-target-down-resolved.sns.json"), "--now", "2024-05-01T12:50:00Z"]);
        assert.deepEqual(cases.map((c) => [c.key, c.alertname, c.impact, c.state]), [["prometheus:5a6b7c8d9e0f1a2b", "TargetDown", "none", "RESOLVED"]]);
        assert.deepEqual(
            cases[0].history.map((e) => [e.by, e.event]),
            [
                ["source:prometheus", "firing"],
                ["engine", "classified"],
                ["engine", "resolved"],
                ["engine", "operator-notified"],
                ["source:prometheus", "source-resolved"],
                ["engine", "operator-recovered"],
            ],
        );
        assert.equal(cases[0].history[3].detail, "operator notice sent to the pipeline topic (rule pipeline-alerts; SNS message notification-1)");
        assert.match(stderr, /0 notification\(s\), 0 incident\(s\) opened, 2 operator notice\(s\)/);
        const quiet = await replay([f("amp/05-cpu-overcommit-none.sns.json"), "--now", "2024-05-01T12:50:00Z"]);
        assert.deepEqual(quiet.cases[0].history.map((e) => e.event), ["firing", "classified", "resolved"], "a no-impact alert no rule selects stays quiet");
        assert.match(quiet.stderr, /0 operator notice\(s\)/);
    });

    it("without --advance cases stay where the messages left them", async () => {
        const { cases } = await replay([f("amp/01-crashloop-firing.sns.json"), "--now", "2024-05-01T12:00:00Z"]);
        assert.deepEqual(cases.map((c) => [c.key, c.state, c.impact]), [["prometheus:3f1c9a4be07d2e11", "AWAITING_CUSTOMER", "uncertain"]]);
    });

    it("processes files in the order given (a resolve first leaves a tombstone)", async () => {
        const { cases } = await replay([f("amp/03-crashloop-resolved.sns.json"), f("amp/01-crashloop-firing.sns.json"), "--now", "2024-05-01T17:00:00Z"]);
        assert.equal(cases.length, 1);
        assert.equal(cases[0].state, "RESOLVED");
        assert.deepEqual(cases[0].history.map((e) => e.event), ["resolved-before-triage"]);
    });

    it("--impact classifies with another table (how operators test a change)", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-impact-"));
        try {
            const table = path.join(dir, "impact.yaml");
            fs.writeFileSync(table, "version: 1\ndefault: uncertain\nrules:\n  - name: crashloops-known\n    source: prometheus\n    match: { alertname: KubePodCrashLooping }\n    impact: known\n");
            const { cases } = await replay([f("amp/01-crashloop-firing.sns.json"), "--now", "2024-05-01T12:00:00Z", "--impact", table]);
            assert.equal(cases[0].impact, "known");
            assert.equal(cases[0].state, "INCIDENT_OPEN");
            assert.equal(cases[0].history[1].detail, "impact known (rule crashloops-known)");
            fs.writeFileSync(table, "version: 1\ndefault: uncertain\nrules:\n  - name: typo\n    source: guardduty\n    match: { sevrity: high }\n    impact: known\n");
            const bad = await replay([f("amp/01-crashloop-firing.sns.json"), "--impact", table]);
            assert.equal(bad.code, 2);
            assert.match(bad.stderr, /rules\[0\] \(typo\): match key "sevrity" is not an attribute of guardduty alerts/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("exits 2 with a clear message for bad arguments and missing files", async () => {
        const cases: [string[], RegExp][] = [
            [[], /give at least one file or directory/],
            [["does/not/exist.json"], /no such file or directory: does\/not\/exist\.json/],
            [[FIXTURES, "--now", "tomorrow"], /--now "tomorrow" is not a time/],
            [[FIXTURES, "--advance", "3 days"], /--advance "3 days" is not a duration; use e\.g\. 30m, 72h, 3d/],
            [[FIXTURES, "--advance"], /--advance needs a value/],
            [[FIXTURES, "--speed", "2"], /unknown option "--speed"/],
            [[FIXTURES, "--impact", "nope.yaml"], /cannot read the impact table/],
        ];
        for (const [argv, message] of cases) {
            const result = await replay(argv);
            assert.equal(result.code, 2, argv.join(" "));
            assert.match(result.stderr, message);
            assert.match(result.stderr, /usage: npm run triage:replay/);
            assert.equal(result.stdout, "");
        }
    });

    it("runs as the npm script does, in a child process", async () => {
        const result = await runScript("triage-replay.ts", [f("guardduty"), "--now", "2024-05-01T12:00:00Z"]);
        assert.equal(result.code, 0, result.stderr);
        const cases = JSON.parse(result.stdout) as CaseView[];
        assert.deepEqual(cases.map((c) => [c.source, c.impact, c.state]), [
            ["guardduty", "uncertain", "AWAITING_CUSTOMER"],
            ["guardduty", "known", "INCIDENT_OPEN"],
        ]);
        const missing = await runScript("triage-replay.ts", ["missing.json"]);
        assert.equal(missing.code, 2);
        assert.match(missing.stderr, /no such file or directory: missing\.json/);
    });
});

// Issue 11's done-criterion: a replayed incident (`npm run triage:replay -- ... --diagnostics DIR`)
// shows the diagnostics evidence in the case. Run as a user runs it (a child process through npm's
// script), and through the tool's `cli` for the error paths.

import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cli } from "../../tools/triage-replay";
import { REPO_ROOT } from "../support/cli";
import { FIXTURES } from "../triage/support";
import { SCENARIOS } from "./support";

interface CaseView {
    key: string;
    alertname?: string;
    state: string;
    history: { at: string; by: string; event: string; detail?: string }[];
    diagnostics?: {
        episode: number;
        reason: string;
        outcome: string;
        checks: { id: string; outcome: string; summary: string; lines: string[] }[];
        guidance: { runbookUrl?: string; mitigations: string[] };
        delivery?: { notificationMessageId?: string; opsItemId?: string; problems: string[] };
    };
}

/** `npm run -s triage:replay -- <args>` in the repository, as the issue names it. */
function npmReplay(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
        const child = spawn("npm", ["run", "-s", "triage:replay", "--", ...args], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
        child.on("error", reject);
        child.on("close", (code) => {
            clearTimeout(timer);
            resolve({ code: code ?? -1, stdout, stderr });
        });
    });
}

async function replay(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = "";
    let stderr = "";
    const code = await cli(argv, { out: (s) => (stdout += s), err: (s) => (stderr += s) });
    return { code, stdout, stderr };
}

const message = (relative: string) => path.relative(REPO_ROOT, path.join(FIXTURES, relative));
const fixtureDir = (name: string) => path.relative(REPO_ROOT, path.join(SCENARIOS, name));

describe("triage replay with --diagnostics (issue 11's done-criterion)", function () {
    this.timeout(90_000);
    const temporary: string[] = [];

    after(() => {
        temporary.forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
    });

    it("npm run triage:replay: a crash loop's case shows the report, with the previous instance's log line naming CART_REDIS_PASSWORD", async () => {
        const { code, stdout, stderr } = await npmReplay([message("amp/01-crashloop-firing.sns.json"), "--now", "2024-05-01T12:00:00Z", "--diagnostics", fixtureDir("crashloop")]);
        assert.equal(code, 0, stderr);
        const cases = JSON.parse(stdout) as CaseView[];
        assert.equal(cases.length, 1);
        const c = cases[0];
        assert.equal(c.alertname, "KubePodCrashLooping");
        assert.equal(c.state, "AWAITING_CUSTOMER", "diagnostics do not change the triage state");
        assert.ok(c.diagnostics, "the case carries its report");
        assert.equal(c.diagnostics.reason, "notification");
        assert.equal(c.diagnostics.outcome, "complete");
        const logs = c.diagnostics.checks.find((k) => k.id === "pod-logs");
        assert.ok(logs);
        assert.equal(logs.outcome, "found");
        assert.ok(logs.lines.some((l) => /CART_REDIS_PASSWORD is empty/.test(l)), logs.lines.join("\n"));
        assert.deepEqual(c.diagnostics.delivery, { notificationMessageId: "notification-2", problems: [] });
        assert.equal(c.diagnostics.guidance.runbookUrl, "https://runbooks.vigil.dev/pod/KubePodCrashLooping.md");
        assert.deepEqual(c.history.slice(-2).map((e) => [e.by, e.event]), [["engine", "diagnostics-requested"], ["diagnostics", "diagnostics"]]);
        assert.match(stderr, /^diagnostics: 1 report\(s\) \(KubePodCrashLooping: complete\), 1 follow-up notification\(s\), 0 OpsItem update\(s\)$/m);
    });

    it("an incident (known impact): the case shows the report and the OpsItem it updated", async () => {
        const { code, stdout, stderr } = await replay([path.join(FIXTURES, "amp/04-apiserver-burn-known.sns.json"), "--now", "2024-05-01T12:00:00Z", "--diagnostics", path.join(SCENARIOS, "apiserver-burn")]);
        assert.equal(code, 0, stderr);
        const [c] = JSON.parse(stdout) as CaseView[];
        assert.equal(c.state, "INCIDENT_OPEN");
        const opened = c.history.find((e) => e.event === "incident-opened");
        assert.equal(opened?.detail, "OpsItem oi-000000000001");
        assert.equal(c.diagnostics?.reason, "incident");
        assert.deepEqual(c.diagnostics?.delivery, { notificationMessageId: "notification-2", opsItemId: "oi-000000000001", problems: [] });
        assert.match(c.history[c.history.length - 1].detail ?? "", /; follow-up sent \(SNS message notification-2\); OpsItem oi-000000000001 updated$/);
        assert.equal(c.diagnostics?.checks.find((k) => k.id === "logs:apiserver/error-codes")?.lines[1], "429 | list | pods | 1311");
        assert.match(stderr, /1 follow-up notification\(s\), 1 OpsItem update\(s\)$/m);
    });

    it("without --diagnostics, cases carry no report and nothing is requested", async () => {
        const { code, stdout, stderr } = await replay([path.join(FIXTURES, "amp/01-crashloop-firing.sns.json"), "--now", "2024-05-01T12:00:00Z"]);
        assert.equal(code, 0, stderr);
        const [c] = JSON.parse(stdout) as CaseView[];
        assert.equal(c.diagnostics, undefined);
        assert.ok(!c.history.some((e) => e.event.startsWith("diagnostics")));
        assert.ok(!/^diagnostics:/m.test(stderr));
    });

    it("a bad --diagnostics directory exits 2 with a message that names it; so do a file without its value and malformed recordings", async () => {
        const input = path.join(FIXTURES, "amp/01-crashloop-firing.sns.json");
        const missing = path.join(os.tmpdir(), "vigil-no-such-diagnostics-dir");
        const gone = await replay([input, "--diagnostics", missing]);
        assert.equal(gone.code, 2);
        assert.equal(gone.stdout, "", "nothing replayed");
        assert.equal(gone.stderr, `error: no diagnostics fixture directory ${missing}\n`);

        const noValue = await replay([input, "--diagnostics"]);
        assert.equal(noValue.code, 2);
        assert.match(noValue.stderr, /^error: --diagnostics needs a value\n/);

        const broken = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-diag-broken-"));
        temporary.push(broken);
        fs.writeFileSync(path.join(broken, "kubernetes.json"), "[{ not json");
        const malformed = await replay([input, "--diagnostics", broken]);
        assert.equal(malformed.code, 2);
        assert.match(malformed.stderr, new RegExp(`^error: ${path.join(broken, "kubernetes.json").replace(/[.\\/]/g, "\\$&")}: not valid JSON: `));

        fs.writeFileSync(path.join(broken, "kubernetes.json"), JSON.stringify([{ request: "POST /api/v1/pods", status: 201 }]));
        const writes = await replay([input, "--diagnostics", broken]);
        assert.equal(writes.code, 2);
        assert.match(writes.stderr, /kubernetes\.json\[0\]: expected \{"request": "GET \/path\?query"/);
    });
});

// docs/ALERTS.md is generated from the rule files and must be up to date.

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadRuleFiles } from "../../components/metrics";
import { pipelineAlarms } from "../../components/account/alarms";
import { ALERTS_FILE, alertRules, LEVEL_NOTES, LEVELS, parseArgs, readableTemplate, renderAlertsDoc } from "../../tools/docs";
import { runScript } from "../support/cli";

describe("alert reference (docs/ALERTS.md)", () => {
    const files = loadRuleFiles();

    it("is up to date with the rule files (run npm run docs)", () => {
        assert.equal(fs.readFileSync(ALERTS_FILE, "utf8"), renderAlertsDoc(files), "docs/ALERTS.md is out of date: run npm run docs");
    });

    it("lists every alert once, under its level, with severity, impact, for window and summary", () => {
        const doc = renderAlertsDoc(files);
        const sections = new Map(
            doc
                .split(/^## /m)
                .slice(1)
                .map((s) => [s.split("\n")[0], s] as const),
        );
        assert.deepEqual([...sections.keys()], LEVELS.filter((l) => alertRules(files).some((a) => a.rule.labels?.level === l)));
        for (const { rule } of alertRules(files)) {
            const rows = doc.split("\n").filter((line) => line.startsWith(`| [${rule.alert}](`));
            assert.equal(rows.length, 1, `${rule.alert} listed ${rows.length} times`);
            const cells = rows[0].split(" | ");
            assert.deepEqual(cells.slice(1, 4), [rule.labels?.severity, rule.labels?.impact, rule.for ?? "0s"], rule.alert);
            assert.equal(cells[4], readableTemplate(rule.annotations?.summary ?? ""), rule.alert);
            assert.ok(sections.get(rule.labels?.level ?? "")?.includes(rows[0]), `${rule.alert} is not under ${rule.labels?.level}`);
        }
    });

    it("says under pipeline which CloudWatch alarm watches AMP rule evaluation, by the name the account component gives it", () => {
        const alarms = pipelineAlarms({
            workspaceId: "ws-0f1e2d3c",
            ruleEvaluationFailuresQuery: "SELECT SUM(RuleEvaluationFailures) FROM \"AWS/Prometheus\"",
            heartbeatTopicName: "vigil-heartbeat",
            deliveryTopics: [],
            eventRuleNames: ["vigil-guardduty"],
            deadLetterQueueName: "vigil-events-dlq",
            heartbeatIntervalSeconds: 300,
        });
        const ruleEvaluation = alarms.find((a) => String(a.insightsQuery ?? "").includes("RuleEvaluationFailures"));
        assert.ok(ruleEvaluation, "the account component has an alarm on AMP rule evaluation failures");
        assert.ok(LEVEL_NOTES.pipeline?.includes(`\`${ruleEvaluation.id}\``), `the pipeline note names ${ruleEvaluation.id}`);
        const pipeline = renderAlertsDoc(files).split(/^## /m).find((section) => section.startsWith("pipeline\n"));
        assert.ok(pipeline?.includes(LEVEL_NOTES.pipeline ?? "?"), "the note is under the pipeline heading");
    });

    it("shows annotation templates readably and keeps table cells intact", () => {
        assert.equal(readableTemplate("Node {{ $labels.node }} is {{ $value | humanizePercentage }} | full\n  now"), "Node {node} is {value} \\| full now");
        assert.equal(readableTemplate("{{ printf `%.2f` $value }} per second"), "{value} per second");
    });

    it("npm run docs writes the reference, and --check fails on a stale one", async function () {
        this.timeout(60_000);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-docs-"));
        try {
            const out = path.join(dir, "ALERTS.md");
            const written = await runScript("docs.ts", ["--out", out]);
            assert.equal(written.code, 0, written.stderr);
            assert.equal(fs.readFileSync(out, "utf8"), renderAlertsDoc(files));
            assert.equal((await runScript("docs.ts", ["--check", "--out", out])).code, 0);
            fs.writeFileSync(out, fs.readFileSync(out, "utf8").replace(/^\| \[TargetDown\].*\n/m, ""));
            const stale = await runScript("docs.ts", ["--check", "--out", out]);
            assert.equal(stale.code, 1);
            assert.match(stale.stderr, /ALERTS\.md is out of date; run npm run docs/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("rejects unknown arguments", () => {
        assert.equal(parseArgs(["--bogus"]), "unknown argument --bogus");
        assert.equal(parseArgs(["--out"]), "--out needs a file path");
        assert.deepEqual(parseArgs(["--check"]), { check: true, out: ALERTS_FILE });
    });
});

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as yaml from "js-yaml";
import { classifyImpact, DEFAULT_OPERATOR_NOTICES, ImpactTableError, operatorNoticeFor, parseImpactTable, SOURCE_ATTRIBUTES } from "../../components/triage/handler/impact";
import { IMPACT_TABLE_FILE } from "../../components/triage/handler/impactSource";
import { Alert } from "../../components/triage/handler/model";
import { parseMessage } from "../../components/triage/handler/normalize";
import { IMPACT_TABLE, message } from "./support";

function alertOf(relative: string): Alert {
    const parsed = parseMessage(message(relative));
    assert.equal(parsed.kind, "alerts");
    return (parsed as Extract<typeof parsed, { kind: "alerts" }>).alerts[0];
}

const SHIPPED = fs.readFileSync(IMPACT_TABLE_FILE, "utf8");

/** The shipped table with one rule changed by `edit` (a mutation of the valid document). */
function mutated(edit: (doc: any) => void): string {
    const doc = yaml.load(SHIPPED) as any;
    edit(doc);
    return yaml.dump(doc);
}

function rejects(text: string, message: RegExp): void {
    assert.throws(() => parseImpactTable(text), (err: unknown) => err instanceof ImpactTableError && message.test((err as Error).message));
}

describe("triage: impact table (rules/impact.yaml)", () => {
    it("the shipped table is valid and covers every non-Prometheus source", () => {
        const table = parseImpactTable(SHIPPED);
        assert.equal(table.default, "uncertain");
        for (const source of Object.keys(SOURCE_ATTRIBUTES)) {
            assert.ok(table.rules.some((r) => r.source === source), `a rule for ${source}`);
        }
    });

    it("classifies the fixtures of every source as the README describes", () => {
        const expected: [string, string, string][] = [
            ["amp/01-crashloop-firing.sns.json", "uncertain", "label impact=uncertain"],
            ["amp/04-apiserver-burn-known.sns.json", "known", "label impact=known"],
            ["amp/05-cpu-overcommit-none.sns.json", "none", "label impact=none"],
            ["guardduty/01-eks-finding-medium.json", "uncertain", "rule guardduty-medium"],
            ["guardduty/03-eks-finding-high.sns.json", "known", "rule guardduty-high"],
            ["health/01-eks-issue-open.sns.json", "uncertain", "rule health-issue"],
            ["eks/01-addon-health-degraded.json", "uncertain", "rule eks-addon-degraded"],
            ["eks/02-addon-health-restored.json", "none", "rule eks-informational"],
            ["ec2/01-instance-stopped.json", "uncertain", "rule ec2-node-stopped"],
            ["ec2/02-spot-interruption.json", "none", "rule ec2-spot-interruption"],
            ["cloudwatch/01-alarm-state-alarm.json", "uncertain", "rule cloudwatch-alarm"],
            // Vigil's own pipeline alarms already reach the operator through their alarm action.
            ["cloudwatch/03-vigil-pipeline-alarm.json", "none", "rule vigil-pipeline-alarms"],
        ];
        for (const [file, impact, reason] of expected) {
            assert.deepEqual(classifyImpact(alertOf(file), IMPACT_TABLE), { impact, reason }, file);
        }
    });

    it("a rule overrides a Prometheus alert's impact label; the first matching rule wins", () => {
        const table = parseImpactTable(`
version: 1
default: uncertain
rules:
  - name: payments-crashloops-known
    source: prometheus
    match: { alertname: KubePodCrashLooping, cluster: payments-prod, namespace: { regex: "sh.p" } }
    impact: known
  - name: all-crashloops-none
    source: prometheus
    match: { alertname: KubePodCrashLooping }
    impact: none
`);
        const alert = alertOf("amp/01-crashloop-firing.sns.json");
        assert.deepEqual(classifyImpact(alert, table), { impact: "known", reason: "rule payments-crashloops-known" });
        const otherCluster = { ...alert, attributes: { ...alert.attributes, cluster: "platform-staging" } };
        assert.deepEqual(classifyImpact(otherCluster, table), { impact: "none", reason: "rule all-crashloops-none" });
        // Regexes are anchored: "shop" must match the whole value.
        const partial = { ...alert, attributes: { ...alert.attributes, namespace: "shopping" } };
        assert.deepEqual(classifyImpact(partial, table), { impact: "none", reason: "rule all-crashloops-none" });
    });

    it("falls back to the default for a missing or invalid impact label and for unmatched alerts", () => {
        const table = parseImpactTable("version: 1\ndefault: known\nrules: []\n");
        const alert = alertOf("amp/01-crashloop-firing.sns.json");
        assert.deepEqual(classifyImpact({ ...alert, impactLabel: undefined }, table), { impact: "known", reason: "default" });
        assert.equal(classifyImpact({ ...alert, impactLabel: "maybe" }, table).impact, "known");
        assert.match(classifyImpact({ ...alert, impactLabel: "maybe" }, table).reason, /label impact="maybe" is not one of known, uncertain, none/);
        assert.deepEqual(classifyImpact(alertOf("guardduty/01-eks-finding-medium.json"), table), { impact: "known", reason: "default" });
    });

    it("rejects invalid tables with the entry and what is allowed", () => {
        rejects("version: 1\nrules: [", /not valid YAML/);
        rejects(mutated((d) => (d.version = 2)), /version 2 is not supported; allowed: 1/);
        rejects(mutated((d) => (d.default = "maybe")), /default: impact "maybe" is not one of known, uncertain, none/);
        rejects(mutated((d) => (d.extra = 1)), /unknown key "extra"; allowed: version, default, rules/);
        rejects(mutated((d) => (d.rules = {})), /rules must be a list/);
        rejects(mutated((d) => (d.rules[0].impact = "high")), /rules\[0\] \(guardduty-impact-tactic\): impact "high" is not one of/);
        rejects(mutated((d) => (d.rules[1].source = "datadog")), /rules\[1\] \(guardduty-high\): source "datadog" is not one of prometheus, guardduty/);
        rejects(mutated((d) => (d.rules[2].match = { severityy: "medium" })), /rules\[2\] \(guardduty-medium\): match key "severityy" is not an attribute of guardduty alerts; allowed: type, severity/);
        rejects(mutated((d) => (d.rules[2].match = { severity: 5 })), /rules\[2\] \(guardduty-medium\) match\.severity: 5 must be quoted/);
        rejects(mutated((d) => (d.rules[2].match = { severity: [] })), /a list must hold one or more strings/);
        rejects(mutated((d) => (d.rules[2].match = { type: { regex: "(" } })), /regex "\(" does not compile/);
        rejects(mutated((d) => (d.rules[2].match = { type: { glob: "*" } })), /unknown key "glob"; allowed: regex/);
        rejects(mutated((d) => (d.rules[3].name = d.rules[2].name)), /rules\[3\] \(guardduty-medium\): name "guardduty-medium" is used by an earlier rule/);
        rejects(mutated((d) => (d.rules[3].name = "Guard Duty")), /name "Guard Duty" must be lower-case/);
        rejects(mutated((d) => (d.rules[3].imapct = "none")), /rules\[3\] \(guardduty-low\): unknown key "imapct"/);
        rejects(mutated((d) => d.rules.push({ name: "bad-label", source: "prometheus", match: { "not-a-label": "x" }, impact: "none" })), /match key "not-a-label" is not a Prometheus label name/);
    });

    describe("operator notices (which no-impact alerts still reach the operator)", () => {
        const strip = (rules: readonly { name: string; source?: string; match: object; notify: boolean }[]) => rules.map((r) => ({ name: r.name, source: r.source, match: r.match, notify: r.notify }));

        it("the shipped table notifies the operator of pipeline and critical alerts, which is also the default", () => {
            const table = parseImpactTable(SHIPPED);
            assert.deepEqual(strip(table.operatorNotices), strip(DEFAULT_OPERATOR_NOTICES));
            assert.deepEqual(strip(table.operatorNotices).map((r) => [r.name, Object.keys(r.match), r.notify]), [
                ["pipeline-alerts", ["level"], true],
                ["critical-alerts", ["severity"], true],
            ]);
            const without = parseImpactTable("version: 1\ndefault: uncertain\nrules: []\n");
            assert.equal(without.operatorNotices, DEFAULT_OPERATOR_NOTICES, "no section: the default");
            assert.deepEqual(parseImpactTable("version: 1\ndefault: uncertain\nrules: []\noperatorNotices: []\n").operatorNotices, [], "an empty list: none");
        });

        it("takes any Prometheus label name as a match key, one named like an Object.prototype member too", () => {
            const table = parseImpactTable(
                "version: 1\ndefault: uncertain\nrules: []\noperatorNotices:\n  - name: odd\n    source: prometheus\n    match: { constructor: x, toString: y }\n    notify: true\n",
            );
            assert.deepEqual(Object.keys(table.operatorNotices[0].match), ["constructor", "toString"]);
        });

        it("names the rule only for alerts of impact none", () => {
            const targetDown = alertOf("amp/11-target-down-pipeline.sns.json");
            assert.deepEqual(classifyImpact(targetDown, IMPACT_TABLE), { impact: "none", reason: "label impact=none", operatorNotice: "pipeline-alerts" });
            assert.deepEqual(classifyImpact({ ...targetDown, impactLabel: "uncertain" }, IMPACT_TABLE), { impact: "uncertain", reason: "label impact=uncertain" });
            const overcommit = alertOf("amp/05-cpu-overcommit-none.sns.json");
            assert.deepEqual(classifyImpact(overcommit, IMPACT_TABLE), { impact: "none", reason: "label impact=none" });
            assert.equal(classifyImpact({ ...overcommit, severity: "critical" }, IMPACT_TABLE).operatorNotice, "critical-alerts");
            // Other sources: matched on the normalized level and severity.
            const restored = alertOf("eks/02-addon-health-restored.json");
            assert.equal(classifyImpact(restored, IMPACT_TABLE).impact, "none");
            assert.equal(classifyImpact(restored, IMPACT_TABLE).operatorNotice, undefined);
            assert.equal(classifyImpact({ ...restored, level: "pipeline" }, IMPACT_TABLE).operatorNotice, "pipeline-alerts");
        });

        it("the first matching rule decides; notify: false is an exception; source rules match the source's attributes", () => {
            const table = parseImpactTable(`
version: 1
default: uncertain
rules: []
operatorNotices:
  - name: sandbox-quiet
    source: prometheus
    match: { cluster: { regex: "sand.*" }, alertname: TargetDown }
    notify: false
  - name: eks-vpc-cni
    source: eks
    match: { addonName: vpc-cni }
    notify: true
  - name: pipeline
    match: { level: [pipeline, network] }
    notify: true
`);
            const targetDown = alertOf("amp/11-target-down-pipeline.sns.json");
            assert.equal(operatorNoticeFor(targetDown, table), "pipeline");
            assert.equal(operatorNoticeFor({ ...targetDown, cluster: "sandbox-1" }, table), undefined);
            assert.equal(operatorNoticeFor({ ...targetDown, cluster: "xsandbox" }, table), "pipeline", "regexes are anchored");
            assert.equal(operatorNoticeFor({ ...targetDown, level: "network" }, table), "pipeline");
            assert.equal(operatorNoticeFor({ ...targetDown, level: "node" }, table), undefined);
            const restored = alertOf("eks/02-addon-health-restored.json");
            assert.equal(restored.attributes.addonName, "vpc-cni");
            assert.equal(operatorNoticeFor(restored, table), "eks-vpc-cni");
            assert.equal(operatorNoticeFor({ ...restored, attributes: { ...restored.attributes, addonName: "coredns" } }, table), undefined);
        });

        it("rejects invalid operator notice rules with the entry and what is allowed", () => {
            rejects(mutated((d) => (d.operatorNotices = { level: "pipeline" })), /operatorNotices must be a list/);
            rejects(mutated((d) => (d.operatorNotices[0].notify = "yes")), /operatorNotices\[0\] \(pipeline-alerts\): notify "yes" must be true \(send the operator a notice\) or false/);
            rejects(mutated((d) => delete d.operatorNotices[1].notify), /operatorNotices\[1\] \(critical-alerts\): notify undefined must be true/);
            rejects(mutated((d) => (d.operatorNotices[0].match = { level: "pipline" })), /operatorNotices\[0\] \(pipeline-alerts\) match\.level: "pipline" is not one of cluster, node, workload, pod, apiserver, coredns, control-plane, network, pipeline/);
            rejects(mutated((d) => (d.operatorNotices[1].match = { severity: ["critical", "major"] })), /match\.severity: "major" is not one of critical, warning, info/);
            rejects(mutated((d) => (d.operatorNotices[0].match = { alertname: "TargetDown" })), /match key "alertname" is not one of level, severity, cluster \(give a source to match its attributes\)/);
            rejects(mutated((d) => (d.operatorNotices[0] = { ...d.operatorNotices[0], source: "guardduty", match: { alertname: "x" } })), /match key "alertname" is not one of level, severity, cluster, type, severity, resourceType/);
            rejects(mutated((d) => (d.operatorNotices[0].source = "datadog")), /source "datadog" is not one of prometheus, guardduty/);
            rejects(mutated((d) => (d.operatorNotices[1].name = "pipeline-alerts")), /operatorNotices\[1\] \(pipeline-alerts\): name "pipeline-alerts" is used by an earlier operator notice rule/);
            rejects(mutated((d) => (d.operatorNotices[0].impact = "none")), /operatorNotices\[0\] \(pipeline-alerts\): unknown key "impact"; allowed: name, description, source, match, notify/);
            rejects(mutated((d) => (d.operatorNotices[0].match = { level: 3 })), /match\.level: 3 must be quoted/);
        });
    });
});

// The pack over the offline plan of deliberately misconfigured stacks: each switch that drops part
// of the matrix or weakens the baseline must block the plan (exit 1) with exactly the violations
// that name it. The example stack's own findings are the baseline every variant is compared with.

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { REPO_ROOT, runScript } from "../support/cli";

const EXAMPLE = path.join(REPO_ROOT, "stacks", "Pulumi.example.yaml");
const EXAMPLE_ACCOUNT = path.join(REPO_ROOT, "stacks", "example.account.yaml");

interface Violation {
    readonly policy: string;
    readonly enforcementLevel: string;
    readonly urn: string;
    readonly message: string;
}

interface Resource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly inputs: Record<string, any>;
}

interface Planned {
    readonly code: number;
    readonly output: string;
    readonly violations: Violation[];
    readonly resources: Resource[];
}

const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-policy-plan-"));

/** Plans a copy of the example stack with `change` applied to its configuration. */
async function plan(name: string, change: (config: Record<string, unknown>) => void, extraArgs: string[] = []): Promise<Planned> {
    const dir = path.join(workDir, name);
    fs.mkdirSync(dir, { recursive: true });
    const doc = yaml.load(fs.readFileSync(EXAMPLE, "utf8")) as { config: Record<string, unknown> };
    change(doc.config);
    const config = path.join(dir, `Pulumi.${name}.yaml`);
    fs.writeFileSync(config, yaml.dump(doc));
    const account = path.join(dir, "account.yaml");
    fs.copyFileSync(EXAMPLE_ACCOUNT, account);
    const out = path.join(dir, "out");
    const result = await runScript("plan.ts", ["--config", config, "--account", account, "--out", out, ...extraArgs], { timeoutMs: 170_000 });
    assert.ok(result.code === 0 || result.code === 1, `plan ${name} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
    return {
        code: result.code,
        output: result.stdout,
        violations: JSON.parse(fs.readFileSync(path.join(out, "policy.json"), "utf8")) as Violation[],
        resources: JSON.parse(fs.readFileSync(path.join(out, "resources.json"), "utf8")) as Resource[],
    };
}

/** Writes a policy pack configuration file (the format of --policy-pack-config). */
function policyConfig(name: string, config: object): string {
    const file = path.join(workDir, `${name}.json`);
    fs.writeFileSync(file, JSON.stringify(config));
    return file;
}

// URNs carry the stack's name, which differs from variant to variant.
const key = (v: Violation) => `${v.policy}|${v.urn.replace(/^urn:pulumi:[^:]+::/, "")}|${v.message}`;

/** The variant's violations that the example stack does not have. */
function added(variant: Planned, baseline: Planned): Violation[] {
    const before = new Set(baseline.violations.map(key));
    return variant.violations.filter((v) => !before.has(key(v)));
}

const sorted = (items: string[]) => [...items].sort();

/** What switching GuardDuty off adds to the example's findings: [policy, level, URN without the stack, message]. */
const GUARDDUTY_OFF: string[][] = [
    [
        "vigil-raci-completeness",
        "mandatory",
        "",
        "Activity guardduty-eks-audit-logs (Enable GuardDuty EKS Audit Log Monitoring) is the operator's responsibility (R), but the stack has no aws:guardduty/detectorFeature:DetectorFeature with name matching ^EKS_AUDIT_LOGS$ and status matching ^ENABLED$. Set vigil:guardDuty to create or adopt, so that AccountMonitoring enables the EKS_AUDIT_LOGS detector feature.",
    ],
];

describe("the policy pack over the offline plan", function () {
    this.timeout(600_000);
    let baseline: Planned;

    before(async () => {
        baseline = await plan("example", () => undefined);
    });

    after(() => fs.rmSync(workDir, { recursive: true, force: true }));

    it("runs every policy over the example stack and blocks nothing", () => {
        assert.match(baseline.output, /Policies: 5\d run;/);
        assert.ok(baseline.resources.some((r) => r.type === "vigil:triage:TriageService"), "the stack program composes TriageService");
        assert.deepEqual(
            baseline.violations.filter((v) => v.enforcementLevel === "mandatory"),
            [],
        );
        assert.equal(baseline.code, 0);
    });

    it("control-plane logging off: every cluster loses control-plane logging and its log group", async () => {
        const variant = await plan("no-logging", (c) => (c["vigil:controlPlaneLogging"] = false));
        assert.equal(variant.code, 1);
        const clusters = variant.resources.filter((r) => r.type === "vigil:cluster:ClusterMonitoring");
        assert.equal(clusters.length, 2);
        assert.deepEqual(
            sorted(added(variant, baseline).map((v) => `${v.policy} ${v.urn} ${v.message.split(" is the ")[0]}`)),
            sorted(
                clusters.flatMap((c) => [
                    `vigil-raci-completeness ${c.urn} Activity control-plane-logging (Enable EKS control plane logging)`,
                    `vigil-raci-completeness ${c.urn} Activity log-analysis (Analyze logs during incidents (control plane and pod logs))`,
                ]),
            ),
        );
        for (const v of added(variant, baseline)) {
            assert.equal(v.enforcementLevel, "mandatory");
            assert.match(v.message, /Set vigil:controlPlaneLogging to true|creates \(or adopts\) the control-plane log group/);
        }
    });

    it("GuardDuty off: EKS audit-log monitoring is reported missing, and nothing else", async () => {
        const variant = await plan("no-guardduty", (c) => (c["vigil:guardDuty"] = "off"));
        assert.equal(variant.code, 1);
        assert.deepEqual(
            added(variant, baseline).map((v) => [v.policy, v.enforcementLevel, v.urn.replace(/^urn:pulumi:[^:]+::/, ""), v.message]),
            GUARDDUTY_OFF,
        );
    });

    it("no operator e-mail addresses: the pipeline topic reaches nobody (advisory, the plan passes)", async () => {
        const variant = await plan("no-operator-emails", (c) => delete c["vigil:operatorEmails"]);
        assert.equal(variant.code, 0);
        const topic = variant.resources.find((r) => r.type === "aws:sns/topic:Topic" && r.name === "vigil-pipeline");
        assert.ok(topic);
        assert.deepEqual(
            added(variant, baseline).map((v) => [v.policy, v.enforcementLevel, v.urn]),
            [["vigil-sns-pipeline-topic-subscribed", "advisory", topic.urn]],
        );
        assert.match(added(variant, baseline)[0].message, /has no subscription in the stack: the dead-man's switch reaches nobody independently of the alert topic\. Set vigil:operatorEmails, or subscribe from another project via the pipelineTopicArn stack output\.$/);
    });

    it("Grafana off: the Grafana activity is reported missing, unless the policy configuration exempts it", async () => {
        const variant = await plan("no-grafana", (c) => (c["vigil:grafana"] = false));
        assert.equal(variant.code, 1);
        assert.deepEqual(
            added(variant, baseline).map((v) => [v.policy, v.enforcementLevel, v.message]),
            [
                [
                    "vigil-raci-completeness",
                    "mandatory",
                    "Activity grafana (Provide the Amazon Managed Grafana template and assist with configuration) is the operator's responsibility (R), but the stack has no aws:grafana/workspace:Workspace. Set vigil:grafana to true, or exempt the activity in this policy's configuration if the customer declined Grafana.",
                ],
            ],
        );
        const exempt = await plan("no-grafana-exempt", (c) => (c["vigil:grafana"] = false), ["--policy-config", policyConfig("exempt-grafana", { "vigil-raci-completeness": { exemptActivities: ["grafana"] } })]);
        assert.deepEqual(added(exempt, baseline), []);
    });

    it("a week of log retention: every log group Vigil creates is reported", async () => {
        const variant = await plan("short-retention", (c) => (c["vigil:logRetentionDays"] = 7));
        assert.equal(variant.code, 1);
        // LogGroups, and the dynamic resources that create or adopt the clusters' control-plane groups.
        const groups = variant.resources.filter((r) => r.type === "aws:cloudwatch/logGroup:LogGroup" || (r.type === "pulumi-nodejs:dynamic:Resource" && r.inputs.kind === "vigil:cloudwatch:LogGroup"));
        assert.equal(groups.filter((g) => g.type === "pulumi-nodejs:dynamic:Resource").length, 2, "one control-plane log group per cluster");
        assert.ok(groups.length >= 3, "the AMP log group and one per cluster");
        for (const g of groups) {
            assert.equal(g.inputs.retentionInDays, 7, g.name);
        }
        assert.deepEqual(
            sorted(added(variant, baseline).map((v) => `${v.policy} ${v.enforcementLevel} ${v.urn} ${v.message}`)),
            sorted(
                groups.map(
                    (g) =>
                        `vigil-cloudwatch-log-retention mandatory ${g.urn} The log group ${g.type} "${g.name}" keeps logs for 7 days; keep them for at least 365 days (vigil:logRetentionDays).`,
                ),
            ),
        );
    });

    it("another namespace: blocked until the pack is configured with it", async () => {
        const variant = await plan("namespace", (c) => (c["vigil:namespace"] = "monitoring"));
        assert.equal(variant.code, 1);
        const found = added(variant, baseline);
        assert.deepEqual(sorted([...new Set(found.map((v) => v.policy))]), ["vigil-iam-role-trust-scoped", "vigil-kubernetes-operator-namespace", "vigil-kubernetes-rbac-binding-scoped"]);
        for (const v of found) {
            assert.match(v.message, /vigil-monitoring/);
        }
        const namespace = { operatorNamespace: "monitoring" };
        const configured = await plan("namespace-configured", (c) => (c["vigil:namespace"] = "monitoring"), [
            "--policy-config",
            policyConfig("namespace", {
                "vigil-kubernetes-operator-namespace": namespace,
                "vigil-kubernetes-rbac-binding-scoped": namespace,
                "vigil-iam-role-trust-scoped": namespace,
                "vigil-eks-operator-access-scoped": namespace,
            }),
        ]);
        assert.deepEqual(added(configured, baseline), []);
    });

    it("the operator's stack tagged as the customer's: every operator component is out of place", async () => {
        const variant = await plan("customer-tag", () => undefined, ["--stack-tag", "vigil:party=customer"]);
        assert.equal(variant.code, 1);
        const components = variant.resources.filter((r) => r.type.startsWith("vigil:"));
        assert.ok(components.length >= 3);
        const boundary = added(variant, baseline).filter((v) => v.policy === "vigil-raci-party-boundary");
        assert.deepEqual(
            sorted(boundary.map((v) => v.urn)),
            sorted(components.map((c) => c.urn)),
        );
        for (const v of boundary) {
            assert.match(v.message, /^The customer stack must not create the component vigil:[a-z]+:[A-Za-z]+ "[^"]+": Vigil's [a-z]+ components belong in the operator's project/);
        }
        const completeness = added(variant, baseline).filter((v) => v.policy === "vigil-raci-completeness");
        assert.deepEqual(
            completeness.map((v) => v.message.split(" (")[0]),
            ["Activity cluster-access-rbac", "Activity node-ssm-agent"],
        );
    });
});

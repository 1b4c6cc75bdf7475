// The offline plan (npm run plan) of the example stack shows the diagnostics function's extra
// permissions for review: its role's policy in artifacts/iam/ scoped to the example account's
// clusters and their control-plane log groups, the read-only Kubernetes access the cluster owners
// grant in artifacts/diagnostics/, the diagnosticsRoleArn output, and no policy violations; with
// vigil:diagnostics false none of it is planned.

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { diagnosticsClusterRules } from "../../components/customer/customerAccess";
import { runScript } from "../support/cli";

interface Resource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly parent: string | null;
    readonly inputs: Record<string, any>;
}

const ACCOUNT = "111122223333";
const REGION = "eu-west-1";
const CLUSTERS = ["payments-prod", "platform-staging"];
const ACCOUNT_FILE = path.join(__dirname, "..", "..", "stacks", "example.account.yaml");
const list = (v: string | string[]): string[] => (Array.isArray(v) ? v : [v]);

describe("offline plan of the example stack: incident diagnostics", function () {
    this.timeout(180_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-diagnostics-plan-"));
    const out = path.join(dir, "default");
    let stdout: string;
    let resources: Resource[];
    let violations: unknown[];
    const artifact = (relative: string) => fs.readFileSync(path.join(out, "artifacts", relative), "utf8");

    before(async () => {
        const result = await runScript("plan.ts", ["--out", out], { timeoutMs: 170_000 });
        assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
        stdout = result.stdout;
        resources = JSON.parse(fs.readFileSync(path.join(out, "resources.json"), "utf8"));
        violations = JSON.parse(fs.readFileSync(path.join(out, "policy.json"), "utf8"));
    });

    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("plans the diagnostics function and its resources in the triage service, with no policy violation", () => {
        const service = resources.find((r) => r.type === "vigil:triage:TriageService");
        assert.ok(service);
        const diagnostics = resources.filter((r) => r.parent === service.urn && r.name.startsWith("vigil-triage-diagnostics"));
        assert.deepEqual(diagnostics.map((r) => `${r.type} ${r.name}`).sort(), [
            "aws:cloudwatch/logGroup:LogGroup vigil-triage-diagnostics-logs",
            "aws:iam/role:Role vigil-triage-diagnostics-role",
            "aws:iam/rolePolicy:RolePolicy vigil-triage-diagnostics-permissions",
            "aws:lambda/eventSourceMapping:EventSourceMapping vigil-triage-diagnostics-mapping",
            "aws:lambda/function:Function vigil-triage-diagnostics",
            "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig vigil-triage-diagnostics-async",
            "aws:sqs/queue:Queue vigil-triage-diagnostics-dlq",
        ]);
        const fn = diagnostics.find((r) => r.name === "vigil-triage-diagnostics");
        assert.equal(fn?.inputs.environment.variables.DIAGNOSTICS_CLUSTERS, CLUSTERS.join(","), "the example's vigil:clusters");
        assert.deepEqual(violations, []);
        assert.match(stdout, /Policies: \d+ run; 0 mandatory and 0 advisory violations/);
        assert.match(stdout, new RegExp(`diagnosticsRoleArn = arn:aws:iam::${ACCOUNT}:role/vigil-triage-diagnostics-role-[0-9a-f]+\\n`));
    });

    it("shows the role's policy scoped to the example account's clusters and their control-plane log groups", () => {
        const policy = JSON.parse(artifact("iam/vigil-triage-diagnostics-permissions.policy.json"));
        const statements: { Sid: string; Action: string | string[]; Resource: string | string[]; Condition?: unknown }[] = policy.Statement;
        const by = (action: string) => statements.filter((s) => list(s.Action).includes(action));
        assert.deepEqual(by("eks:DescribeCluster").map((s) => list(s.Resource)), [CLUSTERS.map((c) => `arn:aws:eks:${REGION}:${ACCOUNT}:cluster/${c}`)]);
        assert.deepEqual(
            by("logs:StartQuery").map((s) => list(s.Resource)),
            [CLUSTERS.flatMap((c) => [`arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/eks/${c}/cluster`, `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/eks/${c}/cluster:*`])],
        );
        const star = statements.filter((s) => list(s.Resource).includes("*"));
        assert.deepEqual(star.flatMap((s) => list(s.Action)).sort(), ["logs:GetQueryResults", "logs:StopQuery", "xray:PutTelemetryRecords", "xray:PutTraceSegments"]);
        assert.ok(star.every((s) => JSON.stringify(s.Condition) === JSON.stringify({ StringEquals: { "aws:RequestedRegion": REGION } })));
        const table = resources.find((r) => r.type === "aws:dynamodb/table:Table" && r.name === "vigil-triage-cases");
        assert.ok(table);
        const tableStatement = by("dynamodb:PutItem");
        assert.equal(tableStatement.length, 1);
        assert.match(String(tableStatement[0].Resource), new RegExp(`^arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/vigil-triage-cases-[0-9a-f]+$`));
        assert.deepEqual(list(by("sns:Publish")[0].Resource), [JSON.parse(artifact("iam/vigil-triage-intake-permissions.policy.json")).Statement.find((s: { Sid: string }) => s.Sid === "PublishNotifications").Resource].flat());
        const trust = JSON.parse(artifact("iam/vigil-triage-diagnostics-role.assumeRolePolicy.json"));
        assert.deepEqual(trust.Statement.map((s: { Principal: unknown; Action: unknown }) => [s.Principal, s.Action]), [[{ Service: "lambda.amazonaws.com" }, "sts:AssumeRole"]]);
    });

    it("shows the read-only access each cluster owner grants the role, and where its IAM policy is", () => {
        const access = yaml.load(artifact("diagnostics/vigil-triage-diagnostics.access.yaml")) as Record<string, any>;
        assert.match(access.role, new RegExp(`^arn:aws:iam::${ACCOUNT}:role/vigil-triage-diagnostics-role-[0-9a-f]+$`));
        assert.ok(stdout.includes(`diagnosticsRoleArn = ${access.role}\n`), "the role the output names");
        assert.deepEqual(access.clusters, CLUSTERS);
        assert.equal(access.budgetSeconds, 60);
        assert.ok(fs.existsSync(path.join(out, "artifacts", access.iam)), `${access.iam} is written`);
        assert.deepEqual(access.kubernetes.withKubernetesProvider, { group: "vigil-diagnostics", clusterRole: "vigil-diagnostics", rules: diagnosticsClusterRules() });
        assert.deepEqual(access.kubernetes.withoutKubernetesProvider, { accessPolicy: "AmazonEKSViewPolicy", accessScope: "cluster" });
        const verbs = (access.kubernetes.withKubernetesProvider.rules as { verbs: string[]; resources?: string[] }[]).flatMap((r) => r.verbs);
        assert.deepEqual([...new Set(verbs)].sort(), ["get", "list"]);
        assert.ok(!(access.kubernetes.withKubernetesProvider.rules as { resources?: string[] }[]).some((r) => (r.resources ?? []).includes("secrets")));
    });

    it("with vigil:diagnostics false plans no diagnostics function, role or output, and still passes the pack", async () => {
        const config = path.join(dir, "Pulumi.nodiag.yaml");
        fs.writeFileSync(
            config,
            `config:\n  aws:region: ${REGION}\n  vigil:clusters:\n${CLUSTERS.map((c) => `    - ${c}\n`).join("")}  vigil:guardDuty: adopt\n  vigil:operatorEmails:\n    - sre@operator.example.com\n  vigil:diagnostics: false\n`,
        );
        const off = path.join(dir, "off");
        const result = await runScript("plan.ts", ["--config", config, "--account", ACCOUNT_FILE, "--out", off], { timeoutMs: 170_000 });
        assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
        const planned = JSON.parse(fs.readFileSync(path.join(off, "resources.json"), "utf8")) as Resource[];
        assert.deepEqual(planned.filter((r) => r.name.includes("diagnostics")).map((r) => r.name), []);
        assert.ok(!planned.some((r) => r.type === "aws:lambda/function:Function" && r.inputs.handler === "index.diagnosticsHandler"));
        for (const name of ["vigil-triage-intake", "vigil-triage-timer"]) {
            const fn = planned.find((r) => r.type === "aws:lambda/function:Function" && r.name === name);
            assert.equal(fn?.inputs.environment.variables.DIAGNOSTICS, undefined, `${name}: cases record no diagnostics requests`);
        }
        assert.ok(!fs.existsSync(path.join(off, "artifacts", "diagnostics")), "no diagnostics artifact");
        assert.ok(!fs.existsSync(path.join(off, "artifacts", "iam", "vigil-triage-diagnostics-permissions.policy.json")));
        assert.doesNotMatch(result.stdout, /diagnosticsRoleArn = arn:/);
        assert.deepEqual(JSON.parse(fs.readFileSync(path.join(off, "policy.json"), "utf8")), []);
        // The default plan, by contrast, has them (so this case can fail).
        assert.ok(resources.some((r) => r.name === "vigil-triage-diagnostics-role"));
    });
});

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { alertmanagerDefinition, splitDefinition } from "../../components/account/alertmanager";
import { pipelineAlarmPrefix } from "../../components/account/alarms";
import { resolveAccountArgs } from "../../components/account/args";
import { eventRules } from "../../components/account/events";
import { parseConfig, VigilConfig } from "../../stacks/config";
import { cli } from "../../tools/plan";
import { AccountDescription, loadAccountDescription } from "../../tools/offline/account";
import { mockResourceState } from "../../tools/offline/state";
import { loadProject, loadStackConfig } from "../../tools/offline/stackConfig";
import { REPO_ROOT, runScript } from "../support/cli";
import { wildcardProblems } from "../support/iamReview";
import { amtool } from "../support/tools";

const EXAMPLE = path.join(REPO_ROOT, "stacks", "Pulumi.example.yaml");
const EXAMPLE_ACCOUNT = path.join(REPO_ROOT, "stacks", "example.account.yaml");

/** Writes a variant of the example stack (and its account description) into a fresh folder. */
function variant(name: string, change: (config: Record<string, unknown>) => void): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-plan-"));
    const doc = yaml.load(fs.readFileSync(EXAMPLE, "utf8")) as { config: Record<string, unknown> };
    change(doc.config);
    const file = path.join(dir, `Pulumi.${name}.yaml`);
    fs.writeFileSync(file, yaml.dump(doc));
    fs.copyFileSync(EXAMPLE_ACCOUNT, path.join(dir, `${name}.account.yaml`));
    return file;
}

/** Runs the plan command in-process (configuration errors stop it before the program runs). */
async function planInProcess(argv: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = "";
    let err = "";
    const code = await cli(argv, { out: (t) => (out += t), err: (t) => (err += t) });
    return { code, out, err };
}

interface PlannedResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly parent: string | null;
    readonly inputs: Record<string, unknown>;
}

/** The files under a folder, as sorted paths relative to it. */
function filesUnder(dir: string, prefix = ""): string[] {
    if (!fs.existsSync(dir)) {
        return [];
    }
    return fs
        .readdirSync(dir, { withFileTypes: true })
        .flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]))
        .sort();
}

describe("offline plan (npm run plan)", function () {
    this.timeout(180_000);

    // The example stack is planned once, in a child process as a user runs it; the cases below read what it wrote.
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-plan-out-"));
    const artifacts = path.join(out, "artifacts");
    const artifact = (relative: string) => fs.readFileSync(path.join(artifacts, relative), "utf8");
    let stdout: string;
    let resources: PlannedResource[];
    let byUrn: Map<string, PlannedResource>;
    let config: VigilConfig;
    let account: AccountDescription;

    before(async () => {
        const result = await runScript("plan.ts", ["--out", out], { timeoutMs: 170_000 });
        assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
        stdout = result.stdout;
        resources = JSON.parse(fs.readFileSync(path.join(out, "resources.json"), "utf8")) as PlannedResource[];
        byUrn = new Map(resources.map((r) => [r.urn, r]));
        config = parseConfig(loadStackConfig(EXAMPLE, loadProject()).values);
        account = loadAccountDescription(EXAMPLE_ACCOUNT);
    });

    after(() => fs.rmSync(out, { recursive: true, force: true }));

    /** The one resource of a type (a component the stack creates once). */
    const only = (type: string): PlannedResource => {
        const found = resources.filter((r) => r.type === type);
        assert.equal(found.length, 1, `one ${type}, got ${found.map((r) => r.name).join(", ")}`);
        return found[0];
    };
    const named = (type: string, name: string): PlannedResource => {
        const found = resources.find((r) => r.type === type && r.name === name);
        assert.ok(found, `${type} ${name} is planned`);
        return found;
    };
    /** Resources below a component, at any depth. */
    const descendants = (root: PlannedResource): PlannedResource[] => {
        const below = (r: PlannedResource): boolean => {
            for (let p = r.parent ? byUrn.get(r.parent) : undefined; p; p = p.parent ? byUrn.get(p.parent) : undefined) {
                if (p.urn === root.urn) {
                    return true;
                }
            }
            return false;
        };
        return resources.filter(below);
    };
    /** The ARN the offline engine gave a resource (the one the program's consumers received). */
    const arnOf = (r: PlannedResource) => String(mockResourceState(r.type, r.name, r.inputs, true, account).state.arn);

    it("plans the example stack and writes resources.json, policy.json and artifacts/", () => {
        assert.match(stdout, /Vigil offline plan: stack example, account 111122223333, region eu-west-1/);
        assert.match(stdout, /Policies: \d+ run; 0 mandatory/);

        assert.ok(Array.isArray(resources) && resources.length > 0);
        for (const r of resources) {
            assert.deepEqual(Object.keys(r).sort(), ["inputs", "name", "parent", "type", "urn"]);
        }
        const stack = resources.find((r) => r.type === "pulumi:pulumi:Stack");
        assert.ok(stack, "the stack resource is listed");
        assert.equal(stack.urn, "urn:pulumi:example::vigil::pulumi:pulumi:Stack::vigil-example");
        for (const r of resources.filter((r) => r !== stack)) {
            assert.ok(resources.some((p) => p.urn === r.parent), `parent of ${String(r.urn)} is a listed resource`);
        }
        const policy = JSON.parse(fs.readFileSync(path.join(out, "policy.json"), "utf8"));
        assert.ok(Array.isArray(policy));
        for (const v of policy) {
            assert.deepEqual(Object.keys(v).sort(), ["enforcementLevel", "message", "policy", "urn"]);
            assert.notEqual(v.enforcementLevel, "mandatory", JSON.stringify(v));
        }
        assert.ok(fs.statSync(artifacts).isDirectory());
    });

    it("writes the alert manager definition the builder makes for the example stack, and amtool accepts it", () => {
        const monitoring = only("vigil:account:AccountMonitoring");
        const definition = only("aws:amp/alertManagerDefinition:AlertManagerDefinition");
        // What AccountMonitoring passes the builder: the region, its two topics, the resolved intervals.
        const resolved = resolveAccountArgs({ clusterNames: config.clusters, repeatIntervalSeconds: config.repeatIntervalSeconds });
        const expected = alertmanagerDefinition({
            region: account.region,
            alertTopicArn: arnOf(named("aws:sns/topic:Topic", `${monitoring.name}-alerts`)),
            heartbeatTopicArn: arnOf(named("aws:sns/topic:Topic", `${monitoring.name}-heartbeat`)),
            repeatIntervalSeconds: resolved.repeatIntervalSeconds,
            heartbeatIntervalSeconds: resolved.heartbeatIntervalSeconds,
        });
        assert.equal(artifact(`alertmanager/${definition.name}.definition.yaml`), expected);

        const split = splitDefinition(expected);
        assert.deepEqual(
            filesUnder(path.join(artifacts, "alertmanager")),
            [`${definition.name}.definition.yaml`, `${definition.name}/alertmanager.yml`, ...Object.keys(split.templates).map((t) => `${definition.name}/${t}`)].sort(),
        );
        assert.equal(artifact(`alertmanager/${definition.name}/alertmanager.yml`), split.config);
        for (const [name, text] of Object.entries(split.templates)) {
            assert.equal(artifact(`alertmanager/${definition.name}/${name}`), text, name);
        }
        // amtool reads the templates the configuration lists from next to it, as written.
        assert.match(amtool(["check-config", path.join(artifacts, "alertmanager", definition.name, "alertmanager.yml")]), /SUCCESS/);
    });

    it("writes one EventBridge pattern file per rule, each the builder's pattern, none missing or extra", () => {
        const monitoring = only("vigil:account:AccountMonitoring");
        const rules = eventRules({ clusterNames: config.clusters, alarmNamePrefix: pipelineAlarmPrefix(monitoring.name) });
        assert.ok(rules.length > 0);
        assert.deepEqual(filesUnder(path.join(artifacts, "eventbridge")), rules.map((r) => `${monitoring.name}-${r.id}.json`).sort());
        for (const rule of rules) {
            assert.deepEqual(JSON.parse(artifact(`eventbridge/${monitoring.name}-${rule.id}.json`)), rule.pattern, rule.id);
        }
    });

    it("writes Helm values and a scrape configuration for each example cluster, remote writing to the workspace with its cluster label", () => {
        const remoteWriteUrl: string | undefined = /^\s*ampRemoteWriteUrl = (\S+)$/m.exec(stdout)?.[1];
        assert.ok(remoteWriteUrl, "the plan prints the ampRemoteWriteUrl output");
        assert.ok(config.clusters.length >= 2, "the example has two clusters");
        for (const cluster of config.clusters) {
            const below = descendants(named("vigil:cluster:ClusterMonitoring", cluster));

            const releases = below.filter((r) => r.type === "kubernetes:helm.sh/v3:Release");
            assert.ok(releases.length > 0, `${cluster}: Helm releases are planned`);
            for (const release of releases) {
                const values = yaml.load(artifact(`helm/${release.name}.yaml`));
                assert.ok(typeof values === "object" && values !== null && !Array.isArray(values), `helm/${release.name}.yaml is a YAML map`);
            }

            const scrapeSources = below.filter(
                (r) =>
                    (r.type === "kubernetes:core/v1:ConfigMap" && typeof (r.inputs.data as Record<string, unknown> | undefined)?.["prometheus.yml"] === "string") ||
                    r.type === "aws:amp/scraper:Scraper",
            );
            assert.equal(scrapeSources.length, 1, `${cluster}: one scrape configuration`);
            const scrape = yaml.load(artifact(`prometheus/${scrapeSources[0].name}.yml`)) as {
                global?: { external_labels?: Record<string, string> };
                remote_write?: { url: string; sigv4?: { region?: string } }[];
            };
            assert.equal(scrape.global?.external_labels?.cluster, cluster);
            const toWorkspace: { url: string; sigv4?: { region?: string } }[] = (scrape.remote_write ?? []).filter((w) => w.url === remoteWriteUrl);
            assert.equal(toWorkspace.length, 1, `${cluster}: remote_write to ${remoteWriteUrl}`);
            assert.equal(toWorkspace[0].sigv4?.region, account.region, `${cluster}: remote write signs for the workspace's region`);
        }
    });

    it("writes the triage service's IAM policy documents, each passing the wildcard review", () => {
        const service = only("vigil:triage:TriageService");
        const documents = filesUnder(path.join(artifacts, "iam")).filter((f) => f.startsWith(`${service.name}-`));
        // Every role's trust policy and permissions policy is among them, so the review cannot pass on nothing.
        const below = descendants(service);
        const roles = below.filter((r) => r.type === "aws:iam/role:Role");
        const rolePolicies = below.filter((r) => r.type === "aws:iam/rolePolicy:RolePolicy");
        assert.ok(roles.length > 0 && rolePolicies.length > 0);
        for (const expected of [...roles.map((r) => `${r.name}.assumeRolePolicy.json`), ...rolePolicies.map((r) => `${r.name}.policy.json`)]) {
            assert.ok(documents.includes(expected), `iam/${expected} is written`);
        }
        for (const file of documents) {
            assert.deepEqual(wildcardProblems(artifact(`iam/${file}`), account), [], file);
        }
        // The review finds what it is for in the same documents.
        const permissions = JSON.parse(artifact(`iam/${rolePolicies[0].name}.policy.json`)) as { Statement: unknown[] };
        permissions.Statement.push({ Sid: "Mutant", Effect: "Allow", Action: "dynamodb:*", Resource: "*" });
        assert.deepEqual(wildcardProblems(permissions, account), ["Mutant: action dynamodb:*", "Mutant: dynamodb:* on every resource", 'Mutant: "*" without aws:RequestedRegion']);
    });

    it("stops with exit 2 naming a cluster the account does not have", async () => {
        const file = variant("ghost", (c) => (c["vigil:clusters"] = ["payments-prod", "ghost-cluster"]));
        const result = await runScript("plan.ts", ["--config", file]);
        assert.equal(result.code, 2, `${result.stdout}\n${result.stderr}`);
        assert.match(result.stderr, /aws:eks\/getCluster:getCluster/);
        assert.match(result.stderr, /"ghost-cluster"/);
    });

    const invalid: [string, (c: Record<string, unknown>) => void, RegExp][] = [
        ["an unknown key", (c) => (c["vigil:clusterz"] = ["a"]), /vigil:clusterz.*did you mean vigil:clusters/],
        ["a missing cluster list", (c) => delete c["vigil:clusters"], /vigil:clusters.*required/],
        ["an empty cluster list", (c) => (c["vigil:clusters"] = []), /vigil:clusters.*at least 1/],
        ["duplicate cluster names", (c) => (c["vigil:clusters"] = ["payments-prod", "payments-prod"]), /vigil:clusters\[1\].*only once/],
        ["a wrong type", (c) => (c["vigil:logRetentionDays"] = "a year"), /vigil:logRetentionDays.*integer/],
        ["a list where a string belongs", (c) => (c["vigil:collector"] = ["prometheus"]), /vigil:collector.*type string/],
        ["a bad duration", (c) => (c["vigil:replyWindow"] = "3 days"), /vigil:replyWindow.*"3 days".*duration/],
        ["a value out of range", (c) => (c["vigil:repeatInterval"] = "6d"), /vigil:repeatInterval.*between 1m and 5d/],
        ["a value not allowed", (c) => (c["vigil:guardDuty"] = "maybe"), /vigil:guardDuty.*"create", "adopt", "off"/],
        ["an encrypted value", (c) => (c["vigil:namespace"] = { secure: "v1:abc" }), /vigil:namespace.*encrypted/],
        ["a region the account is not in", (c) => (c["aws:region"] = "us-east-1"), /aws:region.*"us-east-1".*eu-west-1/],
    ];
    for (const [what, change, message] of invalid) {
        it(`exits 2 on ${what}, naming the key`, async () => {
            const result = await planInProcess(["--config", variant("bad", change)]);
            assert.equal(result.code, 2, result.out + result.err);
            assert.match(result.err, message);
            assert.equal(result.out, "", "nothing is planned");
        });
    }

    it("exits 2 on an unknown argument, with usage", async () => {
        const result = await planInProcess(["--outt", "x"]);
        assert.equal(result.code, 2);
        assert.match(result.err, /unknown argument "--outt"/);
        assert.match(result.err, /usage: npm run plan/);
    });

    it("exits 2 when the account description is missing", async () => {
        const file = variant("lonely", () => undefined);
        fs.rmSync(path.join(path.dirname(file), "lonely.account.yaml"));
        const result = await planInProcess(["--config", file]);
        assert.equal(result.code, 2);
        assert.match(result.err, /lonely\.account\.yaml does not exist/);
    });
});

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { cli } from "../../tools/plan";
import { REPO_ROOT, runScript } from "../support/cli";

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

describe("offline plan (npm run plan)", function () {
    this.timeout(180_000);

    it("plans the example stack and writes resources.json, policy.json and artifacts/", async () => {
        const out = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-plan-out-"));
        const result = await runScript("plan.ts", ["--out", out]);
        assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
        assert.match(result.stdout, /Vigil offline plan: stack example, account 111122223333, region eu-west-1/);
        assert.match(result.stdout, /Policies: \d+ run; 0 mandatory/);

        const resources = JSON.parse(fs.readFileSync(path.join(out, "resources.json"), "utf8")) as Record<string, unknown>[];
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
        assert.ok(fs.statSync(path.join(out, "artifacts")).isDirectory());
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

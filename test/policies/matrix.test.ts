import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { ACTIVITIES } from "../../components/tags";
import { POLICIES } from "../../policies/catalog";
import { evidenceMatchers, matches, parseRaci, PARTIES, raci, RACI_FILE, RaciError, valuesAt } from "../../policies/lib/raci";

const TEXT = fs.readFileSync(RACI_FILE, "utf8");

/** The matrix text with one change applied to its parsed form. */
function mutated(change: (doc: any) => void): string {
    const doc = yaml.load(TEXT) as any;
    change(doc);
    return yaml.dump(doc);
}

const activity = (doc: any, id: string) => doc.activities.find((a: any) => a.id === id);

/** Resolves a Pulumi type token to its SDK class, to prove the matrix names real types. */
function sdkType(token: string): string | undefined {
    const [pkg, module, className] = token.split(":");
    const sdk = pkg === "aws" ? require("@pulumi/aws") : pkg === "kubernetes" ? require("@pulumi/kubernetes") : undefined;
    if (!sdk) {
        return undefined;
    }
    let current = sdk;
    // aws:<namespace>/<file>:<Class>; kubernetes:<group>/<version>:<Kind>.
    const parts = pkg === "aws" ? [module.split("/")[0]] : module.replace("helm.sh", "helm").replace("rbac.authorization.k8s.io", "rbac").split("/");
    for (const part of parts) {
        current = current?.[part];
    }
    return current?.[className]?.__pulumiType;
}

describe("the responsibility matrix (policies/raci.yaml)", () => {
    const matrix = raci();

    it("has exactly the activity ids of components/tags.ts, in the same order (17: the source table's rows)", () => {
        assert.deepEqual(
            matrix.activities.map((a) => a.id),
            [...ACTIVITIES],
        );
        assert.equal(matrix.activities.length, 17);
        assert.match(TEXT, /17 rows/, "the file says why it has 17 activities, not 16");
    });

    it("gives every activity exactly one R and one A, to the same party, and only known parties", () => {
        for (const a of matrix.activities) {
            assert.deepEqual(Object.keys(a.letters).sort(), [...PARTIES].sort(), a.id);
            const r = PARTIES.filter((p) => a.letters[p].includes("R"));
            const accountable = PARTIES.filter((p) => a.letters[p].includes("A"));
            assert.deepEqual(r, [a.responsible], a.id);
            assert.deepEqual(accountable, [a.responsible], `${a.id}: A goes to the responsible party`);
        }
    });

    it("makes the customer responsible for exactly the RBAC grant and the SSM agent, the operator for the other 15", () => {
        assert.deepEqual(
            matrix.activities.filter((a) => a.responsible === "customer").map((a) => a.id),
            ["cluster-access-rbac", "node-ssm-agent"],
        );
        assert.equal(matrix.activities.filter((a) => a.responsible === "operator").length, 15);
    });

    it("references only policies of the catalog, and every policy of the catalog checks some activity", () => {
        const names = new Set(POLICIES.map((p) => p.name));
        for (const a of matrix.activities) {
            for (const p of a.policies) {
                assert.ok(names.has(p), `activity ${a.id} references ${p}, which the catalog does not have`);
            }
            assert.equal(new Set(a.policies).size, a.policies.length, `activity ${a.id} lists a policy twice`);
        }
        const referenced = new Set(matrix.activities.flatMap((a) => a.policies));
        assert.deepEqual(
            POLICIES.map((p) => p.name).filter((n) => !referenced.has(n)),
            [],
        );
    });

    it("names evidence types that exist in the SDKs", () => {
        for (const a of matrix.activities) {
            for (const m of evidenceMatchers(a)) {
                if (m.type.startsWith("aws:") || m.type.startsWith("kubernetes:")) {
                    assert.equal(sdkType(m.type), m.type, `activity ${a.id}: ${m.type}`);
                } else {
                    assert.equal(m.type, "pulumi-nodejs:dynamic:Resource", `activity ${a.id}: ${m.type}`);
                }
            }
        }
    });

    it("assigns every Vigil component module to a party", () => {
        const sources = fs
            .readdirSync(path.join(__dirname, "..", "..", "components"), { recursive: true, encoding: "utf8" })
            .filter((f) => f.endsWith(".ts"))
            .map((f) => fs.readFileSync(path.join(__dirname, "..", "..", "components", f), "utf8"));
        const modules = new Set(sources.flatMap((text) => [...text.matchAll(/super\("vigil:([a-z]+):[A-Za-z]+"/g)].map((m) => m[1])));
        assert.ok(modules.size > 0);
        for (const module of modules) {
            assert.ok(matrix.componentModules.has(module), `component module ${module} has no party in componentModules`);
        }
        assert.equal(matrix.componentModules.get("customer"), "customer");
        assert.equal(matrix.componentModules.get("account"), "operator");
    });

    it("covers the alert levels of contract C3 with its monitoring activities", () => {
        const levels = new Set(matrix.activities.flatMap((a) => a.alertLevels));
        for (const level of ["cluster", "node", "workload", "pod", "apiserver", "coredns", "control-plane", "pipeline"]) {
            assert.ok(levels.has(level), level);
        }
    });

    describe("rejects a malformed matrix with a message naming the entry", () => {
        const cases: [string, (doc: any) => void, RegExp][] = [
            ["two parties with R", (d) => (activity(d, "grafana").customer = ["R"]), /activity grafana: must have exactly one R; has 2 \(operator, customer\)/],
            ["no R", (d) => (activity(d, "grafana").operator = ["A"]), /activity grafana: must have exactly one R; has 0 \(none\)/],
            ["two parties with A", (d) => (activity(d, "discovery").customer = ["I", "A"]), /activity discovery: must have exactly one A; has 2/],
            ["an unknown letter", (d) => (activity(d, "discovery").customer = ["X"]), /activity discovery\.customer: must be a non-empty list of R, A, C, I; got \["X"\]/],
            ["an unknown party", (d) => (activity(d, "discovery").vendor = ["I"]), /activity discovery\.vendor: is not a known key or party/],
            ["a missing party", (d) => delete activity(d, "discovery").customer, /activity discovery\.customer: must be a non-empty list/],
            ["a duplicate id", (d) => (d.activities[1].id = "discovery"), /activity discovery: is listed twice/],
            ["a bad id", (d) => (d.activities[0].id = "Discovery Phase"), /activities\[0\]: needs an id in kebab-case; got "Discovery Phase"/],
            ["no resources and no runtime", (d) => delete activity(d, "discovery").runtime, /activity discovery: needs resources, or runtime/],
            ["a bad scope", (d) => (activity(d, "grafana").resources.scope = "region"), /activity grafana\.resources\.scope: must be "account" or "cluster"; got "region"/],
            ["a matcher without a type token", (d) => (activity(d, "grafana").resources.all = [{ type: "Workspace" }]), /activity grafana\.resources\.all\[0\]: a matcher needs "type"/],
            ["a bad regular expression", (d) => (activity(d, "node-ssm-agent").resources.all[0].where.policyArn = "("), /where\.policyArn: is not a valid regular expression/],
            ["no policies", (d) => (activity(d, "grafana").policies = []), /activity grafana\.policies: must list the names/],
            ["no policies list on a run-time activity", (d) => delete activity(d, "remediation-guidance").policies, /activity remediation-guidance\.policies: must list the names/],
            ["a third party", (d) => (d.parties = ["operator", "customer", "vendor"]), /parties: must be exactly operator and customer/],
            ["a component module without a party", (d) => (d.componentModules.account = "vendor"), /componentModules\.account: must be operator or customer; got "vendor"/],
        ];
        for (const [what, change, message] of cases) {
            it(what, () => {
                assert.throws(
                    () => parseRaci(mutated(change), "raci.yaml"),
                    (err: Error) => err instanceof RaciError && message.test(err.message) && err.message.startsWith("raci.yaml: "),
                );
            });
        }

        it("accepts an empty policy list only where the activity leaves nothing in a stack (run time)", () => {
            const parsed = parseRaci(TEXT);
            for (const a of parsed.activities.filter((x) => x.policies.length === 0)) {
                assert.equal(a.resources, undefined, a.id);
                assert.ok(a.runtime, a.id);
            }
            assert.deepEqual(parsed.byId.get("remediation-guidance")?.policies, []);
            assert.doesNotThrow(() => parseRaci(mutated((d) => (activity(d, "discovery").policies = [])), "raci.yaml"));
        });

        it("accepts the file as it is", () => {
            assert.equal(parseRaci(TEXT).activities.length, 17);
        });
    });

    describe("evidence matching", () => {
        it("reads paths through JSON strings and arrays", () => {
            const props = { eventPattern: JSON.stringify({ source: ["aws.health", "aws.ec2"] }), list: [{ a: 1 }, { a: 2 }] };
            assert.deepEqual(valuesAt(props, "eventPattern.source"), ["aws.health", "aws.ec2"]);
            assert.deepEqual(valuesAt(props, "list.a"), [1, 2]);
            assert.deepEqual(valuesAt(props, "missing.a"), []);
        });

        it("matches on type and every where condition", () => {
            const [matcher] = evidenceMatchers(raci().byId.get("guardduty-eks-audit-logs")!);
            const type = "aws:guardduty/detectorFeature:DetectorFeature";
            assert.equal(matches(matcher, { type, props: { name: "EKS_AUDIT_LOGS", status: "ENABLED" } }), true);
            assert.equal(matches(matcher, { type, props: { name: "EKS_AUDIT_LOGS", status: "DISABLED" } }), false);
            assert.equal(matches(matcher, { type, props: { name: "S3_DATA_EVENTS", status: "ENABLED" } }), false);
            assert.equal(matches(matcher, { type: "aws:guardduty/detector:Detector", props: { name: "EKS_AUDIT_LOGS", status: "ENABLED" } }), false);
        });
    });
});

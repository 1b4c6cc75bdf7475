import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { POLICIES } from "../../policies/catalog";
import { TAGGABLE_MODULES, TAGGABLE_TYPES } from "../../policies/lib/taggable";
import { PolicyFailure, runPolicies } from "../../tools/offline/policies";
import { customerStack, operatorStack } from "./fixtures";
import { FixtureStack, run } from "./harness";

const POLICIES_DIR = path.join(__dirname, "..", "..", "policies");
// The sentinels the policy server puts where a value is unknown during preview.
const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const UNKNOWN_OBJECT = "dd056dcd-154b-4c76-9bd3-c8f88648b5ff";

describe("policy metadata", () => {
    it("has at least 25 policies with unique names of the form vigil-<service>-<what>", () => {
        assert.ok(POLICIES.length >= 25, `${POLICIES.length} policies`);
        const names = POLICIES.map((p) => p.name);
        assert.equal(new Set(names).size, names.length, "names are unique");
        for (const name of names) {
            assert.match(name, /^vigil-[a-z0-9]+(-[a-z0-9]+)+$/, name);
        }
    });

    for (const policy of POLICIES) {
        describe(policy.name, () => {
            it("has a full-sentence description, an explicit level, a severity and remediation steps", () => {
                assert.match(policy.description, /^[A-Z][^\n]{30,}\.$/, "description is one full sentence");
                assert.ok(policy.enforcementLevel === "mandatory" || policy.enforcementLevel === "advisory", `enforcementLevel ${policy.enforcementLevel}`);
                assert.ok(["low", "medium", "high", "critical"].includes(policy.severity ?? ""), `severity ${policy.severity}`);
                assert.match(policy.remediationSteps ?? "", /^[A-Z].{20,}\.$/, "remediation steps are sentences");
            });

            it("declares a default and a description for every configuration property", () => {
                for (const [key, schema] of Object.entries(policy.configSchema?.properties ?? {})) {
                    assert.notEqual(key, "enforcementLevel");
                    assert.ok(typeof schema === "object" && "default" in schema, `${key} has a default`);
                    assert.ok(typeof schema === "object" && (schema.description ?? "").length > 10, `${key} has a description`);
                }
            });
        });
    }

    it("keeps advisory for cost and hygiene checks, mandatory for security and the matrix", () => {
        assert.deepEqual(
            POLICIES.filter((p) => p.enforcementLevel === "advisory")
                .map((p) => p.name)
                .sort(),
            [
                "vigil-collector-keep-list",
                "vigil-dynamodb-on-demand",
                "vigil-eks-endpoint-restricted",
                "vigil-eks-secrets-encrypted",
                "vigil-eks-supported-version",
                "vigil-lambda-arm64",
                "vigil-lambda-tracing",
                "vigil-sns-pipeline-topic-subscribed",
            ],
        );
        for (const name of ["vigil-raci-party-boundary", "vigil-raci-completeness", "vigil-raci-ownership-tags", "vigil-sns-topic-policy-restricted", "vigil-sns-topic-tls-only", "vigil-lambda-public-endpoint"]) {
            assert.equal(POLICIES.find((p) => p.name === name)?.enforcementLevel, "mandatory", name);
        }
    });

    it("keeps one policy per file under policies/<area>/, each in the catalog", () => {
        const files = fs
            .readdirSync(POLICIES_DIR, { withFileTypes: true })
            .filter((d) => d.isDirectory() && d.name !== "lib" && d.name !== "node_modules")
            .flatMap((d) => fs.readdirSync(path.join(POLICIES_DIR, d.name)).map((f) => path.join(d.name, f)));
        const exported = files.flatMap((f) => [...fs.readFileSync(path.join(POLICIES_DIR, f), "utf8").matchAll(/^export const \w+: (Resource|Stack)ValidationPolicy/gm)].map(() => f));
        assert.equal(exported.length, files.length, "every file under an area exports exactly one policy");
        assert.equal(new Set(exported).size, exported.length);
        assert.equal(files.length, POLICIES.length, "the catalog lists every policy file");
        for (const file of files) {
            const text = fs.readFileSync(path.join(POLICIES_DIR, file), "utf8");
            const name = /name: "(vigil-[a-z0-9-]+)"/.exec(text)?.[1];
            assert.ok(name && POLICIES.some((p) => p.name === name), `${file} is in the catalog`);
        }
    });

    it("never imports components, nor the pack's entry point", () => {
        for (const file of fs.readdirSync(POLICIES_DIR, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"))) {
            const text = fs.readFileSync(path.join(POLICIES_DIR, file), "utf8");
            assert.doesNotMatch(text, /from "\.\.?\/(\.\.\/)*components/, `${file} imports components`);
            assert.doesNotMatch(text, /from "\.\.?\/index"/, `${file} imports the pack`);
        }
    });

    it("lists exactly the taggable types of the covered @pulumi/aws modules", () => {
        const awsDir = path.dirname(require.resolve("@pulumi/aws/package.json"));
        const found: string[] = [];
        for (const module of TAGGABLE_MODULES) {
            for (const file of fs.readdirSync(path.join(awsDir, module)).filter((f) => f.endsWith(".js") && f !== "index.js")) {
                const text = fs.readFileSync(path.join(awsDir, module, file), "utf8");
                const token = /__pulumiType = '([^']+)'/.exec(text)?.[1];
                if (token && /resourceInputs\["tags"\] = args/.test(text)) {
                    found.push(token);
                }
            }
        }
        assert.deepEqual([...TAGGABLE_TYPES].sort(), found.sort());
    });
});

describe("policies and values unknown during preview", () => {
    /** Every variant of the fixture with one input of one resource unknown. */
    function* withOneUnknown(make: () => FixtureStack): Generator<[string, FixtureStack]> {
        const base = make();
        for (const [index, resource] of base.resources.entries()) {
            for (const key of Object.keys(resource.inputs)) {
                const s = make();
                const value = s.resources[index].inputs[key];
                s.resources[index].inputs[key] = typeof value === "object" && value !== null ? UNKNOWN_OBJECT : UNKNOWN_STRING;
                yield [`${resource.name}.${key}`, s];
            }
        }
    }

    for (const [label, make, party, minimum] of [
        ["operator", () => operatorStack(["payments-prod"]), "operator", 200],
        ["customer", customerStack, "customer", 25],
    ] as const) {
        it(`never fail with anything but "can't run during preview" (${label} stack)`, async function () {
            this.timeout(120_000);
            let variants = 0;
            for (const [where, s] of withOneUnknown(make)) {
                variants++;
                let result;
                try {
                    result = await run(POLICIES, s, { party });
                } catch (err) {
                    assert.fail(`with ${where} unknown: ${err instanceof PolicyFailure ? err.message : String(err)}`);
                }
                for (const v of result.violations) {
                    // Whatever a policy cannot decide yet is an advisory note, never a failure.
                    if (v.message.startsWith("can't run policy during preview")) {
                        assert.equal(v.enforcementLevel, "advisory");
                    }
                }
            }
            assert.ok(variants >= minimum, `${variants} variants`);
        });
    }

    it("reports an unknown input it needs as undecidable during preview", async () => {
        const s = operatorStack(["payments-prod"]);
        s.get("vigil-alerts").inputs.kmsMasterKeyId = UNKNOWN_STRING;
        const result = await runPolicies(
            POLICIES.filter((p) => p.name === "vigil-sns-topic-encrypted"),
            s.subjects(),
            { stackTags: new Map([["vigil:party", "operator"]]) },
        );
        assert.deepEqual(result.violations, [
            {
                policy: "vigil-sns-topic-encrypted",
                enforcementLevel: "advisory",
                urn: s.get("vigil-alerts").urn,
                message: "can't run policy during preview: string value at .kmsMasterKeyId can't be known during preview",
            },
        ]);
    });
});

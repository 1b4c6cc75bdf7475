import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { renderConfiguration, renderMatrix, renderPolicies } from "../../policies/docs";
import { POLICIES } from "../../policies/catalog";

const README = fs.readFileSync(path.join(__dirname, "..", "..", "README.md"), "utf8");

function section(): string {
    const text = README.split(/^## Policy pack$/m)[1]?.split(/^## /m)[0];
    assert.ok(text, "README has a '## Policy pack' section");
    return text;
}

describe("README: the policy pack", () => {
    it("sits just before Development", () => {
        assert.ok(README.indexOf("## Policy pack") < README.indexOf("## Development"));
        assert.match(README, /## Policy pack[\s\S]*\n## Development\n/);
    });

    it("says how to run the pack in CI, with the party stack tag and a configuration file", () => {
        const text = section();
        assert.match(text, /pulumi preview --policy-pack policies\b/);
        assert.match(text, /--policy-pack-config/);
        assert.match(text, /pulumi stack tag set vigil:party operator/);
    });

    it("shows the configuration, the policies and the matrix exactly as the catalog and raci.yaml have them", () => {
        const text = section();
        assert.ok(text.includes(renderConfiguration()), "the configuration table is current (npm run policy:docs)");
        assert.ok(text.includes(renderPolicies()), "the policy table is current (npm run policy:docs)");
        assert.ok(text.includes(renderMatrix()), "the matrix table is current (npm run policy:docs)");
    });

    it("says why each advisory policy is advisory", () => {
        const levels = /^Levels: [\s\S]*?\n\n/m.exec(section())?.[0];
        assert.ok(levels, "the section has a Levels paragraph");
        for (const p of POLICIES.filter((x) => x.enforcementLevel === "advisory")) {
            assert.ok(levels.includes(`\`${p.name}\``), `the Levels paragraph names ${p.name}`);
        }
    });

    it("lists every policy once", () => {
        const text = section();
        for (const p of POLICIES) {
            assert.equal(text.split(`| \`${p.name}\` | ${p.enforcementLevel} |`).length - 1, 1, p.name);
        }
    });

    it("has a configuration example that names only real policies and keys", () => {
        const json = /```json\n([\s\S]*?)```/.exec(section())?.[1];
        assert.ok(json);
        const example = JSON.parse(json) as Record<string, unknown>;
        for (const [name, value] of Object.entries(example)) {
            const policy = POLICIES.find((p) => p.name === name);
            assert.ok(policy, name);
            if (typeof value === "object" && value !== null) {
                for (const key of Object.keys(value).filter((k) => k !== "enforcementLevel")) {
                    assert.ok(key in (policy.configSchema?.properties ?? {}), `${name}.${key}`);
                }
            }
        }
    });
});

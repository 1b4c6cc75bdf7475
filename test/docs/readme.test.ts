import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { CONFIG_KEYS } from "../../stacks/config";
import { loadProject } from "../../tools/offline/stackConfig";

const README = fs.readFileSync(path.join(__dirname, "..", "..", "README.md"), "utf8");

interface Row {
    readonly key: string;
    readonly type: string;
    readonly default: string;
}

/** The rows of the README's configuration reference table. */
function referenceRows(): Row[] {
    const section = README.split(/^## Configuration reference$/m)[1]?.split(/^## /m)[0];
    assert.ok(section, "README has a '## Configuration reference' section");
    return section
        .split("\n")
        .filter((line) => /^\| `vigil:/.test(line))
        .map((line) => {
            const cells = line.split("|").map((c) => c.trim());
            return { key: cells[1].replace(/`/g, "").replace(/^vigil:/, ""), type: cells[2], default: cells[3] };
        });
}

function readmeType(declaration: { type: string; items?: { type: string } }): string {
    return declaration.type === "array" ? `array of ${declaration.items?.type}` : declaration.type;
}

function readmeDefault(value: unknown): string {
    if (value === undefined) {
        return "required";
    }
    return `\`${typeof value === "string" && value === "" ? '""' : typeof value === "string" ? value : JSON.stringify(value)}\``;
}

describe("configuration reference", () => {
    const project = loadProject();
    const declared = Object.keys(project.config).sort();

    it("Pulumi.yaml declares exactly the keys stacks/config.ts reads", () => {
        assert.deepEqual(declared, [...CONFIG_KEYS].sort());
    });

    it("the README documents exactly the declared keys", () => {
        assert.deepEqual(referenceRows().map((r) => r.key).sort(), declared);
    });

    it("the README states each key's declared type and default", () => {
        for (const row of referenceRows()) {
            const declaration = project.config[row.key];
            assert.equal(row.type, readmeType(declaration), `type of vigil:${row.key}`);
            assert.equal(row.default, readmeDefault(declaration.default), `default of vigil:${row.key}`);
        }
    });

    it("every declaration has a description", () => {
        for (const key of declared) {
            assert.ok((project.config[key].description ?? "").length > 20, `vigil:${key} needs a description in Pulumi.yaml`);
        }
    });

    it("the README gives the two commands", () => {
        assert.match(README, /npm ci && npm run plan/);
        assert.match(README, /npm ci && npm test/);
    });
});

// Where the Lambda gets the impact table's text. The bundle embeds rules/impact.yaml at build time
// (esbuild `define: { [IMPACT_TABLE_DEFINE]: JSON.stringify(text) }`); unbundled (ts-node, tests)
// the file is read from the repository.

import * as fs from "node:fs";
import * as path from "node:path";

/** The global esbuild replaces with the table's text. */
export const IMPACT_TABLE_DEFINE = "VIGIL_IMPACT_TABLE_YAML";

declare const VIGIL_IMPACT_TABLE_YAML: string | undefined;

/** The repository's impact table. */
export const IMPACT_TABLE_FILE = path.join(__dirname, "..", "..", "..", "rules", "impact.yaml");

/** The embedded impact table text, or the repository file's. */
export function impactTableText(): string {
    if (typeof VIGIL_IMPACT_TABLE_YAML === "string") {
        return VIGIL_IMPACT_TABLE_YAML;
    }
    return fs.readFileSync(IMPACT_TABLE_FILE, "utf8");
}

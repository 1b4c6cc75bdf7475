// Where the diagnostics function gets its Logs Insights query files. The bundle embeds
// rules/diagnostics/*.yaml at build time (esbuild `define: { [QUERY_FILES_DEFINE]:
// JSON.stringify(JSON.stringify(texts)) }`: a string of JSON, texts by file name, so that esbuild
// folds the check below and drops the file reads); unbundled (ts-node, tests, replay, and the
// bundle's own build) the files are read from the repository.

import * as fs from "node:fs";
import * as path from "node:path";

/** The global esbuild replaces with the query files' texts. */
export const QUERY_FILES_DEFINE = "VIGIL_DIAGNOSTIC_QUERIES";

declare const VIGIL_DIAGNOSTIC_QUERIES: string | undefined;

/** The repository's query files. */
export const QUERY_FILES_DIR = path.join(__dirname, "..", "..", "..", "..", "rules", "diagnostics");

/** The embedded query files, or the repository's `*.yaml` files of QUERY_FILES_DIR, by file name. */
export function queryTexts(): Readonly<Record<string, string>> {
    if (typeof VIGIL_DIAGNOSTIC_QUERIES === "string") {
        return JSON.parse(VIGIL_DIAGNOSTIC_QUERIES) as Record<string, string>;
    }
    // Inline (not a helper) so that esbuild drops it from the bundle with the branch.
    return Object.fromEntries(
        fs
            .readdirSync(QUERY_FILES_DIR)
            .filter((f) => f.endsWith(".yaml"))
            .sort()
            .map((f) => [f, fs.readFileSync(path.join(QUERY_FILES_DIR, f), "utf8")]),
    );
}

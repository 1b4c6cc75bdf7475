// Child processes whose time or memory is measured run plain JavaScript: esbuild compiles their
// TypeScript entry (and the repository files it imports) into one file, leaving packages to be
// resolved from node_modules at run time (NODE_PATH), so no TypeScript compiler sits in them.

import * as path from "node:path";

export const REPO_NODE_MODULES = path.join(__dirname, "..", "..", "node_modules");

export function compileScript(entry: string, outfile: string): string {
    const esbuild = require("esbuild") as typeof import("esbuild");
    esbuild.buildSync({ entryPoints: [entry], outfile, bundle: true, platform: "node", target: "node20", format: "cjs", packages: "external", logLevel: "silent" });
    return outfile;
}

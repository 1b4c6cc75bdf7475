// The triage Lambda bundle: esbuild turns components/triage/handler/lambda.ts into one CommonJS
// file with a source map (`dist/triage/index.js`, `index.js.map`), the impact table embedded, and
// the AWS SDK left to the Lambda runtime. `npm run bundle` (part of `npm run build`) builds it; the
// TriageService component rebuilds it when it is missing or older than anything it was built
// from, so `npm run plan` and `pulumi up` work on a clean clone.
//
// Run as a script (`ts-node components/triage/bundle.ts [--out DIR]`) it builds unconditionally.

import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { BuildOptions, BuildResult as EsbuildResult, Metafile } from "esbuild";
import { IMPACT_TABLE_DEFINE, IMPACT_TABLE_FILE } from "./handler/impactSource";
import { QUERY_FILES_DEFINE, QUERY_FILES_DIR, queryTexts } from "./handler/diagnostics/querySource";

/** The repository root (esbuild resolves and reports paths relative to it). */
export const REPO_ROOT = path.join(__dirname, "..", "..");
/** Where `npm run bundle` and the component put the bundle. */
export const BUNDLE_DIR = path.join(REPO_ROOT, "dist", "triage");
/** The module the functions run (lambda.ts re-exports the entry points of index.ts). */
export const BUNDLE_ENTRY = path.join(__dirname, "handler", "lambda.ts");
/** The Lambda runtime the bundle is built for (component and esbuild target agree on it). */
export const LAMBDA_RUNTIME = "nodejs22.x";
/**
 * esbuild's target. node20 output runs unchanged on the nodejs22.x runtime and also on the Node 20
 * this repository's tests run it with.
 */
export const BUNDLE_TARGET = "node20";
/**
 * Left to the runtime: every Node.js Lambda runtime since nodejs18.x ships the AWS SDK v3. Bundled,
 * the five clients the handler uses (EC2's alone is 1.5 MB minified) would make the bundle about
 * 2.5 MB instead of about 160 KB.
 */
export const EXTERNAL_MODULES = ["@aws-sdk/*"];
/** The files a function's archive holds. */
export const BUNDLE_FILES = ["index.js", "index.js.map"] as const;
/** What the last build was made from (written last: a half-written bundle has none). */
export const MANIFEST_FILE = "bundle.json";

/** The bundle could not be built. */
export class BundleError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "BundleError";
    }
}

/** The esbuild options of the bundle, with the impact table's text and the diagnostics' query files embedded. */
export function bundleOptions(impactTableText: string = fs.readFileSync(IMPACT_TABLE_FILE, "utf8"), queryFiles: Readonly<Record<string, string>> = queryTexts()): BuildOptions {
    return {
        absWorkingDir: REPO_ROOT,
        entryPoints: [path.relative(REPO_ROOT, BUNDLE_ENTRY)],
        outfile: "index.js",
        bundle: true,
        platform: "node",
        target: BUNDLE_TARGET,
        format: "cjs",
        minify: true,
        // Powertools and our error classes log their names; minified names would say nothing.
        keepNames: true,
        sourcemap: true,
        external: EXTERNAL_MODULES,
        // Replaces the impact table's and the query files' reads (impactSource.ts, diagnostics/querySource.ts)
        // with their texts: the functions need no files.
        define: { [IMPACT_TABLE_DEFINE]: JSON.stringify(impactTableText), [QUERY_FILES_DEFINE]: JSON.stringify(JSON.stringify(queryFiles)) },
        metafile: true,
        write: false,
        logLevel: "silent",
    };
}

interface Manifest {
    /** Milliseconds since the epoch when the build started. */
    readonly builtAt: number;
    /** Hash of the build options (a changed option rebuilds). */
    readonly options: string;
    /** Files the bundle was made from, relative to the repository root. */
    readonly inputs: readonly string[];
}

function optionsHash(): string {
    const { define: _define, ...rest } = bundleOptions("", {});
    return createHash("sha256").update(JSON.stringify(rest)).digest("hex").slice(0, 16);
}

function writeAtomically(file: string, contents: Uint8Array | string): void {
    const temporary = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, contents);
    fs.renameSync(temporary, file);
}

/**
 * esbuild, loaded only when a build is needed. It is a dependency (not a development one): a
 * project that installs Vigil without development dependencies still builds the bundle at deploy
 * time. Loading it lazily keeps a program that finds a current bundle independent of it.
 */
function loadEsbuild(): typeof import("esbuild") {
    try {
        return require("esbuild") as typeof import("esbuild");
    } catch (err) {
        throw new BundleError(
            `the triage handler bundle must be (re)built, but esbuild cannot be loaded (${(err as Error).message.split("\n")[0]}); install Vigil's dependencies (npm ci; esbuild is one of them) or build it with npm run bundle where they are installed`,
        );
    }
}

export interface BuildResult {
    readonly dir: string;
    /** Bytes of index.js. */
    readonly size: number;
    /** Files bundled, relative to the repository root (node_modules included). */
    readonly inputs: readonly string[];
    readonly metafile: Metafile;
}

/** Builds the bundle into `dir` (created if needed). */
export function buildBundle(dir: string = BUNDLE_DIR): BuildResult {
    const builtAt = Date.now();
    const impactTable = fs.readFileSync(IMPACT_TABLE_FILE, "utf8");
    const queryFiles = queryTexts();
    const esbuild = loadEsbuild();
    let result: EsbuildResult;
    try {
        result = esbuild.buildSync(bundleOptions(impactTable, queryFiles)) as EsbuildResult;
    } catch (err) {
        const errors = (err as { errors?: { text: string; location?: { file: string; line: number } | null }[] }).errors ?? [];
        const detail = errors.map((e) => (e.location ? `${e.location.file}:${e.location.line}: ${e.text}` : e.text)).join("\n  ");
        throw new BundleError(`the triage handler bundle (${path.relative(REPO_ROOT, BUNDLE_ENTRY)}) does not build:\n  ${detail || (err as Error).message}`);
    }
    fs.mkdirSync(dir, { recursive: true });
    // A crashed build leaves no manifest behind, so the next run rebuilds.
    fs.rmSync(path.join(dir, MANIFEST_FILE), { force: true });
    let size = 0;
    for (const file of result.outputFiles ?? []) {
        const name = path.basename(file.path);
        writeAtomically(path.join(dir, name), file.contents);
        if (name === "index.js") {
            size = file.contents.byteLength;
        }
    }
    const metafile = result.metafile as Metafile;
    // The query folder itself too: a file added to or removed from it changes the folder's time.
    const queryInputs = [QUERY_FILES_DIR, ...Object.keys(queryFiles).map((f) => path.join(QUERY_FILES_DIR, f))].map((f) => path.relative(REPO_ROOT, f));
    const inputs = [...Object.keys(metafile.inputs), path.relative(REPO_ROOT, IMPACT_TABLE_FILE), ...queryInputs].sort();
    const manifest: Manifest = { builtAt, options: optionsHash(), inputs };
    writeAtomically(path.join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    return { dir, size, inputs, metafile };
}

/** Why the bundle in `dir` must be rebuilt, or undefined when it is current. */
export function staleReason(dir: string = BUNDLE_DIR): string | undefined {
    let manifest: Manifest;
    try {
        manifest = JSON.parse(fs.readFileSync(path.join(dir, MANIFEST_FILE), "utf8")) as Manifest;
    } catch {
        return `${path.join(dir, MANIFEST_FILE)} is missing or unreadable`;
    }
    for (const file of BUNDLE_FILES) {
        if (!fs.existsSync(path.join(dir, file))) {
            return `${path.join(dir, file)} is missing`;
        }
    }
    if (manifest.options !== optionsHash()) {
        return "the build options changed";
    }
    for (const input of manifest.inputs ?? []) {
        let mtime: number;
        try {
            mtime = fs.statSync(path.join(REPO_ROOT, input)).mtimeMs;
        } catch {
            return `${input} no longer exists`;
        }
        if (mtime > manifest.builtAt) {
            return `${input} changed after the last build`;
        }
    }
    return undefined;
}

/** Builds the bundle when it is missing or stale; returns its directory. */
export function ensureBundle(dir: string = BUNDLE_DIR): string {
    if (staleReason(dir) !== undefined) {
        buildBundle(dir);
    }
    return dir;
}

if (require.main === module) {
    const args = process.argv.slice(2);
    const at = args.indexOf("--out");
    const dir = at >= 0 && args[at + 1] ? path.resolve(args[at + 1]) : BUNDLE_DIR;
    try {
        const built = buildBundle(dir);
        process.stdout.write(`triage bundle: ${path.relative(process.cwd(), path.join(dir, "index.js")) || "index.js"} (${(built.size / 1024).toFixed(0)} KiB, ${built.inputs.length} inputs)\n`);
    } catch (err) {
        process.stderr.write(`${(err as Error).message}\n`);
        process.exit(1);
    }
}

// `npm run plan` — the main job without cloud credentials (DESIGN.md, "Offline plan").
//
// Runs the stack program under Pulumi's mock engine with a stack's configuration and an account
// description that answers the data sources, runs the policy pack over what the program
// registered, prints a summary and optionally writes resources.json, policy.json and artifacts/.
//
// Exit codes: 0 planned, 1 a mandatory policy violation, 2 bad configuration or account
// description, 3 an internal failure (a bug: the message says where).

import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, parseConfig } from "../stacks/config";
import { AccountDescription, AccountDescriptionError, loadAccountDescription } from "./offline/account";
import { renderArtifacts, writeArtifacts } from "./offline/artifacts";
import { PlannedResource, runOffline } from "./offline/engine";
import { PolicyPackConfig, runPolicies, Violation } from "./offline/policies";
import { loadProject, loadStackConfig, REPO_ROOT } from "./offline/stackConfig";

const USAGE = `usage: npm run plan -- [--config stacks/Pulumi.<stack>.yaml] [--account FILE] [--out DIR]
                      [--policy-config FILE] [--stack-tag KEY=VALUE]...

  --config FILE         stack configuration (default: stacks/Pulumi.example.yaml)
  --account FILE        account description answering data sources
                        (default: <stack>.account.yaml next to the config)
  --out DIR             write DIR/resources.json, DIR/policy.json and DIR/artifacts/
  --policy-config FILE  policy pack configuration, as for pulumi --policy-pack-config
  --stack-tag K=V       a stack tag the policies see (default vigil:party=operator)`;

export interface PlanArgs {
    readonly config: string;
    readonly account?: string;
    readonly out?: string;
    readonly policyConfig?: string;
    readonly stackTags: Map<string, string>;
}

class UsageError extends Error {}

export function parseArgs(argv: readonly string[]): PlanArgs {
    let config = path.join(REPO_ROOT, "stacks", "Pulumi.example.yaml");
    let account: string | undefined;
    let out: string | undefined;
    let policyConfig: string | undefined;
    const stackTags = new Map<string, string>([["vigil:party", "operator"]]);
    for (let i = 0; i < argv.length; i++) {
        const flag = argv[i];
        const value = (): string => {
            const v = argv[++i];
            if (v === undefined || v.startsWith("--")) {
                throw new UsageError(`${flag} needs a value`);
            }
            return v;
        };
        switch (flag) {
            case "--config":
                config = path.resolve(value());
                break;
            case "--account":
                account = path.resolve(value());
                break;
            case "--out":
                out = path.resolve(value());
                break;
            case "--policy-config":
                policyConfig = path.resolve(value());
                break;
            case "--stack-tag": {
                const tag = value();
                const eq = tag.indexOf("=");
                if (eq <= 0) {
                    throw new UsageError(`--stack-tag needs KEY=VALUE, got ${JSON.stringify(tag)}`);
                }
                stackTags.set(tag.slice(0, eq), tag.slice(eq + 1));
                break;
            }
            case "--help":
            case "-h":
                process.stdout.write(`${USAGE}\n`);
                process.exit(0);
                break;
            default:
                throw new UsageError(`unknown argument ${JSON.stringify(flag)}`);
        }
    }
    return { config, account, out, policyConfig, stackTags };
}

function loadPolicyConfig(file: string | undefined): PolicyPackConfig | undefined {
    if (!file) {
        return undefined;
    }
    try {
        return JSON.parse(fs.readFileSync(file, "utf8")) as PolicyPackConfig;
    } catch (err) {
        throw new ConfigError("--policy-config", JSON.stringify(file), `a readable JSON policy pack configuration (${(err as Error).message})`);
    }
}

/** Resources grouped by the top-level component they belong to, then counted by type. */
export function summarize(resources: readonly PlannedResource[]): string[] {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const stack = resources.find((r) => r.type === "pulumi:pulumi:Stack");
    const topOf = (r: PlannedResource): PlannedResource | undefined => {
        let current = r;
        while (current.parent && current.parent !== stack?.urn) {
            const parent = byUrn.get(current.parent);
            if (!parent) {
                break;
            }
            current = parent;
        }
        return current.custom ? undefined : current;
    };
    const groups = new Map<string, { title: string; types: Map<string, number>; total: number }>();
    for (const r of resources) {
        if (r === stack || !r.custom) {
            continue;
        }
        const top = topOf(r);
        const key = top?.urn ?? "(stack)";
        const title = top ? `${top.type} "${top.name}"` : "resources directly in the stack";
        const group = groups.get(key) ?? { title, types: new Map(), total: 0 };
        group.types.set(r.type, (group.types.get(r.type) ?? 0) + 1);
        group.total++;
        groups.set(key, group);
    }
    const lines: string[] = [];
    for (const group of groups.values()) {
        lines.push(`  ${group.title}: ${group.total}`);
        for (const [type, count] of [...group.types.entries()].sort()) {
            lines.push(`      ${String(count).padStart(3)}  ${type}`);
        }
    }
    return lines;
}

function formatOutputs(outputs: Record<string, unknown>): string[] {
    return Object.entries(outputs).map(([k, v]) => `  ${k} = ${typeof v === "string" ? v : JSON.stringify(v)}`);
}

function formatViolations(violations: readonly Violation[]): string[] {
    return violations.map((v) => `  [${v.enforcementLevel}] ${v.policy}: ${v.message}${v.urn ? `\n      at ${v.urn}` : ""}`);
}

/** Where the plan writes its summary and progress (the process's streams, or a test's buffers). */
export interface PlanIO {
    readonly out: (text: string) => void;
    readonly err: (text: string) => void;
}

const PROCESS_IO: PlanIO = {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
};

export async function plan(args: PlanArgs, io: PlanIO = PROCESS_IO): Promise<number> {
    const project = loadProject();
    const stackConfig = loadStackConfig(args.config, project);
    const accountFile = args.account ?? path.join(path.dirname(args.config), `${stackConfig.stack}.account.yaml`);
    const account: AccountDescription = loadAccountDescription(accountFile);
    const region = stackConfig.values["aws:region"];
    if (region !== undefined && region !== account.region) {
        throw new ConfigError("aws:region", JSON.stringify(region), `the region of the account description ${accountFile} (${account.region})`);
    }
    // Fail on bad configuration before running anything (the program checks it again).
    parseConfig(stackConfig.values);
    const policyConfig = loadPolicyConfig(args.policyConfig);

    const log = (line: string) => io.err(`${line}\n`);
    log(`Planning stack ${stackConfig.stack} (account ${account.accountId}, ${account.region}) from ${path.relative(process.cwd(), args.config) || args.config} ...`);
    const started = Date.now();
    const run = await runOffline({
        project: project.name,
        stack: stackConfig.stack,
        config: stackConfig.values,
        account,
        program: () => {
            const program = require(path.join(REPO_ROOT, project.main)) as () => unknown;
            return program();
        },
    });
    log(`Program registered ${run.resources.length} resources in ${((Date.now() - started) / 1000).toFixed(1)}s; running policies ...`);

    const { POLICIES } = require(path.join(REPO_ROOT, "policies", "catalog")) as typeof import("../policies/catalog");
    const { violations } = await runPolicies(
        POLICIES,
        run.resources.map((r) => ({ urn: r.urn, type: r.type, name: r.name, parent: r.parent, inputs: r.inputs, state: r.state })),
        { stackTags: args.stackTags, config: policyConfig },
    );
    const mandatory = violations.filter((v) => v.enforcementLevel === "mandatory");
    const artifacts = renderArtifacts(run.resources);

    const custom = run.resources.filter((r) => r.custom).length;
    const lines = [
        `Vigil offline plan: stack ${stackConfig.stack}, account ${account.accountId}, region ${account.region}`,
        "",
        `Resources: ${custom} to create, in ${run.resources.length - custom} components (stack included)`,
        ...summarize(run.resources),
        "",
        "Outputs:",
        ...formatOutputs(run.outputs),
        "",
        `Policies: ${POLICIES.length} run; ${mandatory.length} mandatory and ${violations.length - mandatory.length} advisory violations`,
        ...formatViolations(violations),
    ];
    if (args.out) {
        fs.mkdirSync(args.out, { recursive: true });
        const resourcesJson = run.resources.map((r) => ({ urn: r.urn, type: r.type, name: r.name, parent: r.parent ?? null, inputs: r.inputs }));
        fs.writeFileSync(path.join(args.out, "resources.json"), `${JSON.stringify(resourcesJson, null, 2)}\n`);
        fs.writeFileSync(
            path.join(args.out, "policy.json"),
            `${JSON.stringify(violations.map((v) => ({ policy: v.policy, enforcementLevel: v.enforcementLevel, urn: v.urn, message: v.message })), null, 2)}\n`,
        );
        const artifactsDir = path.join(args.out, "artifacts");
        fs.rmSync(artifactsDir, { recursive: true, force: true });
        writeArtifacts(artifactsDir, artifacts);
        lines.push("", `Wrote ${path.join(args.out, "resources.json")}, policy.json and ${artifacts.length} files under artifacts/`);
    } else {
        lines.push("", `${artifacts.length} artifacts rendered (write them with --out DIR)`);
    }
    if (mandatory.length > 0) {
        lines.push("", `Plan blocked: ${mandatory.length} mandatory policy violation(s).`);
    }
    io.out(`${lines.join("\n")}\n`);
    return mandatory.length > 0 ? 1 : 0;
}

function isConfigProblem(err: unknown): boolean {
    return (
        err instanceof ConfigError ||
        err instanceof AccountDescriptionError ||
        err instanceof UsageError ||
        err instanceof pulumi.ResourceError ||
        err instanceof pulumi.InputPropertyError ||
        err instanceof pulumi.InputPropertiesError
    );
}

/** The command line: parses arguments, plans, and maps failures to exit codes. */
export async function cli(argv: readonly string[], io: PlanIO = PROCESS_IO): Promise<number> {
    try {
        return await plan(parseArgs(argv), io);
    } catch (err) {
        if (isConfigProblem(err)) {
            io.err(`error: ${(err as Error).message}\n`);
            if (err instanceof UsageError) {
                io.err(`${USAGE}\n`);
            }
            return 2;
        }
        io.err(`internal error: ${(err as Error).stack ?? String(err)}\n`);
        return 3;
    }
}

if (require.main === module) {
    void cli(process.argv.slice(2)).then((code) => process.exit(code));
}

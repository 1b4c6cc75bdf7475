// Stack configurations and account descriptions with many clusters, derived from the embedded
// example (stacks/Pulumi.example.yaml, stacks/example.account.yaml) so that they stay valid as the
// example changes: every cluster is a copy of the example's first, with its own name, endpoint,
// OIDC issuer and role.

import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";

export const EXAMPLE_STACK = path.join(__dirname, "..", "..", "stacks", "Pulumi.example.yaml");
export const EXAMPLE_ACCOUNT = path.join(__dirname, "..", "..", "stacks", "example.account.yaml");

/** `bench-001` … : valid EKS names that sort in order. */
export function clusterNames(count: number): string[] {
    if (!Number.isInteger(count) || count < 1 || count > 999) {
        throw new RangeError(`count: got ${count}; allowed: a whole number from 1 to 999`);
    }
    return Array.from({ length: count }, (_, i) => `bench-${String(i + 1).padStart(3, "0")}`);
}

/** The example stack's configuration with `vigil:clusters` replaced. */
export function stackConfigText(exampleText: string, clusters: readonly string[]): string {
    const doc = yaml.load(exampleText) as { config?: Record<string, unknown> };
    if (!doc?.config || !Array.isArray(doc.config["vigil:clusters"])) {
        throw new Error("the example stack configuration has no vigil:clusters list");
    }
    doc.config["vigil:clusters"] = [...clusters];
    return yaml.dump(doc, { lineWidth: -1 });
}

/** The example account with one cluster per name, each a copy of the example's first cluster. */
export function accountText(exampleText: string, clusters: readonly string[]): string {
    const doc = yaml.load(exampleText) as { accountId: string; clusters?: Record<string, Record<string, unknown>> };
    const template = Object.values(doc.clusters ?? {})[0];
    if (!template) {
        throw new Error("the example account description lists no cluster to copy");
    }
    doc.clusters = Object.fromEntries(
        clusters.map((name) => {
            const id = crypto.createHash("sha256").update(name).digest("hex").slice(0, 32).toUpperCase();
            const region = String((doc as Record<string, unknown>).region);
            return [
                name,
                {
                    ...template,
                    endpoint: `https://${id}.gr7.${region}.eks.amazonaws.com`,
                    oidcIssuer: `https://oidc.eks.${region}.amazonaws.com/id/${id}`,
                    roleArn: `arn:aws:iam::${doc.accountId}:role/${name}-cluster`,
                },
            ];
        }),
    );
    return yaml.dump(doc, { lineWidth: -1 });
}

/** Writes `Pulumi.<stack>.yaml` and `<stack>.account.yaml` for `count` clusters into `dir`; returns the config path. */
export function writeStack(dir: string, count: number): string {
    const stack = `bench-${count}`;
    const clusters = clusterNames(count);
    const config = path.join(dir, `Pulumi.${stack}.yaml`);
    fs.writeFileSync(config, stackConfigText(fs.readFileSync(EXAMPLE_STACK, "utf8"), clusters));
    fs.writeFileSync(path.join(dir, `${stack}.account.yaml`), accountText(fs.readFileSync(EXAMPLE_ACCOUNT, "utf8"), clusters));
    return config;
}

/** Starts the line on which child.ts reports the plan process's exit code and peak memory. */
export const USAGE_MARKER = "BENCH_PLAN_USAGE";

export interface PlanOutput {
    /** Resources to create (custom resources). */
    readonly resources: number;
    /** Seconds the program took to register them, as the plan reports it. */
    readonly programSeconds?: number;
    /** The plan's exit code and the process's peak resident memory, from child.ts. */
    readonly code?: number;
    readonly maxRssKb?: number;
}

/** Reads the plan's summary (stdout) and progress (stderr). */
export function parsePlanOutput(stdout: string, stderr: string): PlanOutput {
    const resources = /^Resources: (\d+) to create/m.exec(stdout);
    if (!resources) {
        throw new Error(`the plan printed no "Resources: N to create" line:\n${stdout.slice(0, 500)}\n${stderr.slice(-1500)}`);
    }
    const program = /Program registered \d+ resources in ([\d.]+)s/.exec(stderr);
    const usage = new RegExp(`^${USAGE_MARKER} (.*)$`, "m").exec(stderr);
    const reported = usage ? (JSON.parse(usage[1]) as { code: number; maxRssKb: number }) : undefined;
    return { resources: Number(resources[1]), programSeconds: program ? Number(program[1]) : undefined, code: reported?.code, maxRssKb: reported?.maxRssKb };
}

// Builds policy subjects the way the offline plan records them (URNs with the component chain,
// parents, inputs and state) and runs policies with the same runner the plan uses
// (tools/offline/policies.ts: props in the unknown-checking proxy, stack tags, notApplicable,
// configuration defaults). Tests never import policies/index.ts.

import * as assert from "node:assert/strict";
import type { Policy } from "@pulumi/policy";
import { PolicyPackConfig, PolicyRun, PolicySubject, runPolicies } from "../../tools/offline/policies";

export const ACCOUNT = "111122223333";
export const REGION = "eu-west-1";

/** A resource (or component) of a fixture stack; tests mutate `inputs` and `state` in place. */
export interface FixtureResource {
    readonly type: string;
    readonly name: string;
    readonly urn: string;
    readonly parent?: string;
    inputs: Record<string, any>;
    /** Outputs the cloud computes (ARNs, generated names), merged over the inputs for stack policies. */
    outputs: Record<string, any>;
    /** The resource option ignoreChanges (policies see it in `opts`). */
    ignoreChanges?: string[];
}

export class FixtureStack {
    readonly resources: FixtureResource[] = [];
    private readonly chains = new Map<string, string>();

    constructor(
        readonly project = "vigil",
        readonly stack = "test",
    ) {
        this.add("pulumi:pulumi:Stack", `${project}-${stack}`, {}, {});
    }

    get stackUrn(): string {
        return this.resources[0].urn;
    }

    /** Adds a resource under `parent` (a component of this fixture) or at the top of the stack. */
    add(type: string, name: string, inputs: Record<string, any>, outputs: Record<string, any> = {}, parent?: FixtureResource): FixtureResource {
        const parentChain = parent ? this.chains.get(parent.urn) : undefined;
        const chain = type === "pulumi:pulumi:Stack" ? type : parentChain ? `${parentChain}$${type}` : type;
        const urn = `urn:pulumi:${this.stack}::${this.project}::${chain}::${name}`;
        if (this.resources.some((r) => r.urn === urn)) {
            throw new Error(`fixture: duplicate resource ${urn}`);
        }
        this.chains.set(urn, type === "pulumi:pulumi:Stack" ? "" : chain);
        const resource: FixtureResource = { type, name, urn, parent: type === "pulumi:pulumi:Stack" ? undefined : (parent?.urn ?? this.resources[0]?.urn), inputs, outputs };
        this.resources.push(resource);
        return resource;
    }

    /** The one resource with this name (and type, when given). */
    get(name: string, type?: string): FixtureResource {
        const found = this.resources.filter((r) => r.name === name && (type === undefined || r.type === type));
        if (found.length !== 1) {
            throw new Error(`fixture: expected one resource named ${name}${type ? ` of type ${type}` : ""}, found ${found.length}`);
        }
        return found[0];
    }

    /** Removes resources (by name) and everything under them. */
    remove(...names: string[]): void {
        for (const name of names) {
            const target = this.get(name);
            const doomed = new Set([target.urn]);
            let grew = true;
            while (grew) {
                grew = false;
                for (const r of this.resources) {
                    if (r.parent && doomed.has(r.parent) && !doomed.has(r.urn)) {
                        doomed.add(r.urn);
                        grew = true;
                    }
                }
            }
            for (let i = this.resources.length - 1; i >= 0; i--) {
                if (doomed.has(this.resources[i].urn)) {
                    this.resources.splice(i, 1);
                }
            }
        }
    }

    subjects(): PolicySubject[] {
        return this.resources.map((r) => ({
            urn: r.urn,
            type: r.type,
            name: r.name,
            parent: r.parent,
            inputs: structuredClone(r.inputs),
            state: structuredClone({ ...r.inputs, ...r.outputs }),
            ignoreChanges: r.ignoreChanges,
        }));
    }
}

export interface RunOptions {
    /** The stack tag vigil:party; `null` leaves the tag off. Defaults to operator. */
    readonly party?: string | null;
    readonly config?: PolicyPackConfig;
}

/** Runs policies over a fixture with the plan's runner. */
export function run(policies: Policy | readonly Policy[], fixture: FixtureStack, options: RunOptions = {}): Promise<PolicyRun> {
    const party = options.party === undefined ? "operator" : options.party;
    const stackTags = new Map<string, string>(party === null ? [] : [["vigil:party", party]]);
    return runPolicies(Array.isArray(policies) ? policies : [policies as Policy], fixture.subjects(), { stackTags, config: options.config });
}

/** The violations of one policy as `{ urn, message }`, in order. */
export async function violations(policy: Policy, fixture: FixtureStack, options: RunOptions = {}): Promise<{ urn: string; message: string }[]> {
    const result = await run(policy, fixture, options);
    for (const v of result.violations) {
        assert.equal(v.policy, policy.name);
    }
    return result.violations.map((v) => ({ urn: v.urn, message: v.message }));
}

/** Asserts a policy reports nothing on the fixture. */
export async function assertClean(policy: Policy, fixture: FixtureStack, options: RunOptions = {}): Promise<void> {
    assert.deepEqual(await violations(policy, fixture, options), []);
}

/** Asserts a policy reports exactly these messages, each on the given resource (undefined: the stack). */
export async function assertViolations(policy: Policy, fixture: FixtureStack, expected: readonly { message: string; on?: FixtureResource }[], options: RunOptions = {}): Promise<void> {
    assert.deepEqual(
        await violations(policy, fixture, options),
        expected.map((e) => ({ urn: e.on?.urn ?? "", message: e.message })),
    );
}

/** Asserts a resource policy found the resource not applicable (and reported nothing on it). */
export async function assertNotApplicable(policy: Policy, fixture: FixtureStack, resource: FixtureResource, options: RunOptions = {}): Promise<void> {
    const result = await run(policy, fixture, options);
    assert.ok(
        result.notApplicable.some((n) => n.urn === resource.urn),
        `${policy.name} should find ${resource.urn} not applicable; not applicable: ${JSON.stringify(result.notApplicable.map((n) => n.urn))}`,
    );
    assert.deepEqual(
        result.violations.filter((v) => v.urn === resource.urn),
        [],
    );
}

/** Asserts a stack policy found the whole stack not applicable, with a reason matching `reason`. */
export async function assertStackNotApplicable(policy: Policy, fixture: FixtureStack, reason: RegExp, options: RunOptions = {}): Promise<void> {
    const result = await run(policy, fixture, options);
    assert.deepEqual(result.violations, []);
    assert.equal(result.notApplicable.length, 1, JSON.stringify(result.notApplicable));
    assert.match(result.notApplicable[0].reason, reason);
}

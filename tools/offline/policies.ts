// Runs CrossGuard policies over recorded resources without the Pulumi CLI, building the same
// arguments the policy server builds (props wrapped in the unknown-checking proxy, stack tags,
// `notApplicable`, per-policy config with schema defaults). The offline plan and the policy tests
// both use it, so a policy behaves the same in tests, in the plan and under `pulumi preview`.

import {
    EnforcementLevel,
    Policy,
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
    UnknownValueError,
    unknownCheckingProxy,
} from "@pulumi/policy";

/** A resource as the policies see it. */
export interface PolicySubject {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly parent?: string;
    /** Inputs: what resource policies validate. */
    readonly inputs: Record<string, unknown>;
    /** Inputs plus computed outputs: what stack policies validate. Defaults to the inputs. */
    readonly state?: Record<string, unknown>;
    /**
     * The resource option ignoreChanges, which policies read from `args.opts`. Pulumi's mocks do not
     * hand resource options to the mock monitor, so the offline plan leaves it empty; tests set it.
     */
    readonly ignoreChanges?: readonly string[];
}

/** The `policy.json` contract. */
export interface Violation {
    readonly policy: string;
    readonly enforcementLevel: EnforcementLevel;
    readonly urn: string;
    readonly message: string;
}

export interface NotApplicableResult {
    readonly policy: string;
    readonly urn?: string;
    readonly reason: string;
}

/** Policy pack configuration, the format of `pulumi preview --policy-pack-config`. */
export type PolicyPackConfig = Record<string, EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)>;

export interface RunOptions {
    readonly stackTags?: ReadonlyMap<string, string>;
    readonly config?: PolicyPackConfig;
    /** Level for policies that set none (a pack's default is advisory). */
    readonly packEnforcementLevel?: EnforcementLevel;
}

export interface PolicyRun {
    readonly violations: Violation[];
    readonly notApplicable: NotApplicableResult[];
}

class NotApplicable extends Error {
    constructor(readonly reason: string) {
        super(reason);
    }
}

const throwNotApplicable = (reason?: string): never => {
    throw new NotApplicable(reason ?? "not applicable");
};

type ResourceClass = { __pulumiType?: string };
const isTypeOf = (type: string, cls: unknown) => (cls as ResourceClass).__pulumiType === type;

function levelOf(policy: Policy, options: RunOptions): EnforcementLevel {
    const entry = options.config?.[policy.name];
    const fromConfig = typeof entry === "string" ? entry : entry?.enforcementLevel;
    const all = options.config?.all;
    const fromAll = typeof all === "string" ? all : all?.enforcementLevel;
    // As the CLI applies it: a policy's own entry, then "all", then the policy's default, then the pack's.
    const level = fromConfig ?? fromAll ?? policy.enforcementLevel ?? options.packEnforcementLevel ?? "advisory";
    // A remediation that still violates is reported as mandatory (as the policy server does).
    return level === "remediate" ? "mandatory" : level;
}

function configOf(policy: Policy, options: RunOptions): Record<string, unknown> {
    const defaults: Record<string, unknown> = {};
    for (const [key, schema] of Object.entries(policy.configSchema?.properties ?? {})) {
        if (schema && typeof schema === "object" && "default" in schema) {
            defaults[key] = (schema as { default: unknown }).default;
        }
    }
    const entry = options.config?.[policy.name];
    const given = typeof entry === "object" && entry !== null ? { ...entry } : {};
    delete given.enforcementLevel;
    return { ...defaults, ...given };
}

const isResourcePolicy = (p: Policy): p is ResourceValidationPolicy => "validateResource" in p;
const isStackPolicy = (p: Policy): p is StackValidationPolicy => "validateStack" in p;

/** Wraps a policy's own failure so the caller sees which policy broke on which resource. */
export class PolicyFailure extends Error {
    constructor(policy: string, urn: string | undefined, cause: Error) {
        super(`policy ${policy} failed${urn ? ` on ${urn}` : ""}: ${cause.stack ?? cause.message}`);
        this.name = "PolicyFailure";
    }
}

/** Runs every policy over the subjects and returns the violations and not-applicable results. */
export async function runPolicies(policies: readonly Policy[], subjects: readonly PolicySubject[], options: RunOptions = {}): Promise<PolicyRun> {
    const stackTags = options.stackTags ?? new Map<string, string>();
    const violations: Violation[] = [];
    const notApplicable: NotApplicableResult[] = [];

    for (const policy of policies) {
        const enforcementLevel = levelOf(policy, options);
        if (enforcementLevel === "disabled") {
            continue;
        }
        const config = configOf(policy, options);
        const getConfig = <T extends object>() => ({ ...config }) as T;

        if (isResourcePolicy(policy)) {
            const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
            for (const subject of subjects) {
                const props = unknownCheckingProxy({ ...subject.inputs });
                const args: ResourceValidationArgs = {
                    type: subject.type,
                    props,
                    urn: subject.urn,
                    name: subject.name,
                    opts: policyOptions(subject),
                    stackTags,
                    isType: (cls) => isTypeOf(subject.type, cls),
                    asType: ((cls: unknown) => (isTypeOf(subject.type, cls) ? props : undefined)) as ResourceValidationArgs["asType"],
                    getConfig,
                    notApplicable: throwNotApplicable,
                };
                for (const validation of validations) {
                    if (!validation) {
                        continue;
                    }
                    try {
                        await Promise.resolve(
                            validation(args, (message, urn) => violations.push({ policy: policy.name, enforcementLevel, urn: urn ?? subject.urn, message })),
                        );
                    } catch (err) {
                        if (err instanceof NotApplicable) {
                            notApplicable.push({ policy: policy.name, urn: subject.urn, reason: err.reason });
                        } else if (err instanceof UnknownValueError) {
                            violations.push({ policy: policy.name, enforcementLevel: "advisory", urn: subject.urn, message: `can't run policy during preview: ${(err as Error).message}` });
                        } else {
                            throw new PolicyFailure(policy.name, subject.urn, err as Error);
                        }
                    }
                }
            }
        }

        if (isStackPolicy(policy)) {
            const resources = stackResources(subjects);
            const args: StackValidationArgs = { resources, stackTags, getConfig, notApplicable: throwNotApplicable };
            try {
                await Promise.resolve(
                    policy.validateStack(args, (message, urn) => violations.push({ policy: policy.name, enforcementLevel, urn: urn ?? "", message })),
                );
            } catch (err) {
                if (err instanceof NotApplicable) {
                    notApplicable.push({ policy: policy.name, reason: err.reason });
                } else if (err instanceof UnknownValueError) {
                    violations.push({ policy: policy.name, enforcementLevel: "advisory", urn: "", message: `can't run policy during preview: ${(err as Error).message}` });
                } else {
                    throw new PolicyFailure(policy.name, undefined, err as Error);
                }
            }
        }
    }
    return { violations, notApplicable };
}

function policyOptions(subject: PolicySubject) {
    return {
        protect: false,
        ignoreChanges: [...(subject.ignoreChanges ?? [])],
        aliases: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        additionalSecretOutputs: [],
        parent: subject.parent,
    };
}

/** The resources a stack policy sees, with parents linked. */
export function stackResources(subjects: readonly PolicySubject[]): PolicyResource[] {
    const byUrn = new Map<string, PolicyResource>();
    const resources = subjects.map((subject) => {
        const props = unknownCheckingProxy({ ...(subject.state ?? subject.inputs) });
        const resource: PolicyResource = {
            type: subject.type,
            props,
            urn: subject.urn,
            name: subject.name,
            opts: policyOptions(subject),
            dependencies: [],
            propertyDependencies: {},
            isType: (cls) => isTypeOf(subject.type, cls),
            asType: ((cls: unknown) => (isTypeOf(subject.type, cls) ? props : undefined)) as PolicyResource["asType"],
        };
        byUrn.set(subject.urn, resource);
        return resource;
    });
    subjects.forEach((subject, i) => {
        if (subject.parent && byUrn.has(subject.parent)) {
            resources[i].parent = byUrn.get(subject.parent);
        }
    });
    return resources;
}

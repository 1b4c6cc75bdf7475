// Runs a Pulumi program without the CLI or a cloud: Pulumi's own mock monitor stands in for the
// engine, data sources are answered from an account description, and every registered resource is
// recorded with its inputs and its parent. This is what `npm run plan` and the stack tests use.

import * as pulumi from "@pulumi/pulumi";
import { AccountDescription, answerDataSource } from "./account";
import { mockResourceState } from "./state";

/** One resource the program registered (the `resources.json` contract). */
export interface PlannedResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    /** The parent's URN; the stack resource for top-level resources; undefined for the stack. */
    readonly parent?: string;
    /** The inputs as the provider would receive them. */
    readonly inputs: Record<string, unknown>;
    /** Inputs plus the outputs the mock cloud computed (what stack policies see). */
    readonly state: Record<string, unknown>;
    /** False for component resources and the stack. */
    readonly custom: boolean;
}

export interface OfflineRun {
    readonly resources: readonly PlannedResource[];
    readonly outputs: Record<string, unknown>;
}

export interface OfflineOptions {
    readonly project: string;
    readonly stack: string;
    /** Fully qualified config keys to string values, as the CLI hands them to the program. */
    readonly config: Readonly<Record<string, string>>;
    readonly account: AccountDescription;
    /** The program: returns the stack outputs (as a Pulumi program module's exported function does). */
    readonly program: () => unknown;
}

interface Registration {
    readonly type: string;
    readonly name: string;
    readonly custom: boolean;
    readonly inputs: Record<string, unknown>;
    readonly state: Record<string, unknown>;
}

/**
 * Runs the program once under mocks. Only one run per process: Pulumi's runtime state is global.
 *
 * @throws the program's own error, or the first data-source call that could not be answered.
 */
export async function runOffline(options: OfflineOptions): Promise<OfflineRun> {
    const registrations = new Map<string, Registration>();
    const callErrors: Error[] = [];

    pulumi.runtime.setAllConfig({ ...options.config });
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                const key = `${args.type}::${args.name}`;
                const custom = args.custom ?? true;
                const mocked = mockResourceState(args.type, args.name, args.inputs, custom, options.account);
                if (registrations.has(key)) {
                    throw new Error(`two resources share type ${args.type} and name ${args.name}; give them distinct names`);
                }
                registrations.set(key, { type: args.type, name: args.name, custom, inputs: args.inputs, state: mocked.state });
                return mocked;
            },
            call: (args) => {
                try {
                    return answerDataSource(args.token, args.inputs, options.account);
                } catch (err) {
                    callErrors.push(err as Error);
                    throw err;
                }
            },
        },
        options.project,
        options.stack,
        false,
    );

    const constructed: { resource: pulumi.Resource; parent?: pulumi.Resource }[] = [];
    let outputs: Record<string, unknown>;
    try {
        outputs = (await pulumi.runtime.runInPulumiStack(async () => {
            pulumi.runtime.registerStackTransformation((args) => {
                constructed.push({ resource: args.resource, parent: args.opts.parent });
                return undefined;
            });
            const exported = options.program();
            return (await exported) as pulumi.Inputs;
        })) as Record<string, unknown>;
        // Drains the outstanding registrations, so every resource has answered before we read it.
        await pulumi.runtime.disconnect();
    } catch (err) {
        throw callErrors[0] ?? err;
    }
    if (callErrors.length > 0) {
        throw callErrors[0];
    }

    const urnOf = (r: pulumi.Resource) => new Promise<string>((resolve) => r.urn.apply(resolve));
    const stackEntry = [...registrations.values()].find((r) => r.type === "pulumi:pulumi:Stack");
    const stackUrn = `urn:pulumi:${options.stack}::${options.project}::pulumi:pulumi:Stack::${options.project}-${options.stack}`;
    const resources: PlannedResource[] = [];
    if (stackEntry) {
        resources.push({ urn: stackUrn, type: stackEntry.type, name: stackEntry.name, inputs: {}, state: {}, custom: false });
    }
    for (const { resource, parent } of constructed) {
        const urn = await urnOf(resource);
        const registration = registrations.get(registrationKey(urn));
        if (!registration) {
            throw new Error(`internal: resource ${urn} was constructed but never registered`);
        }
        resources.push({
            urn,
            type: registration.type,
            name: registration.name,
            parent: parent ? await urnOf(parent) : stackUrn,
            inputs: registration.inputs,
            state: registration.state,
            custom: registration.custom,
        });
    }
    return { resources, outputs };
}

/** `type::name` of a URN (`urn:pulumi:stack::project::qualified$type::name`). */
function registrationKey(urn: string): string {
    const parts = urn.split("::");
    const qualifiedType = parts[2];
    const name = parts.slice(3).join("::");
    const type = qualifiedType.split("$").pop() as string;
    return `${type}::${name}`;
}

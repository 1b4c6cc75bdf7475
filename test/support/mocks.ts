// Pulumi mocks for component tests (STYLE.md 9-10): every registered resource is recorded with its
// inputs, computed outputs come from the same synthesiser as the offline plan, and a data-source
// call the account description cannot answer fails the test with the data source's name.

import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { AccountDescription, answerDataSource, loadAccountDescription } from "../../tools/offline/account";
import { mockResourceState } from "../../tools/offline/state";

export interface RecordedResource {
    readonly type: string;
    readonly name: string;
    readonly custom: boolean;
    readonly inputs: Record<string, any>;
    readonly state: Record<string, any>;
}

export class MockRecorder {
    readonly resources: RecordedResource[] = [];
    readonly calls: { token: string; inputs: Record<string, unknown> }[] = [];

    constructor(readonly account: AccountDescription) {}

    /** Forgets what was recorded (call in beforeEach). */
    reset(): void {
        this.resources.length = 0;
        this.calls.length = 0;
    }

    /** Every recorded resource of a type token, e.g. `aws:sns/topic:Topic`. */
    ofType(type: string): RecordedResource[] {
        return this.resources.filter((r) => r.type === type);
    }

    /** The one resource with this logical name; fails when there is none or more than one. */
    named(name: string, type?: string): RecordedResource {
        const found = this.resources.filter((r) => r.name === name && (type === undefined || r.type === type));
        if (found.length !== 1) {
            const names = this.resources.map((r) => `${r.type}::${r.name}`).join("\n  ");
            throw new Error(`expected exactly one resource named ${name}${type ? ` of type ${type}` : ""}, found ${found.length}; recorded:\n  ${names}`);
        }
        return found[0];
    }
}

/** The example stack's account description (stacks/example.account.yaml). */
export function exampleAccount(): AccountDescription {
    return loadAccountDescription(path.join(__dirname, "..", "..", "stacks", "example.account.yaml"));
}

/**
 * Installs Pulumi mocks that record resources. Await it in `before`, then import the code under test.
 */
export async function setupMocks(account: AccountDescription = exampleAccount(), stack = "test"): Promise<MockRecorder> {
    const recorder = new MockRecorder(account);
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                const custom = args.custom ?? true;
                const mocked = mockResourceState(args.type, args.name, args.inputs, custom, account);
                recorder.resources.push({ type: args.type, name: args.name, custom, inputs: args.inputs, state: mocked.state });
                return mocked;
            },
            call: (args) => {
                recorder.calls.push({ token: args.token, inputs: args.inputs });
                return answerDataSource(args.token, args.inputs, account);
            },
        },
        "vigil",
        stack,
        false,
    );
    return recorder;
}

/** Resolves an Output's value (never assert inside `apply`). */
export function promiseOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply(resolve));
}

/** Waits until every resource registration in flight has been answered by the mocks. */
export async function settled(...resources: pulumi.Resource[]): Promise<void> {
    await Promise.all(resources.map((r) => promiseOf(r.urn)));
}

/**
 * Waits until every registration the component triggered has been answered by the mocks: its URN
 * and the named outputs resolve, then the recorder sees no new resource for five polls in a row.
 */
export async function registered(recorder: MockRecorder, component: pulumi.ComponentResource & Record<string, any>, outputs: readonly string[]): Promise<void> {
    await promiseOf(component.urn);
    for (const key of outputs) {
        await promiseOf(component[key] as pulumi.Output<unknown>);
    }
    let last = -1;
    let stable = 0;
    while (stable < 5) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        stable = recorder.resources.length === last ? stable + 1 : 0;
        last = recorder.resources.length;
    }
}

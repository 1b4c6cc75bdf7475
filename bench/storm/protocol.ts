// Messages between the storm benchmark and its two child processes (Node IPC): the dynalite host,
// which counts the DynamoDB requests it serves, and the worker, which runs the triage bundle's
// handler as the intake function would and times it.

import type { AlertTemplate, StormTarget } from "./messages";

/** DynamoDB requests by operation (X-Amz-Target without the service prefix), their body bytes, and those answered with an error. */
export interface RequestCounts {
    readonly requests: Readonly<Record<string, number>>;
    readonly bytes: Readonly<Record<string, number>>;
    readonly errors: Readonly<Record<string, number>>;
}

export type HostCommand = { readonly type: "counts"; readonly reset: boolean };
export type HostReply = { readonly type: "listening"; readonly port: number } | { readonly type: "counts"; readonly counts: RequestCounts };

/** What the worker needs to build the storm's events itself (so it never holds more than one batch). */
export interface StormSpec {
    readonly target: StormTarget;
    readonly templates: readonly AlertTemplate[];
    /** The rule the group storm repeats. */
    readonly groupTemplate: AlertTemplate;
    /** Records per handler invocation (the event source mapping's batch size). */
    readonly batchSize: number;
    /** Start times are spread before this instant (ms since the epoch). */
    readonly baseMs: number;
    readonly functionArn: string;
    readonly memoryMb: number;
}

export type Phase =
    | { readonly kind: "group"; readonly alerts: number; readonly pass: number }
    | { readonly kind: "group-truncated"; readonly alerts: number; readonly pass: number }
    | { readonly kind: "single"; readonly messages: number; readonly pass: number; /** First alert index (warm-up alerts use their own). */ readonly offset?: number };

export type WorkerCommand =
    | { readonly type: "engine"; readonly phase: Phase }
    /** The phase's alerts through DynamoStore.observe alone (storeProbe.ts), after the engine phases. */
    | { readonly type: "store"; readonly phase: Phase }
    | { readonly type: "floor"; readonly table: string; readonly items: number; /** Index of the first item's key. */ readonly offset: number; /** Key prefix (warm-up items use their own). */ readonly prefix?: string }
    | { readonly type: "exit" };

export interface PhaseTiming {
    /** Milliseconds inside the handler (or inside the PutItem calls for the floor), summed. */
    readonly ms: number;
    readonly invocations: number;
    /** Records the handler reported as failed (they would be retried). */
    readonly batchItemFailures: number;
    /** Bytes of the largest message body of the phase. */
    readonly largestBodyBytes: number;
    /** Conditional writes rejected (floor and store probe). */
    readonly conditionFailures: number;
}

export interface Memory {
    /** Peak resident set size of the worker process so far (VmHWM, see lib/peakMemory.ts), KiB. */
    readonly maxRssKb: number;
    /** Largest V8 heap in use seen after an invocation, bytes. */
    readonly heapPeakBytes: number;
}

export type WorkerReply =
    | { readonly type: "ready"; readonly initMs: number; readonly memory: Memory }
    | { readonly type: "done"; readonly timing: PhaseTiming; readonly memory: Memory }
    | { readonly type: "error"; readonly message: string };

// Control-plane logging of a cluster the program does not own: the logic of a Pulumi dynamic
// provider that reads the cluster's logging configuration (DescribeCluster) and calls
// UpdateClusterConfig only when it differs, then waits for the update to finish.
//
// This module is serialized into the dynamic provider, so it imports nothing from Pulumi (types
// only) and nothing local: only the AWS SDK, which the provider process loads from node_modules.

import {
    DescribeClusterCommand,
    DescribeUpdateCommand,
    EKSClient,
    ResourceInUseException,
    ResourceNotFoundException,
    UpdateClusterConfigCommand,
    type Cluster,
    type Logging,
    type LogType,
} from "@aws-sdk/client-eks";
import type * as dynamic from "@pulumi/pulumi/dynamic";

/** The five EKS control-plane log types, in EKS's order. */
export const CONTROL_PLANE_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"] as const;

/** The `kind` input that tells policies and plans what this dynamic resource is (contract C5). */
export const CONTROL_PLANE_LOGGING_KIND = "vigil:eks:ControlPlaneLogging";

/** A control-plane logging change that cannot be made; the message says why and what to do. */
export class ControlPlaneLoggingError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "ControlPlaneLoggingError";
    }
}

/** Sorted, unique log types, in EKS's order. */
function ordered(types: Iterable<string>): string[] {
    const set = new Set(types);
    return CONTROL_PLANE_LOG_TYPES.filter((t) => set.has(t));
}

/** The log types a cluster has enabled, from DescribeCluster's `logging.clusterLogging` groups. */
export function enabledLogTypes(cluster: Pick<Cluster, "logging">): string[] {
    const enabled = new Set<string>();
    for (const group of cluster.logging?.clusterLogging ?? []) {
        for (const type of group.types ?? []) {
            if (group.enabled) {
                enabled.add(type);
            } else {
                enabled.delete(type);
            }
        }
    }
    return ordered(enabled);
}

/** Checks a list of log types; returns the problem, or undefined when every type is one of the five. */
export function logTypesProblem(types: unknown): string | undefined {
    if (!Array.isArray(types) || types.some((t) => !(CONTROL_PLANE_LOG_TYPES as readonly unknown[]).includes(t))) {
        return `got ${JSON.stringify(types)}; allowed: a list of ${CONTROL_PLANE_LOG_TYPES.join(", ")}`;
    }
    return undefined;
}

/**
 * The UpdateClusterConfig `logging` argument that turns `current` into `desired`, or undefined when
 * they already match (nothing to call).
 */
export function loggingChange(current: readonly string[], desired: readonly string[]): Logging | undefined {
    const want = ordered(desired);
    const have = ordered(current);
    const disable = have.filter((t) => !want.includes(t));
    if (want.length === have.length && disable.length === 0) {
        return undefined;
    }
    const clusterLogging: { types: LogType[]; enabled: boolean }[] = [];
    if (want.length > 0) {
        clusterLogging.push({ types: want as LogType[], enabled: true });
    }
    if (disable.length > 0) {
        clusterLogging.push({ types: disable as LogType[], enabled: false });
    }
    return { clusterLogging };
}

/**
 * Cluster states in which EKS refuses configuration updates. (An array, not a Set: Pulumi's closure
 * serialization does not carry a Set's contents into the provider.)
 */
const BUSY_STATES: readonly string[] = ["CREATING", "UPDATING", "DELETING", "PENDING", "FAILED"];

export interface WaitOptions {
    /** Between DescribeUpdate calls. Default 15 s. */
    readonly pollIntervalMs?: number;
    /** Give up after. Default 30 minutes. */
    readonly timeoutMs?: number;
    readonly sleep?: (ms: number) => Promise<void>;
    readonly now?: () => number;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls DescribeUpdate until the update succeeds; fails on Failed, Cancelled or timeout. */
export async function waitForUpdate(client: EKSClient, clusterName: string, updateId: string, options: WaitOptions = {}): Promise<void> {
    const pollIntervalMs = options.pollIntervalMs ?? 15_000;
    const timeoutMs = options.timeoutMs ?? 30 * 60_000;
    const sleep = options.sleep ?? realSleep;
    const now = options.now ?? Date.now;
    const deadline = now() + timeoutMs;
    for (;;) {
        const { update } = await client.send(new DescribeUpdateCommand({ name: clusterName, updateId }));
        const status = update?.status;
        if (status === "Successful") {
            return;
        }
        if (status === "Failed" || status === "Cancelled") {
            const errors = (update?.errors ?? []).map((e) => `${e.errorCode}: ${e.errorMessage}`).join("; ");
            throw new ControlPlaneLoggingError(
                `EKS cluster ${clusterName}: logging update ${updateId} ended ${status}${errors ? ` (${errors})` : ""}; check the cluster's update history and run pulumi up again`,
            );
        }
        if (now() >= deadline) {
            throw new ControlPlaneLoggingError(
                `EKS cluster ${clusterName}: logging update ${updateId} is still ${status ?? "unknown"} after ${Math.round(timeoutMs / 60_000)} minutes; run pulumi up again once it has finished`,
            );
        }
        await sleep(pollIntervalMs);
    }
}

export interface ReconcileResult {
    /** Log types enabled before. */
    readonly before: string[];
    /** Log types enabled now. */
    readonly after: string[];
    /** The EKS update that changed them, when one was needed. */
    readonly updateId?: string;
}

function busyError(clusterName: string, detail: string): ControlPlaneLoggingError {
    return new ControlPlaneLoggingError(
        `EKS cluster ${clusterName} is being changed (${detail}), so its logging configuration cannot be updated now; wait until the cluster is ACTIVE (aws eks describe-cluster --name ${clusterName}) and run pulumi up again`,
    );
}

/**
 * Makes the cluster's enabled log types equal `desired`: reads them, and only when they differ calls
 * UpdateClusterConfig and waits for that update. Idempotent.
 */
export async function reconcileLogging(client: EKSClient, clusterName: string, desired: readonly string[], options: WaitOptions = {}): Promise<ReconcileResult> {
    const { cluster } = await client.send(new DescribeClusterCommand({ name: clusterName }));
    if (!cluster) {
        throw new ControlPlaneLoggingError(`EKS cluster ${clusterName}: DescribeCluster returned no cluster`);
    }
    const before = enabledLogTypes(cluster);
    const logging = loggingChange(before, desired);
    if (!logging) {
        return { before, after: before };
    }
    if (cluster.status && BUSY_STATES.includes(cluster.status)) {
        throw busyError(clusterName, `status ${cluster.status}`);
    }
    let updateId: string | undefined;
    try {
        const { update } = await client.send(new UpdateClusterConfigCommand({ name: clusterName, logging }));
        updateId = update?.id;
    } catch (err) {
        if (err instanceof ResourceInUseException || (err as { name?: string }).name === "ResourceInUseException") {
            throw busyError(clusterName, `ResourceInUseException: ${(err as Error).message}`);
        }
        throw err;
    }
    if (!updateId) {
        throw new ControlPlaneLoggingError(`EKS cluster ${clusterName}: UpdateClusterConfig returned no update id`);
    }
    await waitForUpdate(client, clusterName, updateId, options);
    return { before, after: ordered(desired), updateId };
}

function isNotFound(err: unknown): boolean {
    return err instanceof ResourceNotFoundException || (err as { name?: string }).name === "ResourceNotFoundException";
}

/** Inputs of the dynamic resource (contract C5). */
export interface ControlPlaneLoggingInputs {
    readonly kind: string;
    readonly clusterName: string;
    readonly region: string;
    readonly enabledLogTypes: string[];
}

/** Outputs: the inputs, plus what the cluster had before Vigil changed it (restored on delete). */
export interface ControlPlaneLoggingOutputs extends ControlPlaneLoggingInputs {
    readonly previousLogTypes: string[];
}

/** Builds the provider around a client factory (tests pass a mocked client). */
export function controlPlaneLoggingProvider(
    clientFor: (region: string) => EKSClient = (region) => new EKSClient({ region }),
    waitOptions: WaitOptions = {},
): dynamic.ResourceProvider<ControlPlaneLoggingInputs, ControlPlaneLoggingOutputs> {
    return {
        async check(_olds, news) {
            const failures: { property: string; reason: string }[] = [];
            if (news.kind !== CONTROL_PLANE_LOGGING_KIND) {
                failures.push({ property: "kind", reason: `got ${JSON.stringify(news.kind)}; allowed: ${JSON.stringify(CONTROL_PLANE_LOGGING_KIND)}` });
            }
            if (typeof news.clusterName !== "string" || news.clusterName === "") {
                failures.push({ property: "clusterName", reason: `got ${JSON.stringify(news.clusterName)}; allowed: an EKS cluster name` });
            }
            if (typeof news.region !== "string" || !/^[a-z]{2}(?:-[a-z]+)+-\d$/.test(news.region)) {
                failures.push({ property: "region", reason: `got ${JSON.stringify(news.region)}; allowed: an AWS region such as eu-west-1` });
            }
            const problem = logTypesProblem(news.enabledLogTypes);
            if (problem) {
                failures.push({ property: "enabledLogTypes", reason: problem });
            }
            return { inputs: news, failures };
        },

        async diff(_id, olds, news) {
            const replaces = (["clusterName", "region"] as const).filter((k) => olds[k] !== news[k]);
            const typesChanged = ordered(olds.enabledLogTypes ?? []).join(",") !== ordered(news.enabledLogTypes ?? []).join(",");
            return { changes: replaces.length > 0 || typesChanged, replaces, deleteBeforeReplace: replaces.length > 0 };
        },

        async create(inputs) {
            const result = await reconcileLogging(clientFor(inputs.region), inputs.clusterName, inputs.enabledLogTypes, waitOptions);
            return {
                id: `${inputs.region}/${inputs.clusterName}`,
                outs: { ...inputs, enabledLogTypes: ordered(inputs.enabledLogTypes), previousLogTypes: result.before },
            };
        },

        async read(id, props) {
            if (!props) {
                return { id, props };
            }
            try {
                const { cluster } = await clientFor(props.region).send(new DescribeClusterCommand({ name: props.clusterName }));
                return { id, props: { ...props, enabledLogTypes: cluster ? enabledLogTypes(cluster) : [] } };
            } catch (err) {
                if (isNotFound(err)) {
                    // The cluster is gone, and with it this resource.
                    return {};
                }
                throw err;
            }
        },

        async update(_id, olds, news) {
            await reconcileLogging(clientFor(news.region), news.clusterName, news.enabledLogTypes, waitOptions);
            return { outs: { ...news, enabledLogTypes: ordered(news.enabledLogTypes), previousLogTypes: olds.previousLogTypes ?? [] } };
        },

        async delete(_id, props) {
            // Give the customer's cluster back as Vigil found it.
            try {
                await reconcileLogging(clientFor(props.region), props.clusterName, props.previousLogTypes ?? [], waitOptions);
            } catch (err) {
                if (isNotFound(err)) {
                    return;
                }
                throw err;
            }
        },
    };
}

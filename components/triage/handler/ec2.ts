// EC2 adapter for the engine's NodeDirectory port. EC2 state-change and Spot interruption events
// name the instance but carry none of its tags, so the EKS cluster an instance belongs to is read
// from its tags with DescribeInstances (the tags managed node groups, Karpenter and self-managed
// nodes set; events.ts `clusterFromTags` knows them).

import { DescribeInstancesCommand, EC2Client } from "@aws-sdk/client-ec2";

// The deployed module (lambda.ts) loads this file on first use; the client comes with it.
export { EC2Client };
import { clusterFromTags } from "./events";
import { NodeDirectory } from "./ports";

export interface Ec2NodeDirectoryOptions {
    /** How long an answer is reused (instance tags rarely change). Default 10 minutes. */
    readonly ttlMs?: number;
    /** Answers kept per execution environment. Default 1000. */
    readonly maxEntries?: number;
    /** Milliseconds since the epoch (tests pass a manual clock). */
    readonly now?: () => number;
}

/** Error codes EC2 answers for an instance it does not know (terminated long ago, another account). */
const UNKNOWN_INSTANCE = new Set(["InvalidInstanceID.NotFound", "InvalidInstanceID.Malformed"]);

export class Ec2NodeDirectory implements NodeDirectory {
    private readonly cache = new Map<string, { readonly cluster: string; readonly at: number }>();
    private readonly ttlMs: number;
    private readonly maxEntries: number;
    private readonly now: () => number;

    constructor(
        private readonly client: EC2Client,
        options: Ec2NodeDirectoryOptions = {},
    ) {
        this.ttlMs = options.ttlMs ?? 10 * 60 * 1000;
        this.maxEntries = options.maxEntries ?? 1000;
        this.now = options.now ?? Date.now;
    }

    /** The instance's cluster, "" when it is no cluster's node, undefined when EC2 does not know it. */
    async clusterOfInstance(instanceId: string): Promise<string | undefined> {
        const hit = this.cache.get(instanceId);
        if (hit && this.now() - hit.at < this.ttlMs) {
            return hit.cluster;
        }
        let reservations;
        try {
            reservations = (await this.client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).Reservations ?? [];
        } catch (err) {
            const code = (err as { name?: string; Code?: string }).Code ?? (err as { name?: string }).name ?? "";
            if (UNKNOWN_INSTANCE.has(code)) {
                return undefined;
            }
            throw err;
        }
        const instance = reservations.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === instanceId);
        if (!instance) {
            return undefined;
        }
        const cluster = clusterFromTags(instance.Tags ?? []);
        if (this.cache.size >= this.maxEntries) {
            // Maps iterate in insertion order: drop the oldest answer.
            this.cache.delete(this.cache.keys().next().value as string);
        }
        this.cache.set(instanceId, { cluster, at: this.now() });
        return cluster;
    }
}

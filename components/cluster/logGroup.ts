// A CloudWatch Logs log group that may already exist: the logic of a Pulumi dynamic provider that
// creates the group when it is missing and adopts it when it is there (EKS creates
// /aws/eks/<cluster>/cluster itself as soon as any control-plane log type was ever enabled), and in
// both cases sets its retention, its KMS key and Vigil's tags, calling only what differs. Deleting
// the resource leaves the group and its logs in place: they are the cluster's audit trail.
//
// This module is serialized into the dynamic provider, so it imports nothing from Pulumi (types
// only) and nothing local: only the AWS SDK, which the provider process loads from node_modules.

import {
    AssociateKmsKeyCommand,
    CloudWatchLogsClient,
    CreateLogGroupCommand,
    DescribeLogGroupsCommand,
    ListTagsForResourceCommand,
    PutRetentionPolicyCommand,
    ResourceAlreadyExistsException,
    ResourceNotFoundException,
    TagResourceCommand,
    UntagResourceCommand,
    type LogGroup,
} from "@aws-sdk/client-cloudwatch-logs";
import type * as dynamic from "@pulumi/pulumi/dynamic";

/** The `kind` input that tells policies and plans what this dynamic resource is. */
export const LOG_GROUP_KIND = "vigil:cloudwatch:LogGroup";

/** Retention values CloudWatch Logs accepts (days); a test keeps this and stacks/config.ts in step. */
export const CLOUDWATCH_RETENTION_DAYS: readonly number[] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/** A log group change that cannot be made; the message names the group, the call and what to do. */
export class LogGroupError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "LogGroupError";
    }
}

/** What the log group must look like. */
export interface LogGroupSettings {
    readonly logGroupName: string;
    readonly retentionInDays: number;
    /** ARN of the KMS key that encrypts the group's new log events. */
    readonly kmsKeyId: string;
    /** Tags the group must carry; other tags on an adopted group are left alone. */
    readonly tags: Readonly<Record<string, string>>;
}

/** Inputs of the dynamic resource. */
export interface LogGroupInputs extends LogGroupSettings {
    readonly kind: string;
    /** Region of the log group (the provider process calls CloudWatch Logs there). */
    readonly region: string;
}

/** Outputs: the inputs, the group's ARN, and whether Vigil created it (false: adopted). */
export interface LogGroupOutputs extends LogGroupInputs {
    readonly arn: string;
    readonly created: boolean;
}

export interface ReconcileResult {
    readonly arn: string;
    /** True when this call created the group, false when it was there already. */
    readonly created: boolean;
    /** The CloudWatch Logs calls that changed something, in order. */
    readonly changed: string[];
}

const isNamed = (err: unknown, name: string) => (err as { name?: string } | null)?.name === name;

/** Runs one CloudWatch Logs call; a failure names the group and the call. */
async function step<T>(logGroupName: string, call: string, run: () => Promise<T>, hint = ""): Promise<T> {
    try {
        return await run();
    } catch (err) {
        const e = err as { name?: string; message?: string };
        throw new LogGroupError(`CloudWatch Logs log group ${logGroupName}: ${call} failed (${e.name ?? "Error"}: ${e.message ?? String(err)})${hint}`);
    }
}

const keyHint = (kmsKeyId: string) =>
    `; check that KMS key ${kmsKeyId} exists, is enabled and that its key policy allows the logs.<region>.amazonaws.com service principal (AccountMonitoring's log key does)`;

/** The group with exactly this name, or undefined. */
export async function findLogGroup(client: CloudWatchLogsClient, logGroupName: string): Promise<LogGroup | undefined> {
    let nextToken: string | undefined;
    do {
        const page = await step(logGroupName, "DescribeLogGroups", () => client.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: logGroupName, nextToken })));
        const found = (page.logGroups ?? []).find((g) => g.logGroupName === logGroupName);
        if (found) {
            return found;
        }
        nextToken = page.nextToken;
    } while (nextToken);
    return undefined;
}

/** The ARN tagging calls take: the group's ARN without the `:*` DescribeLogGroups appends. */
export function logGroupArn(group: Pick<LogGroup, "arn" | "logGroupArn" | "logGroupName">): string {
    const arn = group.logGroupArn ?? group.arn?.replace(/:\*$/, "");
    if (!arn) {
        throw new LogGroupError(`CloudWatch Logs log group ${group.logGroupName}: DescribeLogGroups returned no ARN`);
    }
    return arn;
}

/** The tags to set (missing or different) and the keys to remove (no longer wanted). */
export function tagChanges(
    current: Readonly<Record<string, string>>,
    desired: Readonly<Record<string, string>>,
    noLongerWanted: readonly string[] = [],
): { set: Record<string, string>; remove: string[] } {
    const set = Object.fromEntries(Object.entries(desired).filter(([k, v]) => current[k] !== v));
    const remove = noLongerWanted.filter((k) => !(k in desired) && k in current).sort();
    return { set, remove };
}

/**
 * Makes the log group match `desired`: creates it (with its key and tags) when missing, adopts it
 * when present, then sets retention, key and tags only where they differ. Idempotent. Tag keys in
 * `removeTagKeys` that `desired` no longer has are removed (tags Vigil set earlier); tags others set
 * on an adopted group are kept.
 */
export async function reconcileLogGroup(client: CloudWatchLogsClient, desired: LogGroupSettings, removeTagKeys: readonly string[] = []): Promise<ReconcileResult> {
    const name = desired.logGroupName;
    const changed: string[] = [];
    let created = false;
    let group = await findLogGroup(client, name);
    if (!group) {
        try {
            await client.send(new CreateLogGroupCommand({ logGroupName: name, kmsKeyId: desired.kmsKeyId, tags: { ...desired.tags } }));
            created = true;
            changed.push("CreateLogGroup");
        } catch (err) {
            // EKS (or someone) created it since we looked: adopt it like any other existing group.
            if (!(err instanceof ResourceAlreadyExistsException || isNamed(err, "ResourceAlreadyExistsException"))) {
                const e = err as { name?: string; message?: string };
                throw new LogGroupError(`CloudWatch Logs log group ${name}: CreateLogGroup failed (${e.name ?? "Error"}: ${e.message ?? String(err)})${keyHint(desired.kmsKeyId)}`);
            }
        }
        group = await findLogGroup(client, name);
        if (!group) {
            throw new LogGroupError(`CloudWatch Logs log group ${name}: not found right after it was created; run pulumi up again`);
        }
    }
    if (group.retentionInDays !== desired.retentionInDays) {
        await step(name, "PutRetentionPolicy", () => client.send(new PutRetentionPolicyCommand({ logGroupName: name, retentionInDays: desired.retentionInDays })));
        changed.push("PutRetentionPolicy");
    }
    if (group.kmsKeyId !== desired.kmsKeyId) {
        // Replaces any key the group had; events already stored stay encrypted as they were.
        await step(name, "AssociateKmsKey", () => client.send(new AssociateKmsKeyCommand({ logGroupName: name, kmsKeyId: desired.kmsKeyId })), keyHint(desired.kmsKeyId));
        changed.push("AssociateKmsKey");
    }
    const arn = logGroupArn(group);
    const { tags: current = {} } = await step(name, "ListTagsForResource", () => client.send(new ListTagsForResourceCommand({ resourceArn: arn })));
    const tags = tagChanges(current, desired.tags, removeTagKeys);
    if (Object.keys(tags.set).length > 0) {
        await step(name, "TagResource", () => client.send(new TagResourceCommand({ resourceArn: arn, tags: tags.set })));
        changed.push("TagResource");
    }
    if (tags.remove.length > 0) {
        await step(name, "UntagResource", () => client.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: tags.remove })));
        changed.push("UntagResource");
    }
    return { arn, created, changed };
}

/**
 * The value Pulumi's dynamic provider host passes for an input not known yet (a preview before the
 * KMS key exists, say); such an input is checked when it is known.
 */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const LOG_GROUP_NAME = /^[.\-_/#A-Za-z0-9]{1,512}$/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;

/** The problems of a set of inputs, as Pulumi check failures (property and reason). */
export function logGroupInputProblems(news: Partial<Record<keyof LogGroupInputs, unknown>>): { property: string; reason: string }[] {
    const failures: { property: string; reason: string }[] = [];
    const fail = (property: string, value: unknown, allowed: string) => failures.push({ property, reason: `got ${JSON.stringify(value)}; allowed: ${allowed}` });
    const known = (value: unknown) => value !== UNKNOWN;
    if (news.kind !== LOG_GROUP_KIND) {
        fail("kind", news.kind, JSON.stringify(LOG_GROUP_KIND));
    }
    if (known(news.logGroupName) && (typeof news.logGroupName !== "string" || !LOG_GROUP_NAME.test(news.logGroupName))) {
        fail("logGroupName", news.logGroupName, "a log group name of 1-512 letters, digits and . - _ / #");
    }
    if (known(news.region) && (typeof news.region !== "string" || !REGION.test(news.region))) {
        fail("region", news.region, "an AWS region such as eu-west-1");
    }
    if (known(news.retentionInDays) && !CLOUDWATCH_RETENTION_DAYS.includes(news.retentionInDays as number)) {
        fail("retentionInDays", news.retentionInDays, `one of ${CLOUDWATCH_RETENTION_DAYS.join(", ")}`);
    }
    if (known(news.kmsKeyId) && (typeof news.kmsKeyId !== "string" || !KMS_KEY_ARN.test(news.kmsKeyId))) {
        fail("kmsKeyId", news.kmsKeyId, "the ARN of a KMS key (arn:aws:kms:<region>:<account>:key/<id>; CloudWatch Logs takes no alias)");
    }
    const tags = news.tags;
    if (known(tags)) {
        const entries = typeof tags === "object" && tags !== null && !Array.isArray(tags) ? Object.entries(tags) : undefined;
        if (!entries || entries.some(([k, v]) => k.length === 0 || k.length > 128 || typeof v !== "string" || v.length > 256)) {
            fail("tags", tags, "a map of tag keys (1-128 characters) to string values (up to 256 characters)");
        }
    }
    return failures;
}

const sameTags = (a: Readonly<Record<string, string>> = {}, b: Readonly<Record<string, string>> = {}) =>
    JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

/** Builds the provider around a client factory (tests pass a mocked client). */
export function logGroupProvider(clientFor: (region: string) => CloudWatchLogsClient = (region) => new CloudWatchLogsClient({ region })): dynamic.ResourceProvider<LogGroupInputs, LogGroupOutputs> {
    const settings = (inputs: LogGroupInputs): LogGroupSettings => ({
        logGroupName: inputs.logGroupName,
        retentionInDays: inputs.retentionInDays,
        kmsKeyId: inputs.kmsKeyId,
        tags: inputs.tags,
    });
    return {
        async check(_olds, news) {
            return { inputs: news, failures: logGroupInputProblems(news) };
        },

        async diff(_id, olds, news) {
            // Another name or region is another group; the old one is left in place (delete keeps it).
            const replaces = (["logGroupName", "region"] as const).filter((k) => olds[k] !== news[k]);
            const changes = replaces.length > 0 || olds.retentionInDays !== news.retentionInDays || olds.kmsKeyId !== news.kmsKeyId || !sameTags(olds.tags, news.tags);
            return { changes, replaces, deleteBeforeReplace: false };
        },

        async create(inputs) {
            const result = await reconcileLogGroup(clientFor(inputs.region), settings(inputs));
            return { id: result.arn, outs: { ...inputs, arn: result.arn, created: result.created } };
        },

        async read(id, props) {
            if (!props) {
                return { id, props };
            }
            const client = clientFor(props.region);
            const group = await findLogGroup(client, props.logGroupName);
            if (!group) {
                // Deleted outside Pulumi; the next update creates it again.
                return {};
            }
            let actual: Record<string, string> = {};
            try {
                actual = (await client.send(new ListTagsForResourceCommand({ resourceArn: logGroupArn(group) }))).tags ?? {};
            } catch (err) {
                if (!(err instanceof ResourceNotFoundException || isNamed(err, "ResourceNotFoundException"))) {
                    throw err;
                }
            }
            // Only Vigil's tag keys: what the group carries for them now, so drift shows in a diff.
            const tags = Object.fromEntries(Object.keys(props.tags ?? {}).filter((k) => k in actual).map((k) => [k, actual[k]]));
            return {
                id,
                props: { ...props, arn: logGroupArn(group), retentionInDays: group.retentionInDays ?? 0, kmsKeyId: group.kmsKeyId ?? "", tags },
            };
        },

        async update(_id, olds, news) {
            const result = await reconcileLogGroup(clientFor(news.region), settings(news), Object.keys(olds.tags ?? {}));
            return { outs: { ...news, arn: result.arn, created: olds.created ?? result.created } };
        },

        async delete() {
            // Leave the group, its settings and its logs: the cluster's control-plane audit trail
            // outlives Vigil's management of it.
        },
    };
}

// A CloudWatch log group created when missing and adopted when it exists, as a Pulumi dynamic
// resource (type pulumi-nodejs:dynamic:Resource, inputs kind "vigil:cloudwatch:LogGroup",
// logGroupName, region, retentionInDays, kmsKeyId, tags). Its provider logic lives in ./logGroup,
// which is serialized with it.

import * as pulumi from "@pulumi/pulumi";
import { LOG_GROUP_KIND, logGroupProvider } from "./logGroup";

export interface AdoptableLogGroupArgs {
    /** Name of the log group, e.g. `/aws/eks/<cluster>/cluster`. */
    readonly logGroupName: pulumi.Input<string>;
    /** Its region (the provider process calls CloudWatch Logs there). */
    readonly region: pulumi.Input<string>;
    /** Retention in days, a value CloudWatch Logs accepts. */
    readonly retentionInDays: pulumi.Input<number>;
    /** ARN of the KMS key for new log events (its policy must admit logs.<region>.amazonaws.com). */
    readonly kmsKeyId: pulumi.Input<string>;
    /** Tags the group carries; other tags on an adopted group are left alone. */
    readonly tags: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

// One provider object for every instance, so Pulumi serializes it once.
const provider = logGroupProvider();

/**
 * A log group that may already exist (EKS creates its control-plane log group itself): created
 * when missing, adopted when present, and in both cases given its retention, KMS key and tags.
 * Deleting the resource leaves the group and its logs in place.
 */
export class AdoptableLogGroup extends pulumi.dynamic.Resource {
    /** The log group's name. */
    declare readonly logGroupName: pulumi.Output<string>;
    /** Its ARN (without the `:*` suffix). */
    declare readonly arn: pulumi.Output<string>;
    /** True when Vigil created the group, false when it adopted an existing one. */
    declare readonly created: pulumi.Output<boolean>;

    constructor(name: string, args: AdoptableLogGroupArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            provider,
            name,
            {
                kind: LOG_GROUP_KIND,
                logGroupName: args.logGroupName,
                region: args.region,
                retentionInDays: args.retentionInDays,
                kmsKeyId: args.kmsKeyId,
                tags: args.tags,
                arn: undefined,
                created: undefined,
            },
            opts,
        );
    }
}

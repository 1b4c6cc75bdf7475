// The dynamic resource that enables control-plane logging on a cluster this program does not own
// (contract C5: type pulumi-nodejs:dynamic:Resource, inputs kind/clusterName/region/enabledLogTypes).
// Its provider logic lives in ./logging, which is serialized with it.

import * as pulumi from "@pulumi/pulumi";
import { CONTROL_PLANE_LOG_TYPES, CONTROL_PLANE_LOGGING_KIND, controlPlaneLoggingProvider } from "./logging";

export interface ControlPlaneLoggingArgs {
    /** The existing EKS cluster. */
    readonly clusterName: pulumi.Input<string>;
    /** Its region (the provider process calls EKS there). */
    readonly region: pulumi.Input<string>;
    /** Log types to enable. Defaults to all five; any others are disabled. */
    readonly enabledLogTypes?: pulumi.Input<string[]>;
}

// One provider object for every instance, so Pulumi serializes it once.
const provider = controlPlaneLoggingProvider();

/** EKS control-plane logging of an existing cluster, enabled in place and restored on delete. */
export class ControlPlaneLogging extends pulumi.dynamic.Resource {
    /** Log types enabled on the cluster. */
    declare readonly enabledLogTypes: pulumi.Output<string[]>;
    /** Log types the cluster had enabled before; delete restores them. */
    declare readonly previousLogTypes: pulumi.Output<string[]>;

    constructor(name: string, args: ControlPlaneLoggingArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            provider,
            name,
            {
                kind: CONTROL_PLANE_LOGGING_KIND,
                clusterName: args.clusterName,
                region: args.region,
                enabledLogTypes: args.enabledLogTypes ?? [...CONTROL_PLANE_LOG_TYPES],
                previousLogTypes: undefined,
            },
            opts,
        );
    }
}

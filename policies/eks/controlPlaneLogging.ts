import type { ResourceValidationPolicy } from "@pulumi/policy";
import { CONTROL_PLANE_LOG_TYPES, CONTROL_PLANE_LOGGING_KIND, DYNAMIC_RESOURCE, EKS_CLUSTER } from "../lib/eks";
import { listing, strings } from "../lib/policy";
import { describe } from "../lib/resources";

export const eksControlPlaneLogging: ResourceValidationPolicy = {
    name: "vigil-eks-control-plane-logging",
    description:
        "Control-plane logging is enabled for all five log types (api, audit, authenticator, controllerManager, scheduler) on every monitored cluster, and a program that defines a cluster does not switch it off again.",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: { name: "AWS Foundational Security Best Practices", version: "1.0", reference: "EKS.8", specification: "EKS clusters should have audit logging enabled." },
    tags: ["cis-eks:2.1.1", "checkov:CKV_AWS_37", "avd:AVD-AWS-0038"],
    remediationSteps:
        "Set vigil:controlPlaneLogging to true (ClusterMonitoring enables the five types); in a program that defines the cluster, set enabledClusterLogTypes to all five or ignore changes to it so that it does not undo the operator's setting.",
    validateResource: (args, report) => {
        const props = args.props;
        const what = describe(args);
        if (args.type === DYNAMIC_RESOURCE && props.kind === CONTROL_PLANE_LOGGING_KIND) {
            const enabled = strings(props.enabledLogTypes);
            const missing = CONTROL_PLANE_LOG_TYPES.filter((t) => !enabled.includes(t));
            if (typeof props.clusterName !== "string" || props.clusterName === "") {
                report(`The control-plane logging resource ${what} must name the cluster (clusterName).`);
            }
            if (missing.length > 0) {
                report(`The control-plane logging resource ${what} must enable all five log types (${CONTROL_PLANE_LOG_TYPES.join(", ")}); it leaves out ${listing(missing)}. Set vigil:controlPlaneLogging to true.`);
            }
            return;
        }
        if (args.type !== EKS_CLUSTER) {
            args.notApplicable(`applies to ${EKS_CLUSTER} and ${CONTROL_PLANE_LOGGING_KIND} dynamic resources`);
        }
        if ((args.opts.ignoreChanges ?? []).includes("enabledClusterLogTypes")) {
            return;
        }
        const enabled = strings(props.enabledClusterLogTypes);
        const missing = CONTROL_PLANE_LOG_TYPES.filter((t) => !enabled.includes(t));
        if (missing.length > 0) {
            report(
                `The EKS cluster ${what} must enable all five control-plane log types (${CONTROL_PLANE_LOG_TYPES.join(", ")}); it leaves out ${listing(missing)}. Set enabledClusterLogTypes to all five, or ignore changes to enabledClusterLogTypes when the operator's stack manages logging, so that this program does not undo it.`,
            );
        }
    },
};

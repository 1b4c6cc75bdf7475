import type { StackValidationPolicy } from "@pulumi/policy";
import { CONTROL_PLANE_LOGGING_KIND, controlPlaneLogGroup, DYNAMIC_RESOURCE, EKS_CLUSTER } from "../lib/eks";
import { isLogGroup, logGroupName } from "../lib/logGroups";
import { strings } from "../lib/policy";
import { describe, stackParty, str } from "../lib/resources";

export const eksLogGroupPrecreated: StackValidationPolicy = {
    name: "vigil-eks-log-group-precreated",
    description:
        "Every cluster whose control-plane logging the stack enables has its log group /aws/eks/<cluster>/cluster created in the same stack, so that it gets retention and encryption instead of the never-expiring, unencrypted group EKS would create.",
    enforcementLevel: "mandatory",
    severity: "medium",
    tags: ["cloudwatch:CloudWatch.16"],
    remediationSteps:
        "Create aws.cloudwatch.LogGroup named /aws/eks/<cluster>/cluster with retentionInDays and kmsKeyId before enabling logging, or, when EKS may have created it already, the dynamic resource of kind vigil:cloudwatch:LogGroup that adopts it (ClusterMonitoring does).",
    validateStack: (args, report) => {
        if (stackParty(args.stackTags) === "customer") {
            // Control-plane logging is the operator's: its stack pre-creates the log groups, and a
            // customer's program that also created them would collide with it.
            args.notApplicable("the operator's stack pre-creates the control-plane log groups");
        }
        // A LogGroup, or the dynamic resource that creates or adopts the group.
        const logGroups = new Set(args.resources.filter((r) => isLogGroup(r.type, r.props)).map((r) => str(logGroupName(r.type, r.props))));
        const logging = args.resources.flatMap((r) => {
            if (r.type === DYNAMIC_RESOURCE && r.props.kind === CONTROL_PLANE_LOGGING_KIND && strings(r.props.enabledLogTypes).length > 0) {
                return [{ resource: r, cluster: str(r.props.clusterName) }];
            }
            if (r.type === EKS_CLUSTER && strings(r.props.enabledClusterLogTypes).length > 0) {
                return [{ resource: r, cluster: str(r.props.name) }];
            }
            return [];
        });
        if (logging.length === 0) {
            args.notApplicable("the stack enables control-plane logging for no cluster");
        }
        for (const { resource, cluster } of logging) {
            if (cluster === undefined || cluster === "") {
                continue;
            }
            const name = controlPlaneLogGroup(cluster);
            if (!logGroups.has(name)) {
                report(
                    `The stack enables control-plane logging for cluster ${JSON.stringify(cluster)} (${describe(resource)}) but creates no log group ${name}; EKS would create it without retention or encryption. Create (or adopt) the log group with retentionInDays and kmsKeyId before enabling logging.`,
                    resource.urn,
                );
            }
        }
    },
};

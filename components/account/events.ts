// The EventBridge rules that bring AWS-side signals to the alert topic (issue item 3), as data.
//
// Scoping decisions:
// - GuardDuty: findings whose resource is an EKS cluster (`detail.resource.resourceType`), not a
//   list of finding types (types are added and retired over time), and only for the monitored
//   clusters when their names are known (`detail.resource.eksClusterDetails.name`).
// - EC2 node events carry only the instance id (no tags, no cluster), so the rules match every
//   instance of the account and region; the triage engine attributes an instance to a cluster by
//   looking up its tags (`eks:cluster-name`, `kubernetes.io/cluster/<name>`) and closes events of
//   instances that belong to no monitored cluster. Filtering on a field the event does not carry
//   would silently match nothing.
// - EKS add-on events have no published detail schema, so they are matched on source and type only.

import type { Activity } from "../tags";

/** An EventBridge event pattern (the subset of the syntax Vigil uses). */
export type EventPattern = { readonly [field: string]: EventPattern | readonly PatternValue[] };
export type PatternValue = string | number | boolean | null | { readonly [operator: string]: unknown };

export interface EventRuleSpec {
    /** Stable id; the rule's resource name is `<component>-<id>`. */
    readonly id: string;
    readonly description: string;
    /** The responsibility-matrix activity the rule serves. */
    readonly activity: Activity;
    readonly pattern: EventPattern;
}

export interface EventRulesArgs {
    /** Names of the monitored clusters; GuardDuty findings are limited to them when given. */
    readonly clusterNames: readonly string[];
    /** Prefix of the pipeline's own CloudWatch alarm names. */
    readonly alarmNamePrefix: string;
}

/** AWS Health service codes of the cluster's own services. */
export const HEALTH_CLUSTER_SERVICES: readonly string[] = ["EKS", "EC2"];
/** AWS Health service codes of the network the clusters depend on. */
export const HEALTH_NETWORK_SERVICES: readonly string[] = ["VPC", "ELASTICLOADBALANCING", "NATGATEWAY", "DIRECTCONNECT", "VPN"];
/** EKS add-on events that mean trouble, and the one that means it is over. */
export const EKS_ADDON_EVENTS: readonly string[] = [
    "EKS Addon Creation Failed",
    "EKS Addon Update Failed",
    "EKS Addon Deletion Failed",
    "EKS Addon Health Degraded",
    "EKS Addon Health Restored",
];
/** Instance states that take a node out of service. */
export const NODE_LOSS_STATES: readonly string[] = ["stopping", "stopped", "shutting-down", "terminated"];

/** The rules, in a stable order. */
export function eventRules(args: EventRulesArgs): EventRuleSpec[] {
    if (args.alarmNamePrefix.trim() === "") {
        throw new Error("alarmNamePrefix must not be empty: the alarm rule would match every alarm of the account");
    }
    const eksResource: Record<string, EventPattern | readonly PatternValue[]> = { resourceType: ["EKSCluster"] };
    if (args.clusterNames.length > 0) {
        eksResource.eksClusterDetails = { name: [...args.clusterNames] };
    }
    return [
        {
            id: "guardduty-eks-findings",
            description: "GuardDuty findings on the monitored EKS clusters (audit-log and runtime monitoring)",
            activity: "guardduty-finding-response",
            pattern: { source: ["aws.guardduty"], "detail-type": ["GuardDuty Finding"], detail: { resource: eksResource } },
        },
        {
            id: "health-eks-ec2",
            description: "AWS Health events for EKS and EC2 (cluster and node infrastructure)",
            activity: "cluster-health-monitoring",
            pattern: { source: ["aws.health"], "detail-type": ["AWS Health Event"], detail: { service: [...HEALTH_CLUSTER_SERVICES] } },
        },
        {
            id: "health-network",
            description: "AWS Health events for the VPC and network services the clusters depend on",
            activity: "network-incident-response",
            pattern: { source: ["aws.health"], "detail-type": ["AWS Health Event"], detail: { service: [...HEALTH_NETWORK_SERVICES] } },
        },
        {
            id: "eks-addon-health",
            description: "EKS add-on health changes and failed add-on operations",
            activity: "cluster-health-monitoring",
            pattern: { source: ["aws.eks"], "detail-type": [...EKS_ADDON_EVENTS] },
        },
        {
            id: "ec2-node-state",
            description: "EC2 instances stopping or terminating (attributed to clusters by the triage engine)",
            activity: "cluster-health-monitoring",
            pattern: { source: ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"], detail: { state: [...NODE_LOSS_STATES] } },
        },
        {
            id: "ec2-spot-interruption",
            description: "EC2 Spot interruption warnings (two minutes before the instance goes)",
            activity: "cluster-health-monitoring",
            pattern: { source: ["aws.ec2"], "detail-type": ["EC2 Spot Instance Interruption Warning"] },
        },
        {
            id: "pipeline-alarms",
            description: "State changes of the alert pipeline's own CloudWatch alarms",
            activity: "triage-incident-response",
            pattern: {
                source: ["aws.cloudwatch"],
                "detail-type": ["CloudWatch Alarm State Change"],
                detail: { alarmName: [{ prefix: args.alarmNamePrefix }] },
            },
        },
    ];
}

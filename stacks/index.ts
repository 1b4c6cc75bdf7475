// The Vigil stack program: one stack per operator account and region.
//
// It reads and validates the stack configuration, composes the components (account-level
// monitoring, one cluster-level monitoring per selected cluster, triage) and exports the outputs
// other projects consume (DESIGN.md, "Stack outputs"). The module exports a function: the Pulumi
// CLI calls it and uses its result as the stack outputs; the offline plan calls it the same way.

import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { AccountMonitoring } from "../components/account";
import { parseConfig } from "./config";

export = async (): Promise<Record<string, unknown>> => {
    // The CLI (or the offline plan) hands the program the stack's values merged with Pulumi.yaml's defaults.
    const config = parseConfig(pulumi.runtime.allConfig());

    // Discovery: every selected cluster must exist in this account and region; the lookup fails
    // the deployment with the cluster's name otherwise.
    const clusters = config.clusters.map((name) => aws.eks.getClusterOutput({ name }));

    // Account-level monitoring: AMP, the alert manager, the topics, EventBridge rules, GuardDuty,
    // Grafana and the pipeline's own alarms.
    const account = new AccountMonitoring("vigil", {
        clusterNames: config.clusters,
        logRetentionDays: config.logRetentionDays,
        guardDuty: config.guardDuty,
        guardDutyRuntimeMonitoring: config.guardDutyRuntimeMonitoring,
        grafana: config.grafana,
        notificationEmails: config.notificationEmails,
        notificationHttpsEndpoints: config.notificationHttpsEndpoints,
        notificationTopicArn: config.notificationTopicArn,
        operatorEmails: config.operatorEmails,
        repeatIntervalSeconds: config.repeatIntervalSeconds,
        maxSeriesPerCluster: config.maxSeriesPerCluster,
    });

    return {
        alertTopicArn: account.alertTopicArn,
        notificationTopicArn: account.notificationTopicArn,
        ampWorkspaceId: account.workspaceId,
        ampRemoteWriteUrl: account.remoteWriteUrl,
        ampQueryUrl: account.queryUrl,
        grafanaUrl: account.grafanaUrl,
        clusters: pulumi.all(clusters.map((c) => pulumi.all([c.name, c.arn, c.version]))).apply((list) =>
            Object.fromEntries(list.map(([name, arn, version]) => [name, { arn, version }])),
        ),
    };
};

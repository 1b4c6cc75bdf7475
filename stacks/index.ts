// The Vigil stack program: one stack per operator account and region.
//
// It reads and validates the stack configuration, composes the components (account-level
// monitoring, triage, one cluster-level monitoring per selected cluster) and exports the outputs
// other projects consume (DESIGN.md, "Stack outputs"). The module exports a function: the Pulumi
// CLI calls it and uses its result as the stack outputs; the offline plan calls it the same way.

import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { AccountMonitoring, TriageQueues } from "../components/account";
import { ClusterMonitoring } from "../components/cluster";
import { TriageService } from "../components/triage";
import { parseConfig } from "./config";

export = async (): Promise<Record<string, unknown>> => {
    // The CLI (or the offline plan) hands the program the stack's values merged with Pulumi.yaml's defaults.
    const config = parseConfig(pulumi.runtime.allConfig());

    // The triage service is built on the account's topics, and the account's pipeline dashboard
    // shows the triage queues: their names reach the dashboard once triage exists.
    const [triageQueues, resolveTriageQueues] = pulumi.deferredOutput<TriageQueues>();

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
        triageQueues,
    });
    if (config.operatorEmails.length === 0) {
        // Without a subscriber, the pipeline alarms and the dead-man's switch reach people only via
        // triage, which sits behind the alert topic they exist to watch.
        pulumi.log.warn(pipelineTopicWarning());
    }

    // Triage: the intake queue on the alert and heartbeat topics, the engine's functions, the case
    // table, reply timers and the sweep, the public reply endpoint and the service's own alarms.
    const triage = new TriageService("vigil-triage", {
        alertTopicArn: account.alertTopicArn,
        heartbeatTopicArn: account.heartbeatTopicArn,
        notificationTopicArn: account.notificationTopicArn,
        notificationTopicKeyArn: config.notificationTopicKeyArn,
        pipelineTopicArn: account.pipelineTopicArn,
        keyArn: account.keyArn,
        logKeyArn: account.logKeyArn,
        alarmNamePrefix: account.alarmNamePrefix,
        logRetentionDays: config.logRetentionDays,
        replyWindowSeconds: config.replyWindowSeconds,
        replyGraceSeconds: config.replyGraceSeconds,
        flapCooldownSeconds: config.flapCooldownSeconds,
        sweepIntervalSeconds: config.sweepIntervalSeconds,
        // Read-only checks and control-plane log queries for incidents and questions (vigil:diagnostics).
        diagnostics: config.diagnostics && config.clusters.length > 0 ? { clusterNames: config.clusters, namespace: config.namespace } : undefined,
    });
    resolveTriageQueues(pulumi.all([triage.intakeQueueArn, triage.deadLetterQueueArn]).apply(([intakeQueueArn, deadLetterQueueArn]) => ({ intakeQueueArn, deadLetterQueueArn })));

    // Cluster-level monitoring, one per selected cluster, keyed by its name. Each looks its cluster
    // up first (discovery): a cluster missing from this account and region fails the deployment
    // with its name.
    const region = aws.getRegionOutput({}).region;
    const clusters = config.clusters.map((name) => ({
        name,
        monitoring: new ClusterMonitoring(name, {
            clusterName: name,
            workspaceArn: account.workspaceArn,
            remoteWriteUrl: account.remoteWriteUrl,
            region,
            namespace: config.namespace,
            collector: config.collector,
            identity: config.collectorIdentity,
            scrapeIntervalSeconds: config.scrapeIntervalSeconds,
            extraKeepMetrics: config.extraKeepMetrics,
            logRetentionDays: config.logRetentionDays,
            logKeyArn: account.logKeyArn,
            controlPlaneLogging: config.controlPlaneLogging,
        }),
    }));

    return {
        alertTopicArn: account.alertTopicArn,
        notificationTopicArn: account.notificationTopicArn,
        // The operators' path for the pipeline alarms, independent of the alert topic, and the key
        // of the topics (an encrypted SQS subscriber's key policy must admit SNS).
        pipelineTopicArn: account.pipelineTopicArn,
        keyArn: account.keyArn,
        ampWorkspaceId: account.workspaceId,
        ampRemoteWriteUrl: account.remoteWriteUrl,
        ampQueryUrl: account.queryUrl,
        grafanaUrl: account.grafanaUrl,
        replyUrl: triage.replyUrl,
        // The role each cluster's owner maps read-only for diagnostics (CustomerAccess diagnosticsRoleArn).
        diagnosticsRoleArn: triage.diagnosticsRoleArn,
        clusters: pulumi
            .all(clusters.map(({ monitoring: m }) => pulumi.all([m.namespace, m.collectorRoleArn, m.logGroupName])))
            .apply((list) =>
                Object.fromEntries(
                    list.map(([namespace, collectorRoleArn, logGroupName], i) => [clusters[i].name, { namespace, collectorRoleArn, logGroupName }]),
                ),
            ),
    };
};

/** The warning `pulumi up` shows when nobody is subscribed to the pipeline topic. */
function pipelineTopicWarning(): string {
    return (
        "vigil:operatorEmails is empty, so the pipeline topic has no subscriber: the pipeline alarms and the Watchdog dead-man's switch " +
        "reach people only through triage, behind the alert topic they watch. Set vigil:operatorEmails, or subscribe an endpoint to the " +
        "pipelineTopicArn stack output from another project."
    );
}

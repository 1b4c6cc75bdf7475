// AccountMonitoring: the operator's per-account, per-region control plane (contract C4).
//
// AMP workspace (rule namespaces from rules/, the alert manager definition), the alert, heartbeat,
// notifications and pipeline topics with their CMK, EventBridge rules for AWS-side signals,
// GuardDuty EKS protection, Managed Grafana (AMP and CloudWatch data sources) with dashboards, and
// the alarms that watch all of it.
// The class only wires resources; what they contain comes from the pure functions next to it.

import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as grafana from "@pulumiverse/grafana";
import { ContentError, loadDashboards, loadRuleFiles } from "../metrics";
import { Activity, vigilTags } from "../tags";
import { AlarmSpec, ALARM_PERIOD_SECONDS, pipelineAlarmPrefix, pipelineAlarms, ruleEvaluationFailuresQuery } from "./alarms";
import { alertmanagerDefinition } from "./alertmanager";
import {
    AccountArgsError,
    AccountMonitoringArgs,
    checkComponentName,
    endpointId,
    ResolvedAccountArgs,
    resolveAccountArgs,
    ruleNamespaceActivity,
    seriesLimits,
} from "./args";
import { eventRules } from "./events";
import {
    ampDataSourceJson,
    cloudWatchDataSourceJson,
    DashboardResources,
    dashboardConfig,
    GRAFANA_VERSION,
    grafanaTokenName,
    nameFromArn,
    TOKEN_LIFETIME_SECONDS,
} from "./grafana";
import {
    AccountIdentity,
    alertKeyPolicy,
    alertTopicPolicy,
    eventsDeadLetterQueuePolicy,
    grafanaCloudWatchPolicy,
    grafanaQueryPolicy,
    grafanaTrustPolicy,
    heartbeatTopicPolicy,
    logKeyPolicy,
    notificationTopicPolicy,
    pipelineTopicPolicy,
} from "./policies";

export * from "./alarms";
export * from "./alertmanager";
export * from "./args";
export * from "./events";
export * from "./grafana";
export * from "./policies";

/** EventBridge keeps retrying a failed delivery for a day (its maximum) before dead-lettering it. */
const EVENT_RETRY = { maximumEventAgeInSeconds: 86400, maximumRetryAttempts: 185 };
/** SQS's maximum retention: dead letters wait two weeks for a replay. */
const DEAD_LETTER_RETENTION_SECONDS = 14 * 86400;
/** AMP rule group namespace names: 1-64 characters, letters, digits, `-`, `.`, `_`. */
const NAMESPACE_NAME = /^[0-9A-Za-z][-.0-9A-Za-z_]{0,63}$/;

export class AccountMonitoring extends pulumi.ComponentResource {
    /** The topic every alert reaches: AMP alert manager, EventBridge rules (C2). */
    public readonly alertTopicArn: pulumi.Output<string>;
    /** The topic of the Watchdog heartbeat (C2). */
    public readonly heartbeatTopicArn: pulumi.Output<string>;
    /** The topic that carries notifications to the customer (created, or the one given). */
    public readonly notificationTopicArn: pulumi.Output<string>;
    /** The topic of the pipeline's own alarms and triage's operator notices, subscribed by the operators. */
    public readonly pipelineTopicArn: pulumi.Output<string>;
    /** CMK of the SNS topics and of the SQS queues that receive from them. */
    public readonly keyArn: pulumi.Output<string>;
    /** CMK for CloudWatch log groups. */
    public readonly logKeyArn: pulumi.Output<string>;
    public readonly workspaceId: pulumi.Output<string>;
    public readonly workspaceArn: pulumi.Output<string>;
    /** `<prometheusEndpoint>api/v1/remote_write`. */
    public readonly remoteWriteUrl: pulumi.Output<string>;
    /** `<prometheusEndpoint>api/v1/query`. */
    public readonly queryUrl: pulumi.Output<string>;
    /** The Managed Grafana URL, undefined when Grafana is off. */
    public readonly grafanaUrl: pulumi.Output<string | undefined>;
    /** Alarm names starting with this reach triage through the `pipeline-alarms` rule. */
    public readonly alarmNamePrefix: string;

    constructor(name: string, args: AccountMonitoringArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        super("vigil:account:AccountMonitoring", name, {}, opts);
        let a: ResolvedAccountArgs;
        try {
            checkComponentName(name);
            a = resolveAccountArgs(args);
        } catch (err) {
            throw err instanceof AccountArgsError ? new pulumi.ResourceError(err.message, this) : err;
        }
        const ruleFiles = this.content(() => loadRuleFiles(a.rulesDir));
        for (const file of ruleFiles) {
            if (!NAMESPACE_NAME.test(`${name}-${file.area}`)) {
                throw new pulumi.ResourceError(`rule file ${file.path}: its name becomes an AMP namespace name (letters, digits, -, ., _), got ${JSON.stringify(file.area)}`, this);
            }
        }
        const dashboards = a.grafana ? this.content(() => loadDashboards(a.dashboardsDir)) : [];
        const parent = { parent: this };
        const tags = (activity: Activity) => vigilTags(activity);

        const caller = aws.getCallerIdentityOutput({}, parent);
        const region = aws.getRegionOutput({}, parent).region;
        const partition = aws.getPartitionOutput({}, parent).partition;
        const identity: pulumi.Output<AccountIdentity> = pulumi
            .all([caller.accountId, region, partition])
            .apply(([accountId, r, p]) => ({ accountId, region: r, partition: p }));

        // ---- keys -------------------------------------------------------------------------------
        const key = new aws.kms.Key(
            `${name}-key`,
            {
                description: "Vigil: encrypts the alert, heartbeat, notification and pipeline topics and the queues fed by them",
                enableKeyRotation: true,
                deletionWindowInDays: 30,
                policy: identity.apply((id) => JSON.stringify(alertKeyPolicy(id))),
                tags: tags("alert-manager"),
            },
            parent,
        );
        new aws.kms.Alias(`${name}-key-alias`, { name: `alias/${name}-alerts`, targetKeyId: key.keyId }, parent);
        const logKey = new aws.kms.Key(
            `${name}-log-key`,
            {
                description: "Vigil: encrypts the CloudWatch log groups of the monitoring pipeline and the clusters' control planes",
                enableKeyRotation: true,
                deletionWindowInDays: 30,
                policy: identity.apply((id) => JSON.stringify(logKeyPolicy(id))),
                tags: tags("log-analysis"),
            },
            parent,
        );
        new aws.kms.Alias(`${name}-log-key-alias`, { name: `alias/${name}-logs`, targetKeyId: logKey.keyId }, parent);

        // ---- AMP workspace ----------------------------------------------------------------------
        const ampLogs = new aws.cloudwatch.LogGroup(
            `${name}-amp-logs`,
            { name: `/aws/vendedlogs/prometheus/${name}`, retentionInDays: a.logRetentionDays, kmsKeyId: logKey.arn, tags: tags("amp-workspace") },
            parent,
        );
        const workspace = new aws.amp.Workspace(
            `${name}-workspace`,
            { alias: name, loggingConfiguration: { logGroupArn: pulumi.interpolate`${ampLogs.arn}:*` }, tags: tags("amp-workspace") },
            parent,
        );
        const limits = seriesLimits(a.clusterNames, a.maxSeriesPerCluster);
        if (limits.length > 0) {
            new aws.amp.WorkspaceConfiguration(`${name}-workspace-config`, { workspaceId: workspace.id, limitsPerLabelSets: limits }, parent);
        }
        for (const file of ruleFiles) {
            new aws.amp.RuleGroupNamespace(
                `${name}-rules-${file.area}`,
                { name: `${name}-${file.area}`, workspaceId: workspace.id, data: file.content, tags: tags(ruleNamespaceActivity(file.area)) },
                parent,
            );
        }

        // ---- topics -----------------------------------------------------------------------------
        const topic = (id: string, activity: Activity, displayName: string) =>
            new aws.sns.Topic(`${name}-${id}`, { displayName, kmsMasterKeyId: key.arn, signatureVersion: 2, tags: tags(activity) }, parent);
        const alertTopic = topic("alerts", "alert-manager", "Vigil alerts");
        const heartbeatTopic = topic("heartbeat", "alert-manager", "Vigil heartbeat");
        const pipelineTopic = topic("pipeline", "alert-manager", "Vigil pipeline alarms");
        const notificationTopic = a.notificationTopicArn === undefined ? topic("notifications", "triage-incident-response", "Vigil notifications") : undefined;

        // ---- EventBridge ------------------------------------------------------------------------
        this.alarmNamePrefix = pipelineAlarmPrefix(name);
        const rules = eventRules({ clusterNames: a.clusterNames, alarmNamePrefix: this.alarmNamePrefix }).map((spec) => ({
            spec,
            rule: new aws.cloudwatch.EventRule(
                `${name}-${spec.id}`,
                { description: `Vigil: ${spec.description}`, eventPattern: JSON.stringify(spec.pattern), tags: tags(spec.activity) },
                parent,
            ),
        }));
        const ruleArns = pulumi.all(rules.map((r) => r.rule.arn));
        const deadLetters = new aws.sqs.Queue(
            `${name}-events-dlq`,
            { kmsMasterKeyId: key.arn, kmsDataKeyReusePeriodSeconds: 300, messageRetentionSeconds: DEAD_LETTER_RETENTION_SECONDS, tags: tags("triage-incident-response") },
            parent,
        );
        const deadLetterPolicy = new aws.sqs.QueuePolicy(
            `${name}-events-dlq-policy`,
            {
                queueUrl: deadLetters.url,
                policy: pulumi.all([identity, deadLetters.arn, ruleArns]).apply(([id, arn, arns]) => JSON.stringify(eventsDeadLetterQueuePolicy(id, arn, arns))),
            },
            parent,
        );

        // ---- topic policies ---------------------------------------------------------------------
        const alertPolicy = new aws.sns.TopicPolicy(
            `${name}-alerts-policy`,
            {
                arn: alertTopic.arn,
                policy: pulumi
                    .all([identity, alertTopic.arn, workspace.arn, ruleArns])
                    .apply(([id, topicArn, workspaceArn, eventRuleArns]) => JSON.stringify(alertTopicPolicy({ identity: id, topicArn, workspaceArn, eventRuleArns }))),
            },
            parent,
        );
        const heartbeatPolicy = new aws.sns.TopicPolicy(
            `${name}-heartbeat-policy`,
            {
                arn: heartbeatTopic.arn,
                policy: pulumi.all([identity, heartbeatTopic.arn, workspace.arn]).apply(([id, t, w]) => JSON.stringify(heartbeatTopicPolicy(id, t, w))),
            },
            parent,
        );
        const pipelinePolicy = new aws.sns.TopicPolicy(
            `${name}-pipeline-policy`,
            { arn: pipelineTopic.arn, policy: pulumi.all([identity, pipelineTopic.arn]).apply(([id, t]) => JSON.stringify(pipelineTopicPolicy(id, t))) },
            parent,
        );
        if (notificationTopic) {
            new aws.sns.TopicPolicy(
                `${name}-notifications-policy`,
                { arn: notificationTopic.arn, policy: notificationTopic.arn.apply((t) => JSON.stringify(notificationTopicPolicy(t))) },
                parent,
            );
        }

        for (const { spec, rule } of rules) {
            new aws.cloudwatch.EventTarget(
                `${name}-${spec.id}-target`,
                { rule: rule.name, targetId: "vigil-alert-topic", arn: alertTopic.arn, deadLetterConfig: { arn: deadLetters.arn }, retryPolicy: EVENT_RETRY },
                // Deliveries fail until the topic and the dead-letter queue admit the rule.
                { parent: this, dependsOn: [alertPolicy, deadLetterPolicy] },
            );
        }

        // ---- alert manager ----------------------------------------------------------------------
        new aws.amp.AlertManagerDefinition(
            `${name}-alert-manager`,
            {
                workspaceId: workspace.id,
                definition: pulumi.all([region, alertTopic.arn, heartbeatTopic.arn]).apply(([r, alertTopicArn, heartbeatTopicArn]) =>
                    alertmanagerDefinition({
                        region: r,
                        alertTopicArn,
                        heartbeatTopicArn,
                        repeatIntervalSeconds: a.repeatIntervalSeconds,
                        heartbeatIntervalSeconds: a.heartbeatIntervalSeconds,
                    }),
                ),
            },
            // AMP logs failed notifications until the topics admit it.
            { parent: this, dependsOn: [alertPolicy, heartbeatPolicy] },
        );

        // ---- subscriptions ----------------------------------------------------------------------
        if (notificationTopic) {
            for (const email of a.notificationEmails) {
                new aws.sns.TopicSubscription(`${name}-notify-email-${email}`, { topic: notificationTopic.arn, protocol: "email", endpoint: email }, parent);
            }
            for (const url of a.notificationHttpsEndpoints) {
                new aws.sns.TopicSubscription(`${name}-notify-https-${endpointId(url)}`, { topic: notificationTopic.arn, protocol: "https", endpoint: url }, parent);
            }
        }
        for (const email of a.operatorEmails) {
            new aws.sns.TopicSubscription(`${name}-pipeline-email-${email}`, { topic: pipelineTopic.arn, protocol: "email", endpoint: email }, parent);
        }

        // ---- GuardDuty --------------------------------------------------------------------------
        let detectorId: pulumi.Output<string> | undefined;
        if (a.guardDuty === "create") {
            detectorId = new aws.guardduty.Detector(
                `${name}-guardduty`,
                // Findings updates reach EventBridge every 15 minutes instead of the default 6 hours.
                { enable: true, findingPublishingFrequency: "FIFTEEN_MINUTES", tags: tags("guardduty-eks-audit-logs") },
                parent,
            ).id;
        } else if (a.guardDuty === "adopt") {
            detectorId = aws.guardduty.getDetectorOutput({}, parent).id;
        }
        if (detectorId) {
            new aws.guardduty.DetectorFeature(`${name}-guardduty-eks-audit-logs`, { detectorId, name: "EKS_AUDIT_LOGS", status: "ENABLED" }, parent);
            if (a.guardDutyRuntimeMonitoring) {
                new aws.guardduty.DetectorFeature(
                    `${name}-guardduty-eks-runtime`,
                    { detectorId, name: "EKS_RUNTIME_MONITORING", status: "ENABLED", additionalConfigurations: [{ name: "EKS_ADDON_MANAGEMENT", status: "ENABLED" }] },
                    parent,
                );
            }
        }

        // ---- pipeline alarms --------------------------------------------------------------------
        const alarms = pipelineAlarms({
            workspaceId: workspace.id,
            ruleEvaluationFailuresQuery: workspace.id.apply(ruleEvaluationFailuresQuery),
            heartbeatTopicName: heartbeatTopic.name,
            deliveryTopics: [
                { id: "alerts", name: alertTopic.name },
                { id: "heartbeat", name: heartbeatTopic.name },
                ...(notificationTopic ? [{ id: "notifications", name: notificationTopic.name }] : []),
            ],
            eventRuleNames: rules.map((r) => r.rule.name),
            deadLetterQueueName: deadLetters.name,
            heartbeatIntervalSeconds: a.heartbeatIntervalSeconds,
        });
        for (const spec of alarms) {
            new aws.cloudwatch.MetricAlarm(
                `${this.alarmNamePrefix}${spec.id}`,
                {
                    name: `${this.alarmNamePrefix}${spec.id}`,
                    alarmDescription: `Vigil: ${spec.description}`,
                    comparisonOperator: spec.comparisonOperator,
                    threshold: spec.threshold,
                    evaluationPeriods: spec.evaluationPeriods,
                    datapointsToAlarm: spec.datapointsToAlarm,
                    treatMissingData: spec.treatMissingData,
                    actionsEnabled: true,
                    alarmActions: [pipelineTopic.arn],
                    okActions: [pipelineTopic.arn],
                    ...alarmMetricArgs(spec),
                    tags: tags("alert-manager"),
                },
                // An alarm that fires before the topic admits CloudWatch notifies nobody.
                { parent: this, dependsOn: [pipelinePolicy] },
            );
        }

        // ---- Managed Grafana --------------------------------------------------------------------
        let grafanaUrl: pulumi.Output<string | undefined> = pulumi.output(undefined);
        if (a.grafana) {
            const role = new aws.iam.Role(
                `${name}-grafana-role`,
                {
                    description: "Vigil: lets Managed Grafana query the AMP workspace and read CloudWatch metrics of this region",
                    assumeRolePolicy: identity.apply((id) => JSON.stringify(grafanaTrustPolicy(id))),
                    tags: tags("grafana"),
                },
                parent,
            );
            const rolePolicies = [
                new aws.iam.RolePolicy(`${name}-grafana-amp-query`, { role: role.id, policy: workspace.arn.apply((arn) => JSON.stringify(grafanaQueryPolicy(arn))) }, parent),
                new aws.iam.RolePolicy(`${name}-grafana-cloudwatch-read`, { role: role.id, policy: region.apply((r) => JSON.stringify(grafanaCloudWatchPolicy(r))) }, parent),
            ];
            const grafanaWorkspace = new aws.grafana.Workspace(
                `${name}-grafana`,
                {
                    name,
                    description: "Vigil: dashboards of the monitored EKS clusters and of the alert pipeline",
                    accountAccessType: "CURRENT_ACCOUNT",
                    authenticationProviders: ["AWS_SSO"],
                    permissionType: "CUSTOMER_MANAGED",
                    roleArn: role.arn,
                    dataSources: ["PROMETHEUS", "CLOUDWATCH"],
                    grafanaVersion: GRAFANA_VERSION,
                    tags: tags("grafana"),
                },
                // Grafana checks its role's permissions when the data source is first used.
                { parent: this, dependsOn: rolePolicies },
            );
            const serviceAccount = new aws.grafana.WorkspaceServiceAccount(
                `${name}-grafana-provisioner`,
                { workspaceId: grafanaWorkspace.id, name: `${name}-provisioner`, grafanaRole: "ADMIN" },
                parent,
            );
            const token = new aws.grafana.WorkspaceServiceAccountToken(
                `${name}-grafana-token`,
                { workspaceId: grafanaWorkspace.id, serviceAccountId: serviceAccount.serviceAccountId, name: grafanaTokenName(name, a.now), secondsToLive: TOKEN_LIFETIME_SECONDS },
                parent,
            );
            const url = pulumi.interpolate`https://${grafanaWorkspace.endpoint}`;
            grafanaUrl = url;
            const provider = new grafana.Provider(`${name}-grafana`, { url, auth: token.key }, parent);
            const dataSources = { prometheus: { uid: `${name}-amp`, name: `${name} AMP` }, cloudwatch: { uid: `${name}-cloudwatch`, name: `${name} CloudWatch` } };
            const ampDataSource = new grafana.oss.DataSource(
                `${name}-amp-datasource`,
                {
                    uid: dataSources.prometheus.uid,
                    name: dataSources.prometheus.name,
                    type: "prometheus",
                    url: workspace.prometheusEndpoint,
                    isDefault: true,
                    jsonDataEncoded: region.apply(ampDataSourceJson),
                },
                { parent: this, provider },
            );
            const cloudWatchDataSource = new grafana.oss.DataSource(
                `${name}-cloudwatch-datasource`,
                { uid: dataSources.cloudwatch.uid, name: dataSources.cloudwatch.name, type: "cloudwatch", jsonDataEncoded: region.apply(cloudWatchDataSourceJson) },
                { parent: this, provider },
            );
            // The names of what the pipeline dashboard's CloudWatch panels watch, filled in at provisioning.
            const notificationTopicName = notificationTopic ? notificationTopic.name : pulumi.output(a.notificationTopicArn as pulumi.Input<string>).apply(nameFromArn);
            const triageQueues = args.triageQueues === undefined ? undefined : pulumi.output(args.triageQueues);
            const resourceNames: Record<string, pulumi.Input<string | string[] | undefined>> = {
                workspace_id: workspace.id,
                heartbeat_topic: heartbeatTopic.name,
                sns_topic: pulumi.all([alertTopic.name, heartbeatTopic.name, notificationTopicName, pipelineTopic.name]),
                event_rule: pulumi.all(rules.map((r) => r.rule.name)),
                events_dlq: deadLetters.name,
                triage_intake_queue: triageQueues ? triageQueues.apply((q) => nameFromArn(q.intakeQueueArn)) : undefined,
                triage_dlq: triageQueues ? triageQueues.apply((q) => nameFromArn(q.deadLetterQueueArn)) : undefined,
            };
            const resources: pulumi.Output<DashboardResources> = pulumi.all(resourceNames);
            const folder = new grafana.oss.Folder(`${name}-dashboards`, { uid: `${name}-dashboards`, title: "Vigil" }, { parent: this, provider });
            for (const dashboard of dashboards) {
                new grafana.oss.Dashboard(
                    `${name}-dashboard-${dashboard.id}`,
                    { folder: folder.uid, overwrite: true, configJson: resources.apply((r) => JSON.stringify(dashboardConfig(dashboard, dataSources, r))) },
                    // The dashboards' data source variables point at the data sources by uid.
                    { parent: this, provider, dependsOn: [ampDataSource, cloudWatchDataSource] },
                );
            }
        }

        this.alertTopicArn = alertTopic.arn;
        this.heartbeatTopicArn = heartbeatTopic.arn;
        this.notificationTopicArn = notificationTopic ? notificationTopic.arn : pulumi.output(a.notificationTopicArn as pulumi.Input<string>);
        this.pipelineTopicArn = pipelineTopic.arn;
        this.keyArn = key.arn;
        this.logKeyArn = logKey.arn;
        this.workspaceId = workspace.id;
        this.workspaceArn = workspace.arn;
        this.remoteWriteUrl = pulumi.interpolate`${workspace.prometheusEndpoint}api/v1/remote_write`;
        this.queryUrl = pulumi.interpolate`${workspace.prometheusEndpoint}api/v1/query`;
        this.grafanaUrl = grafanaUrl;
        this.registerOutputs({
            alertTopicArn: this.alertTopicArn,
            heartbeatTopicArn: this.heartbeatTopicArn,
            notificationTopicArn: this.notificationTopicArn,
            pipelineTopicArn: this.pipelineTopicArn,
            keyArn: this.keyArn,
            logKeyArn: this.logKeyArn,
            workspaceId: this.workspaceId,
            workspaceArn: this.workspaceArn,
            remoteWriteUrl: this.remoteWriteUrl,
            queryUrl: this.queryUrl,
            grafanaUrl: this.grafanaUrl,
        });
    }

    /** Loads shipped content, reporting a broken file as an error of this component. */
    private content<T>(load: () => T): T {
        try {
            return load();
        } catch (err) {
            throw err instanceof ContentError ? new pulumi.ResourceError(err.message, this) : err;
        }
    }
}

/** The metric part of a MetricAlarm's arguments for an alarm spec. */
export function alarmMetricArgs(spec: AlarmSpec): Pick<aws.cloudwatch.MetricAlarmArgs, "namespace" | "metricName" | "dimensions" | "statistic" | "period" | "metricQueries"> {
    if (spec.insightsQuery !== undefined) {
        return { metricQueries: [{ id: "q", expression: spec.insightsQuery, period: ALARM_PERIOD_SECONDS, label: spec.id, returnData: true }] };
    }
    const metrics = spec.metrics ?? [];
    if (metrics.length === 1) {
        const [m] = metrics;
        return { namespace: m.namespace, metricName: m.metricName, dimensions: { ...m.dimensions }, statistic: m.stat, period: ALARM_PERIOD_SECONDS };
    }
    if (metrics.length === 0) {
        throw new Error(`alarm ${spec.id} has neither metrics nor a query`);
    }
    return {
        metricQueries: [
            ...metrics.map((m, i) => ({
                id: `m${i}`,
                returnData: false,
                metric: { namespace: m.namespace, metricName: m.metricName, dimensions: { ...m.dimensions }, stat: m.stat, period: ALARM_PERIOD_SECONDS },
            })),
            { id: "total", expression: `SUM([${metrics.map((_, i) => `m${i}`).join(",")}])`, label: spec.id, returnData: true },
        ],
    };
}

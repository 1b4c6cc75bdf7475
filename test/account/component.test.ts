import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { SNS_TOPIC_POLICY_ACTIONS as TOPIC_ACTIONS } from "../../components/account/policies";
import { ACTIVITIES } from "../../components/tags";
import { MockRecorder, promiseOf, RecordedResource, registered, setupMocks } from "../support/mocks";

type AccountModule = typeof import("../../components/account");

const RULES = path.join(__dirname, "fixtures", "rules");
const ACCOUNT = "111122223333";
const REGION = "eu-west-1";
const DETECTOR = "4ab2c1f0e9d8c7b6a5f4e3d2c1b0a9f8";
const NOW = new Date("2024-05-01T00:00:00Z");
const TRIAGE_INTAKE = `arn:aws:sqs:${REGION}:${ACCOUNT}:vigil-triage-intake-1234567`;
const TRIAGE_DLQ = `arn:aws:sqs:${REGION}:${ACCOUNT}:vigil-triage-dlq-89abcde`;

/** Resource types that take AWS tags (all of them must carry Vigil's). */
const TAGGABLE = new Set([
    "aws:kms/key:Key",
    "aws:cloudwatch/logGroup:LogGroup",
    "aws:amp/workspace:Workspace",
    "aws:amp/ruleGroupNamespace:RuleGroupNamespace",
    "aws:sns/topic:Topic",
    "aws:cloudwatch/eventRule:EventRule",
    "aws:sqs/queue:Queue",
    "aws:guardduty/detector:Detector",
    "aws:cloudwatch/metricAlarm:MetricAlarm",
    "aws:iam/role:Role",
    "aws:grafana/workspace:Workspace",
]);

/** The outputs whose resolution means the component has registered its resources. */
const OUTPUTS = ["alertTopicArn", "heartbeatTopicArn", "notificationTopicArn", "pipelineTopicArn", "workspaceArn", "grafanaUrl", "remoteWriteUrl"];

function policy(value: unknown): any {
    assert.equal(typeof value, "string", "policy documents are JSON strings");
    return JSON.parse(value as string);
}

function statement(doc: any, sid: string): any {
    const found = doc.Statement.filter((s: any) => s.Sid === sid);
    assert.equal(found.length, 1, `one statement ${sid} in ${JSON.stringify(doc)}`);
    return found[0];
}

/** The id a resource's ARN ends with (the mocks record ARNs in the state; ids are separate). */
function idFromArn(r: RecordedResource): string {
    return String(r.state.arn).split("/").pop() as string;
}

function countByType(resources: readonly RecordedResource[]): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of resources) {
        out[r.type] = (out[r.type] ?? 0) + 1;
    }
    return out;
}

describe("AccountMonitoring (Pulumi mocks)", function () {
    this.timeout(60_000);
    let recorder: MockRecorder;
    let account: AccountModule;

    before(async () => {
        recorder = await setupMocks();
        account = await import("../../components/account");
    });

    describe("with the example stack's settings (adopted GuardDuty, Grafana, subscriptions, series limits)", () => {
        let component: InstanceType<AccountModule["AccountMonitoring"]>;
        let resources: RecordedResource[];
        const named = (name: string, type?: string) => recorder.named(name, type);

        before(async () => {
            recorder.reset();
            component = new account.AccountMonitoring("vigil", {
                clusterNames: ["payments-prod", "platform-staging"],
                logRetentionDays: 365,
                guardDuty: "adopt",
                notificationEmails: ["oncall@customer.example.com"],
                notificationHttpsEndpoints: ["https://hooks.customer.example.com/vigil?token=abc"],
                operatorEmails: ["sre@operator.example.com"],
                repeatIntervalSeconds: 4 * 3600,
                maxSeriesPerCluster: 250_000,
                rulesDir: RULES,
                now: NOW,
                triageQueues: { intakeQueueArn: TRIAGE_INTAKE, deadLetterQueueArn: TRIAGE_DLQ },
            });
            await registered(recorder, component, OUTPUTS);
            resources = recorder.resources.filter((r) => r.type !== "vigil:account:AccountMonitoring");
        });

        it("creates exactly the expected resources, named after the component", () => {
            const ids = account.eventRules({ clusterNames: [], alarmNamePrefix: "x" }).map((r) => r.id);
            const alarms = [
                "amp-notifications-failed",
                "amp-rule-evaluation-failures",
                "amp-ingestion-stopped",
                "sns-alerts-delivery-failures",
                "sns-heartbeat-delivery-failures",
                "sns-notifications-delivery-failures",
                "events-failed-invocations",
                "events-dead-letters-lost",
                "events-dlq-not-empty",
                "heartbeat-missing",
            ];
            const dashboards = ["cluster", "control-plane", "coredns", "nodes", "pipeline", "workloads"];
            const expected = [
                "vigil-key",
                "vigil-key-alias",
                "vigil-log-key",
                "vigil-log-key-alias",
                "vigil-amp-logs",
                "vigil-workspace",
                "vigil-workspace-config",
                "vigil-rules-apiserver",
                "vigil-rules-nodes",
                "vigil-rules-pipeline",
                "vigil-alerts",
                "vigil-heartbeat",
                "vigil-pipeline",
                "vigil-notifications",
                "vigil-alerts-policy",
                "vigil-heartbeat-policy",
                "vigil-pipeline-policy",
                "vigil-notifications-policy",
                ...ids.map((id) => `vigil-${id}`),
                ...ids.map((id) => `vigil-${id}-target`),
                "vigil-events-dlq",
                "vigil-events-dlq-policy",
                "vigil-alert-manager",
                "vigil-notify-email-oncall@customer.example.com",
                `vigil-notify-https-${account.endpointId("https://hooks.customer.example.com/vigil?token=abc")}`,
                "vigil-pipeline-email-sre@operator.example.com",
                "vigil-guardduty-eks-audit-logs",
                ...alarms.map((a) => `vigil-pipeline-${a}`),
                "vigil-grafana-role",
                "vigil-grafana-amp-query",
                "vigil-grafana-cloudwatch-read",
                "vigil-grafana",
                "vigil-grafana-provisioner",
                "vigil-grafana-token",
                "vigil-grafana",
                "vigil-amp-datasource",
                "vigil-cloudwatch-datasource",
                "vigil-dashboards",
                ...dashboards.map((d) => `vigil-dashboard-${d}`),
            ];
            assert.deepEqual(resources.map((r) => r.name).sort(), expected.sort());
            assert.deepEqual(countByType(resources), {
                "aws:kms/key:Key": 2,
                "aws:kms/alias:Alias": 2,
                "aws:cloudwatch/logGroup:LogGroup": 1,
                "aws:amp/workspace:Workspace": 1,
                "aws:amp/workspaceConfiguration:WorkspaceConfiguration": 1,
                "aws:amp/ruleGroupNamespace:RuleGroupNamespace": 3,
                "aws:amp/alertManagerDefinition:AlertManagerDefinition": 1,
                "aws:sns/topic:Topic": 4,
                "aws:sns/topicPolicy:TopicPolicy": 4,
                "aws:sns/topicSubscription:TopicSubscription": 3,
                "aws:cloudwatch/eventRule:EventRule": 7,
                "aws:cloudwatch/eventTarget:EventTarget": 7,
                "aws:sqs/queue:Queue": 1,
                "aws:sqs/queuePolicy:QueuePolicy": 1,
                "aws:guardduty/detectorFeature:DetectorFeature": 1,
                "aws:cloudwatch/metricAlarm:MetricAlarm": 10,
                "aws:iam/role:Role": 1,
                "aws:iam/rolePolicy:RolePolicy": 2,
                "aws:grafana/workspace:Workspace": 1,
                "aws:grafana/workspaceServiceAccount:WorkspaceServiceAccount": 1,
                "aws:grafana/workspaceServiceAccountToken:WorkspaceServiceAccountToken": 1,
                "pulumi:providers:grafana": 1,
                "grafana:oss/dataSource:DataSource": 2,
                "grafana:oss/folder:Folder": 1,
                "grafana:oss/dashboard:Dashboard": 6,
            });
        });

        it("tags every taggable AWS resource with its matrix activity, operator-owned, managed by Vigil", () => {
            const taggable = resources.filter((r) => TAGGABLE.has(r.type));
            assert.ok(taggable.length >= 30);
            for (const r of taggable) {
                const tags = r.inputs.tags ?? {};
                assert.ok((ACTIVITIES as readonly string[]).includes(tags["vigil:activity"]), `${r.name}: ${JSON.stringify(tags)}`);
                assert.equal(tags["vigil:responsible"], "operator", r.name);
                assert.equal(tags["managed-by"], "vigil", r.name);
            }
            const activity = (name: string, type?: string) => named(name, type).inputs.tags["vigil:activity"];
            assert.equal(activity("vigil-workspace"), "amp-workspace");
            assert.equal(activity("vigil-alerts"), "alert-manager");
            assert.equal(activity("vigil-notifications"), "triage-incident-response");
            assert.equal(activity("vigil-rules-apiserver"), "control-plane-monitoring");
            assert.equal(activity("vigil-rules-nodes"), "cluster-health-monitoring");
            assert.equal(activity("vigil-rules-pipeline"), "alert-manager");
            assert.equal(activity("vigil-guardduty-eks-findings"), "guardduty-finding-response");
            assert.equal(activity("vigil-health-network"), "network-incident-response");
            assert.equal(activity("vigil-grafana", "aws:grafana/workspace:Workspace"), "grafana");
            assert.equal(activity("vigil-log-key"), "log-analysis");
        });

        it("encrypts every topic and the dead-letter queue with the rotated CMK", () => {
            const key = named("vigil-key");
            assert.equal(key.inputs.enableKeyRotation, true);
            assert.equal(key.inputs.deletionWindowInDays, 30);
            for (const topic of recorder.ofType("aws:sns/topic:Topic")) {
                assert.equal(topic.inputs.kmsMasterKeyId, key.state.arn, topic.name);
            }
            assert.equal(named("vigil-events-dlq").inputs.kmsMasterKeyId, key.state.arn);
            assert.equal(named("vigil-events-dlq").inputs.messageRetentionSeconds, 1_209_600);
            assert.equal(named("vigil-key-alias").inputs.name, "alias/vigil-alerts");
            assert.equal(named("vigil-log-key").inputs.enableKeyRotation, true);
        });

        it("admits only the publishing services to the topic key, each for this account only", () => {
            const doc = policy(named("vigil-key").inputs.policy);
            assert.deepEqual(
                doc.Statement.map((s: any) => s.Sid),
                ["EnableIamPolicies", "AllowAlertPublishers", "AllowSnsDeliveryToEncryptedQueues"],
            );
            assert.deepEqual(statement(doc, "EnableIamPolicies").Principal, { AWS: `arn:aws:iam::${ACCOUNT}:root` });
            const publishers = statement(doc, "AllowAlertPublishers");
            assert.deepEqual(publishers.Principal, { Service: ["aps.amazonaws.com", "events.amazonaws.com", "cloudwatch.amazonaws.com"] });
            assert.deepEqual(publishers.Action, ["kms:GenerateDataKey*", "kms:Decrypt"]);
            assert.deepEqual(publishers.Condition, { StringEquals: { "aws:SourceAccount": ACCOUNT } });
            const sns = statement(doc, "AllowSnsDeliveryToEncryptedQueues");
            assert.deepEqual(sns.Principal, { Service: "sns.amazonaws.com" });
            assert.deepEqual(sns.Condition, { StringEquals: { "aws:SourceAccount": ACCOUNT } });
            for (const s of doc.Statement) {
                assert.notEqual(s.Principal, "*", s.Sid);
                if (s.Principal.Service) {
                    assert.ok(s.Condition, `${s.Sid}: a service grant carries a condition`);
                }
            }
        });

        it("admits only CloudWatch Logs of this region to the log key, for this account's log groups", () => {
            const doc = policy(named("vigil-log-key").inputs.policy);
            const logs = statement(doc, "AllowCloudWatchLogs");
            assert.deepEqual(logs.Principal, { Service: `logs.${REGION}.amazonaws.com` });
            assert.deepEqual(logs.Condition, { ArnLike: { "kms:EncryptionContext:aws:logs:arn": `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:*` } });
            assert.equal(doc.Statement.length, 2);
        });

        it("lets the workspace, Vigil's rules and this account's alarms publish to the alert topic, over TLS only", () => {
            const topicArn = named("vigil-alerts").state.arn;
            const workspaceArn = named("vigil-workspace").state.arn;
            const p = named("vigil-alerts-policy");
            assert.equal(p.inputs.arn, topicArn);
            const doc = policy(p.inputs.policy);
            assert.deepEqual(
                doc.Statement.map((s: any) => s.Sid),
                ["AllowAmpAlertManager", "AllowEventBridgeRules", "AllowCloudWatchAlarms", "DenyInsecureTransport"],
            );
            const amp = statement(doc, "AllowAmpAlertManager");
            assert.deepEqual(amp.Principal, { Service: "aps.amazonaws.com" });
            assert.deepEqual(amp.Action, ["sns:Publish", "sns:GetTopicAttributes"]);
            assert.equal(amp.Resource, topicArn);
            assert.deepEqual(amp.Condition, { ArnEquals: { "aws:SourceArn": workspaceArn }, StringEquals: { "aws:SourceAccount": ACCOUNT } });
            const events = statement(doc, "AllowEventBridgeRules");
            assert.deepEqual(events.Principal, { Service: "events.amazonaws.com" });
            assert.equal(events.Action, "sns:Publish");
            assert.deepEqual(
                [...events.Condition.ArnEquals["aws:SourceArn"]].sort(),
                recorder
                    .ofType("aws:cloudwatch/eventRule:EventRule")
                    .map((r) => r.state.arn)
                    .sort(),
            );
            assert.deepEqual(events.Condition.StringEquals, { "aws:SourceAccount": ACCOUNT });
            const alarms = statement(doc, "AllowCloudWatchAlarms");
            assert.deepEqual(alarms.Condition, {
                ArnLike: { "aws:SourceArn": `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:*` },
                StringEquals: { "aws:SourceAccount": ACCOUNT },
            });
            assert.deepEqual(statement(doc, "DenyInsecureTransport"), {
                Sid: "DenyInsecureTransport",
                Effect: "Deny",
                Principal: "*",
                Action: TOPIC_ACTIONS,
                Resource: topicArn,
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            });
        });

        it("keeps the heartbeat topic to the workspace, the pipeline topic to CloudWatch, the notifications topic to IAM", () => {
            const heartbeat = policy(named("vigil-heartbeat-policy").inputs.policy);
            assert.deepEqual(
                heartbeat.Statement.map((s: any) => s.Sid),
                ["AllowAmpAlertManager", "DenyInsecureTransport"],
            );
            assert.equal(statement(heartbeat, "AllowAmpAlertManager").Condition.ArnEquals["aws:SourceArn"], named("vigil-workspace").state.arn);
            const pipeline = policy(named("vigil-pipeline-policy").inputs.policy);
            assert.deepEqual(
                pipeline.Statement.map((s: any) => s.Sid),
                ["AllowCloudWatchAlarms", "DenyInsecureTransport"],
            );
            const notifications = policy(named("vigil-notifications-policy").inputs.policy);
            assert.deepEqual(
                notifications.Statement.map((s: any) => [s.Sid, s.Effect]),
                [["DenyInsecureTransport", "Deny"]],
            );
            for (const p of recorder.ofType("aws:sns/topicPolicy:TopicPolicy")) {
                // Every topic refuses every request without TLS, whoever makes it (not only publishing).
                const deny = statement(policy(p.inputs.policy), "DenyInsecureTransport");
                assert.deepEqual(
                    [deny.Effect, deny.Principal, deny.Action, deny.Resource, deny.Condition],
                    ["Deny", "*", TOPIC_ACTIONS, p.inputs.arn, { Bool: { "aws:SecureTransport": "false" } }],
                    p.name,
                );
                for (const s of policy(p.inputs.policy).Statement) {
                    if (s.Effect === "Allow") {
                        assert.notEqual(s.Principal, "*", `${p.name}/${s.Sid}`);
                        assert.ok(s.Condition?.StringEquals?.["aws:SourceAccount"] === ACCOUNT, `${p.name}/${s.Sid} is limited to this account`);
                    }
                }
            }
        });

        it("logs the workspace to an encrypted log group with the configured retention", () => {
            const group = named("vigil-amp-logs");
            assert.equal(group.inputs.name, "/aws/vendedlogs/prometheus/vigil");
            assert.equal(group.inputs.retentionInDays, 365);
            assert.equal(group.inputs.kmsKeyId, named("vigil-log-key").state.arn);
            const workspace = named("vigil-workspace");
            assert.equal(workspace.inputs.alias, "vigil");
            assert.deepEqual(workspace.inputs.loggingConfiguration, { logGroupArn: `${group.state.arn}:*` });
        });

        it("limits active series per cluster label set", () => {
            const config = named("vigil-workspace-config");
            assert.equal(config.inputs.workspaceId, idFromArn(named("vigil-workspace")));
            assert.deepEqual(config.inputs.limitsPerLabelSets, [
                { labelSet: { cluster: "payments-prod" }, limits: { maxSeries: 250_000 } },
                { labelSet: { cluster: "platform-staging" }, limits: { maxSeries: 250_000 } },
            ]);
        });

        it("uploads one rule group namespace per rule file with exactly the file's text", () => {
            for (const area of ["apiserver", "nodes", "pipeline"]) {
                const ns = named(`vigil-rules-${area}`);
                assert.equal(ns.inputs.name, `vigil-${area}`);
                assert.equal(ns.inputs.data, fs.readFileSync(path.join(RULES, `${area}.yaml`), "utf8"));
            }
        });

        it("defines the alert manager with the topics' ARNs, the region and the configured repeat interval", () => {
            const definition = named("vigil-alert-manager").inputs.definition;
            assert.equal(
                definition,
                account.alertmanagerDefinition({
                    region: REGION,
                    alertTopicArn: named("vigil-alerts").state.arn,
                    heartbeatTopicArn: named("vigil-heartbeat").state.arn,
                    repeatIntervalSeconds: 4 * 3600,
                }),
            );
            const config = yaml.load(account.splitDefinition(definition).config) as any;
            assert.equal(config.route.repeat_interval, "4h");
        });

        it("sends every EventBridge rule to the alert topic with retries and the encrypted dead-letter queue", () => {
            const topicArn = named("vigil-alerts").state.arn;
            const dlq = named("vigil-events-dlq");
            const specs = account.eventRules({ clusterNames: ["payments-prod", "platform-staging"], alarmNamePrefix: "vigil-pipeline-" });
            for (const spec of specs) {
                const rule = named(`vigil-${spec.id}`);
                assert.deepEqual(JSON.parse(rule.inputs.eventPattern), spec.pattern);
                const target = named(`vigil-${spec.id}-target`);
                assert.equal(target.inputs.rule, rule.state.name);
                assert.equal(target.inputs.arn, topicArn);
                assert.deepEqual(target.inputs.deadLetterConfig, { arn: dlq.state.arn });
                assert.deepEqual(target.inputs.retryPolicy, { maximumEventAgeInSeconds: 86400, maximumRetryAttempts: 185 });
            }
            const queuePolicy = policy(named("vigil-events-dlq-policy").inputs.policy);
            const send = statement(queuePolicy, "AllowEventBridgeDeadLetters");
            assert.deepEqual(send.Principal, { Service: "events.amazonaws.com" });
            assert.equal(send.Action, "sqs:SendMessage");
            assert.equal(send.Resource, dlq.state.arn);
            assert.equal(send.Condition.ArnEquals["aws:SourceArn"].length, 7);
            assert.equal(statement(queuePolicy, "DenyInsecureTransport").Effect, "Deny");
        });

        it("subscribes the customer to the notifications topic and the operators to the pipeline topic", () => {
            const subscriptions = recorder.ofType("aws:sns/topicSubscription:TopicSubscription").map((s) => [s.inputs.topic, s.inputs.protocol, s.inputs.endpoint]);
            assert.deepEqual(subscriptions.sort(), [
                [named("vigil-notifications").state.arn, "email", "oncall@customer.example.com"],
                [named("vigil-notifications").state.arn, "https", "https://hooks.customer.example.com/vigil?token=abc"],
                [named("vigil-pipeline").state.arn, "email", "sre@operator.example.com"],
            ].sort());
        });

        it("adopts the region's GuardDuty detector and enables EKS audit-log monitoring on it", () => {
            assert.equal(recorder.ofType("aws:guardduty/detector:Detector").length, 0);
            assert.ok(recorder.calls.some((c) => c.token === "aws:guardduty/getDetector:getDetector"));
            const feature = named("vigil-guardduty-eks-audit-logs");
            assert.deepEqual(feature.inputs, { detectorId: DETECTOR, name: "EKS_AUDIT_LOGS", status: "ENABLED" });
        });

        it("alarms on the pipeline's failures, notifying the pipeline topic and only it", () => {
            const pipelineArn = named("vigil-pipeline").state.arn;
            const alarms = recorder.ofType("aws:cloudwatch/metricAlarm:MetricAlarm");
            assert.equal(alarms.length, 10);
            for (const alarm of alarms) {
                assert.equal(alarm.inputs.name, alarm.name);
                assert.ok(alarm.name.startsWith(component.alarmNamePrefix), alarm.name);
                assert.equal(alarm.inputs.actionsEnabled, true);
                assert.deepEqual(alarm.inputs.alarmActions, [pipelineArn]);
                assert.deepEqual(alarm.inputs.okActions, [pipelineArn]);
                assert.notEqual(alarm.inputs.alarmActions[0], named("vigil-alerts").state.arn);
            }
            const workspaceId = idFromArn(named("vigil-workspace"));
            assert.match(workspaceId, /^ws-/);
            const heartbeat = named("vigil-pipeline-heartbeat-missing");
            assert.deepEqual(
                [heartbeat.inputs.namespace, heartbeat.inputs.metricName, heartbeat.inputs.dimensions, heartbeat.inputs.statistic, heartbeat.inputs.treatMissingData],
                ["AWS/SNS", "NumberOfMessagesPublished", { TopicName: named("vigil-heartbeat").state.name }, "Sum", "breaching"],
            );
            assert.equal(heartbeat.inputs.comparisonOperator, "LessThanThreshold");
            assert.equal(heartbeat.inputs.threshold, 1);
            assert.equal(heartbeat.inputs.evaluationPeriods * heartbeat.inputs.period, 900, "three heartbeat intervals");
            const ingestion = named("vigil-pipeline-amp-ingestion-stopped");
            assert.equal(ingestion.inputs.namespace, "AWS/Usage");
            assert.deepEqual(ingestion.inputs.dimensions, { Service: "Prometheus", Type: "Resource", Resource: "IngestionRate", ResourceId: workspaceId, Class: "None" });
            assert.equal(ingestion.inputs.treatMissingData, "breaching");
            const notifications = named("vigil-pipeline-amp-notifications-failed");
            assert.deepEqual([notifications.inputs.namespace, notifications.inputs.metricName, notifications.inputs.dimensions], ["AWS/Prometheus", "AlertManagerNotificationsFailed", { Workspace: workspaceId }]);
            const rules = named("vigil-pipeline-amp-rule-evaluation-failures");
            assert.deepEqual(rules.inputs.metricQueries, [
                { id: "q", expression: `SELECT SUM(RuleEvaluationFailures) FROM "AWS/Prometheus" WHERE Workspace = '${workspaceId}'`, period: 300, label: "amp-rule-evaluation-failures", returnData: true },
            ]);
            const failed = named("vigil-pipeline-events-failed-invocations");
            const queries = failed.inputs.metricQueries as any[];
            assert.equal(queries.length, 8);
            assert.deepEqual(
                queries.slice(0, 7).map((q) => q.metric.dimensions.RuleName).sort(),
                recorder
                    .ofType("aws:cloudwatch/eventRule:EventRule")
                    .map((r) => r.state.name)
                    .sort(),
            );
            assert.deepEqual(queries[7], { id: "total", expression: "SUM([m0,m1,m2,m3,m4,m5,m6])", label: "events-failed-invocations", returnData: true });
            assert.deepEqual(named("vigil-pipeline-events-dlq-not-empty").inputs.dimensions, { QueueName: named("vigil-events-dlq").state.name });
        });

        it("runs Managed Grafana with SSO, a query-only role and a service-account token (no API key)", () => {
            const role = named("vigil-grafana-role");
            const trust = policy(role.inputs.assumeRolePolicy);
            assert.deepEqual(trust.Statement, [
                {
                    Sid: "AllowManagedGrafana",
                    Effect: "Allow",
                    Principal: { Service: "grafana.amazonaws.com" },
                    Action: "sts:AssumeRole",
                    Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT }, ArnLike: { "aws:SourceArn": `arn:aws:grafana:${REGION}:${ACCOUNT}:/workspaces/*` } },
                },
            ]);
            const query = policy(named("vigil-grafana-amp-query").inputs.policy);
            assert.deepEqual(query.Statement, [
                { Sid: "QueryVigilWorkspace", Effect: "Allow", Action: ["aps:QueryMetrics", "aps:GetSeries", "aps:GetLabels", "aps:GetMetricMetadata"], Resource: named("vigil-workspace").state.arn },
            ]);
            const workspace = named("vigil-grafana", "aws:grafana/workspace:Workspace");
            assert.deepEqual(workspace.inputs.authenticationProviders, ["AWS_SSO"]);
            assert.equal(workspace.inputs.accountAccessType, "CURRENT_ACCOUNT");
            assert.equal(workspace.inputs.permissionType, "CUSTOMER_MANAGED");
            assert.equal(workspace.inputs.roleArn, role.state.arn);
            assert.deepEqual(workspace.inputs.dataSources, ["PROMETHEUS", "CLOUDWATCH"]);
            const cloudWatch = policy(named("vigil-grafana-cloudwatch-read").inputs.policy);
            assert.equal(named("vigil-grafana-cloudwatch-read").inputs.role, named("vigil-grafana-amp-query").inputs.role);
            assert.deepEqual(cloudWatch.Statement, [
                {
                    Sid: "ReadCloudWatchMetrics",
                    Effect: "Allow",
                    Action: ["cloudwatch:GetMetricData", "cloudwatch:ListMetrics"],
                    Resource: "*",
                    Condition: { StringEquals: { "aws:RequestedRegion": REGION } },
                },
            ]);
            assert.equal(recorder.ofType("aws:grafana/workspaceApiKey:WorkspaceApiKey").length, 0);
            assert.equal(named("vigil-grafana-provisioner").inputs.grafanaRole, "ADMIN");
            const token = named("vigil-grafana-token");
            assert.equal(token.inputs.secondsToLive, 30 * 86400);
            assert.equal(token.inputs.name, account.grafanaTokenName("vigil", NOW));
            assert.equal(token.inputs.serviceAccountId, named("vigil-grafana-provisioner").state.serviceAccountId);
        });

        it("provisions the AMP data source (SigV4) and every dashboard through the Grafana provider", async () => {
            const provider = named("vigil-grafana", "pulumi:providers:grafana");
            assert.equal(provider.inputs.url, `https://${named("vigil-grafana", "aws:grafana/workspace:Workspace").state.endpoint}`);
            const datasource = named("vigil-amp-datasource");
            assert.equal(datasource.inputs.type, "prometheus");
            assert.equal(datasource.inputs.uid, "vigil-amp");
            assert.equal(datasource.inputs.url, named("vigil-workspace").state.prometheusEndpoint);
            assert.deepEqual(JSON.parse(datasource.inputs.jsonDataEncoded), { httpMethod: "POST", sigV4Auth: true, sigV4AuthType: "ec2_iam_role", sigV4Region: REGION });
            const cloudWatch = named("vigil-cloudwatch-datasource");
            assert.deepEqual([cloudWatch.inputs.type, cloudWatch.inputs.uid, cloudWatch.inputs.name], ["cloudwatch", "vigil-cloudwatch", "vigil CloudWatch"]);
            assert.deepEqual(JSON.parse(cloudWatch.inputs.jsonDataEncoded), { authType: "ec2_iam_role", defaultRegion: REGION });
            for (const d of ["cluster", "control-plane", "coredns", "nodes", "pipeline", "workloads"]) {
                const dashboard = named(`vigil-dashboard-${d}`);
                const model = JSON.parse(dashboard.inputs.configJson);
                assert.equal(model.uid, `vigil-${d}`);
                assert.equal(model.templating.list.find((v: any) => v.name === "datasource").current.value, "vigil-amp");
                assert.equal(dashboard.inputs.folder, "vigil-dashboards");
            }
            assert.equal(await promiseOf(component.grafanaUrl), provider.inputs.url);
        });

        it("points the pipeline dashboard's CloudWatch panels at exactly the resources it created and the triage queues", () => {
            const model = JSON.parse(named("vigil-dashboard-pipeline").inputs.configJson);
            const value = (name: string) => model.templating.list.find((v: any) => v.name === name).current.value;
            assert.equal(value("cloudwatch"), "vigil-cloudwatch");
            assert.equal(value("workspace_id"), idFromArn(named("vigil-workspace")));
            assert.equal(value("heartbeat_topic"), named("vigil-heartbeat").state.name);
            assert.deepEqual(value("sns_topic"), ["vigil-alerts", "vigil-heartbeat", "vigil-notifications", "vigil-pipeline"].map((t) => named(t).state.name));
            assert.deepEqual(
                [...value("event_rule")].sort(),
                recorder
                    .ofType("aws:cloudwatch/eventRule:EventRule")
                    .map((r) => r.state.name)
                    .sort(),
            );
            assert.equal(value("events_dlq"), named("vigil-events-dlq").state.name);
            assert.equal(value("triage_intake_queue"), "vigil-triage-intake-1234567");
            assert.equal(value("triage_dlq"), "vigil-triage-dlq-89abcde");
            // The names the alarms watch are the names the panels show.
            assert.deepEqual(named("vigil-pipeline-heartbeat-missing").inputs.dimensions, { TopicName: value("heartbeat_topic") });
            assert.deepEqual(named("vigil-pipeline-events-dlq-not-empty").inputs.dimensions, { QueueName: value("events_dlq") });
        });

        it("exposes the outputs of contract C4", async () => {
            const workspace = named("vigil-workspace");
            const endpoint = workspace.state.prometheusEndpoint as string;
            assert.match(endpoint, /^https:\/\/aps-workspaces\.eu-west-1\.amazonaws\.com\/workspaces\/ws-[0-9a-f-]+\/$/);
            assert.equal(await promiseOf(component.remoteWriteUrl), `${endpoint}api/v1/remote_write`);
            assert.equal(await promiseOf(component.queryUrl), `${endpoint}api/v1/query`);
            assert.equal(await promiseOf(component.workspaceArn), workspace.state.arn);
            assert.equal(await promiseOf(component.alertTopicArn), named("vigil-alerts").state.arn);
            assert.equal(await promiseOf(component.heartbeatTopicArn), named("vigil-heartbeat").state.arn);
            assert.equal(await promiseOf(component.notificationTopicArn), named("vigil-notifications").state.arn);
            assert.equal(await promiseOf(component.pipelineTopicArn), named("vigil-pipeline").state.arn);
            assert.equal(await promiseOf(component.keyArn), named("vigil-key").state.arn);
            assert.equal(await promiseOf(component.logKeyArn), named("vigil-log-key").state.arn);
            assert.equal(component.alarmNamePrefix, "vigil-pipeline-");
        });
    });

    describe("with a new GuardDuty detector, runtime monitoring, an existing notifications topic and no Grafana", () => {
        const existing = `arn:aws:sns:${REGION}:${ACCOUNT}:customer-notices`;
        let component: InstanceType<AccountModule["AccountMonitoring"]>;

        before(async () => {
            recorder.reset();
            component = new account.AccountMonitoring("acme", {
                clusterNames: ["payments-prod"],
                guardDuty: "create",
                guardDutyRuntimeMonitoring: true,
                grafana: false,
                notificationTopicArn: existing,
                logRetentionDays: 731,
                repeatIntervalSeconds: 86400,
                heartbeatIntervalSeconds: 600,
                rulesDir: RULES,
            });
            await registered(recorder, component, OUTPUTS);
        });

        it("creates the detector with frequent finding updates and both EKS features (never RUNTIME_MONITORING)", () => {
            const [detector] = recorder.ofType("aws:guardduty/detector:Detector");
            assert.equal(detector.name, "acme-guardduty");
            assert.equal(detector.inputs.enable, true);
            assert.equal(detector.inputs.findingPublishingFrequency, "FIFTEEN_MINUTES");
            const features = recorder.ofType("aws:guardduty/detectorFeature:DetectorFeature").map((f) => f.inputs);
            assert.deepEqual(features, [
                { detectorId: idFromArn(detector), name: "EKS_AUDIT_LOGS", status: "ENABLED" },
                { detectorId: idFromArn(detector), name: "EKS_RUNTIME_MONITORING", status: "ENABLED", additionalConfigurations: [{ name: "EKS_ADDON_MANAGEMENT", status: "ENABLED" }] },
            ]);
            assert.ok(!features.some((f) => f.name === "RUNTIME_MONITORING"));
            assert.ok(!recorder.calls.some((c) => c.token === "aws:guardduty/getDetector:getDetector"));
        });

        it("uses the given notifications topic instead of creating one", async () => {
            assert.deepEqual(
                recorder
                    .ofType("aws:sns/topic:Topic")
                    .map((t) => t.name)
                    .sort(),
                ["acme-alerts", "acme-heartbeat", "acme-pipeline"],
            );
            assert.equal(await promiseOf(component.notificationTopicArn), existing);
            assert.equal(recorder.ofType("aws:sns/topicSubscription:TopicSubscription").length, 0);
            assert.ok(!recorder.resources.some((r) => r.name === "acme-pipeline-sns-notifications-delivery-failures"));
        });

        it("creates no Grafana resources and reports no Grafana URL", async () => {
            assert.deepEqual(
                recorder.resources.filter((r) => /grafana/.test(r.type)).map((r) => r.name),
                [],
            );
            assert.equal(await promiseOf(component.grafanaUrl), undefined);
        });

        it("applies retention, repeat and heartbeat intervals, and no series limit by default", () => {
            assert.equal(recorder.named("acme-amp-logs").inputs.retentionInDays, 731);
            const config = yaml.load(account.splitDefinition(recorder.named("acme-alert-manager").inputs.definition).config) as any;
            assert.equal(config.route.repeat_interval, "1d");
            assert.equal(config.route.routes[0].repeat_interval, "10m");
            const heartbeat = recorder.named("acme-pipeline-heartbeat-missing");
            assert.equal(heartbeat.inputs.evaluationPeriods, 6, "three 10-minute intervals of 5-minute periods");
            assert.equal(recorder.ofType("aws:amp/workspaceConfiguration:WorkspaceConfiguration").length, 0);
        });
    });

    describe("with GuardDuty off", () => {
        before(async () => {
            recorder.reset();
            const component = new account.AccountMonitoring("solo", { guardDuty: "off", grafana: false, rulesDir: RULES });
            await registered(recorder, component, OUTPUTS);
        });

        it("creates no detector and no feature, and looks nothing up", () => {
            assert.equal(recorder.ofType("aws:guardduty/detector:Detector").length, 0);
            assert.equal(recorder.ofType("aws:guardduty/detectorFeature:DetectorFeature").length, 0);
            assert.ok(!recorder.calls.some((c) => c.token === "aws:guardduty/getDetector:getDetector"));
        });

        it("matches GuardDuty findings of every EKS cluster when no cluster names are given", () => {
            const pattern = JSON.parse(recorder.named("solo-guardduty-eks-findings").inputs.eventPattern);
            assert.deepEqual(pattern.detail.resource, { resourceType: ["EKSCluster"] });
        });
    });

    describe("with Grafana, an existing notifications topic and no triage queues", () => {
        before(async () => {
            recorder.reset();
            const component = new account.AccountMonitoring("byo", {
                guardDuty: "off",
                notificationTopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:customer-notices`,
                rulesDir: RULES,
                now: NOW,
            });
            await registered(recorder, component, OUTPUTS);
        });

        it("shows the existing topic's deliveries and leaves out the triage panels", () => {
            const model = JSON.parse(recorder.named("byo-dashboard-pipeline").inputs.configJson);
            const variables = model.templating.list.map((v: any) => v.name);
            assert.deepEqual(model.templating.list.find((v: any) => v.name === "sns_topic").current.value, [
                recorder.named("byo-alerts").state.name,
                recorder.named("byo-heartbeat").state.name,
                "customer-notices",
                recorder.named("byo-pipeline").state.name,
            ]);
            assert.ok(!variables.includes("triage_intake_queue") && !variables.includes("triage_dlq"));
            const titles = JSON.stringify(model.panels.map((p: any) => p.title));
            assert.ok(!/Triage/.test(titles), titles);
            assert.match(titles, /SNS deliveries failed, by topic/);
        });
    });

    describe("refuses arguments it cannot use, naming them", () => {
        const cases: [string, () => unknown, RegExp][] = [
            ["a repeat interval beyond AMP's five days", () => new account.AccountMonitoring("bad1", { repeatIntervalSeconds: 6 * 86400, rulesDir: RULES }), /repeatIntervalSeconds: got 518400; allowed: a whole number from 60 to 432000/],
            ["runtime monitoring without GuardDuty", () => new account.AccountMonitoring("bad2", { guardDuty: "off", guardDutyRuntimeMonitoring: true, rulesDir: RULES }), /guardDutyRuntimeMonitoring: got true; allowed: false while guardDuty is "off"/],
            ["a retention CloudWatch Logs does not accept", () => new account.AccountMonitoring("bad3", { logRetentionDays: 10, rulesDir: RULES }), /logRetentionDays: got 10; allowed: one of 1, 3, 5/],
            ["a malformed e-mail address", () => new account.AccountMonitoring("bad4", { notificationEmails: ["oncall"], rulesDir: RULES }), /notificationEmails\[0\]: got "oncall"; allowed: e-mail address/],
            ["a duplicate cluster", () => new account.AccountMonitoring("bad5", { clusterNames: ["a", "a"], rulesDir: RULES }), /clusterNames\[1\]: got "a"; allowed: each EKS cluster name only once/],
            ["an existing topic plus subscriptions", () => new account.AccountMonitoring("bad6", { notificationTopicArn: "arn:aws:sns:eu-west-1:111122223333:x", notificationEmails: ["a@b.example"], rulesDir: RULES }), /notificationTopicArn/],
            ["a series limit without clusters", () => new account.AccountMonitoring("bad7", { maxSeriesPerCluster: 10, rulesDir: RULES }), /maxSeriesPerCluster: got 10; allowed: 0 unless clusterNames/],
            ["an unknown GuardDuty mode", () => new account.AccountMonitoring("bad8", { guardDuty: "maybe" as never, rulesDir: RULES }), /guardDuty: got "maybe"; allowed: "create", "adopt" or "off"/],
            ["an HTTP (not HTTPS) endpoint", () => new account.AccountMonitoring("bad9", { notificationHttpsEndpoints: ["http://x.example"], rulesDir: RULES }), /notificationHttpsEndpoints\[0\]/],
            ["a component name unfit for AWS names", () => new account.AccountMonitoring("Vigil_Prod", { rulesDir: RULES }), /name: got "Vigil_Prod"/],
        ];
        for (const [what, build, message] of cases) {
            it(what, () => {
                assert.throws(build, (err: Error) => err.constructor.name === "ResourceError" && message.test(err.message));
            });
        }

        it("a rule file whose name cannot be a namespace, and a broken dashboard, naming the file", () => {
            const rules = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-rules-"));
            fs.copyFileSync(path.join(RULES, "nodes.yaml"), path.join(rules, "my rules.yaml"));
            assert.throws(
                () => new account.AccountMonitoring("bad10", { rulesDir: rules, grafana: false }),
                (err: Error) => err.constructor.name === "ResourceError" && /my rules\.yaml: its name becomes an AMP namespace name/.test(err.message),
            );
            const dashboards = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-dash-"));
            fs.writeFileSync(path.join(dashboards, "broken.json"), "{ not json");
            assert.throws(
                () => new account.AccountMonitoring("bad11", { rulesDir: RULES, dashboardsDir: dashboards }),
                (err: Error) => err.constructor.name === "ResourceError" && /broken\.json: not valid JSON/.test(err.message),
            );
        });
    });
});

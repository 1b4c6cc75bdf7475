// Compliant stacks, shaped by the contracts the components are built against (C1-C8): what an
// operator's Vigil stack and a customer's project contain when every part is built correctly.
// Each policy test mutates one resource of these and expects exactly one finding.

import * as yaml from "js-yaml";
import { vigilLabels, vigilTags } from "../../components/tags";
import { ACCOUNT, FixtureResource, FixtureStack, REGION } from "./harness";

const arn = (service: string, resource: string, region = REGION) => `arn:aws:${service}:${region}:${ACCOUNT}:${resource}`;

export const WORKSPACE_ID = "ws-0123abcd-4567-89ef-0123-456789abcdef";
export const WORKSPACE_ARN = arn("aps", `workspace/${WORKSPACE_ID}`);
export const KEY_ARN = arn("kms", "key/11111111-2222-3333-4444-555555555555");
export const LOG_KEY_ARN = arn("kms", "key/66666666-7777-8888-9999-000000000000");
export const ALERT_TOPIC = arn("sns", "vigil-alerts");
export const HEARTBEAT_TOPIC = arn("sns", "vigil-heartbeat");
export const NOTIFICATION_TOPIC = arn("sns", "vigil-notifications");
export const PIPELINE_TOPIC = arn("sns", "vigil-pipeline");
export const EVENTS_DLQ = arn("sqs", "vigil-events-dlq");
export const INTAKE_QUEUE = arn("sqs", "vigil-triage-intake");
export const INTAKE_DLQ = arn("sqs", "vigil-triage-dlq");
export const NAMESPACE = "vigil-monitoring";
export const REPLY_API_ID = "9a6fb6de1e";
export const REPLY_API_EXECUTION_ARN = arn("execute-api", REPLY_API_ID);

/** A policy document of these statements, as a JSON string. */
export const doc = (...statements: object[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });
const denyInsecure = (resource: string, action = "sns:Publish") => ({
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: action,
    Resource: resource,
    Condition: { Bool: { "aws:SecureTransport": "false" } },
});
const sourceAccount = { StringEquals: { "aws:SourceAccount": ACCOUNT } };

// ---- rules (contract C3) ------------------------------------------------------------------------

interface AlertSpec {
    readonly alert: string;
    readonly level: string;
    readonly severity?: string;
    readonly impact?: string;
    readonly expr?: string;
}

function ruleFile(group: string, alerts: readonly AlertSpec[]): string {
    return yaml.dump({
        groups: [
            {
                name: group,
                rules: alerts.map((a) => ({
                    alert: a.alert,
                    expr: a.expr ?? `up{job="${a.level}"} == 0`,
                    for: "10m",
                    labels: { severity: a.severity ?? "warning", impact: a.impact ?? "uncertain", level: a.level },
                    annotations: {
                        summary: `${a.alert} on {{ $labels.cluster }}.`,
                        description: `${a.alert} has been true for 10 minutes.`,
                        runbook_url: `https://github.com/vigil-eks/vigil/blob/main/docs/runbooks.md#${a.alert.toLowerCase()}`,
                    },
                })),
            },
        ],
    });
}

export const PIPELINE_RULES = ruleFile("vigil-pipeline", [
    { alert: "Watchdog", level: "pipeline", severity: "info", impact: "none", expr: "vector(1)" },
    { alert: "ClusterMetricsAbsent", level: "pipeline", severity: "critical", impact: "uncertain", expr: 'absent_over_time(up{job="kubelet"}[15m])' },
    { alert: "PrometheusRemoteWriteBehind", level: "pipeline", severity: "critical", expr: "max_over_time(prometheus_remote_storage_queue_highest_sent_timestamp_seconds[5m]) < time() - 120" },
    { alert: "PrometheusRemoteStorageFailures", level: "pipeline", severity: "critical", expr: "rate(prometheus_remote_storage_samples_failed_total[5m]) > 0" },
    { alert: "TargetDown", level: "pipeline", severity: "warning", impact: "none", expr: 'avg by (cluster, job) (up) < 0.9' },
]);

export const CLUSTER_RULES = ruleFile("vigil-cluster", [
    { alert: "KubeNodeNotReady", level: "node", severity: "critical", impact: "known", expr: 'kube_node_status_condition{condition="Ready",status="true"} == 0' },
    { alert: "KubePodCrashLooping", level: "pod", expr: "increase(kube_pod_container_status_restarts_total[10m]) >= 1" },
    { alert: "KubeDeploymentReplicasMismatch", level: "workload", expr: "kube_deployment_spec_replicas != kube_deployment_status_replicas_available" },
    { alert: "KubeClusterCPUOvercommit", level: "cluster", expr: "sum(kube_pod_container_resource_requests) > sum(kube_node_status_allocatable)" },
    { alert: "KubeAPIErrorsHigh", level: "apiserver", severity: "critical", impact: "known", expr: 'sum(rate(apiserver_request_total{code=~"5.."}[5m])) > 1' },
    { alert: "CoreDNSDown", level: "coredns", severity: "critical", impact: "known", expr: 'absent(up{job="kube-dns"} == 1)' },
    { alert: "KubeSchedulerPendingPods", level: "control-plane", expr: "sum(scheduler_pending_pods) > 10" },
]);

// ---- the alert manager definition (contracts C1, C2) --------------------------------------------

export const TEMPLATE = [
    '{{ define "vigil.json.string" }}"{{ . | js | reReplaceAll "\\\\\'" "\'" }}"{{ end }}',
    '{{ define "vigil.sns.message" }}{"version":"4","receiver":{{ template "vigil.json.string" .Receiver }},"status":{{ template "vigil.json.string" .Status }}}{{ end }}',
    '{{ define "vigil.sns.subject" }}Vigil {{ .Status | toUpper }}: {{ len .Alerts.Firing }} firing{{ end }}',
].join("\n");

export function alertmanagerConfig(): Record<string, any> {
    const sns = (topic: string) => [
        {
            topic_arn: topic,
            sigv4: { region: REGION },
            subject: '{{ template "vigil.sns.subject" . }}',
            message: '{{ template "vigil.sns.message" . }}',
            send_resolved: true,
        },
    ];
    return {
        route: {
            receiver: "alerts",
            group_by: ["cluster", "alertname", "namespace"],
            group_wait: "30s",
            group_interval: "5m",
            repeat_interval: "4h",
            routes: [{ receiver: "heartbeat", matchers: ['alertname="Watchdog"'], group_wait: "0s", group_interval: "1m", repeat_interval: "5m" }],
        },
        inhibit_rules: [{ source_matchers: ['severity="critical"'], target_matchers: ['severity="warning"'], equal: ["cluster", "alertname", "namespace"] }],
        receivers: [
            { name: "alerts", sns_configs: sns(ALERT_TOPIC) },
            { name: "heartbeat", sns_configs: sns(HEARTBEAT_TOPIC) },
        ],
        templates: ["vigil.tmpl"],
    };
}

/** The AMP definition text: the Alertmanager configuration wrapped with its template files. */
export function definition(config: Record<string, any> = alertmanagerConfig(), templates: Record<string, string> = { "vigil.tmpl": TEMPLATE }): string {
    return yaml.dump({ template_files: templates, alertmanager_config: yaml.dump(config) });
}

// ---- the collector's prometheus.yml (contract C5) -----------------------------------------------

export function prometheusYaml(cluster: string): Record<string, any> {
    return {
        global: { scrape_interval: "30s", external_labels: { cluster } },
        scrape_configs: [
            { job_name: "kubelet", metrics_path: "/metrics/cadvisor", kubernetes_sd_configs: [{ role: "node" }] },
            { job_name: "node-exporter", kubernetes_sd_configs: [{ role: "pod", namespaces: { names: [NAMESPACE] } }] },
        ],
        remote_write: [
            {
                url: `https://aps-workspaces.${REGION}.amazonaws.com/workspaces/${WORKSPACE_ID}/api/v1/remote_write`,
                sigv4: { region: REGION },
                write_relabel_configs: [{ source_labels: ["__name__"], action: "keep", regex: "up|kube_node_status_condition|node_cpu_seconds_total" }],
            },
        ],
    };
}

// ---- the operator's stack -----------------------------------------------------------------------

const lambdaTrust = doc({ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" });

function addAccount(s: FixtureStack): FixtureResource {
    const account = s.add("vigil:account:AccountMonitoring", "vigil", {});
    const t = (activity: Parameters<typeof vigilTags>[0]) => vigilTags(activity);
    s.add(
        "aws:kms/key:Key",
        "vigil-key",
        {
            description: "Vigil: SNS topics and the queues they deliver to",
            enableKeyRotation: true,
            deletionWindowInDays: 30,
            policy: doc(
                { Sid: "EnableIamPolicies", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "kms:*", Resource: "*" },
                {
                    Sid: "AllowAlertPublishers",
                    Effect: "Allow",
                    Principal: { Service: ["aps.amazonaws.com", "events.amazonaws.com", "cloudwatch.amazonaws.com", "sns.amazonaws.com"] },
                    Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
                    Resource: "*",
                    Condition: sourceAccount,
                },
            ),
            tags: t("alert-manager"),
        },
        { arn: KEY_ARN, keyId: KEY_ARN.split("/")[1] },
        account,
    );
    s.add(
        "aws:kms/key:Key",
        "vigil-log-key",
        {
            description: "Vigil: CloudWatch log groups",
            enableKeyRotation: true,
            policy: doc(
                { Sid: "EnableIamPolicies", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "kms:*", Resource: "*" },
                {
                    Sid: "AllowCloudWatchLogs",
                    Effect: "Allow",
                    Principal: { Service: `logs.${REGION}.amazonaws.com` },
                    Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                    Resource: "*",
                    Condition: { ArnLike: { "kms:EncryptionContext:aws:logs:arn": arn("logs", "log-group:*") } },
                },
            ),
            tags: t("log-analysis"),
        },
        { arn: LOG_KEY_ARN },
        account,
    );
    s.add(
        "aws:cloudwatch/logGroup:LogGroup",
        "vigil-amp-logs",
        { name: "/aws/vendedlogs/prometheus/vigil", retentionInDays: 365, kmsKeyId: LOG_KEY_ARN, tags: t("amp-workspace") },
        { arn: arn("logs", "log-group:/aws/vendedlogs/prometheus/vigil") },
        account,
    );
    s.add(
        "aws:amp/workspace:Workspace",
        "vigil-workspace",
        { alias: "vigil", loggingConfiguration: { logGroupArn: `${arn("logs", "log-group:/aws/vendedlogs/prometheus/vigil")}:*` }, tags: t("amp-workspace") },
        { arn: WORKSPACE_ARN, id: WORKSPACE_ID, prometheusEndpoint: `https://aps-workspaces.${REGION}.amazonaws.com/workspaces/${WORKSPACE_ID}/` },
        account,
    );
    s.add("aws:amp/ruleGroupNamespace:RuleGroupNamespace", "vigil-rules-pipeline", { name: "pipeline", workspaceId: WORKSPACE_ID, data: PIPELINE_RULES, tags: t("cluster-health-monitoring") }, {}, account);
    s.add("aws:amp/ruleGroupNamespace:RuleGroupNamespace", "vigil-rules-cluster", { name: "cluster", workspaceId: WORKSPACE_ID, data: CLUSTER_RULES, tags: t("cluster-health-monitoring") }, {}, account);
    s.add("aws:amp/alertManagerDefinition:AlertManagerDefinition", "vigil-alert-manager", { workspaceId: WORKSPACE_ID, definition: definition() }, {}, account);

    const topic = (name: string, activity: Parameters<typeof vigilTags>[0], topicArn: string) =>
        s.add("aws:sns/topic:Topic", name, { name, kmsMasterKeyId: KEY_ARN, tags: t(activity) }, { arn: topicArn }, account);
    topic("vigil-alerts", "alert-manager", ALERT_TOPIC);
    topic("vigil-heartbeat", "alert-manager", HEARTBEAT_TOPIC);
    topic("vigil-notifications", "triage-incident-response", NOTIFICATION_TOPIC);
    topic("vigil-pipeline", "alert-manager", PIPELINE_TOPIC);

    const ampPublishes = (topicArn: string) => ({
        Sid: "AllowAmpAlertManager",
        Effect: "Allow",
        Principal: { Service: "aps.amazonaws.com" },
        Action: ["sns:Publish", "sns:GetTopicAttributes"],
        Resource: topicArn,
        Condition: { ArnEquals: { "aws:SourceArn": WORKSPACE_ARN }, StringEquals: { "aws:SourceAccount": ACCOUNT } },
    });
    const rules = ["vigil-guardduty-eks-findings", "vigil-health-network"];
    s.add(
        "aws:sns/topicPolicy:TopicPolicy",
        "vigil-alerts-policy",
        {
            arn: ALERT_TOPIC,
            policy: doc(
                ampPublishes(ALERT_TOPIC),
                {
                    Sid: "AllowEventBridgeRules",
                    Effect: "Allow",
                    Principal: { Service: "events.amazonaws.com" },
                    Action: "sns:Publish",
                    Resource: ALERT_TOPIC,
                    Condition: { ArnEquals: { "aws:SourceArn": rules.map((r) => arn("events", `rule/${r}`)) }, StringEquals: { "aws:SourceAccount": ACCOUNT } },
                },
                {
                    Sid: "AllowCloudWatchAlarms",
                    Effect: "Allow",
                    Principal: { Service: "cloudwatch.amazonaws.com" },
                    Action: "sns:Publish",
                    Resource: ALERT_TOPIC,
                    Condition: { ArnLike: { "aws:SourceArn": arn("cloudwatch", "alarm:*") }, StringEquals: { "aws:SourceAccount": ACCOUNT } },
                },
                denyInsecure(ALERT_TOPIC),
            ),
        },
        {},
        account,
    );
    s.add("aws:sns/topicPolicy:TopicPolicy", "vigil-heartbeat-policy", { arn: HEARTBEAT_TOPIC, policy: doc(ampPublishes(HEARTBEAT_TOPIC), denyInsecure(HEARTBEAT_TOPIC)) }, {}, account);
    s.add(
        "aws:sns/topicPolicy:TopicPolicy",
        "vigil-pipeline-policy",
        {
            arn: PIPELINE_TOPIC,
            policy: doc(
                { Sid: "AllowCloudWatchAlarms", Effect: "Allow", Principal: { Service: "cloudwatch.amazonaws.com" }, Action: "sns:Publish", Resource: PIPELINE_TOPIC, Condition: sourceAccount },
                denyInsecure(PIPELINE_TOPIC),
            ),
        },
        {},
        account,
    );
    s.add("aws:sns/topicSubscription:TopicSubscription", "vigil-pipeline-email-sre", { topic: PIPELINE_TOPIC, protocol: "email", endpoint: "sre@operator.example.com" }, { arn: `${PIPELINE_TOPIC}:1` }, account);
    s.add("aws:sns/topicSubscription:TopicSubscription", "vigil-notify-email-oncall", { topic: NOTIFICATION_TOPIC, protocol: "email", endpoint: "oncall@customer.example.com" }, { arn: `${NOTIFICATION_TOPIC}:1` }, account);

    s.add("aws:sqs/queue:Queue", "vigil-events-dlq", { name: "vigil-events-dlq", kmsMasterKeyId: KEY_ARN, messageRetentionSeconds: 1209600, tags: t("triage-incident-response") }, { arn: EVENTS_DLQ }, account);
    s.add(
        "aws:sqs/queuePolicy:QueuePolicy",
        "vigil-events-dlq-policy",
        {
            queueUrl: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/vigil-events-dlq`,
            policy: doc({
                Sid: "AllowEventBridgeDeadLetters",
                Effect: "Allow",
                Principal: { Service: "events.amazonaws.com" },
                Action: "sqs:SendMessage",
                Resource: EVENTS_DLQ,
                Condition: { ArnEquals: { "aws:SourceArn": rules.map((r) => arn("events", `rule/${r}`)) } },
            }),
        },
        {},
        account,
    );
    const patterns: Record<string, object> = {
        "vigil-guardduty-eks-findings": { source: ["aws.guardduty"], "detail-type": ["GuardDuty Finding"], detail: { resource: { resourceType: ["EKSCluster"] } } },
        "vigil-health-network": { source: ["aws.health"], "detail-type": ["AWS Health Event"], detail: { service: ["EKS", "EC2", "VPC"] } },
    };
    for (const rule of rules) {
        const activity = rule.includes("guardduty") ? "guardduty-finding-response" : "network-incident-response";
        s.add("aws:cloudwatch/eventRule:EventRule", rule, { name: rule, eventPattern: JSON.stringify(patterns[rule]), tags: t(activity) }, { arn: arn("events", `rule/${rule}`) }, account);
        s.add(
            "aws:cloudwatch/eventTarget:EventTarget",
            `${rule}-target`,
            { rule, arn: ALERT_TOPIC, deadLetterConfig: { arn: EVENTS_DLQ }, retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86400 } },
            {},
            account,
        );
    }
    s.add("aws:guardduty/detectorFeature:DetectorFeature", "vigil-eks-audit-logs", { detectorId: "4ab2c1f0e9d8c7b6a5f4e3d2c1b0a9f8", name: "EKS_AUDIT_LOGS", status: "ENABLED" }, {}, account);

    s.add(
        "aws:iam/role:Role",
        "vigil-grafana-role",
        { assumeRolePolicy: doc({ Effect: "Allow", Principal: { Service: "grafana.amazonaws.com" }, Action: "sts:AssumeRole", Condition: sourceAccount }), tags: t("grafana") },
        { arn: `arn:aws:iam::${ACCOUNT}:role/vigil-grafana-role`, name: "vigil-grafana-role" },
        account,
    );
    s.add(
        "aws:iam/rolePolicy:RolePolicy",
        "vigil-grafana-amp-query",
        { role: "vigil-grafana-role", policy: doc({ Effect: "Allow", Action: ["aps:QueryMetrics", "aps:GetLabels", "aps:GetSeries", "aps:GetMetricMetadata"], Resource: WORKSPACE_ARN }) },
        {},
        account,
    );
    s.add(
        "aws:grafana/workspace:Workspace",
        "vigil-grafana",
        {
            accountAccessType: "CURRENT_ACCOUNT",
            authenticationProviders: ["AWS_SSO"],
            permissionType: "CUSTOMER_MANAGED",
            roleArn: `arn:aws:iam::${ACCOUNT}:role/vigil-grafana-role`,
            dataSources: ["PROMETHEUS"],
            tags: t("grafana"),
        },
        {},
        account,
    );

    const alarm = (name: string, inputs: Record<string, any>, activity: Parameters<typeof vigilTags>[0] = "cluster-health-monitoring") =>
        s.add(
            "aws:cloudwatch/metricAlarm:MetricAlarm",
            name,
            { comparisonOperator: "GreaterThanThreshold", threshold: 0, evaluationPeriods: 1, period: 300, statistic: "Sum", treatMissingData: "notBreaching", alarmActions: [PIPELINE_TOPIC], ...inputs, tags: t(activity) },
            {},
            account,
        );
    alarm("vigil-pipeline-heartbeat-missing", {
        namespace: "AWS/SNS",
        metricName: "NumberOfMessagesPublished",
        dimensions: { TopicName: "vigil-heartbeat" },
        comparisonOperator: "LessThanThreshold",
        threshold: 1,
        evaluationPeriods: 3,
        treatMissingData: "breaching",
    }, "alert-manager");
    alarm("vigil-pipeline-amp-notifications-failed", { namespace: "AWS/Prometheus", metricName: "AlertManagerNotificationsFailed", dimensions: { Workspace: WORKSPACE_ID } });
    alarm("vigil-pipeline-amp-rule-evaluation-failures", {
        statistic: undefined,
        period: undefined,
        metricQueries: [{ id: "q", expression: `SELECT SUM(RuleEvaluationFailures) FROM "AWS/Prometheus" WHERE Workspace = '${WORKSPACE_ID}'`, period: 300, returnData: true }],
    });
    alarm("vigil-pipeline-amp-ingestion-stopped", {
        namespace: "AWS/Usage",
        metricName: "ResourceCount",
        dimensions: { Service: "Prometheus", Type: "Resource", Resource: "IngestionRate", Class: "None", ResourceId: WORKSPACE_ID },
        comparisonOperator: "LessThanThreshold",
        threshold: 1,
        evaluationPeriods: 3,
        treatMissingData: "breaching",
    });
    alarm("vigil-pipeline-sns-delivery-failures", { namespace: "AWS/SNS", metricName: "NumberOfNotificationsFailed", dimensions: { TopicName: "vigil-alerts" } });
    alarm("vigil-pipeline-events-failed-invocations", {
        statistic: undefined,
        period: undefined,
        metricQueries: [
            ...rules.map((r, i) => ({ id: `m${i}`, metric: { namespace: "AWS/Events", metricName: "FailedInvocations", dimensions: { RuleName: r }, period: 300, stat: "Sum" }, returnData: false })),
            { id: "total", expression: "m0 + m1", returnData: true },
        ],
    });
    alarm("vigil-pipeline-events-dlq-not-empty", { namespace: "AWS/SQS", metricName: "ApproximateNumberOfMessagesVisible", dimensions: { QueueName: "vigil-events-dlq" } });
    return account;
}

function addCluster(s: FixtureStack, cluster: string): FixtureResource {
    const c = s.add("vigil:cluster:ClusterMonitoring", cluster, {});
    const labels = (activity: Parameters<typeof vigilLabels>[0], component: string) => vigilLabels(activity, component);
    s.add("pulumi:providers:kubernetes", `${cluster}-k8s`, { kubeconfig: "{}" }, {}, c);
    s.add("kubernetes:core/v1:Namespace", `${cluster}-namespace`, { metadata: { name: NAMESPACE, labels: { ...labels("on-cluster-components", "namespace"), "pod-security.kubernetes.io/enforce": "privileged" } } }, {}, c);
    s.add(
        "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
        `${cluster}-prometheus`,
        {
            metadata: { name: "vigil-prometheus", labels: labels("on-cluster-components", "prometheus") },
            rules: [
                { apiGroups: [""], resources: ["nodes", "nodes/proxy", "services", "endpoints", "pods"], verbs: ["get", "list", "watch"] },
                { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["get", "list", "watch"] },
                { nonResourceURLs: ["/metrics"], verbs: ["get"] },
            ],
        },
        {},
        c,
    );
    s.add(
        "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
        `${cluster}-prometheus`,
        {
            metadata: { name: "vigil-prometheus", labels: labels("on-cluster-components", "prometheus") },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "vigil-prometheus" },
            subjects: [{ kind: "ServiceAccount", name: "vigil-prometheus", namespace: NAMESPACE }],
        },
        {},
        c,
    );
    const issuer = `oidc.eks.${REGION}.amazonaws.com/id/9F3B2A7C41D8E6F0A1B2C3D4E5F60718`;
    s.add(
        "aws:iam/role:Role",
        `${cluster}-collector`,
        {
            assumeRolePolicy: doc({
                Effect: "Allow",
                Principal: { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/${issuer}` },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: { StringEquals: { [`${issuer}:sub`]: `system:serviceaccount:${NAMESPACE}:vigil-prometheus`, [`${issuer}:aud`]: "sts.amazonaws.com" } },
            }),
            tags: vigilTags("on-cluster-components"),
        },
        { arn: `arn:aws:iam::${ACCOUNT}:role/${cluster}-collector`, name: `${cluster}-collector` },
        c,
    );
    s.add("aws:iam/rolePolicy:RolePolicy", `${cluster}-remote-write`, { role: `${cluster}-collector`, policy: doc({ Effect: "Allow", Action: "aps:RemoteWrite", Resource: WORKSPACE_ARN }) }, {}, c);
    s.add(
        "kubernetes:core/v1:ConfigMap",
        `${cluster}-prometheus-config`,
        { metadata: { name: "vigil-prometheus-config", namespace: NAMESPACE, labels: labels("on-cluster-components", "prometheus") }, data: { "prometheus.yml": yaml.dump(prometheusYaml(cluster)) } },
        {},
        c,
    );
    for (const release of ["prometheus", "node-exporter", "kube-state-metrics"]) {
        s.add("kubernetes:helm.sh/v3:Release", `${cluster}-${release}`, { name: `vigil-${release}`, namespace: NAMESPACE, chart: release, version: "1.0.0" }, {}, c);
    }
    // ClusterMonitoring creates the control-plane log group, or adopts it when EKS created it.
    s.add(
        "pulumi-nodejs:dynamic:Resource",
        `${cluster}-control-plane-logs`,
        { kind: "vigil:cloudwatch:LogGroup", logGroupName: `/aws/eks/${cluster}/cluster`, region: REGION, retentionInDays: 365, kmsKeyId: LOG_KEY_ARN, tags: vigilTags("control-plane-logging") },
        { arn: arn("logs", `log-group:/aws/eks/${cluster}/cluster`), created: false },
        c,
    );
    s.add(
        "pulumi-nodejs:dynamic:Resource",
        `${cluster}-control-plane-logging`,
        { kind: "vigil:eks:ControlPlaneLogging", clusterName: cluster, region: REGION, enabledLogTypes: ["api", "audit", "authenticator", "controllerManager", "scheduler"] },
        {},
        c,
    );
    return c;
}

function addTriage(s: FixtureStack): FixtureResource {
    const triage = s.add("vigil:triage:TriageService", "vigil-triage", {});
    const t = vigilTags("triage-incident-response");
    const fnArn = (name: string) => arn("lambda", `function:${name}`);
    s.add("aws:sqs/queue:Queue", "vigil-triage-dlq", { name: "vigil-triage-dlq", kmsMasterKeyId: KEY_ARN, messageRetentionSeconds: 1209600, tags: t }, { arn: INTAKE_DLQ }, triage);
    s.add(
        "aws:sqs/queue:Queue",
        "vigil-triage-intake",
        { name: "vigil-triage-intake", kmsMasterKeyId: KEY_ARN, visibilityTimeoutSeconds: 180, redrivePolicy: JSON.stringify({ deadLetterTargetArn: INTAKE_DLQ, maxReceiveCount: 5 }), tags: t },
        { arn: INTAKE_QUEUE },
        triage,
    );
    s.add(
        "aws:sqs/queuePolicy:QueuePolicy",
        "vigil-triage-intake-policy",
        {
            queueUrl: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/vigil-triage-intake`,
            policy: doc(
                {
                    Sid: "AllowAlertTopics",
                    Effect: "Allow",
                    Principal: { Service: "sns.amazonaws.com" },
                    Action: "sqs:SendMessage",
                    Resource: INTAKE_QUEUE,
                    Condition: { ArnEquals: { "aws:SourceArn": [ALERT_TOPIC, HEARTBEAT_TOPIC] } },
                },
                denyInsecure(INTAKE_QUEUE, "sqs:*"),
            ),
        },
        {},
        triage,
    );
    for (const [name, topic] of [["vigil-triage-alerts", ALERT_TOPIC], ["vigil-triage-heartbeat", HEARTBEAT_TOPIC]]) {
        s.add(
            "aws:sns/topicSubscription:TopicSubscription",
            name,
            { topic, protocol: "sqs", endpoint: INTAKE_QUEUE, rawMessageDelivery: false, redrivePolicy: JSON.stringify({ deadLetterTargetArn: INTAKE_DLQ }) },
            { arn: `${topic}:${name}` },
            triage,
        );
    }
    s.add(
        "aws:dynamodb/table:Table",
        "vigil-triage-cases",
        {
            name: "vigil-triage-cases",
            billingMode: "PAY_PER_REQUEST",
            hashKey: "pk",
            rangeKey: "sk",
            attributes: [{ name: "pk", type: "S" }, { name: "sk", type: "S" }],
            pointInTimeRecovery: { enabled: true },
            serverSideEncryption: { enabled: true, kmsKeyArn: KEY_ARN },
            ttl: { attributeName: "expiresAt", enabled: true },
            tags: t,
        },
        { arn: arn("dynamodb", "table/vigil-triage-cases") },
        triage,
    );
    for (const role of ["handler", "reply", "timer"]) {
        const roleName = `vigil-triage-${role}-role`;
        s.add("aws:iam/role:Role", roleName, { assumeRolePolicy: lambdaTrust, tags: t }, { arn: `arn:aws:iam::${ACCOUNT}:role/${roleName}`, name: roleName }, triage);
        s.add(
            "aws:iam/rolePolicy:RolePolicy",
            `vigil-triage-${role}-policy`,
            {
                role: roleName,
                policy: doc(
                    { Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"], Resource: [arn("dynamodb", "table/vigil-triage-cases"), arn("dynamodb", "table/vigil-triage-cases/index/*")] },
                    { Effect: "Allow", Action: "sns:Publish", Resource: NOTIFICATION_TOPIC },
                    { Effect: "Allow", Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], Resource: "*" },
                ),
            },
            {},
            triage,
        );
        const fn = `vigil-triage-${role}`;
        s.add(
            "aws:cloudwatch/logGroup:LogGroup",
            `${fn}-logs`,
            { name: `/aws/lambda/${fn}`, retentionInDays: 365, kmsKeyId: LOG_KEY_ARN, tags: t },
            { arn: arn("logs", `log-group:/aws/lambda/${fn}`) },
            triage,
        );
        s.add(
            "aws:lambda/function:Function",
            fn,
            {
                name: fn,
                role: `arn:aws:iam::${ACCOUNT}:role/${roleName}`,
                runtime: "nodejs20.x",
                architectures: ["arm64"],
                handler: `index.${role === "handler" ? "handler" : `${role}Handler`}`,
                memorySize: 512,
                timeout: 30,
                reservedConcurrentExecutions: role === "handler" ? 10 : 5,
                tracingConfig: { mode: "Active" },
                environment: { variables: { NODE_OPTIONS: "--enable-source-maps" } },
                loggingConfig: { logFormat: "JSON", logGroup: `/aws/lambda/${fn}` },
                deadLetterConfig: role === "timer" ? { targetArn: INTAKE_DLQ } : undefined,
                tags: role === "reply" ? { ...t, "vigil:public-endpoint": "reply-links" } : t,
            },
            { arn: fnArn(fn) },
            triage,
        );
    }
    s.add(
        "aws:lambda/eventSourceMapping:EventSourceMapping",
        "vigil-triage-intake-mapping",
        { eventSourceArn: INTAKE_QUEUE, functionName: fnArn("vigil-triage-handler"), batchSize: 10, functionResponseTypes: ["ReportBatchItemFailures"], tags: t },
        {},
        triage,
    );
    // The reply endpoint (contract C7): an HTTP API whose three reply routes reach the reply function.
    const publicTags = { ...t, "vigil:public-endpoint": "reply-links" };
    s.add(
        "aws:apigatewayv2/api:Api",
        "vigil-triage-reply-api",
        { protocolType: "HTTP", description: "Vigil: reply links of customer notifications (GET shows, POST answers)", tags: publicTags },
        { arn: arn("apigateway", `/apis/${REPLY_API_ID}`), apiEndpoint: `https://${REPLY_API_ID}.execute-api.${REGION}.amazonaws.com`, executionArn: REPLY_API_EXECUTION_ARN },
        triage,
    );
    s.add(
        "aws:apigatewayv2/integration:Integration",
        "vigil-triage-reply-integration",
        { apiId: REPLY_API_ID, integrationType: "AWS_PROXY", integrationUri: fnArn("vigil-triage-reply"), integrationMethod: "POST", payloadFormatVersion: "2.0", timeoutMilliseconds: 15000 },
        {},
        triage,
    );
    for (const routeKey of ["GET /r/{token}", "HEAD /r/{token}", "POST /r/{token}"]) {
        s.add("aws:apigatewayv2/route:Route", `vigil-triage-reply-${routeKey.split(" ")[0].toLowerCase()}`, { apiId: REPLY_API_ID, routeKey, target: "integrations/a1b2c3d" }, {}, triage);
    }
    s.add(
        "aws:apigatewayv2/stage:Stage",
        "vigil-triage-reply-stage",
        { apiId: REPLY_API_ID, name: "$default", autoDeploy: true, defaultRouteSettings: { throttlingRateLimit: 5, throttlingBurstLimit: 10 }, tags: publicTags },
        {},
        triage,
    );
    s.add(
        "aws:lambda/permission:Permission",
        "vigil-triage-reply-invoke",
        { function: "vigil-triage-reply", action: "lambda:InvokeFunction", principal: "apigateway.amazonaws.com", sourceArn: `${REPLY_API_EXECUTION_ARN}/*/*/r/*` },
        {},
        triage,
    );
    s.add("aws:cloudwatch/eventRule:EventRule", "vigil-triage-sweep", { name: "vigil-triage-sweep", scheduleExpression: "rate(15 minutes)", tags: t }, { arn: arn("events", "rule/vigil-triage-sweep") }, triage);
    s.add(
        "aws:cloudwatch/eventTarget:EventTarget",
        "vigil-triage-sweep-target",
        { rule: "vigil-triage-sweep", arn: fnArn("vigil-triage-timer"), deadLetterConfig: { arn: INTAKE_DLQ }, retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 } },
        {},
        triage,
    );
    s.add(
        "aws:lambda/permission:Permission",
        "vigil-triage-sweep-invoke",
        { function: "vigil-triage-timer", action: "lambda:InvokeFunction", principal: "events.amazonaws.com", sourceArn: arn("events", "rule/vigil-triage-sweep") },
        {},
        triage,
    );
    const alarm = (name: string, inputs: Record<string, any>) =>
        s.add(
            "aws:cloudwatch/metricAlarm:MetricAlarm",
            name,
            { comparisonOperator: "GreaterThanThreshold", threshold: 0, evaluationPeriods: 1, period: 300, statistic: "Sum", treatMissingData: "notBreaching", alarmActions: [PIPELINE_TOPIC], ...inputs, tags: t },
            {},
            triage,
        );
    alarm("vigil-triage-handler-errors", { namespace: "AWS/Lambda", metricName: "Errors", dimensions: { FunctionName: "vigil-triage-handler" } });
    alarm("vigil-triage-handler-throttles", { namespace: "AWS/Lambda", metricName: "Throttles", dimensions: { FunctionName: "vigil-triage-handler" } });
    alarm("vigil-triage-dlq-not-empty", { namespace: "AWS/SQS", metricName: "ApproximateNumberOfMessagesVisible", dimensions: { QueueName: "vigil-triage-dlq" } });
    return triage;
}

/** The operator's stack for the example account: the account, two monitored clusters, triage. */
export function operatorStack(clusters: readonly string[] = ["payments-prod", "platform-staging"]): FixtureStack {
    const s = new FixtureStack("vigil", "test");
    addAccount(s);
    for (const cluster of clusters) {
        addCluster(s, cluster);
    }
    addTriage(s);
    return s;
}

export const OPERATOR_ROLE = "arn:aws:iam::444455556666:role/vigil-operator";

/** A customer's own project: its cluster and node role, and CustomerAccess for the operator. */
export function customerStack(): FixtureStack {
    const s = new FixtureStack("shop", "prod");
    // The customer's own resources: not Vigil's, so only the cluster baseline applies to them.
    s.add(
        "aws:eks/cluster:Cluster",
        "shop",
        {
            name: "shop",
            roleArn: `arn:aws:iam::${ACCOUNT}:role/shop-cluster`,
            version: "1.31",
            vpcConfig: { subnetIds: ["subnet-1", "subnet-2"], endpointPrivateAccess: true, endpointPublicAccess: false },
            accessConfig: { authenticationMode: "API" },
            encryptionConfig: { resources: ["secrets"], provider: { keyArn: arn("kms", "key/customer") } },
            enabledClusterLogTypes: ["api", "audit", "authenticator", "controllerManager", "scheduler"],
            tags: { team: "shop" },
        },
        { arn: arn("eks", "cluster/shop") },
    );
    s.add("aws:iam/role:Role", "shop-nodes", { assumeRolePolicy: doc({ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }) }, { name: "shop-nodes" });
    s.add("aws:lambda/function:Function", "shop-api", { runtime: "python3.9", role: `arn:aws:iam::${ACCOUNT}:role/shop-api` }, { arn: arn("lambda", "function:shop-api") });

    const access = s.add("vigil:customer:CustomerAccess", "vigil-access", {});
    const tags = vigilTags("cluster-access-rbac", "customer");
    s.add("aws:eks/accessEntry:AccessEntry", "vigil-access-operator", { clusterName: "shop", principalArn: OPERATOR_ROLE, type: "STANDARD", kubernetesGroups: ["vigil-operators"], tags }, {}, access);
    const policyArn = (p: string) => `arn:aws:eks::aws:cluster-access-policy/${p}`;
    s.add(
        "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
        "vigil-access-operator-view",
        { clusterName: "shop", principalArn: OPERATOR_ROLE, policyArn: policyArn("AmazonEKSViewPolicy"), accessScope: { type: "cluster" } },
        {},
        access,
    );
    s.add(
        "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
        "vigil-access-operator-namespace-admin",
        { clusterName: "shop", principalArn: OPERATOR_ROLE, policyArn: policyArn("AmazonEKSAdminPolicy"), accessScope: { type: "namespace", namespaces: [NAMESPACE] } },
        {},
        access,
    );
    const labels = vigilLabels("cluster-access-rbac", "operator-access", "customer");
    s.add(
        "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
        "vigil-access-operator",
        {
            metadata: { name: "vigil-operator", labels },
            rules: [
                { apiGroups: [""], resources: ["namespaces"], verbs: ["create"] },
                { apiGroups: [""], resources: ["namespaces"], resourceNames: [NAMESPACE], verbs: ["get", "update", "patch", "delete"] },
                { apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles", "clusterrolebindings"], verbs: ["create", "get", "list", "watch"] },
                { apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles", "clusterrolebindings"], resourceNames: ["vigil-prometheus", "vigil-kube-state-metrics"], verbs: ["update", "patch", "delete"] },
                { apiGroups: [""], resources: ["nodes", "nodes/proxy", "services", "endpoints", "pods"], verbs: ["get", "list", "watch"] },
            ],
        },
        {},
        access,
    );
    s.add(
        "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
        "vigil-access-operator",
        {
            metadata: { name: "vigil-operator", labels },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "vigil-operator" },
            subjects: [{ kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: "vigil-operators" }],
        },
        {},
        access,
    );
    s.add("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "vigil-access-ssm-general", { role: "shop-nodes", policyArn: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" }, {}, access);
    return s;
}

import * as assert from "node:assert/strict";
import {
    alarmMetricArgs,
    alertKeyPolicy,
    alertTopicPolicy,
    ampDataSourceJson,
    cloudWatchDataSourceJson,
    endpointId,
    eventsDeadLetterQueuePolicy,
    grafanaCloudWatchPolicy,
    grafanaTokenName,
    heartbeatTopicPolicy,
    nameFromArn,
    notificationTopicPolicy,
    OPT_IN_REGIONS,
    pipelineAlarmPrefix,
    pipelineAlarms,
    PipelineAlarmInputs,
    resolveAccountArgs,
    ruleEvaluationFailuresQuery,
    ruleNamespaceActivity,
    seriesLimits,
    pipelineTopicPolicy,
    servicePrincipals,
    SNS_TOPIC_POLICY_ACTIONS,
    TOKEN_LIFETIME_SECONDS,
    TOKEN_ROTATION_DAYS,
    tokenRotationWindow,
} from "../../components/account";

const IRELAND = { accountId: "111122223333", region: "eu-west-1", partition: "aws" };
const CAPE_TOWN = { accountId: "111122223333", region: "af-south-1", partition: "aws" };

const INPUTS: PipelineAlarmInputs = {
    workspaceId: "ws-1",
    ruleEvaluationFailuresQuery: ruleEvaluationFailuresQuery("ws-1"),
    heartbeatTopicName: "vigil-heartbeat",
    deliveryTopics: [
        { id: "alerts", name: "vigil-alerts" },
        { id: "heartbeat", name: "vigil-heartbeat" },
    ],
    eventRuleNames: ["r1", "r2", "r3"],
    deadLetterQueueName: "vigil-events-dlq",
    heartbeatIntervalSeconds: 300,
};

describe("account-level pure functions", () => {
    describe("service principals in opt-in regions", () => {
        it("uses the global principal in default regions and adds the regional one in opt-in regions", () => {
            assert.deepEqual(servicePrincipals("aps", "eu-west-1"), ["aps.amazonaws.com"]);
            assert.deepEqual(servicePrincipals("aps", "af-south-1"), ["aps.amazonaws.com", "aps.af-south-1.amazonaws.com"]);
            for (const region of ["ap-east-1", "eu-south-1", "eu-central-2", "me-central-1", "ap-southeast-5", "ap-southeast-7"]) {
                assert.ok(OPT_IN_REGIONS.includes(region), region);
            }
            assert.ok(!OPT_IN_REGIONS.includes("us-east-1"));
        });

        it("grants both principals in the key and topic policies of an opt-in region", () => {
            const key = alertKeyPolicy(CAPE_TOWN);
            const publishers = key.Statement.find((s) => s.Sid === "AllowAlertPublishers");
            assert.deepEqual((publishers?.Principal as { Service: string[] }).Service, [
                "aps.amazonaws.com",
                "aps.af-south-1.amazonaws.com",
                "events.amazonaws.com",
                "events.af-south-1.amazonaws.com",
                "cloudwatch.amazonaws.com",
                "cloudwatch.af-south-1.amazonaws.com",
            ]);
            const topic = heartbeatTopicPolicy(CAPE_TOWN, "arn:aws:sns:af-south-1:111122223333:h", "arn:aws:aps:af-south-1:111122223333:workspace/ws-1");
            assert.deepEqual(topic.Statement[0].Principal, { Service: ["aps.amazonaws.com", "aps.af-south-1.amazonaws.com"] });
        });
    });

    describe("topic and queue policies", () => {
        it("omits the EventBridge grant when there are no rules (no empty condition lists)", () => {
            const doc = alertTopicPolicy({ identity: IRELAND, topicArn: "arn:aws:sns:eu-west-1:111122223333:a", workspaceArn: "arn:aws:aps:eu-west-1:111122223333:workspace/ws-1", eventRuleArns: [] });
            assert.deepEqual(
                doc.Statement.map((s) => s.Sid),
                ["AllowAmpAlertManager", "AllowCloudWatchAlarms", "DenyInsecureTransport"],
            );
        });

        it("denies every action a topic policy can name, to anyone, without TLS, on all four topics", () => {
            const topic = "arn:aws:sns:eu-west-1:111122223333:t";
            const workspace = "arn:aws:aps:eu-west-1:111122223333:workspace/ws-1";
            assert.deepEqual(SNS_TOPIC_POLICY_ACTIONS, [
                "sns:AddPermission",
                "sns:DeleteTopic",
                "sns:GetDataProtectionPolicy",
                "sns:GetTopicAttributes",
                "sns:ListSubscriptionsByTopic",
                "sns:ListTagsForResource",
                "sns:Publish",
                "sns:PutDataProtectionPolicy",
                "sns:RemovePermission",
                "sns:SetTopicAttributes",
                "sns:Subscribe",
            ]);
            const docs = [
                alertTopicPolicy({ identity: IRELAND, topicArn: topic, workspaceArn: workspace, eventRuleArns: ["arn:aws:events:eu-west-1:111122223333:rule/r1"] }),
                heartbeatTopicPolicy(IRELAND, topic, workspace),
                pipelineTopicPolicy(IRELAND, topic),
                notificationTopicPolicy(topic),
            ];
            for (const doc of docs) {
                const denies = doc.Statement.filter((st) => st.Effect === "Deny");
                assert.deepEqual(denies, [
                    { Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: [...SNS_TOPIC_POLICY_ACTIONS], Resource: topic, Condition: { Bool: { "aws:SecureTransport": "false" } } },
                ]);
            }
        });

        it("lets only the listed rules dead-letter into the queue", () => {
            const doc = eventsDeadLetterQueuePolicy(IRELAND, "arn:aws:sqs:eu-west-1:111122223333:q", ["arn:aws:events:eu-west-1:111122223333:rule/r1"]);
            assert.deepEqual(doc.Statement[0].Condition, {
                ArnEquals: { "aws:SourceArn": ["arn:aws:events:eu-west-1:111122223333:rule/r1"] },
                StringEquals: { "aws:SourceAccount": "111122223333" },
            });
            assert.deepEqual(doc.Statement[1], {
                Sid: "DenyInsecureTransport",
                Effect: "Deny",
                Principal: "*",
                Action: "sqs:*",
                Resource: "arn:aws:sqs:eu-west-1:111122223333:q",
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            });
        });
    });

    describe("pipeline alarms", () => {
        const alarms = pipelineAlarms(INPUTS);

        it("covers notification and rule failures, ingestion, deliveries, EventBridge and the heartbeat", () => {
            assert.deepEqual(
                alarms.map((a) => a.id),
                [
                    "amp-notifications-failed",
                    "amp-rule-evaluation-failures",
                    "amp-ingestion-stopped",
                    "sns-alerts-delivery-failures",
                    "sns-heartbeat-delivery-failures",
                    "events-failed-invocations",
                    "events-dead-letters-lost",
                    "events-dlq-not-empty",
                    "heartbeat-missing",
                ],
            );
            const silenceIsFailure = alarms.filter((a) => a.treatMissingData === "breaching").map((a) => a.id);
            assert.deepEqual(silenceIsFailure, ["amp-ingestion-stopped", "heartbeat-missing"]);
        });

        it("turns a single metric into a plain alarm and several into a metric-math sum", () => {
            const plain = alarmMetricArgs(alarms.find((a) => a.id === "amp-notifications-failed")!);
            assert.deepEqual(plain, { namespace: "AWS/Prometheus", metricName: "AlertManagerNotificationsFailed", dimensions: { Workspace: "ws-1" }, statistic: "Sum", period: 300 });
            const summed = alarmMetricArgs(alarms.find((a) => a.id === "events-failed-invocations")!);
            assert.deepEqual(summed.metricQueries, [
                { id: "m0", returnData: false, metric: { namespace: "AWS/Events", metricName: "FailedInvocations", dimensions: { RuleName: "r1" }, stat: "Sum", period: 300 } },
                { id: "m1", returnData: false, metric: { namespace: "AWS/Events", metricName: "FailedInvocations", dimensions: { RuleName: "r2" }, stat: "Sum", period: 300 } },
                { id: "m2", returnData: false, metric: { namespace: "AWS/Events", metricName: "FailedInvocations", dimensions: { RuleName: "r3" }, stat: "Sum", period: 300 } },
                { id: "total", expression: "SUM([m0,m1,m2])", label: "events-failed-invocations", returnData: true },
            ]);
            assert.equal(summed.namespace, undefined);
        });

        it("waits three heartbeat intervals, at least three periods, before declaring the heartbeat dead", () => {
            const periods = (seconds: number) => pipelineAlarms({ ...INPUTS, heartbeatIntervalSeconds: seconds }).find((a) => a.id === "heartbeat-missing")!;
            assert.equal(periods(60).evaluationPeriods, 3);
            assert.equal(periods(300).evaluationPeriods, 3);
            assert.equal(periods(600).evaluationPeriods, 6);
            assert.equal(periods(600).datapointsToAlarm, 6);
        });

        it("refuses sums CloudWatch would reject and queries for something that is not a workspace", () => {
            assert.throws(() => pipelineAlarms({ ...INPUTS, eventRuleNames: Array.from({ length: 11 }, (_, i) => `r${i}`) }), /1 to 10 metrics; FailedInvocations would sum 11/);
            assert.throws(() => pipelineAlarms({ ...INPUTS, eventRuleNames: [] }), /would sum 0/);
            assert.throws(() => ruleEvaluationFailuresQuery("x' OR '1'='1"), /workspaceId must be an AMP workspace id/);
            assert.equal(pipelineAlarmPrefix("vigil"), "vigil-pipeline-");
        });
    });

    describe("Grafana token rotation", () => {
        it("changes the token name once per rotation window, well inside the token's 30-day life", () => {
            assert.ok(TOKEN_ROTATION_DAYS * 86400 < TOKEN_LIFETIME_SECONDS);
            const start = new Date(tokenRotationWindow(new Date("2024-05-01T00:00:00Z")) * TOKEN_ROTATION_DAYS * 86400_000);
            const later = new Date(start.getTime() + TOKEN_ROTATION_DAYS * 86400_000 - 1);
            assert.equal(grafanaTokenName("vigil", start), grafanaTokenName("vigil", later));
            assert.notEqual(grafanaTokenName("vigil", start), grafanaTokenName("vigil", new Date(later.getTime() + 1)));
            assert.match(grafanaTokenName("vigil", start), /^vigil-provisioning-\d+$/);
            assert.throws(() => tokenRotationWindow(new Date("not a date")), /valid date/);
        });

        it("signs AMP queries with the workspace role", () => {
            assert.deepEqual(JSON.parse(ampDataSourceJson("eu-west-1")), { httpMethod: "POST", sigV4Auth: true, sigV4AuthType: "ec2_iam_role", sigV4Region: "eu-west-1" });
        });

        it("reads CloudWatch with the workspace role, in the stack's region only, metrics only", () => {
            assert.deepEqual(JSON.parse(cloudWatchDataSourceJson("eu-west-1")), { authType: "ec2_iam_role", defaultRegion: "eu-west-1" });
            const doc = grafanaCloudWatchPolicy("eu-west-1");
            assert.equal(doc.Statement.length, 1);
            const [read] = doc.Statement;
            assert.deepEqual(read.Action, ["cloudwatch:GetMetricData", "cloudwatch:ListMetrics"]);
            assert.deepEqual(read.Condition, { StringEquals: { "aws:RequestedRegion": "eu-west-1" } });
            assert.ok(![read.Action].flat().some((a) => a.endsWith("*") || a.startsWith("logs:")), "no wildcards, no log reads");
        });

        it("takes topic and queue names from their ARNs", () => {
            assert.equal(nameFromArn("arn:aws:sns:eu-west-1:111122223333:customer-notices"), "customer-notices");
            assert.equal(nameFromArn("arn:aws-cn:sqs:cn-north-1:111122223333:vigil-triage-dlq-1"), "vigil-triage-dlq-1");
            assert.throws(() => nameFromArn("customer-notices"), /expected an SNS topic or SQS queue ARN/);
            assert.throws(() => nameFromArn("arn:aws:sns:eu-west-1:111122223333:"), /expected an SNS topic or SQS queue ARN/);
        });
    });

    describe("arguments", () => {
        it("applies the documented defaults", () => {
            const a = resolveAccountArgs({});
            assert.deepEqual(
                { ...a, now: undefined, rulesDir: undefined, dashboardsDir: undefined },
                {
                    clusterNames: [],
                    logRetentionDays: 365,
                    guardDuty: "create",
                    guardDutyRuntimeMonitoring: false,
                    grafana: true,
                    notificationEmails: [],
                    notificationHttpsEndpoints: [],
                    notificationTopicArn: undefined,
                    operatorEmails: [],
                    repeatIntervalSeconds: 14400,
                    heartbeatIntervalSeconds: 300,
                    maxSeriesPerCluster: 0,
                    now: undefined,
                    rulesDir: undefined,
                    dashboardsDir: undefined,
                },
            );
            assert.match(a.rulesDir, /rules$/);
            assert.match(a.dashboardsDir, /dashboards$/);
        });

        it("maps rule files to matrix activities and clusters to series limits", () => {
            assert.equal(ruleNamespaceActivity("apiserver"), "control-plane-monitoring");
            assert.equal(ruleNamespaceActivity("control-plane"), "control-plane-monitoring");
            assert.equal(ruleNamespaceActivity("pipeline"), "alert-manager");
            assert.equal(ruleNamespaceActivity("network"), "network-incident-response");
            assert.equal(ruleNamespaceActivity("coredns"), "cluster-health-monitoring");
            assert.deepEqual(seriesLimits(["a", "b"], 0), []);
            assert.deepEqual(seriesLimits(["a"], 5), [{ labelSet: { cluster: "a" }, limits: { maxSeries: 5 } }]);
        });

        it("names subscription endpoints by a stable hash", () => {
            assert.equal(endpointId("https://a.example/x"), endpointId("https://a.example/x"));
            assert.notEqual(endpointId("https://a.example/x"), endpointId("https://a.example/y"));
            assert.match(endpointId("https://a.example/x"), /^[0-9a-f]{10}$/);
        });
    });
});

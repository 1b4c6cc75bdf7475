import * as assert from "node:assert/strict";
import { cloudwatchAlarmActions } from "../../policies/cloudwatch/alarmActions";
import { cloudwatchHeartbeatAlarm } from "../../policies/cloudwatch/heartbeatAlarm";
import { cloudwatchLogEncrypted } from "../../policies/cloudwatch/logEncrypted";
import { cloudwatchLogRetention } from "../../policies/cloudwatch/logRetention";
import { cloudwatchPipelineAlarms, parseMetricSpec } from "../../policies/cloudwatch/pipelineAlarms";
import { insightsMetric } from "../../policies/lib/alarms";
import { ALERT_TOPIC, alertmanagerConfig, customerStack, definition, HEARTBEAT_TOPIC, operatorStack } from "./fixtures";
import { assertClean, assertNotApplicable, assertStackNotApplicable, assertViolations, run } from "./harness";

const HEARTBEAT_ALARM = 'aws:cloudwatch/metricAlarm:MetricAlarm "vigil-pipeline-heartbeat-missing"';

// Log groups come in two forms: the provider's LogGroup (vigil-amp-logs), and the dynamic resource
// that creates or adopts a cluster's control-plane group (payments-prod-control-plane-logs). Both
// are held to the same rules.
const AMP_GROUP = 'aws:cloudwatch/logGroup:LogGroup "vigil-amp-logs"';
const CLUSTER_GROUP = 'pulumi-nodejs:dynamic:Resource "payments-prod-control-plane-logs"';

describe("vigil-cloudwatch-log-retention", () => {
    it("accepts a year, on both forms of log group", async () => {
        const s = operatorStack();
        assert.equal(s.get("payments-prod-control-plane-logs").inputs.kind, "vigil:cloudwatch:LogGroup");
        const result = await run(cloudwatchLogRetention, s);
        assert.deepEqual(result.violations, []);
        assert.ok(!result.notApplicable.some((n) => n.urn === s.get("payments-prod-control-plane-logs").urn || n.urn === s.get("vigil-amp-logs").urn), "both were checked");
    });

    for (const [name, what] of [
        ["payments-prod-control-plane-logs", CLUSTER_GROUP],
        ["vigil-amp-logs", AMP_GROUP],
    ] as const) {
        it(`reports short retention and retention without a limit on ${what.split(" ")[0]}`, async () => {
            const s = operatorStack(["payments-prod"]);
            const group = s.get(name);
            group.inputs.retentionInDays = 7;
            await assertViolations(cloudwatchLogRetention, s, [{ on: group, message: `The log group ${what} keeps logs for 7 days; keep them for at least 365 days (vigil:logRetentionDays).` }]);
            group.inputs.retentionInDays = 0;
            await assertViolations(cloudwatchLogRetention, s, [{ on: group, message: `The log group ${what} must set retentionInDays (at least 365); without it logs are kept, and billed, forever.` }]);
            delete group.inputs.retentionInDays;
            await assertViolations(cloudwatchLogRetention, s, [{ on: group, message: `The log group ${what} must set retentionInDays (at least 365); without it logs are kept, and billed, forever.` }]);
        });
    }

    it("follows minRetentionDays", async () => {
        const s = operatorStack(["payments-prod"]);
        s.get("payments-prod-control-plane-logs").inputs.retentionInDays = 90;
        s.get("vigil-amp-logs").inputs.retentionInDays = 90;
        await assertClean(cloudwatchLogRetention, s, { config: { "vigil-cloudwatch-log-retention": { minRetentionDays: 90 } } });
    });

    it("holds a Vigil log group outside any Vigil component to the rule", async () => {
        const c = customerStack();
        const adopted = c.add("pulumi-nodejs:dynamic:Resource", "shop-control-plane-logs", { kind: "vigil:cloudwatch:LogGroup", logGroupName: "/aws/eks/shop/cluster", retentionInDays: 7 });
        await assertViolations(
            cloudwatchLogRetention,
            c,
            [{ on: adopted, message: 'The log group pulumi-nodejs:dynamic:Resource "shop-control-plane-logs" keeps logs for 7 days; keep them for at least 365 days (vigil:logRetentionDays).' }],
            { party: "customer" },
        );
    });

    it("is not applicable to a customer's own log groups, nor to other dynamic resources", async () => {
        const c = customerStack();
        const own = c.add("aws:cloudwatch/logGroup:LogGroup", "shop-app", { retentionInDays: 1 });
        await assertNotApplicable(cloudwatchLogRetention, c, own, { party: "customer" });
        const s = operatorStack(["payments-prod"]);
        await assertNotApplicable(cloudwatchLogRetention, s, s.get("payments-prod-control-plane-logging"));
    });
});

describe("vigil-cloudwatch-log-encrypted", () => {
    it("accepts both forms of log group with a key", async () => {
        await assertClean(cloudwatchLogEncrypted, operatorStack());
    });

    for (const [name, what] of [
        ["vigil-amp-logs", AMP_GROUP],
        ["payments-prod-control-plane-logs", CLUSTER_GROUP],
    ] as const) {
        it(`reports ${what.split(" ")[0]} without a key`, async () => {
            const s = operatorStack(["payments-prod"]);
            const group = s.get(name);
            delete group.inputs.kmsKeyId;
            const message = `The log group ${what} must be encrypted: set kmsKeyId to a customer-managed KMS key whose policy admits logs.<region>.amazonaws.com.`;
            await assertViolations(cloudwatchLogEncrypted, s, [{ on: group, message }]);
            group.inputs.kmsKeyId = "";
            await assertViolations(cloudwatchLogEncrypted, s, [{ on: group, message }]);
        });
    }

    it("is not applicable to other dynamic resources", async () => {
        const s = operatorStack(["payments-prod"]);
        await assertNotApplicable(cloudwatchLogEncrypted, s, s.get("payments-prod-control-plane-logging"));
    });
});

describe("vigil-cloudwatch-alarm-actions", () => {
    const ALARM = 'aws:cloudwatch/metricAlarm:MetricAlarm "vigil-triage-handler-errors"';

    it("accepts alarms that notify", async () => {
        await assertClean(cloudwatchAlarmActions, operatorStack());
    });

    it("reports an alarm without actions and one with actions disabled", async () => {
        const s = operatorStack(["payments-prod"]);
        const alarm = s.get("vigil-triage-handler-errors");
        alarm.inputs.alarmActions = [];
        alarm.inputs.actionsEnabled = false;
        await assertViolations(cloudwatchAlarmActions, s, [
            { on: alarm, message: `The alarm ${ALARM} has no alarm actions; set alarmActions so that someone is notified when it fires.` },
            { on: alarm, message: `The alarm ${ALARM} has its actions disabled (actionsEnabled: false); enable them.` },
        ]);
    });
});

describe("vigil-cloudwatch-heartbeat-alarm", () => {
    it("accepts the dead-man's switch of the contract", async () => {
        await assertClean(cloudwatchHeartbeatAlarm, operatorStack());
    });

    it("reports a heartbeat topic without an alarm", async () => {
        const s = operatorStack(["payments-prod"]);
        s.remove("vigil-pipeline-heartbeat-missing");
        await assertViolations(cloudwatchHeartbeatAlarm, s, [
            {
                on: s.get("vigil-alert-manager"),
                message: `The heartbeat topic ${HEARTBEAT_TOPIC} has no CloudWatch alarm on AWS/SNS NumberOfMessagesPublished (TopicName vigil-heartbeat); without it a silent pipeline goes unnoticed.`,
            },
        ]);
    });

    it("reports missing data treated as fine, the wrong comparison, a short window and a looped action", async () => {
        const s = operatorStack(["payments-prod"]);
        const alarm = s.get("vigil-pipeline-heartbeat-missing");
        Object.assign(alarm.inputs, { treatMissingData: "notBreaching", comparisonOperator: "GreaterThanThreshold", evaluationPeriods: 1, period: 60, alarmActions: [ALERT_TOPIC] });
        await assertViolations(cloudwatchHeartbeatAlarm, s, [
            { on: alarm, message: `The heartbeat alarm ${HEARTBEAT_ALARM} must treat missing data as breaching (treatMissingData: breaching); a stopped heartbeat publishes nothing.` },
            { on: alarm, message: `The heartbeat alarm ${HEARTBEAT_ALARM} must fire when too few heartbeats arrive (comparisonOperator LessThanThreshold); it uses "GreaterThanThreshold".` },
            {
                on: alarm,
                message: `The heartbeat alarm ${HEARTBEAT_ALARM} looks back 60 seconds, less than the heartbeat's repeat interval plus group interval (360 s); it would fire between heartbeats. Raise period × evaluationPeriods.`,
            },
            { on: alarm, message: `The heartbeat alarm ${HEARTBEAT_ALARM} notifies ${ALERT_TOPIC}, a topic of the pipeline it watches; notify through an independent topic (the pipeline topic).` },
        ]);
        alarm.inputs.alarmActions = [];
        const result = await run(cloudwatchHeartbeatAlarm, s);
        assert.equal(result.violations.at(-1)?.message, `The heartbeat alarm ${HEARTBEAT_ALARM} has no alarm actions; notify the operators through the pipeline topic.`);
    });

    it("measures the window against the heartbeat route's own timing", async () => {
        const s = operatorStack(["payments-prod"]);
        const config = alertmanagerConfig();
        config.route.routes[0].repeat_interval = "1h";
        s.get("vigil-alert-manager").inputs.definition = definition(config);
        await assertViolations(cloudwatchHeartbeatAlarm, s, [
            {
                on: s.get("vigil-pipeline-heartbeat-missing"),
                message: `The heartbeat alarm ${HEARTBEAT_ALARM} looks back 900 seconds, less than the heartbeat's repeat interval plus group interval (3660 s); it would fire between heartbeats. Raise period × evaluationPeriods.`,
            },
        ]);
    });

    it("is not applicable without a heartbeat receiver", async () => {
        const s = operatorStack(["payments-prod"]);
        const config = alertmanagerConfig();
        config.receivers = config.receivers.filter((r: { name: string }) => r.name !== "heartbeat");
        s.get("vigil-alert-manager").inputs.definition = definition(config);
        await assertStackNotApplicable(cloudwatchHeartbeatAlarm, s, /no alert manager definition with a heartbeat receiver/);
    });
});

describe("vigil-cloudwatch-pipeline-alarms", () => {
    it("accepts alarms on every required metric, single, metric-math and Metrics Insights", async () => {
        await assertClean(cloudwatchPipelineAlarms, operatorStack());
    });

    it("reports the metrics nobody watches", async () => {
        const s = operatorStack(["payments-prod"]);
        s.remove("vigil-pipeline-amp-rule-evaluation-failures", "vigil-pipeline-events-failed-invocations", "vigil-pipeline-amp-ingestion-stopped", "vigil-triage-handler-throttles");
        await assertViolations(cloudwatchPipelineAlarms, s, [
            { message: "The stack has no CloudWatch alarm on AWS/Prometheus/RuleEvaluationFailures; the pipeline would fail there unnoticed." },
            { message: "The stack has no CloudWatch alarm on AWS/Usage/ResourceCount{Resource=IngestionRate}; the pipeline would fail there unnoticed." },
            { message: "The stack has no CloudWatch alarm on AWS/Events/FailedInvocations; the pipeline would fail there unnoticed." },
            { message: "The stack has no CloudWatch alarm on AWS/Lambda/Throttles; the pipeline would fail there unnoticed." },
        ]);
    });

    it("matches dimensions, and reports a malformed requirement", async () => {
        const s = operatorStack(["payments-prod"]);
        await assertViolations(cloudwatchPipelineAlarms, s, [{ message: 'The policy configuration requiredMetrics has "RuleEvaluationFailures"; write Namespace/MetricName or Namespace/MetricName{Dimension=value}.' }, { message: "The stack has no CloudWatch alarm on AWS/Usage/ResourceCount{Resource=ActiveSeries}; the pipeline would fail there unnoticed." }], {
            config: { "vigil-cloudwatch-pipeline-alarms": { requiredMetrics: ["RuleEvaluationFailures", "AWS/Usage/ResourceCount{Resource=ActiveSeries}", "AWS/Usage/ResourceCount{Resource=IngestionRate}"] } },
        });
    });

    it("is not applicable to a stack without a Vigil pipeline", async () => {
        await assertStackNotApplicable(cloudwatchPipelineAlarms, customerStack(), /no Vigil pipeline/, { party: "customer" });
    });

    it("parses metric specs and Metrics Insights queries", () => {
        assert.deepEqual(parseMetricSpec("AWS/Usage/ResourceCount{Resource=IngestionRate, Service=Prometheus}"), {
            text: "AWS/Usage/ResourceCount{Resource=IngestionRate, Service=Prometheus}",
            namespace: "AWS/Usage",
            metricName: "ResourceCount",
            dimensions: { Resource: "IngestionRate", Service: "Prometheus" },
        });
        assert.equal(parseMetricSpec("AWS/Usage/ResourceCount{Resource}"), undefined);
        assert.deepEqual(insightsMetric(`SELECT MAX(Errors) FROM SCHEMA("AWS/Lambda", FunctionName) WHERE FunctionName = 'f' GROUP BY FunctionName`), {
            namespace: "AWS/Lambda",
            metricName: "Errors",
            dimensions: { FunctionName: "f" },
        });
        assert.equal(insightsMetric("m0 + m1"), undefined);
    });
});

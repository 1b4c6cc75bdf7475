import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { eventRules, EventRuleSpec, pipelineAlarmPrefix, pipelineAlarms } from "../../components/account";
import { ACTIVITIES } from "../../components/tags";
import { matchesPattern } from "./eventPattern";

const FIXTURES = path.join(__dirname, "..", "fixtures", "events");
const CLUSTERS = ["payments-prod", "platform-staging"];
const PREFIX = pipelineAlarmPrefix("vigil");

function load(file: string): Record<string, any> {
    return JSON.parse(fs.readFileSync(path.join(FIXTURES, file), "utf8"));
}

/** Which rules each sample event must reach (every other rule must ignore it). */
const EXPECTED: Readonly<Record<string, readonly string[]>> = {
    "guardduty-eks-audit-finding.json": ["guardduty-eks-findings"],
    "guardduty-eks-runtime-finding.json": ["guardduty-eks-findings"],
    "guardduty-eks-unmonitored-cluster-finding.json": [],
    "guardduty-ec2-finding.json": [],
    "health-eks-operational-issue.json": ["health-eks-ec2"],
    "health-ec2-instance-retirement.json": ["health-eks-ec2"],
    "health-vpc-operational-issue.json": ["health-network"],
    "health-elb-eni-limit.json": ["health-network"],
    "health-rds-maintenance.json": [],
    "health-abuse-event.json": [],
    "eks-addon-health-degraded.json": ["eks-addon-health"],
    "eks-addon-health-restored.json": ["eks-addon-health"],
    "eks-addon-update-failed.json": ["eks-addon-health"],
    "eks-addon-creation-succeeded.json": [],
    "eks-fargate-pod-scheduled-termination.json": [],
    "ec2-state-terminated.json": ["ec2-node-state"],
    "ec2-state-stopping.json": ["ec2-node-state"],
    "ec2-state-running.json": [],
    "ec2-spot-interruption-warning.json": ["ec2-spot-interruption"],
    "ec2-rebalance-recommendation.json": [],
    "cloudwatch-alarm-pipeline-heartbeat.json": ["pipeline-alarms"],
    "cloudwatch-alarm-pipeline-triage-ok.json": ["pipeline-alarms"],
    "cloudwatch-alarm-unrelated.json": [],
    "cloudwatch-alarm-config-change.json": [],
};

function matching(rules: readonly EventRuleSpec[], event: unknown): string[] {
    return rules.filter((r) => matchesPattern(r.pattern, event)).map((r) => r.id);
}

describe("EventBridge rules (components/account/events.ts)", () => {
    const rules = eventRules({ clusterNames: CLUSTERS, alarmNamePrefix: PREFIX });

    it("defines exactly the rules of the issue, with stable ids and matrix activities", () => {
        assert.deepEqual(
            rules.map((r) => r.id),
            ["guardduty-eks-findings", "health-eks-ec2", "health-network", "eks-addon-health", "ec2-node-state", "ec2-spot-interruption", "pipeline-alarms"],
        );
        for (const r of rules) {
            assert.ok((ACTIVITIES as readonly string[]).includes(r.activity), `${r.id}: ${r.activity}`);
        }
        assert.equal(rules.find((r) => r.id === "guardduty-eks-findings")?.activity, "guardduty-finding-response");
        assert.equal(rules.find((r) => r.id === "health-network")?.activity, "network-incident-response");
    });

    it("has a sample event for every fixture file and every rule", () => {
        const files = fs.readdirSync(FIXTURES).filter((f) => f.endsWith(".json")).sort();
        assert.deepEqual(files, Object.keys(EXPECTED).sort(), "every sample event states which rules it must reach");
        for (const rule of rules) {
            assert.ok(
                Object.values(EXPECTED).some((ids) => ids.includes(rule.id)),
                `rule ${rule.id} has a sample event it must match (a rule that matches nothing would pass silently)`,
            );
        }
    });

    for (const [file, expected] of Object.entries(EXPECTED)) {
        it(`${file} reaches ${expected.length > 0 ? expected.join(", ") : "no rule"}`, () => {
            assert.deepEqual(matching(rules, load(file)), expected);
        });
    }

    it("matches GuardDuty findings on the resource type, not on finding types", () => {
        const pattern = rules.find((r) => r.id === "guardduty-eks-findings")?.pattern as any;
        assert.deepEqual(pattern.detail.resource.resourceType, ["EKSCluster"]);
        assert.equal(pattern.detail.type, undefined);
        // A finding type introduced tomorrow reaches the topic all the same.
        const future = load("guardduty-eks-audit-finding.json");
        future.detail.type = "Impact:Kubernetes/SomethingNewNextYear";
        assert.deepEqual(matching(rules, future), ["guardduty-eks-findings"]);
        // Mutation: the same event on a non-EKS resource does not.
        future.detail.resource.resourceType = "Instance";
        assert.deepEqual(matching(rules, future), []);
    });

    it("limits GuardDuty findings to the monitored clusters, and takes every EKS cluster without names", () => {
        const other = load("guardduty-eks-unmonitored-cluster-finding.json");
        assert.deepEqual(matching(rules, other), []);
        const unscoped = eventRules({ clusterNames: [], alarmNamePrefix: PREFIX });
        assert.deepEqual(matching(unscoped, other), ["guardduty-eks-findings"]);
        assert.equal((unscoped.find((r) => r.id === "guardduty-eks-findings")?.pattern as any).detail.resource.eksClusterDetails, undefined);
    });

    it("does not filter EC2 events on fields they do not carry (instances are attributed by triage)", () => {
        const ec2Rules = rules.filter((r) => r.id.startsWith("ec2-"));
        for (const rule of ec2Rules) {
            const detail = (rule.pattern as any).detail ?? {};
            assert.deepEqual(Object.keys(detail).filter((k) => k !== "state"), [], `${rule.id} filters only on detail.state`);
        }
        // An instance of any tag set in any Auto Scaling group is reported; triage attributes it.
        const terminated = load("ec2-state-terminated.json");
        terminated.detail["instance-id"] = "i-0ffffffffffffffff";
        assert.deepEqual(matching(rules, terminated), ["ec2-node-state"]);
    });

    it("brings every pipeline alarm of the component (and of other components using the prefix) to triage", () => {
        const alarms = pipelineAlarms({
            workspaceId: "ws-1",
            ruleEvaluationFailuresQuery: "q",
            heartbeatTopicName: "h",
            deliveryTopics: [{ id: "alerts", name: "a" }],
            eventRuleNames: ["r"],
            deadLetterQueueName: "d",
            heartbeatIntervalSeconds: 300,
        });
        const event = load("cloudwatch-alarm-pipeline-heartbeat.json");
        for (const alarm of alarms) {
            event.detail.alarmName = `${PREFIX}${alarm.id}`;
            assert.deepEqual(matching(rules, event), ["pipeline-alarms"], alarm.id);
        }
        // Mutation: the same name without the prefix is somebody else's alarm.
        event.detail.alarmName = "heartbeat-missing";
        assert.deepEqual(matching(rules, event), []);
    });

    it("refuses an empty alarm prefix (it would route every alarm of the account)", () => {
        assert.throws(() => eventRules({ clusterNames: [], alarmNamePrefix: " " }), /alarmNamePrefix must not be empty/);
    });
});

// Every alert, whatever its source, carries a runbook link and mitigation options (issue 6), and
// the notifications show them. AWS events link the AWS page that documents their kind or the
// console page of the event itself; the URLs asserted here were checked against AWS's documentation.

import * as assert from "node:assert/strict";
import { TriageEngine } from "../../components/triage/handler/engine";
import { alarmDescription, guardDutyFindingTypeDocs, healthEventUrl } from "../../components/triage/handler/events";
import { DEFAULT_SETTINGS } from "../../components/triage/handler/lifecycle";
import { MemoryStore } from "../../components/triage/handler/memoryStore";
import { Alert } from "../../components/triage/handler/model";
import { parseMessage } from "../../components/triage/handler/normalize";
import { ManualClock, RecordingIncidents, RecordingNotifier, RecordingTimers } from "../../components/triage/handler/recording";
import { fixtureJson, IMPACT_TABLE, message, START } from "./support";

const GD_DOCS = "https://docs.aws.amazon.com/guardduty/latest/ug";
const EKS_DOCS = "https://docs.aws.amazon.com/eks/latest/userguide";
const EC2_DOCS = "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide";

function alertOf(relative: string): Alert {
    const parsed = parseMessage(message(relative));
    assert.equal(parsed.kind, "alerts", relative);
    const alerts = parsed.kind === "alerts" ? parsed.alerts : [];
    assert.equal(alerts.length, 1, relative);
    return alerts[0];
}

/** Every fixture that yields an alert, by source. */
const FIXTURES_BY_SOURCE: Record<string, string[]> = {
    prometheus: ["amp/01-crashloop-firing.sns.json", "amp/03-crashloop-resolved.sns.json", "amp/09-default-text-body.sns.json"],
    guardduty: ["guardduty/01-eks-finding-medium.json", "guardduty/02-eks-finding-medium-repeat.json", "guardduty/03-eks-finding-high.sns.json"],
    health: ["health/01-eks-issue-open.sns.json", "health/02-eks-issue-closed.json"],
    eks: ["eks/01-addon-health-degraded.json", "eks/02-addon-health-restored.json"],
    ec2: ["ec2/01-instance-stopped.json", "ec2/02-spot-interruption.json"],
    cloudwatch: ["cloudwatch/01-alarm-state-alarm.json", "cloudwatch/02-alarm-state-ok.json", "cloudwatch/03-vigil-pipeline-alarm.json"],
};

describe("triage: runbooks and mitigation options for every source", () => {
    it("every source's fixtures, firing or resolved, carry an https runbook and at least one mitigation option", () => {
        for (const [source, files] of Object.entries(FIXTURES_BY_SOURCE)) {
            for (const file of files) {
                const alert = alertOf(file);
                assert.equal(alert.source, source, file);
                assert.match(alert.runbookUrl ?? "", /^https:\/\/[^\s]+$/, `${file}: runbook`);
                assert.ok(alert.mitigations.length > 0, `${file}: mitigation options`);
                assert.ok(alert.mitigations.every((m) => m.trim() === m && m.length > 10), `${file}: ${JSON.stringify(alert.mitigations)}`);
            }
        }
    });

    it("GuardDuty: the finding type family's page in the GuardDuty guide, the finding in the console, the remediation guide", () => {
        const medium = alertOf("guardduty/01-eks-finding-medium.json");
        assert.equal(medium.runbookUrl, `${GD_DOCS}/guardduty-finding-types-eks-audit-logs.html`);
        assert.deepEqual(medium.links.map((l) => l.label), ["GuardDuty finding", "GuardDuty remediation"]);
        assert.equal(medium.links[1].url, `${GD_DOCS}/guardduty-remediate-kubernetes.html`);
        assert.equal(alertOf("guardduty/03-eks-finding-high.sns.json").runbookUrl, `${GD_DOCS}/guardduty-finding-types-eks-audit-logs.html`);
        const families: [string, string][] = [
            ["Execution:Runtime/ReverseShell", "findings-runtime-monitoring.html"],
            ["UnauthorizedAccess:EC2/SSHBruteForce", "guardduty_finding-types-ec2.html"],
            ["Execution:EC2/MaliciousFile", "findings-malware-protection.html"],
            ["CredentialAccess:IAMUser/AnomalousBehavior", "guardduty_finding-types-iam.html"],
            ["Policy:S3/BucketBlockPublicAccessDisabled", "guardduty_finding-types-s3.html"],
            ["AttackSequence:EKS/CompromisedCluster", "guardduty-attack-sequence-finding-types.html"],
            ["PrivilegeEscalation:Kubernetes/PrivilegedContainer", "guardduty_finding-types-retired.html"],
            ["Something:New/Unknown", "guardduty_finding-types-active.html"],
            ["", "guardduty_finding-types-active.html"],
        ];
        for (const [type, page] of families) {
            assert.equal(guardDutyFindingTypeDocs(type), `${GD_DOCS}/${page}`, type);
        }
        const ec2Finding = fixtureJson("guardduty/01-eks-finding-medium.json");
        ec2Finding.detail.type = "UnauthorizedAccess:EC2/SSHBruteForce";
        const parsed = parseMessage({ messageId: "x", body: JSON.stringify(ec2Finding), attributes: {} });
        assert.equal(parsed.kind === "alerts" && parsed.alerts[0].links[1].url, `${GD_DOCS}/guardduty_remediate.html`);
    });

    it("AWS Health: the event's own page in the Health Dashboard (in the form AWS's notifications link to), with options by category", () => {
        const open = alertOf("health/01-eks-issue-open.sns.json");
        const arn = "arn:aws:health:eu-west-1::event/EKS/AWS_EKS_OPERATIONAL_ISSUE/AWS_EKS_OPERATIONAL_ISSUE_7C3B9_EXAMPLE";
        assert.equal(open.runbookUrl, `https://health.aws.amazon.com/health/home?region=us-east-1#/event-log?eventID=${arn}&eventTab=details`);
        assert.equal(healthEventUrl(arn), open.runbookUrl);
        assert.match(open.mitigations[0], /affected resources \(arn:aws:eks:eu-west-1:111122223333:cluster\/payments-prod\)/);
        assert.equal(alertOf("health/02-eks-issue-closed.json").runbookUrl, open.runbookUrl);
        const scheduled = fixtureJson("health/02-eks-issue-closed.json");
        scheduled.detail.eventTypeCategory = "scheduledChange";
        const parsed = parseMessage({ messageId: "x", body: JSON.stringify(scheduled), attributes: {} });
        assert.match(parsed.kind === "alerts" ? parsed.alerts[0].mitigations[0] : "", /^Plan the change the event describes before its start time/);
    });

    it("EKS add-ons: the add-on's page of the EKS guide, an action for the health issue's code, the cluster in the console", () => {
        const degraded = alertOf("eks/01-addon-health-degraded.json");
        assert.equal(degraded.runbookUrl, `${EKS_DOCS}/managing-vpc-cni.html`);
        assert.match(degraded.mitigations[0], /^Find why the add-on's pods are not running/, "InsufficientNumberOfReplicas");
        assert.match(degraded.mitigations.at(-1) ?? "", /updating-an-add-on\.html/);
        assert.deepEqual(degraded.links, [{ label: "EKS cluster (Add-ons tab)", url: "https://eu-west-1.console.aws.amazon.com/eks/home?region=eu-west-1#/clusters/platform-staging" }]);
        const restored = alertOf("eks/02-addon-health-restored.json");
        assert.equal(restored.runbookUrl, degraded.runbookUrl);
        const other = fixtureJson("eks/01-addon-health-degraded.json");
        other.detail.addonName = "snapshot-controller";
        other.detail.issues = [{ code: "SomethingNew", message: "?" }];
        const parsed = parseMessage({ messageId: "x", body: JSON.stringify(other), attributes: {} });
        const alert = parsed.kind === "alerts" ? parsed.alerts[0] : undefined;
        assert.equal(alert?.runbookUrl, `${EKS_DOCS}/eks-add-ons.html`);
        assert.match(alert?.mitigations[0] ?? "", /^Inspect the add-on's health issues: aws eks describe-addon --cluster-name platform-staging --addon-name snapshot-controller\.$/);
        // Names from the event are looked up, never taken from Object.prototype.
        other.detail.addonName = "constructor";
        other.detail.issues = [{ code: "toString", message: "?" }];
        const odd = parseMessage({ messageId: "x", body: JSON.stringify(other), attributes: {} });
        const oddAlert = odd.kind === "alerts" ? odd.alerts[0] : undefined;
        assert.equal(oddAlert?.runbookUrl, `${EKS_DOCS}/eks-add-ons.html`);
        assert.match(oddAlert?.mitigations[0] ?? "", /^Inspect the add-on's health issues: aws eks describe-addon --cluster-name platform-staging --addon-name constructor\.$/);
        assert.ok(oddAlert?.mitigations.every((m) => typeof m === "string" && !m.includes("native code")), "no prototype function among the options");
        const fargate = { ...fixtureJson("eks/01-addon-health-degraded.json"), "detail-type": "EKS Fargate Pod Scheduled Termination", detail: { clusterName: "platform-staging", namespace: "shop", podName: "cart-1" } };
        const termination = parseMessage({ messageId: "x", body: JSON.stringify(fargate), attributes: {} });
        const pod = termination.kind === "alerts" ? termination.alerts[0] : undefined;
        assert.equal(pod?.runbookUrl, `${EKS_DOCS}/fargate-pod-patching.html`);
        assert.equal(pod?.mitigations.length, 2);
    });

    it("EC2: the instance lifecycle or spot interruption page of the EC2 guide, the instance in the console", () => {
        const stopped = alertOf("ec2/01-instance-stopped.json");
        assert.equal(stopped.runbookUrl, `${EC2_DOCS}/ec2-instance-lifecycle.html`);
        assert.deepEqual(stopped.links, [{ label: "EC2 instance", url: "https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#InstanceDetails:instanceId=i-0a1b2c3d4e5f67890" }]);
        assert.equal(alertOf("ec2/02-spot-interruption.json").runbookUrl, `${EC2_DOCS}/spot-instance-termination-notices.html`);
    });

    it("CloudWatch alarms: the alarm's console page, options read from its description, defaults naming its metric", () => {
        const console = "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/payments-prod-node-cpu-high";
        const alarm = alertOf("cloudwatch/01-alarm-state-alarm.json");
        assert.equal(alarm.runbookUrl, console);
        assert.deepEqual(alarm.links, [], "the console page is the runbook already");
        assert.equal(alarm.summary, "Node CPU of payments-prod above 80% for 10 minutes (Container Insights).");
        assert.equal(alarm.mitigations.length, 3);
        assert.match(alarm.mitigations[0], /its metric ContainerInsights\/node_cpu_utilization in the CloudWatch console/);
        assert.equal(alertOf("cloudwatch/02-alarm-state-ok.json").runbookUrl, console);
        const pipeline = alertOf("cloudwatch/03-vigil-pipeline-alarm.json");
        assert.equal(pipeline.summary, "Messages reached the triage dead-letter queue: triage could not process them.");
        assert.deepEqual(pipeline.mitigations, ["Redrive them after fixing the cause."]);

        // An alarm whose description names a runbook and lists first actions (the alarm action body as well).
        const body = {
            AlarmName: "payments-prod-api-5xx",
            AlarmDescription: "API 5xx rate above 1%.\nRunbook: https://wiki.example.com/runbooks/api-5xx\n- Roll back the last deployment\n- Scale out the API",
            NewStateValue: "ALARM",
            NewStateReason: "Threshold Crossed",
            StateChangeTime: "2024-05-01T14:30:40.989+0000",
            AlarmArn: "arn:aws:cloudwatch:eu-west-1:111122223333:alarm:payments-prod-api-5xx",
            OldStateValue: "OK",
            Trigger: { MetricName: "5xx", Namespace: "App", Dimensions: [{ name: "ClusterName", value: "payments-prod" }] },
        };
        const parsed = parseMessage({ messageId: "x", body: JSON.stringify(body), attributes: {} });
        const described = parsed.kind === "alerts" ? parsed.alerts[0] : undefined;
        assert.equal(described?.runbookUrl, "https://wiki.example.com/runbooks/api-5xx");
        assert.deepEqual(described?.mitigations, ["Roll back the last deployment", "Scale out the API"]);
        assert.equal(described?.summary, "API 5xx rate above 1%.");
        assert.deepEqual(described?.links.map((l) => l.label), ["CloudWatch alarm"]);
        assert.deepEqual(alarmDescription(""), { summary: "", runbookUrl: undefined, mitigations: [] });
        assert.deepEqual(alarmDescription("1. Drain the node\n2. Replace it"), { summary: "", runbookUrl: undefined, mitigations: ["Drain the node", "Replace it"] });
    });

    it("the notifications show the runbook and the options: questions and incidents, for every event source", async () => {
        const notifier = new RecordingNotifier();
        const engine = new TriageEngine({
            store: new MemoryStore(),
            notifier,
            operatorNotifier: new RecordingNotifier(),
            incidents: new RecordingIncidents(),
            timers: new RecordingTimers(),
            clock: new ManualClock(START),
            impactTable: IMPACT_TABLE,
            settings: DEFAULT_SETTINGS,
        });
        const files = ["guardduty/01-eks-finding-medium.json", "guardduty/03-eks-finding-high.sns.json", "health/01-eks-issue-open.sns.json", "eks/01-addon-health-degraded.json", "ec2/01-instance-stopped.json", "cloudwatch/01-alarm-state-alarm.json"];
        for (const file of files) {
            await engine.ingest(message(file));
        }
        assert.deepEqual(notifier.sent.map((n) => [n.kind, n.attributes.source]), [
            ["ask", "guardduty"],
            ["incident", "guardduty"],
            ["ask", "health"],
            ["ask", "eks"],
            ["ask", "ec2"],
            ["ask", "cloudwatch"],
        ]);
        notifier.sent.forEach((sent, i) => {
            const alert = alertOf(files[i]);
            assert.ok(sent.body.includes(`\nRunbook:     ${alert.runbookUrl}\n`), `${files[i]}:\n${sent.body}`);
            assert.ok(sent.body.includes(`\nMitigation options:\n  1. ${alert.mitigations[0]}\n`), `${files[i]}:\n${sent.body}`);
        });
    });
});

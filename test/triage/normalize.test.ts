import * as assert from "node:assert/strict";
import { clusterFromEksArn, clusterFromTags, guardDutyBand } from "../../components/triage/handler/events";
import { Alert } from "../../components/triage/handler/model";
import { fromSqsRecord, messagesFromJson, parseMessage, ParsedMessage } from "../../components/triage/handler/normalize";
import { parseSourceTime } from "../../components/triage/handler/time";
import { fixtureJson, message } from "./support";

function alertsOf(parsed: ParsedMessage): Alert[] {
    assert.equal(parsed.kind, "alerts", JSON.stringify(parsed));
    return (parsed as Extract<ParsedMessage, { kind: "alerts" }>).alerts;
}

function only(parsed: ParsedMessage): Alert {
    const alerts = alertsOf(parsed);
    assert.equal(alerts.length, 1);
    return alerts[0];
}

describe("triage: source times", () => {
    it("parses every format the sources send into ISO UTC with milliseconds", () => {
        assert.equal(parseSourceTime("2024-05-01T11:55:00.000Z"), "2024-05-01T11:55:00.000Z");
        assert.equal(parseSourceTime("2024-05-01T11:55:00Z"), "2024-05-01T11:55:00.000Z");
        assert.equal(parseSourceTime("2024-05-01T13:55:00.123456789+02:00"), "2024-05-01T11:55:00.123Z");
        assert.equal(parseSourceTime("2019-10-02T17:04:40.989+0000"), "2019-10-02T17:04:40.989Z");
        assert.equal(parseSourceTime("Wed, 01 May 2024 12:44:00 GMT"), "2024-05-01T12:44:00.000Z");
        assert.equal(parseSourceTime("2024-05-01 12:00:00.123456789 +0000 UTC"), "2024-05-01T12:00:00.123Z");
    });

    it("treats Go's zero time as no time, and rejects what is not a time", () => {
        assert.equal(parseSourceTime("0001-01-01T00:00:00.000Z"), undefined);
        assert.equal(parseSourceTime("0001-01-01 00:00:00 +0000 UTC"), undefined);
        assert.equal(parseSourceTime("yesterday"), undefined);
        assert.equal(parseSourceTime("2024-13-45T99:00:00Z"), undefined);
        assert.equal(parseSourceTime(1714564800), undefined);
    });
});

describe("triage: envelopes", () => {
    it("unwraps the SNS envelope an SQS record carries (no raw message delivery)", () => {
        const envelope = fixtureJson("amp/10-truncated.sns.json");
        const inbound = fromSqsRecord({ messageId: "sqs-1", body: JSON.stringify(envelope), messageAttributes: {}, attributes: {} as never });
        assert.equal(inbound.messageId, envelope.MessageId);
        assert.equal(inbound.body, envelope.Message);
        assert.equal(inbound.topicArn, "arn:aws:sns:eu-west-1:111122223333:vigil-alerts");
        assert.equal(inbound.receivedAt, "2024-05-01T11:55:31.402Z");
        assert.deepEqual(inbound.attributes, { truncated: "true", modified: "Message: Error - Message has been truncated from 312 KB to 256 KB" });
    });

    it("accepts a raw body with the SQS message attributes when raw delivery is on", () => {
        const inbound = fromSqsRecord({
            messageId: "sqs-2",
            body: "not an envelope",
            messageAttributes: { truncated: { stringValue: "true", dataType: "String", stringListValues: [], binaryListValues: [] } },
            attributes: { SentTimestamp: "1714564800000" } as never,
        });
        assert.deepEqual(inbound, { messageId: "sqs-2", body: "not an envelope", attributes: { truncated: "true" }, receivedAt: "2024-05-01T12:00:00.000Z" });
    });

    it("reads recorded Lambda SNS events, SQS events, arrays and bare events", () => {
        const envelope = fixtureJson("amp/01-crashloop-firing.sns.json");
        const lambdaSns = messagesFromJson({ Records: [{ EventSource: "aws:sns", Sns: { ...envelope, Type: undefined, MessageAttributes: {} } }] }, "x");
        assert.equal(lambdaSns[0].messageId, envelope.MessageId);
        assert.equal(lambdaSns[0].body, envelope.Message);
        const sqs = messagesFromJson({ Records: [{ messageId: "m1", body: JSON.stringify(envelope) }] }, "x");
        assert.equal(sqs[0].messageId, envelope.MessageId);
        const bare = fixtureJson("ec2/01-instance-stopped.json");
        const array = messagesFromJson([bare, bare], "file:a");
        assert.deepEqual(array.map((m) => m.messageId), ["file:a[0]", "file:a[1]"]);
        assert.equal(array[0].receivedAt, "2024-05-01T14:10:00.000Z");
    });
});

describe("triage: alert manager messages (contract C1)", () => {
    it("normalizes a firing alert: fingerprint key, source times, labels, mitigations", () => {
        const alert = only(parseMessage(message("amp/01-crashloop-firing.sns.json")));
        assert.equal(alert.source, "prometheus");
        assert.equal(alert.key, "prometheus:3f1c9a4be07d2e11");
        assert.equal(alert.status, "firing");
        assert.equal(alert.startsAt, "2024-05-01T11:55:00.000Z");
        assert.equal(alert.endsAt, undefined, "Go's zero end time means no end");
        assert.equal(alert.order, "2024-05-01T11:55:00.000Z|0");
        assert.equal(alert.cluster, "payments-prod");
        assert.equal(alert.alertname, "KubePodCrashLooping");
        assert.equal(alert.severity, "warning");
        assert.equal(alert.level, "pod");
        assert.equal(alert.impactLabel, "uncertain");
        assert.equal(alert.summary, 'Pod shop/cart-7d9c6b5f4-x2lkq (cart) is in waiting state (reason: "CrashLoopBackOff").');
        assert.equal(alert.runbookUrl, "https://runbooks.vigil.dev/pod/KubePodCrashLooping.md");
        assert.deepEqual(alert.mitigations, [
            "Read the previous container's logs: kubectl -n shop logs cart-7d9c6b5f4-x2lkq -c cart --previous",
            "Roll back the last deployment if the crashes started with it: kubectl -n shop rollout undo deployment/cart",
        ]);
        assert.equal(alert.attributes.namespace, "shop");
        assert.equal(alert.messageId, "5f0c7b2e-1d4a-5b6c-8e9f-000000000001");
    });

    it("a resolved alert keeps its key and sorts after its firing", () => {
        const firing = only(parseMessage(message("amp/01-crashloop-firing.sns.json")));
        const resolved = only(parseMessage(message("amp/03-crashloop-resolved.sns.json")));
        assert.equal(resolved.key, firing.key);
        assert.equal(resolved.status, "resolved");
        assert.equal(resolved.endsAt, "2024-05-01T16:20:00.000Z");
        assert.ok(resolved.order > firing.order);
    });

    it("splits a group snapshot per alert, in the order they started", () => {
        const alerts = alertsOf(parseMessage(message("amp/06-node-group-mixed.sns.json")));
        assert.deepEqual(
            alerts.map((a) => [a.key, a.status]),
            [
                ["prometheus:1f2e3d4c5b6a7980", "resolved"],
                ["prometheus:7e6d5c4b3a291807", "firing"],
            ],
        );
    });

    it("decodes the template's js escaping: quotes, backslashes, <>&=, newline, tab, non-ASCII", () => {
        const alert = only(parseMessage(message("amp/08-special-characters.sns.json")));
        assert.equal(alert.description, 'The job printed: "can\'t open C:\\reports\\out.csv" <exit=1> & retried\n\tnext run: Zürich 02:00 — 東京 09:00 ✓');
    });

    it("turns the Watchdog into a heartbeat, never an alert", () => {
        const parsed = parseMessage(message("amp/07-watchdog-heartbeat.sns.json"));
        assert.equal(parsed.kind, "alerts");
        if (parsed.kind === "alerts") {
            assert.deepEqual(parsed.alerts, []);
            assert.deepEqual(parsed.heartbeats, [{ cluster: "payments-prod", status: "firing", at: "2024-05-01T12:30:00.981Z", startsAt: "2024-04-30T08:00:00.000Z" }]);
        }
    });

    it("triages AMP's default text body and still reports that the JSON template is not applied", () => {
        const inbound = message("amp/09-default-text-body.sns.json");
        const parsed = parseMessage(inbound);
        assert.equal(parsed.kind, "alerts");
        if (parsed.kind === "alerts") {
            // The fingerprint a real Alertmanager 0.25 gives these labels (see ampText.test.ts).
            assert.deepEqual(parsed.alerts.map((a) => [a.key, a.status, a.alertname, a.impactLabel, a.observedAt, a.untimed]), [
                ["prometheus:85c049965f11a4fa", "firing", "KubeDaemonSetMisScheduled", "none", "2024-05-01T11:55:31.402Z", true],
            ]);
            assert.deepEqual(parsed.problems, []);
            assert.deepEqual(parsed.warnings, ["AMP default text body (the alert manager's JSON template is not applied): 1 alert(s) triaged from the text, timed by delivery"]);
        }
    });

    it("records a truncated body as a parse failure naming AMP's attributes", () => {
        const parsed = parseMessage(message("amp/10-truncated.sns.json"));
        assert.equal(parsed.kind, "unparsed");
        if (parsed.kind === "unparsed") {
            assert.match(parsed.unparsed.reason, /not JSON.*truncated="true"/);
            assert.equal(parsed.unparsed.attributes.truncated, "true");
        }
    });

    it("keeps the usable alerts of a message and reports the broken ones", () => {
        const inbound = message("amp/06-node-group-mixed.sns.json");
        const body = JSON.parse(inbound.body);
        body.alerts[1].fingerprint = "not-hex";
        body.alerts.push({ status: "pending", labels: { alertname: "X" }, annotations: {}, startsAt: "2024-05-01T12:00:00.000Z", fingerprint: "00" });
        const parsed = parseMessage({ ...inbound, body: JSON.stringify(body) });
        assert.equal(parsed.kind, "alerts");
        if (parsed.kind === "alerts") {
            assert.deepEqual(parsed.alerts.map((a) => a.key), ["prometheus:7e6d5c4b3a291807"]);
            assert.equal(parsed.problems.length, 2);
            assert.match(parsed.problems[0], /alerts\[1\] \(KubeNodeNotReady\)\.fingerprint "not-hex"/);
            assert.match(parsed.problems[1], /alerts\[2\]\.status is "pending"/);
        }
    });
});

describe("triage: EventBridge events", () => {
    it("GuardDuty: finding id key, severity band, cluster from the EKS details, count", () => {
        const alert = only(parseMessage(message("guardduty/01-eks-finding-medium.json")));
        assert.equal(alert.source, "guardduty");
        assert.equal(alert.key, "guardduty:111122223333:eu-west-1:6ec4a3b2f1e0d9c8b7a6958473625140");
        assert.equal(alert.status, "firing");
        assert.equal(alert.cluster, "payments-prod");
        assert.equal(alert.startsAt, "2024-05-01T12:41:07.000Z");
        assert.equal(alert.severity, "warning");
        assert.deepEqual(alert.attributes, { type: "Discovery:Kubernetes/AnomalousBehavior.PermissionChecked", severity: "medium", resourceType: "EKSCluster", cluster: "payments-prod", archived: "false" });
        assert.equal(alert.count, 1);
        assert.match(alert.mitigations[1], /system:serviceaccount:shop:cart/);
    });

    it("GuardDuty: a repeat has the same key and a higher order", () => {
        const first = only(parseMessage(message("guardduty/01-eks-finding-medium.json")));
        const repeat = only(parseMessage(message("guardduty/02-eks-finding-medium-repeat.json")));
        assert.equal(repeat.key, first.key);
        assert.equal(repeat.count, 4);
        assert.equal(repeat.startsAt, first.startsAt);
        assert.ok(repeat.order > first.order);
    });

    it("GuardDuty severity bands", () => {
        assert.deepEqual([1, 3.9, 4, 6.9, 7, 8.9, 9, 10].map(guardDutyBand), ["low", "low", "medium", "medium", "high", "high", "critical", "critical"]);
    });

    it("AWS Health: event ARN and account key, RFC 1123 times, cluster from affected entities, closed resolves", () => {
        const open = only(parseMessage(message("health/01-eks-issue-open.sns.json")));
        assert.equal(open.key, "health:111122223333:arn:aws:health:eu-west-1::event/EKS/AWS_EKS_OPERATIONAL_ISSUE/AWS_EKS_OPERATIONAL_ISSUE_7C3B9_EXAMPLE");
        assert.equal(open.status, "firing");
        assert.equal(open.startsAt, "2024-05-01T12:44:00.000Z");
        assert.equal(open.cluster, "payments-prod");
        assert.equal(open.attributes.eventTypeCategory, "issue");
        const closed = only(parseMessage(message("health/02-eks-issue-closed.json")));
        assert.equal(closed.key, open.key);
        assert.equal(closed.status, "resolved");
        assert.equal(closed.endsAt, "2024-05-01T14:02:00.000Z");
        assert.ok(closed.order > open.order);
    });

    it("EKS add-on health: degraded fires, restored resolves the same key", () => {
        const degraded = only(parseMessage(message("eks/01-addon-health-degraded.json")));
        const restored = only(parseMessage(message("eks/02-addon-health-restored.json")));
        assert.equal(degraded.key, "eks:111122223333:eu-west-1:platform-staging/vpc-cni:addon-health");
        assert.equal(restored.key, degraded.key);
        assert.equal(degraded.status, "firing");
        assert.equal(restored.status, "resolved");
        assert.equal(degraded.cluster, "platform-staging");
        assert.match(degraded.description, /InsufficientNumberOfReplicas/);
    });

    it("EC2: node stopped and spot interruption fire; pending is ignored", () => {
        const stopped = only(parseMessage(message("ec2/01-instance-stopped.json")));
        assert.equal(stopped.key, "ec2:111122223333:eu-west-1:i-0a1b2c3d4e5f67890:state");
        assert.equal(stopped.attributes.state, "stopped");
        assert.equal(stopped.level, "node");
        const spot = only(parseMessage(message("ec2/02-spot-interruption.json")));
        assert.equal(spot.key, "ec2:111122223333:eu-west-1:i-0f9e8d7c6b5a43210:spot-interruption");
        assert.equal(spot.attributes.instanceAction, "terminate");
        assert.deepEqual(parseMessage(message("ec2/03-instance-pending.json")), { kind: "ignored", reason: "EC2 instance i-0123456789abcdef0 is pending" });
    });

    it("CloudWatch: alarm ARN key, cluster from the ClusterName dimension, OK resolves the ALARM period", () => {
        const alarm = only(parseMessage(message("cloudwatch/01-alarm-state-alarm.json")));
        const ok = only(parseMessage(message("cloudwatch/02-alarm-state-ok.json")));
        assert.equal(alarm.key, "cloudwatch:arn:aws:cloudwatch:eu-west-1:111122223333:alarm:payments-prod-node-cpu-high");
        assert.equal(alarm.cluster, "payments-prod");
        assert.equal(alarm.startsAt, "2024-05-01T14:30:40.989Z");
        assert.equal(ok.status, "resolved");
        assert.equal(ok.startsAt, alarm.startsAt, "the OK event names when the ALARM period began");
        assert.equal(ok.endsAt, "2024-05-01T15:00:40.989Z");
        const insufficient = fixtureJson("cloudwatch/01-alarm-state-alarm.json");
        insufficient.detail.state.value = "INSUFFICIENT_DATA";
        assert.equal(parseMessage({ messageId: "x", body: JSON.stringify(insufficient), attributes: {} }).kind, "ignored");
    });

    it("CloudWatch alarm actions publishing straight to SNS are understood too", () => {
        const body = {
            AlarmName: "payments-prod-node-cpu-high",
            AlarmDescription: "Node CPU high",
            AWSAccountId: "111122223333",
            NewStateValue: "ALARM",
            NewStateReason: "Threshold Crossed",
            StateChangeTime: "2024-05-01T14:30:40.989+0000",
            Region: "EU (Ireland)",
            AlarmArn: "arn:aws:cloudwatch:eu-west-1:111122223333:alarm:payments-prod-node-cpu-high",
            OldStateValue: "OK",
            Trigger: { MetricName: "node_cpu_utilization", Namespace: "ContainerInsights", Dimensions: [{ name: "ClusterName", value: "payments-prod" }] },
        };
        const alert = only(parseMessage({ messageId: "x", body: JSON.stringify(body), attributes: {} }));
        assert.equal(alert.key, "cloudwatch:arn:aws:cloudwatch:eu-west-1:111122223333:alarm:payments-prod-node-cpu-high");
        assert.equal(alert.cluster, "payments-prod");
    });

    it("unknown sources and malformed known events are kept as unparsed, never thrown", () => {
        const unknown = parseMessage(message("other/01-unknown-source.sns.json"));
        assert.equal(unknown.kind, "unparsed");
        if (unknown.kind === "unparsed") {
            assert.equal(unknown.unparsed.kind, "unknown-source");
            assert.match(unknown.unparsed.reason, /"aws\.s3"/);
        }
        const broken = fixtureJson("guardduty/01-eks-finding-medium.json");
        delete broken.detail.id;
        const parsed = parseMessage({ messageId: "x", body: JSON.stringify(broken), attributes: {} });
        assert.equal(parsed.kind, "unparsed");
        if (parsed.kind === "unparsed") {
            assert.equal(parsed.unparsed.kind, "parse-failure");
            assert.match(parsed.unparsed.reason, /aws\.guardduty "GuardDuty Finding" event: detail\.id is missing/);
        }
        for (const body of ["", "null", "[1,2]", '"text"', "{}"]) {
            assert.equal(parseMessage({ messageId: "x", body, attributes: {} }).kind, "unparsed", body);
        }
    });

    it("finds clusters in node tags and EKS ARNs", () => {
        assert.equal(clusterFromTags([{ key: "eks:cluster-name", value: "payments-prod" }]), "payments-prod");
        assert.equal(clusterFromTags({ "kubernetes.io/cluster/platform-staging": "owned" }), "platform-staging");
        assert.equal(clusterFromTags([{ Key: "Name", Value: "bastion" }]), "");
        assert.equal(clusterFromEksArn("arn:aws:eks:eu-west-1:111122223333:nodegroup/payments-prod/ng-a/1a2b"), "payments-prod");
        assert.equal(clusterFromEksArn("arn:aws:ec2:eu-west-1:111122223333:instance/i-1"), "");
    });
});

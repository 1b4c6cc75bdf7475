import * as assert from "node:assert/strict";
import * as yaml from "js-yaml";
import { ampAlertManagerTopics } from "../../policies/amp/alertManagerTopics";
import { ampAlertManagerValid } from "../../policies/amp/alertManagerValid";
import { ampPipelineAlerts } from "../../policies/amp/pipelineAlerts";
import { ampRuleCoverage } from "../../policies/amp/ruleCoverage";
import { ampRuleLabels } from "../../policies/amp/ruleLabels";
import { ampWorkspaceLogging } from "../../policies/amp/workspaceLogging";
import { parseMatchers, route } from "../../policies/lib/alertmanager";
import { ALERT_TOPIC, alertmanagerConfig, CLUSTER_RULES, definition, HEARTBEAT_TOPIC, operatorStack, PIPELINE_RULES, TEMPLATE } from "./fixtures";
import { assertClean, assertNotApplicable, assertStackNotApplicable, assertViolations, FixtureStack, run } from "./harness";

const DEF = 'aws:amp/alertManagerDefinition:AlertManagerDefinition "vigil-alert-manager"';

/** The operator stack with the alert manager configuration changed. */
function withConfig(change: (config: any) => void, templates?: Record<string, string>): FixtureStack {
    const s = operatorStack(["payments-prod"]);
    const config = alertmanagerConfig();
    change(config);
    s.get("vigil-alert-manager").inputs.definition = definition(config, templates);
    return s;
}

describe("vigil-amp-workspace-logging", () => {
    const WS = 'aws:amp/workspace:Workspace "vigil-workspace"';

    it("accepts a log group ARN with the :* suffix", async () => {
        await assertClean(ampWorkspaceLogging, operatorStack());
    });

    it("reports a workspace without logging, and an ARN AMP refuses", async () => {
        const s = operatorStack();
        const ws = s.get("vigil-workspace");
        delete ws.inputs.loggingConfiguration;
        await assertViolations(ampWorkspaceLogging, s, [{ on: ws, message: `The AMP workspace ${WS} must log to CloudWatch: set loggingConfiguration.logGroupArn to the log group's ARN followed by ":*".` }]);
        ws.inputs.loggingConfiguration = { logGroupArn: "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/vendedlogs/prometheus/vigil" };
        await assertViolations(ampWorkspaceLogging, s, [
            {
                on: ws,
                message: `The AMP workspace ${WS} has loggingConfiguration.logGroupArn "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/vendedlogs/prometheus/vigil"; AMP accepts a log group ARN ending in ":*" (arn:aws:logs:<region>:<account>:log-group:<name>:*).`,
            },
        ]);
    });

    it("requires a customer-managed key only when configured to", async () => {
        const s = operatorStack();
        const config = { "vigil-amp-workspace-logging": { requireCustomerManagedKey: true } };
        await assertViolations(ampWorkspaceLogging, s, [{ on: s.get("vigil-workspace"), message: `The AMP workspace ${WS} must be encrypted with a customer-managed KMS key: set kmsKeyArn.` }], { config });
        s.get("vigil-workspace").inputs.kmsKeyArn = "arn:aws:kms:eu-west-1:111122223333:key/k";
        await assertClean(ampWorkspaceLogging, s, { config });
    });
});

describe("vigil-amp-alert-manager-valid", () => {
    const at = (receiver: string) => `sns_configs[0] of receiver "${receiver}" of ${DEF}`;

    it("accepts the contract's definition", async () => {
        await assertClean(ampAlertManagerValid, operatorStack());
    });

    it("reports a definition without its text", async () => {
        const s = operatorStack(["payments-prod"]);
        const def = s.get("vigil-alert-manager");
        delete def.inputs.definition;
        await assertViolations(ampAlertManagerValid, s, [{ on: def, message: `The alert manager definition ${DEF} must have a definition (YAML text).` }]);
    });

    it("reports a definition that cannot be read", async () => {
        const s = operatorStack(["payments-prod"]);
        const def = s.get("vigil-alert-manager");
        def.inputs.definition = "alertmanager_config:\n  route: {}\n";
        await assertViolations(ampAlertManagerValid, s, [{ on: def, message: `The alert manager definition ${DEF} cannot be read: the definition must hold the Alertmanager configuration as a string under alertmanager_config.` }]);
        def.inputs.definition = "alertmanager_config: 'route: ['";
        await assertViolations(ampAlertManagerValid, s, [
            { on: def, message: `The alert manager definition ${DEF} cannot be read: alertmanager_config is not valid YAML (unexpected end of the stream within a flow collection (1:9)).` },
        ]);
    });

    it("reports a missing receiver and receivers that are not SNS", async () => {
        const s = withConfig((c) => {
            c.receivers[1] = { name: "pager", webhook_configs: [{ url: "https://example.com" }] };
            c.route.routes[0].receiver = "pager";
        });
        await assertViolations(ampAlertManagerValid, s, [
            { on: s.get("vigil-alert-manager"), message: `The alert manager definition ${DEF} must have a receiver named "heartbeat"; it has "alerts" and "pager".` },
            { on: s.get("vigil-alert-manager"), message: `The receiver "pager" of ${DEF} uses webhook_configs; Vigil's alert manager sends to SNS only (sns_configs).` },
            { on: s.get("vigil-alert-manager"), message: `The receiver "pager" of ${DEF} has no sns_configs; every receiver sends to an SNS topic.` },
            { on: s.get("vigil-alert-manager"), message: `The route of ${DEF} must send Watchdog (alertname="Watchdog") to the receiver "heartbeat" only; it goes to "pager".` },
        ]);
    });

    it("reports each broken SNS setting", async () => {
        const s = withConfig((c) => {
            const sns = c.receivers[0].sns_configs[0];
            sns.topic_arn = "alerts";
            delete sns.sigv4;
            sns.api_url = "https://sns.eu-west-1.amazonaws.com";
            sns.send_resolved = false;
            delete sns.message;
            delete sns.subject;
        });
        const on = s.get("vigil-alert-manager");
        await assertViolations(ampAlertManagerValid, s, [
            { on, message: `The ${at("alerts")} must name its topic with topic_arn (an SNS topic ARN).` },
            { on, message: `The ${at("alerts")} must set sigv4.region; AMP signs SNS requests with SigV4.` },
            { on, message: `The ${at("alerts")} sets api_url, which AMP rejects; remove it.` },
            { on, message: `The ${at("alerts")} sets send_resolved to false; the triage engine needs resolved notifications to close cases.` },
            { on, message: `The ${at("alerts")} must set message to the JSON message template (contract C1); without it AMP sends plain text the triage engine cannot parse.` },
            { on, message: `The ${at("alerts")} must set subject to a short fixed-form subject (contract C1).` },
        ]);
    });

    it("reports a signing region other than the topic's", async () => {
        const s = withConfig((c) => (c.receivers[1].sns_configs[0].sigv4.region = "us-east-1"));
        await assertViolations(ampAlertManagerValid, s, [{ on: s.get("vigil-alert-manager"), message: `The ${at("heartbeat")} signs for us-east-1 but its topic is in eu-west-1; sigv4.region must be the topic's region.` }]);
    });

    it("reports templates that are not defined", async () => {
        const s = withConfig(
            (c) => {
                c.templates = ["vigil.tmpl", "extra.tmpl"];
                c.receivers[0].sns_configs[0].message = '{{ template "vigil.sns.body" . }}';
            },
            { "vigil.tmpl": TEMPLATE },
        );
        const on = s.get("vigil-alert-manager");
        await assertViolations(ampAlertManagerValid, s, [
            { on, message: `The alert manager definition ${DEF} lists the template file "extra.tmpl", which template_files does not define.` },
            { on, message: `The ${at("alerts")} calls the template "vigil.sns.body" in message, which no template file defines.` },
        ]);
    });

    it("reports grouping without the cluster, alertname and namespace labels", async () => {
        const s = withConfig((c) => (c.route.group_by = ["alertname"]));
        await assertViolations(ampAlertManagerValid, s, [{ on: s.get("vigil-alert-manager"), message: `The route of ${DEF} must group by cluster, alertname and namespace; group_by lacks cluster and namespace.` }]);
        await assertClean(ampAlertManagerValid, withConfig((c) => (c.route.group_by = ["..."])));
    });

    it("reports a heartbeat that is not routed alone to its receiver", async () => {
        const s = withConfig((c) => {
            c.route.routes[0].continue = true;
            c.route.routes.push({ receiver: "alerts", matchers: ['alertname=~".+"'] });
        });
        await assertViolations(ampAlertManagerValid, s, [
            { on: s.get("vigil-alert-manager"), message: `The route of ${DEF} must send Watchdog (alertname="Watchdog") to the receiver "heartbeat" only; it goes to "heartbeat" and "alerts".` },
        ]);
    });

    it("reports a heartbeat repeat interval that is too long, and follows maxHeartbeatRepeatInterval", async () => {
        const s = withConfig((c) => delete c.route.routes[0].repeat_interval);
        await assertViolations(ampAlertManagerValid, s, [
            { on: s.get("vigil-alert-manager"), message: `The heartbeat route of ${DEF} repeats every 4h; a heartbeat must repeat at least every 15m (set repeat_interval on the Watchdog route).` },
        ]);
        await assertClean(ampAlertManagerValid, s, { config: { "vigil-amp-alert-manager-valid": { maxHeartbeatRepeatInterval: "4h" } } });
        await assertViolations(
            ampAlertManagerValid,
            operatorStack(["payments-prod"]),
            [{ on: s.get("vigil-alert-manager"), message: 'The policy configuration maxHeartbeatRepeatInterval is "soon"; it must be a duration such as 15m.' }],
            { config: { "vigil-amp-alert-manager-valid": { maxHeartbeatRepeatInterval: "soon" } } },
        );
    });

    it("reports ordinary alerts that miss the alerts receiver", async () => {
        const s = withConfig((c) => {
            c.receivers.push({ name: "void", sns_configs: c.receivers[0].sns_configs });
            c.route.routes.push({ receiver: "void", matchers: ['severity=~"info|warning"'] });
        });
        const on = s.get("vigil-alert-manager");
        await assertViolations(ampAlertManagerValid, s, [
            { on, message: `The route of ${DEF} must send every alert other than Watchdog to the receiver "alerts"; KubePodCrashLooping (severity warning) goes to "void".` },
            { on, message: `The route of ${DEF} must send every alert other than Watchdog to the receiver "alerts"; TargetDown (severity info) goes to "void".` },
        ]);
    });

    it("reports a route whose matchers cannot be parsed", async () => {
        const s = withConfig((c) => (c.route.routes[0].matchers = ["alertname Watchdog"]));
        await assertViolations(ampAlertManagerValid, s, [
            { on: s.get("vigil-alert-manager"), message: `The route of ${DEF} cannot be evaluated: matcher "alertname Watchdog" is not of the form label=value, label!=value, label=~regex or label!~regex.` },
        ]);
    });

    it("is not applicable to other types", async () => {
        const s = operatorStack(["payments-prod"]);
        await assertNotApplicable(ampAlertManagerValid, s, s.get("vigil-workspace"));
    });
});

describe("Alertmanager routing as the policies evaluate it", () => {
    const root = alertmanagerConfig().route;

    it("routes Watchdog to the heartbeat receiver with its own timing and everything else to alerts", () => {
        assert.deepEqual(route(root, { alertname: "Watchdog" }), [{ receiver: "heartbeat", groupBy: ["cluster", "alertname", "namespace"], groupInterval: "1m", repeatInterval: "5m" }]);
        assert.deepEqual(route(root, { alertname: "KubeNodeNotReady" }).map((r) => r.receiver), ["alerts"]);
    });

    it("parses the matcher forms Alertmanager accepts", () => {
        assert.deepEqual(parseMatchers('{alertname="Watchdog", severity=~"info|none"}'), [
            { name: "alertname", op: "=", value: "Watchdog" },
            { name: "severity", op: "=~", value: "info|none" },
        ]);
        assert.deepEqual(parseMatchers("team!=shop"), [{ name: "team", op: "!=", value: "shop" }]);
        assert.deepEqual(parseMatchers('msg!~"a,b"'), [{ name: "msg", op: "!~", value: "a,b" }]);
    });

    it("honours continue, legacy match, and anchored regular expressions", () => {
        const tree = {
            receiver: "alerts",
            routes: [
                { receiver: "first", match: { team: "shop" }, continue: true },
                { receiver: "second", match_re: { severity: "crit" } },
                { receiver: "third", match_re: { severity: "critical" } },
            ],
        };
        assert.deepEqual(route(tree, { team: "shop", severity: "critical" }).map((r) => r.receiver), ["first", "third"]);
        assert.deepEqual(route(tree, { team: "web" }).map((r) => r.receiver), ["alerts"]);
    });
});

describe("vigil-amp-alert-manager-topics", () => {
    it("accepts receivers on the stack's alert and heartbeat topics, both feeding the intake queue", async () => {
        await assertClean(ampAlertManagerTopics, operatorStack());
    });

    it("reports a receiver topic the stack does not create", async () => {
        const s = withConfig((c) => (c.receivers[0].sns_configs[0].topic_arn = "arn:aws:sns:eu-west-1:111122223333:elsewhere"));
        const result = await run(ampAlertManagerTopics, s);
        assert.deepEqual(
            result.violations.map((v) => v.message),
            [`The receiver "alerts" of ${DEF} sends to arn:aws:sns:eu-west-1:111122223333:elsewhere, which is not a topic of this stack; use the topic AccountMonitoring creates.`, `No SQS queue subscribes to the alert topic arn:aws:sns:eu-west-1:111122223333:elsewhere of ${DEF}; subscribe the triage intake queue to it.`],
        );
    });

    it("reports the heartbeat sharing the alert topic", async () => {
        const s = withConfig((c) => (c.receivers[1].sns_configs[0].topic_arn = ALERT_TOPIC));
        await assertViolations(ampAlertManagerTopics, s, [
            { on: s.get("vigil-alert-manager"), message: `The receivers "alerts" and "heartbeat" of ${DEF} share the topic ${ALERT_TOPIC}; the heartbeat needs its own topic so that its absence can be alarmed on.` },
        ]);
    });

    it("reports an intake queue that misses the heartbeat topic, and an alert topic nobody reads", async () => {
        const s = operatorStack(["payments-prod"]);
        s.remove("vigil-triage-heartbeat");
        await assertViolations(ampAlertManagerTopics, s, [
            { on: s.get("vigil-alert-manager"), message: `The triage intake queue (arn:aws:sqs:eu-west-1:111122223333:vigil-triage-intake) does not subscribe to the heartbeat topic ${HEARTBEAT_TOPIC} of ${DEF}; subscribe it so that the engine records heartbeats.` },
        ]);
        s.remove("vigil-triage-alerts");
        await assertViolations(ampAlertManagerTopics, s, [{ on: s.get("vigil-alert-manager"), message: `No SQS queue subscribes to the alert topic ${ALERT_TOPIC} of ${DEF}; subscribe the triage intake queue to it.` }]);
    });

    it("is not applicable without a readable definition", async () => {
        const s = operatorStack(["payments-prod"]);
        s.remove("vigil-alert-manager");
        await assertStackNotApplicable(ampAlertManagerTopics, s, /no readable alert manager definition/);
    });
});

describe("vigil-amp-pipeline-alerts", () => {
    it("accepts the pipeline's own alerts", async () => {
        await assertClean(ampPipelineAlerts, operatorStack());
    });

    it("reports missing pipeline alerts", async () => {
        const s = operatorStack(["payments-prod"]);
        s.remove("vigil-rules-pipeline");
        await assertViolations(ampPipelineAlerts, s, [
            { message: "The rule namespaces lack the pipeline alerts Watchdog, ClusterMetricsAbsent, PrometheusRemoteWriteBehind, PrometheusRemoteStorageFailures and TargetDown; deploy rules/pipeline.yaml." },
        ]);
        await assertViolations(ampPipelineAlerts, s, [{ message: "The rule namespaces lack the pipeline alert KubeNodeNotReadyForever; deploy rules/pipeline.yaml." }], {
            config: { "vigil-amp-pipeline-alerts": { requiredAlerts: ["KubeNodeNotReady", "KubeNodeNotReadyForever"] } },
        });
    });

    it("reports a Watchdog with the wrong labels", async () => {
        const s = operatorStack(["payments-prod"]);
        s.get("vigil-rules-pipeline").inputs.data = PIPELINE_RULES.replace("severity: info", "severity: critical");
        await assertViolations(ampPipelineAlerts, s, [{ message: 'The Watchdog alert must be labelled severity=info, impact=none, level=pipeline; it has severity="critical".' }]);
    });

    it("is not applicable without rule namespaces", async () => {
        const s = operatorStack(["payments-prod"]);
        s.remove("vigil-rules-pipeline", "vigil-rules-cluster");
        await assertStackNotApplicable(ampPipelineAlerts, s, /deploys no rule namespaces/);
    });
});

describe("vigil-amp-rule-labels", () => {
    const NS = 'aws:amp/ruleGroupNamespace:RuleGroupNamespace "vigil-rules-cluster"';

    /** The cluster rule file with its first alert changed. */
    function withRule(change: (rule: any) => void): FixtureStack {
        const s = operatorStack(["payments-prod"]);
        const doc = yaml.load(CLUSTER_RULES) as any;
        change(doc.groups[0].rules[0]);
        s.get("vigil-rules-cluster").inputs.data = yaml.dump(doc);
        return s;
    }
    const where = 'alert "KubeNodeNotReady" (group "vigil-cluster") of ' + NS;

    it("accepts the shipped shape", async () => {
        await assertClean(ampRuleLabels, operatorStack());
    });

    it("reports a namespace without a rules file", async () => {
        const s = operatorStack(["payments-prod"]);
        const ns = s.get("vigil-rules-cluster");
        delete ns.inputs.data;
        await assertViolations(ampRuleLabels, s, [{ on: ns, message: `The rule namespace ${NS} must hold a Prometheus rules file in data.` }]);
    });

    it("reports labels that are missing or not allowed", async () => {
        const s = withRule((r) => {
            delete r.labels.impact;
            r.labels.severity = "page";
        });
        await assertViolations(ampRuleLabels, s, [
            { on: s.get("vigil-rules-cluster"), message: `The ${where} has severity "page"; it must be one of critical, warning, info.` },
            { on: s.get("vigil-rules-cluster"), message: `The ${where} has impact unset; it must be one of known, uncertain, none.` },
        ]);
    });

    it("reports missing annotations", async () => {
        const s = withRule((r) => {
            delete r.annotations.runbook_url;
            r.annotations.description = " ";
        });
        await assertViolations(ampRuleLabels, s, [{ on: s.get("vigil-rules-cluster"), message: `The ${where} lacks the annotations description and runbook_url.` }]);
    });

    it("reports an expression that does not parse, in alerts and recording rules", async () => {
        const s = withRule((r) => (r.expr = "sum(rate(x[5m])"));
        const doc = yaml.load(s.get("vigil-rules-cluster").inputs.data) as any;
        doc.groups[0].rules.push({ record: "cluster:x:sum", expr: "sum by (cluster) (" });
        s.get("vigil-rules-cluster").inputs.data = yaml.dump(doc);
        await assertViolations(ampRuleLabels, s, [
            { on: s.get("vigil-rules-cluster"), message: `The ${where} has an invalid expression: syntax error at offset 15.` },
            { on: s.get("vigil-rules-cluster"), message: `The recording rule "cluster:x:sum" (group "vigil-cluster") of ${NS} has an invalid expression: syntax error at offset 18.` },
        ]);
    });

    it("reports data that is not a rules file", async () => {
        const s = operatorStack(["payments-prod"]);
        s.get("vigil-rules-cluster").inputs.data = "rules: []";
        await assertViolations(ampRuleLabels, s, [{ on: s.get("vigil-rules-cluster"), message: `The rule namespace ${NS} cannot be read: the rules must be a Prometheus rules file with a groups list.` }]);
    });
});

describe("vigil-amp-rule-coverage", () => {
    it("accepts rules at every level the monitoring activities name", async () => {
        await assertClean(ampRuleCoverage, operatorStack());
    });

    it("reports activities whose levels have no alerts", async () => {
        const s = operatorStack(["payments-prod"]);
        s.get("vigil-rules-cluster").inputs.data = CLUSTER_RULES.replace(/level: coredns/, "level: pod").replace(/level: control-plane/, "level: pod");
        await assertViolations(ampRuleCoverage, s, [
            {
                message:
                    "Activity control-plane-monitoring (Monitor the health and performance of the EKS control plane) needs alerts at level control-plane and apiserver, but the rule namespaces have none at level control-plane; add rules under rules/.",
            },
            {
                message:
                    "Activity cluster-health-monitoring (Monitor the health and performance of the cluster (cluster, node, workload, pod, API server, CoreDNS)) needs alerts at level cluster, node, workload, pod, apiserver and coredns, but the rule namespaces have none at level coredns; add rules under rules/.",
            },
        ]);
    });

    it("is not applicable in a customer's stack", async () => {
        await assertStackNotApplicable(ampRuleCoverage, operatorStack(), /operator's responsibility/, { party: "customer" });
    });
});

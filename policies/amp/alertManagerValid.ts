import type { ReportViolation, ResourceValidationPolicy } from "@pulumi/policy";
import {
    ALERTS_RECEIVER,
    calledTemplates,
    Definition,
    DefinitionError,
    definedTemplates,
    HEARTBEAT_ALERT,
    HEARTBEAT_RECEIVER,
    parseDefinition,
    route,
} from "../lib/alertmanager";
import { forVigilTypes, listing } from "../lib/policy";
import { arnRegion, describe, durationSeconds } from "../lib/resources";

interface AlertManagerConfig {
    readonly maxHeartbeatRepeatInterval: string;
}

const GROUP_BY = ["cluster", "alertname", "namespace"];

// Alerts the routing tree is exercised with: the heartbeat, and ordinary alerts of each severity.
const HEARTBEAT_LABELS = { alertname: HEARTBEAT_ALERT, severity: "info", impact: "none", level: "pipeline", cluster: "example" };
const ORDINARY_ALERTS: Record<string, string>[] = [
    { alertname: "KubePodCrashLooping", severity: "warning", impact: "uncertain", level: "pod", cluster: "example", namespace: "shop" },
    { alertname: "KubeNodeNotReady", severity: "critical", impact: "known", level: "node", cluster: "example" },
    { alertname: "TargetDown", severity: "info", impact: "none", level: "pipeline", cluster: "example", namespace: "vigil-monitoring" },
];

function checkReceivers(definition: Definition, what: string, report: ReportViolation): void {
    const receivers = definition.config.receivers ?? [];
    const names = receivers.map((r) => r.name);
    for (const required of [ALERTS_RECEIVER, HEARTBEAT_RECEIVER]) {
        if (!names.includes(required)) {
            report(`The alert manager definition ${what} must have a receiver named ${JSON.stringify(required)}; it has ${names.length === 0 ? "none" : listing(names.map((n) => JSON.stringify(n)))}.`);
        }
    }
    const defined = definedTemplates(definition.templateFiles);
    for (const file of definition.config.templates ?? []) {
        if (!(file in definition.templateFiles)) {
            report(`The alert manager definition ${what} lists the template file ${JSON.stringify(file)}, which template_files does not define.`);
        }
    }
    for (const receiver of receivers) {
        const others = Object.keys(receiver).filter((k) => k.endsWith("_configs") && k !== "sns_configs");
        if (others.length > 0) {
            report(`The receiver ${JSON.stringify(receiver.name)} of ${what} uses ${others.join(", ")}; Vigil's alert manager sends to SNS only (sns_configs).`);
        }
        const configs = receiver.sns_configs ?? [];
        if (configs.length === 0) {
            report(`The receiver ${JSON.stringify(receiver.name)} of ${what} has no sns_configs; every receiver sends to an SNS topic.`);
        }
        configs.forEach((c, i) => {
            const at = `sns_configs[${i}] of receiver ${JSON.stringify(receiver.name)} of ${what}`;
            if (typeof c.topic_arn !== "string" || !/^arn:aws[a-z-]*:sns:/.test(c.topic_arn)) {
                report(`The ${at} must name its topic with topic_arn (an SNS topic ARN).`);
            }
            const region = c.sigv4?.region;
            if (typeof region !== "string" || region === "") {
                report(`The ${at} must set sigv4.region; AMP signs SNS requests with SigV4.`);
            } else if (typeof c.topic_arn === "string" && arnRegion(c.topic_arn) !== undefined && arnRegion(c.topic_arn) !== region) {
                report(`The ${at} signs for ${region} but its topic is in ${arnRegion(c.topic_arn)}; sigv4.region must be the topic's region.`);
            }
            for (const key of ["api_url", "http_config"] as const) {
                if (c[key] !== undefined) {
                    report(`The ${at} sets ${key}, which AMP rejects; remove it.`);
                }
            }
            if (c.send_resolved === false) {
                report(`The ${at} sets send_resolved to false; the triage engine needs resolved notifications to close cases.`);
            }
            if (typeof c.message !== "string" || c.message.trim() === "") {
                report(`The ${at} must set message to the JSON message template (contract C1); without it AMP sends plain text the triage engine cannot parse.`);
            }
            if (typeof c.subject !== "string" || c.subject.trim() === "") {
                report(`The ${at} must set subject to a short fixed-form subject (contract C1).`);
            }
            for (const field of ["message", "subject"] as const) {
                const text = c[field];
                for (const name of typeof text === "string" ? calledTemplates(text) : []) {
                    if (!defined.has(name)) {
                        report(`The ${at} calls the template ${JSON.stringify(name)} in ${field}, which no template file defines.`);
                    }
                }
            }
        });
    }
}

function checkRouting(definition: Definition, what: string, maxHeartbeat: string, report: ReportViolation): void {
    const root = definition.config.route;
    if (!root) {
        report(`The alert manager definition ${what} has no route.`);
        return;
    }
    const groupBy = root.group_by ?? [];
    const missing = GROUP_BY.filter((l) => !groupBy.includes(l));
    if (!groupBy.includes("...") && missing.length > 0) {
        report(`The route of ${what} must group by ${listing(GROUP_BY)}; group_by lacks ${listing(missing)}.`);
    }
    const heartbeat = route(root, HEARTBEAT_LABELS);
    if (heartbeat.length !== 1 || heartbeat[0].receiver !== HEARTBEAT_RECEIVER) {
        report(`The route of ${what} must send ${HEARTBEAT_ALERT} (alertname="${HEARTBEAT_ALERT}") to the receiver ${JSON.stringify(HEARTBEAT_RECEIVER)} only; it goes to ${listing(heartbeat.map((r) => JSON.stringify(r.receiver ?? "(none)")))}.`);
    } else {
        const every = durationSeconds(heartbeat[0].repeatInterval);
        const max = durationSeconds(maxHeartbeat);
        if (max === undefined) {
            report(`The policy configuration maxHeartbeatRepeatInterval is ${JSON.stringify(maxHeartbeat)}; it must be a duration such as 15m.`);
        } else if (every === undefined || every > max) {
            report(`The heartbeat route of ${what} repeats every ${heartbeat[0].repeatInterval}; a heartbeat must repeat at least every ${maxHeartbeat} (set repeat_interval on the ${HEARTBEAT_ALERT} route).`);
        }
    }
    for (const labels of ORDINARY_ALERTS) {
        const routed = route(root, labels);
        const receivers = routed.map((r) => r.receiver ?? "(none)");
        if (!receivers.includes(ALERTS_RECEIVER) || receivers.includes(HEARTBEAT_RECEIVER)) {
            report(`The route of ${what} must send every alert other than ${HEARTBEAT_ALERT} to the receiver ${JSON.stringify(ALERTS_RECEIVER)}; ${labels.alertname} (severity ${labels.severity}) goes to ${listing(receivers.map((r) => JSON.stringify(r)))}.`);
        }
    }
}

export const ampAlertManagerValid: ResourceValidationPolicy = {
    name: "vigil-amp-alert-manager-valid",
    description:
        "The AMP alert manager definition sends only to SNS (sns_configs with topic_arn, sigv4.region, the JSON message template and a subject, never api_url or http_config), groups by cluster, alertname and namespace, routes Watchdog alone to the heartbeat receiver with a short repeat interval and every other alert to the alerts receiver.",
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema: {
        properties: {
            maxHeartbeatRepeatInterval: {
                type: "string",
                default: "15m",
                pattern: "^([0-9]+(ms|s|m|h|d|w|y))+$",
                description: "The longest repeat interval the Watchdog heartbeat route may have.",
            },
        },
    },
    remediationSteps: "Build the definition with AccountMonitoring's alertmanagerConfig(); check it with amtool check-config and amtool config routes test.",
    validateResource: forVigilTypes(["aws:amp/alertManagerDefinition:AlertManagerDefinition"], (props, args, report) => {
        const what = describe(args);
        if (typeof props.definition !== "string") {
            report(`The alert manager definition ${what} must have a definition (YAML text).`);
            return;
        }
        let definition: Definition;
        try {
            definition = parseDefinition(props.definition);
        } catch (err) {
            if (err instanceof DefinitionError) {
                report(`The alert manager definition ${what} cannot be read: ${err.message}.`);
                return;
            }
            throw err;
        }
        checkReceivers(definition, what, report);
        try {
            checkRouting(definition, what, args.getConfig<AlertManagerConfig>().maxHeartbeatRepeatInterval, report);
        } catch (err) {
            if (err instanceof DefinitionError || err instanceof SyntaxError) {
                report(`The route of ${what} cannot be evaluated: ${err.message}.`);
                return;
            }
            throw err;
        }
    }),
};

// The AMP alert manager definition (contracts C1 and C2): the routing tree, inhibition, the SNS
// receivers and the message template that renders one JSON object per notification.
//
// AMP takes a single YAML document with `template_files:` (template name -> text) and
// `alertmanager_config: |` (a standard Alertmanager configuration as a string). The builders
// here are pure so that tests can run the real `amtool` and Alertmanager on exactly what AMP gets.

import * as yaml from "js-yaml";
import { formatDuration } from "../../stacks/config";

/** Receiver of every alert except the heartbeat; publishes to the alert topic. */
export const ALERTS_RECEIVER = "alerts";
/** Receiver of the `Watchdog` heartbeat; publishes to the heartbeat topic. */
export const HEARTBEAT_RECEIVER = "heartbeat";
/** The alert the rules fire permanently to prove the alerting path works end to end. */
export const HEARTBEAT_ALERTNAME = "Watchdog";
/** Name of the message template in `template_files` (and in the config's `templates` list). */
export const TEMPLATE_FILE = "vigil.tmpl";
/** Labels an alert group is keyed by (C2). */
export const GROUP_BY: readonly string[] = ["cluster", "alertname", "namespace"];
/** AMP treats a longer `repeat_interval` as five days; Vigil refuses it instead of surprising. */
export const MAX_REPEAT_INTERVAL_SECONDS = 5 * 86400;
/** Heartbeat repeat interval: short, so that silence is noticed within minutes. */
export const DEFAULT_HEARTBEAT_INTERVAL_SECONDS = 300;
/** Go time layout for RFC 3339 UTC with milliseconds (C1). */
const TIME_LAYOUT = "2006-01-02T15:04:05.000Z07:00";

/**
 * The message template (C1). `vigil.sns.message` renders the Alertmanager webhook payload
 * (version 4) as one JSON object; `vigil.sns.subject` renders a short, fixed-form ASCII subject.
 *
 * Strings are escaped without `toJson` (it only exists from Alertmanager 0.30): Go's `js` escapes
 * quotes, backslashes, `<>&=` and control characters as `\"`, `\\`, `\uXXXX`, which JSON accepts,
 * and `'` as `\'`, which JSON does not, so `reReplaceAll` turns `\'` back into `'`. The `'` is
 * always preceded by its own escaping backslash, so an escaped backslash before it is never eaten.
 */
export function messageTemplate(): string {
    const str = (value: string) => `{{ template "vigil.json.string" ${value} }}`;
    const kv = (value: string) => `{{ template "vigil.json.kv" ${value} }}`;
    const time = (value: string) => `"{{ ${value}.UTC.Format "${TIME_LAYOUT}" }}"`;
    const alert = [
        `{"status":${str("$a.Status")}`,
        `"labels":${kv("$a.Labels")}`,
        `"annotations":${kv("$a.Annotations")}`,
        `"startsAt":${time("$a.StartsAt")}`,
        `"endsAt":${time("$a.EndsAt")}`,
        `"generatorURL":${str("$a.GeneratorURL")}`,
        `"fingerprint":${str("$a.Fingerprint")}}`,
    ].join(",");
    const message = [
        `{"version":"4"`,
        `"receiver":${str(".Receiver")}`,
        `"status":${str(".Status")}`,
        `"alerts":[{{ range $i, $a := .Alerts }}{{ if $i }},{{ end }}${alert}{{ end }}]`,
        `"groupLabels":${kv(".GroupLabels")}`,
        `"commonLabels":${kv(".CommonLabels")}`,
        `"commonAnnotations":${kv(".CommonAnnotations")}`,
        `"externalURL":${str(".ExternalURL")}}`,
    ].join(",");
    return [
        "{{/* Vigil: one JSON object per notification, in the Alertmanager webhook (v4) field names. */}}",
        `{{ define "vigil.json.string" }}"{{ . | js | reReplaceAll "\\\\\\\\'" "'" }}"{{ end }}`,
        `{{ define "vigil.json.kv" }}{{ "{" }}{{ range $i, $p := .SortedPairs }}{{ if $i }},{{ end }}${str("$p.Name")}:${str("$p.Value")}{{ end }}{{ "}" }}{{ end }}`,
        `{{ define "vigil.sns.message" }}${message}{{ end }}`,
        `{{ define "vigil.sns.subject" }}Vigil {{ .Status | toUpper }}: {{ len .Alerts.Firing }} firing, {{ len .Alerts.Resolved }} resolved{{ end }}`,
        "",
    ].join("\n");
}

export interface AlertmanagerArgs {
    /** Region of the topics (the SNS receivers sign with SigV4 for it). */
    readonly region: string;
    /** Topic that receives every alert but the heartbeat. */
    readonly alertTopicArn: string;
    /** Topic that receives the `Watchdog` heartbeat. */
    readonly heartbeatTopicArn: string;
    /** How often a still-firing group is re-sent, in seconds (at most five days). */
    readonly repeatIntervalSeconds: number;
    /** How often the heartbeat is re-sent, in seconds. Default 300. */
    readonly heartbeatIntervalSeconds?: number;
}

/** A validation failure of alert manager arguments, naming the argument. */
export class AlertmanagerArgsError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "AlertmanagerArgsError";
    }
}

function checkInterval(name: string, seconds: number, min: number, max: number): void {
    if (!Number.isInteger(seconds) || seconds < min || seconds > max) {
        throw new AlertmanagerArgsError(
            `${name} must be a whole number of seconds between ${min} (${formatDuration(min)}) and ${max} (${formatDuration(max)}), got ${seconds}`,
        );
    }
}

const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;

function snsReceiver(name: string, topicArn: string, region: string): Record<string, unknown> {
    return {
        name,
        sns_configs: [
            {
                topic_arn: topicArn,
                sigv4: { region },
                subject: '{{ template "vigil.sns.subject" . }}',
                message: '{{ template "vigil.sns.message" . }}',
                send_resolved: true,
            },
        ],
    };
}

/**
 * The Alertmanager configuration (C2) as an object: the heartbeat routed to its own receiver with
 * a short repeat interval, everything else to the alert topic grouped by cluster, alertname and
 * namespace, and critical alerts inhibiting the matching warning.
 *
 * @throws AlertmanagerArgsError naming the argument that is out of range.
 */
export function alertmanagerConfig(args: AlertmanagerArgs): Record<string, unknown> {
    const heartbeat = args.heartbeatIntervalSeconds ?? DEFAULT_HEARTBEAT_INTERVAL_SECONDS;
    checkInterval("repeatIntervalSeconds", args.repeatIntervalSeconds, 60, MAX_REPEAT_INTERVAL_SECONDS);
    checkInterval("heartbeatIntervalSeconds", heartbeat, 60, 3600);
    for (const [key, arn] of [
        ["alertTopicArn", args.alertTopicArn],
        ["heartbeatTopicArn", args.heartbeatTopicArn],
    ] as const) {
        if (!SNS_TOPIC_ARN.test(arn)) {
            throw new AlertmanagerArgsError(`${key} must be an SNS topic ARN, got ${JSON.stringify(arn)}`);
        }
    }
    if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(args.region)) {
        throw new AlertmanagerArgsError(`region must be an AWS region name such as eu-west-1, got ${JSON.stringify(args.region)}`);
    }
    return {
        route: {
            receiver: ALERTS_RECEIVER,
            group_by: [...GROUP_BY],
            group_wait: "30s",
            group_interval: "5m",
            repeat_interval: formatDuration(args.repeatIntervalSeconds),
            routes: [
                {
                    receiver: HEARTBEAT_RECEIVER,
                    matchers: [`alertname="${HEARTBEAT_ALERTNAME}"`],
                    // One heartbeat stream per cluster when the rule carries the label.
                    group_by: ["cluster", "alertname"],
                    group_wait: "0s",
                    group_interval: "1m",
                    repeat_interval: formatDuration(heartbeat),
                    continue: false,
                },
            ],
        },
        inhibit_rules: [
            {
                source_matchers: ['severity="critical"'],
                target_matchers: ['severity="warning"'],
                equal: [...GROUP_BY],
            },
        ],
        receivers: [snsReceiver(ALERTS_RECEIVER, args.alertTopicArn, args.region), snsReceiver(HEARTBEAT_RECEIVER, args.heartbeatTopicArn, args.region)],
        templates: [TEMPLATE_FILE],
    };
}

/** Indents every line of a block-literal body (empty lines stay empty). */
function indentBlock(text: string, indent: string): string {
    return text
        .replace(/\n$/, "")
        .split("\n")
        .map((line) => (line === "" ? "" : `${indent}${line}`))
        .join("\n");
}

/**
 * The definition AMP stores: `template_files:` with the message template and
 * `alertmanager_config: |` with the configuration as YAML text.
 */
export function alertmanagerDefinition(args: AlertmanagerArgs): string {
    const config = yaml.dump(alertmanagerConfig(args), { lineWidth: -1, noRefs: true });
    return [
        "template_files:",
        `  ${TEMPLATE_FILE}: |`,
        indentBlock(messageTemplate(), "    "),
        "alertmanager_config: |",
        indentBlock(config, "  "),
        "",
    ].join("\n");
}

/** The two halves of a definition, as amtool and a plain Alertmanager read them. */
export interface SplitDefinition {
    readonly config: string;
    readonly templates: Readonly<Record<string, string>>;
}

/** Splits an AMP definition into the Alertmanager configuration text and the template files. */
export function splitDefinition(definition: string): SplitDefinition {
    const doc = yaml.load(definition) as { alertmanager_config?: unknown; template_files?: Record<string, unknown> } | undefined;
    if (!doc || typeof doc.alertmanager_config !== "string") {
        throw new AlertmanagerArgsError("an AMP alert manager definition needs an alertmanager_config string");
    }
    const templates: Record<string, string> = {};
    for (const [name, text] of Object.entries(doc.template_files ?? {})) {
        templates[name] = String(text);
    }
    return { config: doc.alertmanager_config, templates };
}

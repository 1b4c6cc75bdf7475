// The impact table (rules/impact.yaml): how alerts that are not Prometheus alerts are classified,
// and overrides for Prometheus alerts (which carry their impact in the `impact` label, contract C3).
//
// The table is validated strictly on load: a typo in an attribute name or an impact value would
// otherwise silently change who gets asked about what. Errors name the entry and what is allowed.

import * as yaml from "js-yaml";
import { Alert, IMPACTS, Impact, LEVELS, SEVERITIES, SOURCES, Source } from "./model";
import { isObject } from "./text";

/** Attributes each source offers for matching (Prometheus: any label). Keep README in step. */
export const SOURCE_ATTRIBUTES: Readonly<Record<Exclude<Source, "prometheus">, readonly string[]>> = {
    guardduty: ["type", "severity", "resourceType", "cluster", "archived"],
    health: ["service", "eventTypeCode", "eventTypeCategory", "eventScopeCode", "statusCode", "actionability", "cluster"],
    eks: ["detailType", "addonName", "cluster"],
    ec2: ["detailType", "state", "instanceAction", "cluster"],
    cloudwatch: ["alarmName", "namespace", "metricName", "state", "cluster"],
};

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const RULE_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** How one attribute is matched: exact value, any of several, or a fully anchored regex. */
export type Matcher =
    | { readonly kind: "equals"; readonly values: readonly string[] }
    | { readonly kind: "regex"; readonly pattern: string; readonly regex: RegExp };

export interface ImpactRule {
    readonly name: string;
    readonly description?: string;
    readonly source: Source;
    readonly match: Readonly<Record<string, Matcher>>;
    readonly impact: Impact;
}

/**
 * Which alerts of impact `none` still reach the operator (an operator notice on the pipeline
 * topic). Matched on the alert's normalized `level`, `severity` and `cluster`, and, for a rule
 * with a `source`, on that source's attributes too.
 */
export interface OperatorNoticeRule {
    readonly name: string;
    readonly description?: string;
    /** Only alerts of this source (optional). */
    readonly source?: Source;
    readonly match: Readonly<Record<string, Matcher>>;
    /** `true` sends the notice; `false` is an exception to later rules. */
    readonly notify: boolean;
}

export interface ImpactTable {
    /** Impact when no rule matches (and, for Prometheus, the alert has no valid impact label). */
    readonly default: Impact;
    /** Rules in file order; the first that matches wins. */
    readonly rules: readonly ImpactRule[];
    /** Operator notice rules in file order; the first that matches decides (none matching: no notice). */
    readonly operatorNotices: readonly OperatorNoticeRule[];
}

export interface Classification {
    readonly impact: Impact;
    /** Why, for the case history: `rule <name>`, `label impact=<v>`, or `default`. */
    readonly reason: string;
    /** For impact `none` only: the operator notice rule that sends the operator a notice. */
    readonly operatorNotice?: string;
}

/** Alert fields every operator notice rule may match on, whatever the source. */
export const NOTICE_FIELDS = ["level", "severity", "cluster"] as const;

const equalsOne = (value: string): Matcher => ({ kind: "equals", values: [value] });

/**
 * The operator notices a table without an `operatorNotices` section gets: the pipeline is the
 * operator's responsibility, and a critical alert nobody is asked about must still reach someone.
 */
export const DEFAULT_OPERATOR_NOTICES: readonly OperatorNoticeRule[] = [
    { name: "pipeline-alerts", description: "The alert pipeline is the operator's to run.", match: { level: equalsOne("pipeline") }, notify: true },
    { name: "critical-alerts", description: "A critical alert must reach someone even when no customer is affected.", match: { severity: equalsOne("critical") }, notify: true },
];

/** The impact table cannot be used; the message names the entry and what is allowed. */
export class ImpactTableError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "ImpactTableError";
    }
}

function fail(where: string, message: string): never {
    throw new ImpactTableError(`impact table ${where}: ${message}`);
}

function allowedKeys(where: string, value: Record<string, unknown>, allowed: readonly string[]): void {
    for (const key of Object.keys(value)) {
        if (!allowed.includes(key)) {
            fail(where, `unknown key ${JSON.stringify(key)}; allowed: ${allowed.join(", ")}`);
        }
    }
}

function impactValue(where: string, value: unknown): Impact {
    if (typeof value !== "string" || !(IMPACTS as readonly string[]).includes(value)) {
        fail(where, `impact ${JSON.stringify(value)} is not one of ${IMPACTS.join(", ")}`);
    }
    return value as Impact;
}

function matcher(where: string, value: unknown): Matcher {
    if (typeof value === "string") {
        return { kind: "equals", values: [value] };
    }
    if (typeof value === "number" || typeof value === "boolean") {
        fail(where, `${JSON.stringify(value)} must be quoted: attribute values are strings`);
    }
    if (Array.isArray(value)) {
        if (value.length === 0 || !value.every((v) => typeof v === "string")) {
            fail(where, "a list must hold one or more strings");
        }
        return { kind: "equals", values: value as string[] };
    }
    if (isObject(value)) {
        allowedKeys(where, value, ["regex"]);
        if (typeof value.regex !== "string" || value.regex === "") {
            fail(where, "regex must be a non-empty string");
        }
        try {
            // Anchored like Prometheus label matchers: the whole value must match.
            return { kind: "regex", pattern: value.regex, regex: new RegExp(`^(?:${value.regex})$`) };
        } catch (err) {
            fail(where, `regex ${JSON.stringify(value.regex)} does not compile: ${(err as Error).message}`);
        }
    }
    fail(where, "a matcher is a string, a list of strings, or {regex: \"...\"}");
}

/**
 * Parses and validates the impact table's YAML text (the bundled Lambda embeds the text; replay
 * and tests read the file). `origin` names the text in error messages.
 */
export function parseImpactTable(text: string, origin = "rules/impact.yaml"): ImpactTable {
    let doc: unknown;
    try {
        doc = yaml.load(text);
    } catch (err) {
        throw new ImpactTableError(`impact table ${origin}: not valid YAML: ${(err as Error).message}`);
    }
    if (!isObject(doc)) {
        fail(origin, "must be a mapping with version, default and rules");
    }
    allowedKeys(origin, doc, ["version", "default", "rules", "operatorNotices"]);
    if (doc.version !== 1) {
        fail(origin, `version ${JSON.stringify(doc.version)} is not supported; allowed: 1`);
    }
    const defaultImpact = impactValue(`${origin} default`, doc.default);
    if (!Array.isArray(doc.rules)) {
        fail(origin, "rules must be a list (it may be empty: [])");
    }
    const seen = new Set<string>();
    const rules = (doc.rules as unknown[]).map((raw, index): ImpactRule => {
        const rawName = isObject(raw) && typeof raw.name === "string" ? raw.name : undefined;
        const where = `${origin} rules[${index}]${rawName ? ` (${rawName})` : ""}`;
        if (!isObject(raw)) {
            fail(where, "must be a mapping with name, source, match and impact");
        }
        allowedKeys(where, raw, ["name", "description", "source", "match", "impact"]);
        const { name, description } = nameAndDescription(where, raw, seen, "rule");
        if (typeof raw.source !== "string" || !(SOURCES as readonly string[]).includes(raw.source)) {
            fail(where, `source ${JSON.stringify(raw.source)} is not one of ${SOURCES.join(", ")}`);
        }
        const source = raw.source as Source;
        const match: Record<string, Matcher> = {};
        if (raw.match !== undefined) {
            if (!isObject(raw.match)) {
                fail(where, "match must be a mapping of attribute to matcher (omit it to match every alert of the source)");
            }
            for (const [attribute, value] of Object.entries(raw.match)) {
                if (source === "prometheus") {
                    if (!LABEL_NAME.test(attribute)) {
                        fail(where, `match key ${JSON.stringify(attribute)} is not a Prometheus label name`);
                    }
                } else if (!SOURCE_ATTRIBUTES[source].includes(attribute)) {
                    fail(where, `match key ${JSON.stringify(attribute)} is not an attribute of ${source} alerts; allowed: ${SOURCE_ATTRIBUTES[source].join(", ")}`);
                }
                match[attribute] = matcher(`${where} match.${attribute}`, value);
            }
        }
        return {
            name,
            description,
            source,
            match,
            impact: impactValue(where, raw.impact),
        };
    });
    const operatorNotices = doc.operatorNotices === undefined ? DEFAULT_OPERATOR_NOTICES : parseOperatorNotices(origin, doc.operatorNotices);
    return { default: defaultImpact, rules, operatorNotices };
}

/** Checks the `name` (a valid name, unique among the `what`s of its list) and `description` every rule has. */
function nameAndDescription(where: string, raw: Record<string, unknown>, seen: Set<string>, what: string): { name: string; description?: string } {
    if (typeof raw.name !== "string" || !RULE_NAME.test(raw.name)) {
        fail(where, `name ${JSON.stringify(raw.name)} must be lower-case letters, digits and hyphens (1-63)`);
    }
    if (seen.has(raw.name)) {
        fail(where, `name ${JSON.stringify(raw.name)} is used by an earlier ${what}; names are unique`);
    }
    seen.add(raw.name);
    if (raw.description !== undefined && typeof raw.description !== "string") {
        fail(where, "description must be a string");
    }
    return { name: raw.name, description: raw.description as string | undefined };
}

/** Allowed values of the normalized fields, so that a typo (`pipline`) fails instead of matching nothing. */
// A Map: match keys are the table author's (any Prometheus label name, "constructor" included).
const NOTICE_VALUES: ReadonlyMap<string, readonly string[]> = new Map<string, readonly string[]>([
    ["level", LEVELS],
    ["severity", SEVERITIES],
]);

function parseOperatorNotices(origin: string, value: unknown): OperatorNoticeRule[] {
    if (!Array.isArray(value)) {
        fail(origin, "operatorNotices must be a list (empty, [], for no operator notices; omit it for the default)");
    }
    const seen = new Set<string>();
    return value.map((raw, index): OperatorNoticeRule => {
        const rawName = isObject(raw) && typeof raw.name === "string" ? raw.name : undefined;
        const where = `${origin} operatorNotices[${index}]${rawName ? ` (${rawName})` : ""}`;
        if (!isObject(raw)) {
            fail(where, "must be a mapping with name, match and notify");
        }
        allowedKeys(where, raw, ["name", "description", "source", "match", "notify"]);
        const { name, description } = nameAndDescription(where, raw, seen, "operator notice rule");
        if (raw.source !== undefined && (typeof raw.source !== "string" || !(SOURCES as readonly string[]).includes(raw.source))) {
            fail(where, `source ${JSON.stringify(raw.source)} is not one of ${SOURCES.join(", ")} (omit it to match alerts of every source)`);
        }
        const source = raw.source as Source | undefined;
        if (typeof raw.notify !== "boolean") {
            fail(where, `notify ${JSON.stringify(raw.notify)} must be true (send the operator a notice) or false (an exception to later rules)`);
        }
        const allowed = source === undefined ? [...NOTICE_FIELDS] : source === "prometheus" ? undefined : [...NOTICE_FIELDS, ...SOURCE_ATTRIBUTES[source]];
        const match: Record<string, Matcher> = {};
        if (raw.match !== undefined) {
            if (!isObject(raw.match)) {
                fail(where, "match must be a mapping of field to matcher (omit it to match every alert)");
            }
            for (const [field, m] of Object.entries(raw.match)) {
                if (allowed === undefined ? !LABEL_NAME.test(field) : !allowed.includes(field)) {
                    fail(
                        where,
                        `match key ${JSON.stringify(field)} is not ${allowed === undefined ? "a Prometheus label name" : `one of ${allowed.join(", ")}`}` +
                            (source === undefined ? " (give a source to match its attributes)" : ""),
                    );
                }
                const parsed = matcher(`${where} match.${field}`, m);
                const values = NOTICE_VALUES.get(field);
                if (values && parsed.kind === "equals") {
                    for (const v of parsed.values.filter((x) => !values.includes(x))) {
                        fail(`${where} match.${field}`, `${JSON.stringify(v)} is not one of ${values.join(", ")}`);
                    }
                }
                match[field] = parsed;
            }
        }
        return { name, description, source, match, notify: raw.notify };
    });
}

/** True when every matcher accepts the value `valueOf` gives for its key. */
function allMatch(match: Readonly<Record<string, Matcher>>, valueOf: (key: string) => string): boolean {
    return Object.entries(match).every(([key, m]) => {
        const value = valueOf(key);
        return m.kind === "equals" ? m.values.includes(value) : m.regex.test(value);
    });
}

function matches(rule: ImpactRule, alert: Alert): boolean {
    return rule.source === alert.source && allMatch(rule.match, (attribute) => alert.attributes[attribute] ?? "");
}

function noticeMatches(rule: OperatorNoticeRule, alert: Alert): boolean {
    if (rule.source !== undefined && rule.source !== alert.source) {
        return false;
    }
    return allMatch(rule.match, (field) =>
        (NOTICE_FIELDS as readonly string[]).includes(field) ? String(alert[field as (typeof NOTICE_FIELDS)[number]]) : (alert.attributes[field] ?? ""),
    );
}

/**
 * The operator notice rule that sends the operator a notice for `alert` (first matching rule, if
 * it says `notify: true`), or undefined. Only consulted for alerts of impact `none`.
 */
export function operatorNoticeFor(alert: Alert, table: ImpactTable): string | undefined {
    const rule = table.operatorNotices.find((r) => noticeMatches(r, alert));
    return rule?.notify ? rule.name : undefined;
}

function baseClassification(alert: Alert, table: ImpactTable): Classification {
    const rule = table.rules.find((r) => matches(r, alert));
    if (rule) {
        return { impact: rule.impact, reason: `rule ${rule.name}` };
    }
    if (alert.source === "prometheus" && alert.impactLabel !== undefined) {
        if ((IMPACTS as readonly string[]).includes(alert.impactLabel)) {
            return { impact: alert.impactLabel as Impact, reason: `label impact=${alert.impactLabel}` };
        }
        return { impact: table.default, reason: `default (label impact=${JSON.stringify(alert.impactLabel)} is not one of ${IMPACTS.join(", ")})` };
    }
    return { impact: table.default, reason: "default" };
}

/**
 * Classifies an alert: the first matching rule of the table; else, for Prometheus alerts, their
 * `impact` label; else the table's default. An alert of impact `none` also names the operator
 * notice rule that tells the operator about it, if one does.
 */
export function classifyImpact(alert: Alert, table: ImpactTable): Classification {
    const cls = baseClassification(alert, table);
    const notice = cls.impact === "none" ? operatorNoticeFor(alert, table) : undefined;
    return notice === undefined ? cls : { ...cls, operatorNotice: notice };
}

/** Orders impacts for escalation: none < uncertain < known. */
export function impactRank(impact: Impact | undefined): number {
    return impact === "known" ? 2 : impact === "uncertain" ? 1 : impact === "none" ? 0 : -1;
}

// Prometheus rule files as deployed to AMP rule group namespaces (contract C3), and the PromQL
// syntax check done with the official grammar.

import * as yaml from "js-yaml";
import { parser } from "@prometheus-io/lezer-promql";

export const SEVERITIES = ["critical", "warning", "info"] as const;
export const IMPACTS = ["known", "uncertain", "none"] as const;
export const LEVELS = ["cluster", "node", "workload", "pod", "apiserver", "coredns", "control-plane", "network", "pipeline"] as const;
export const REQUIRED_ANNOTATIONS = ["summary", "description", "runbook_url"] as const;

export interface Rule {
    readonly alert?: string;
    readonly record?: string;
    readonly expr?: unknown;
    readonly labels?: Readonly<Record<string, unknown>>;
    readonly annotations?: Readonly<Record<string, unknown>>;
}

export interface RuleGroup {
    readonly name?: string;
    readonly rules?: readonly Rule[];
}

export class RuleFileError extends Error {}

/**
 * Parses a rules file.
 *
 * @throws RuleFileError when it is not YAML or has no `groups` list.
 */
export function parseRuleFile(text: string): RuleGroup[] {
    let doc: unknown;
    try {
        doc = yaml.load(text);
    } catch (err) {
        throw new RuleFileError(`the rules are not valid YAML (${(err as Error).message.split("\n")[0]})`);
    }
    const groups = (doc as { groups?: unknown } | null)?.groups;
    if (!Array.isArray(groups)) {
        throw new RuleFileError("the rules must be a Prometheus rules file with a groups list");
    }
    return groups as RuleGroup[];
}

/** Every alerting rule of the groups. */
export function alertRules(groups: readonly RuleGroup[]): Rule[] {
    return groups.flatMap((g) => (Array.isArray(g.rules) ? g.rules : [])).filter((r) => typeof r?.alert === "string");
}

/** The first syntax error of a PromQL expression (`at offset N: ...`), or undefined when it parses. */
export function promqlError(expr: string): string | undefined {
    if (expr.trim() === "") {
        return "the expression is empty";
    }
    const tree = parser.parse(expr);
    let error: string | undefined;
    tree.iterate({
        enter: (node) => {
            if (error) {
                return false;
            }
            if (node.type.isError) {
                const near = expr.slice(node.from, Math.min(expr.length, node.from + 20));
                error = `syntax error at offset ${node.from}${near ? ` near ${JSON.stringify(near)}` : ""}`;
                return false;
            }
            return undefined;
        },
    });
    return error;
}

/** A rule namespace's alerting rules, or undefined when its data cannot be read. */
export function namespaceAlerts(data: unknown): Rule[] | undefined {
    if (typeof data !== "string") {
        return undefined;
    }
    try {
        return alertRules(parseRuleFile(data));
    } catch (err) {
        if (err instanceof RuleFileError) {
            return undefined;
        }
        throw err;
    }
}

export const RULE_GROUP_NAMESPACE = "aws:amp/ruleGroupNamespace:RuleGroupNamespace";

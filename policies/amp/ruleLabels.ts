import type { ResourceValidationPolicy } from "@pulumi/policy";
import { forVigilTypes, listing } from "../lib/policy";
import { IMPACTS, LEVELS, parseRuleFile, promqlError, REQUIRED_ANNOTATIONS, RULE_GROUP_NAMESPACE, RuleFileError, RuleGroup, SEVERITIES } from "../lib/prometheus";
import { describe } from "../lib/resources";

const LABELS: Record<string, readonly string[]> = { severity: SEVERITIES, impact: IMPACTS, level: LEVELS };

export const ampRuleLabels: ResourceValidationPolicy = {
    name: "vigil-amp-rule-labels",
    description:
        "Every rule in an AMP rule namespace parses as PromQL, and every alert carries the labels severity, impact and level with allowed values and the annotations summary, description and runbook_url (contract C3) that triage relies on.",
    enforcementLevel: "mandatory",
    severity: "medium",
    remediationSteps: "Fix the rule in rules/<area>.yaml and run its promtool test.",
    validateResource: forVigilTypes([RULE_GROUP_NAMESPACE], (props, args, report) => {
        const what = describe(args);
        if (typeof props.data !== "string") {
            report(`The rule namespace ${what} must hold a Prometheus rules file in data.`);
            return;
        }
        let groups: RuleGroup[];
        try {
            groups = parseRuleFile(props.data);
        } catch (err) {
            if (err instanceof RuleFileError) {
                report(`The rule namespace ${what} cannot be read: ${err.message}.`);
                return;
            }
            throw err;
        }
        for (const group of groups) {
            for (const rule of Array.isArray(group?.rules) ? group.rules : []) {
                const name = rule.alert ?? rule.record;
                const where = `${rule.alert !== undefined ? "alert" : "recording rule"} ${JSON.stringify(name ?? "(unnamed)")} (group ${JSON.stringify(group.name ?? "")}) of ${what}`;
                const syntax = typeof rule.expr === "string" ? promqlError(rule.expr) : "expr is missing";
                if (syntax) {
                    report(`The ${where} has an invalid expression: ${syntax}.`);
                }
                if (rule.alert === undefined) {
                    continue;
                }
                const labels = rule.labels ?? {};
                for (const [label, allowed] of Object.entries(LABELS)) {
                    if (!allowed.includes(String(labels[label]))) {
                        report(`The ${where} has ${label} ${labels[label] === undefined ? "unset" : JSON.stringify(labels[label])}; it must be one of ${allowed.join(", ")}.`);
                    }
                }
                const annotations = rule.annotations ?? {};
                const missing = REQUIRED_ANNOTATIONS.filter((a) => typeof annotations[a] !== "string" || (annotations[a] as string).trim() === "");
                if (missing.length > 0) {
                    report(`The ${where} lacks the annotation${missing.length > 1 ? "s" : ""} ${listing([...missing])}.`);
                }
            }
        }
    }),
};

import type { StackValidationPolicy } from "@pulumi/policy";
import { listing } from "../lib/policy";
import { pipelines } from "../lib/pipeline";
import { valuesAt } from "../lib/raci";
import { str, vigilResources } from "../lib/resources";

interface RoutingConfig {
    readonly requiredSources: readonly string[];
}

export const eventsAlertRouting: StackValidationPolicy = {
    name: "vigil-events-alert-routing",
    description:
        "EventBridge rules route GuardDuty findings and AWS Health events to the alert topic the alert manager uses, so that every alert of every source reaches triage through one topic.",
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema: {
        properties: {
            requiredSources: {
                type: "array",
                items: { type: "string" },
                default: ["aws.guardduty", "aws.health"],
                description: "Event sources that must have a rule targeting the alert topic.",
            },
        },
    },
    remediationSteps: "Create the EventBridge rules with AccountMonitoring; each targets the alert topic.",
    validateStack: (args, report) => {
        const found = pipelines(args.resources);
        if (found.length === 0) {
            args.notApplicable("the stack has no readable alert manager definition, so no alert topic");
        }
        const alertTopics = new Set(found.flatMap((p) => p.alertTopics));
        const resources = vigilResources(args.resources);
        const rules = resources.filter((r) => r.type === "aws:cloudwatch/eventRule:EventRule");
        const targets = resources.filter((r) => r.type === "aws:cloudwatch/eventTarget:EventTarget");
        for (const source of args.getConfig<RoutingConfig>().requiredSources) {
            const matching = rules.filter((r) => valuesAt(r.props, "eventPattern.source").includes(source));
            if (matching.length === 0) {
                report(`The stack has no EventBridge rule for events from ${source}; route them to the alert topic.`);
                continue;
            }
            const routed = matching.some((rule) => targets.some((t) => t.props.rule === str(rule.props.name) && alertTopics.has(String(t.props.arn))));
            if (!routed) {
                report(`No EventBridge rule for ${source} (${listing(matching.map((r) => JSON.stringify(r.name)))}) targets the alert topic ${[...alertTopics].join(", ")}; add a target for it.`);
            }
        }
    },
};

import type { StackValidationPolicy } from "@pulumi/policy";
import { listing } from "../lib/policy";
import { namespaceAlerts, RULE_GROUP_NAMESPACE } from "../lib/prometheus";
import { raci } from "../lib/raci";
import { stackParty, vigilResources } from "../lib/resources";

export const ampRuleCoverage: StackValidationPolicy = {
    name: "vigil-amp-rule-coverage",
    description:
        "The alert rules cover every alert level the matrix's monitoring activities name (control plane, API server, cluster, node, workload, pod, CoreDNS, and the pipeline itself), so that each monitoring responsibility has alerts behind it.",
    enforcementLevel: "mandatory",
    severity: "medium",
    remediationSteps: "Add alert rules with the missing level label under rules/ (one file per area, with promtool tests).",
    validateStack: (args, report) => {
        if (stackParty(args.stackTags) === "customer") {
            args.notApplicable("monitoring is the operator's responsibility");
        }
        const namespaces = vigilResources(args.resources).filter((r) => r.type === RULE_GROUP_NAMESPACE);
        if (namespaces.length === 0) {
            args.notApplicable("the stack deploys no rule namespaces (vigil-raci-completeness reports it)");
        }
        const levels = new Set(namespaces.flatMap((r) => namespaceAlerts(r.props.data) ?? []).map((a) => String(a.labels?.level)));
        for (const activity of raci().activities.filter((a) => a.responsible === "operator" && a.alertLevels.length > 0)) {
            const missing = activity.alertLevels.filter((l) => !levels.has(l));
            if (missing.length > 0) {
                report(`Activity ${activity.id} (${activity.title}) needs alerts at level ${listing(activity.alertLevels)}, but the rule namespaces have none at level ${listing(missing)}; add rules under rules/.`);
            }
        }
    },
};

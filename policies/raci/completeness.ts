import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { listing } from "../lib/policy";
import { Activity, describeMatcher, EvidenceEntry, matches, raci } from "../lib/raci";
import { describe, isInside, stackParty, vigilResources } from "../lib/resources";

interface CompletenessConfig {
    readonly exemptActivities: readonly string[];
}

/** The evidence entries none of the resources satisfies. */
function missingEntries(entries: readonly EvidenceEntry[], resources: readonly PolicyResource[]): EvidenceEntry[] {
    return entries.filter((entry) => !entry.any.some((m) => resources.some((r) => matches(m, r))));
}

const describeEntry = (entry: EvidenceEntry) => entry.any.map(describeMatcher).join(" or ");

export const raciCompleteness: StackValidationPolicy = {
    name: "vigil-raci-completeness",
    description:
        "A party's stack contains the resources of every activity the matrix makes that party responsible for (for the operator: the AMP workspace, alert manager, rule namespaces, Grafana, GuardDuty EKS audit logs, event rules, triage, and per cluster the collector and control-plane logging).",
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema: {
        properties: {
            exemptActivities: {
                type: "array",
                items: { type: "string" },
                default: [],
                description: "Activity ids the parties agreed to leave out (for example grafana when the customer declined it); they are not required.",
            },
        },
    },
    remediationSteps: "Enable the missing part in the stack configuration (each message says how), or list the activity in exemptActivities when the parties agreed to leave it out.",
    validateStack: (args, report) => {
        const party = stackParty(args.stackTags);
        if (!party) {
            args.notApplicable("the stack has no valid vigil:party tag (vigil-raci-party-tag reports it)");
        }
        const matrix = raci();
        const { exemptActivities } = args.getConfig<CompletenessConfig>();
        for (const id of exemptActivities) {
            if (!matrix.byId.has(id)) {
                report(`The policy configuration exempts ${JSON.stringify(id)}, which is not an activity of the matrix (policies/raci.yaml); use one of: ${matrix.activities.map((a) => a.id).join(", ")}.`);
            }
        }
        const resources = vigilResources(args.resources);
        const clusters = resources.filter((r) => r.type === matrix.clusterComponent);
        const due = matrix.activities.filter((a): a is Activity & { resources: NonNullable<Activity["resources"]> } =>
            Boolean(a.responsible === party && a.resources?.required && !exemptActivities.includes(a.id)),
        );
        for (const activity of due) {
            const lead = `Activity ${activity.id} (${activity.title}) is the ${party}'s responsibility (R)`;
            if (activity.resources.scope === "account") {
                const missing = missingEntries(activity.resources.all, resources);
                if (missing.length > 0) {
                    report(`${lead}, but the stack has no ${listing(missing.map(describeEntry))}. ${activity.resources.fix}`);
                }
                continue;
            }
            if (clusters.length === 0) {
                report(`${lead} in every monitored cluster, but the stack monitors no cluster (it has no ${matrix.clusterComponent}). ${activity.resources.fix}`);
                continue;
            }
            // Resources outside every cluster component (an eks.Cluster the program defines and
            // hands to ClusterMonitoring, say) count for each cluster.
            const shared = resources.filter((r) => !clusters.some((c) => isInside(r, c.urn)));
            for (const cluster of clusters) {
                const inside = [...resources.filter((r) => isInside(r, cluster.urn)), ...shared];
                const missing = missingEntries(activity.resources.all, inside);
                if (missing.length > 0) {
                    report(`${lead}, but ${describe(cluster)} has no ${listing(missing.map(describeEntry))}. ${activity.resources.fix}`, cluster.urn);
                }
            }
        }
    },
};

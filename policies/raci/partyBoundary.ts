import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { Activity, evidenceMatchers, matches, Party, raci } from "../lib/raci";
import {
    componentParty,
    describe,
    LABEL_RESPONSIBLE,
    labelsOf,
    stackParty,
    TAG_RESPONSIBLE,
    tagsOf,
    vigilComponents,
    vigilResources,
} from "../lib/resources";

const other = (party: Party): Party => (party === "operator" ? "customer" : "operator");

/** Why a resource belongs to the other party, or undefined when nothing says so. */
function otherPartyReason(resource: PolicyResource, party: Party, activities: readonly Activity[]): string | undefined {
    const tagged = resource.type.startsWith("kubernetes:") ? labelsOf(resource.props)[LABEL_RESPONSIBLE] : tagsOf(resource.props)[TAG_RESPONSIBLE];
    if (tagged === other(party)) {
        return `it is tagged ${resource.type.startsWith("kubernetes:") ? LABEL_RESPONSIBLE : TAG_RESPONSIBLE}=${tagged}`;
    }
    const activity = activities.find((a) => a.responsible === other(party) && evidenceMatchers(a).some((m) => matches(m, resource)));
    if (activity) {
        return `it carries out activity ${activity.id} (${activity.title}), for which the ${activity.responsible} is responsible (R)`;
    }
    return undefined;
}

export const raciPartyBoundary: StackValidationPolicy = {
    name: "vigil-raci-party-boundary",
    description:
        "A stack creates only what its party is responsible for: the operator's stack nothing the matrix assigns to the customer (such as the operator's own cluster access or the nodes' SSM permissions), the customer's stack none of the operator's Vigil resources.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
        "Move the resource to the responsible party's project: CustomerAccess belongs in the cluster owner's project, AccountMonitoring, ClusterMonitoring and TriageService in the operator's Vigil stack.",
    validateStack: (args, report) => {
        const party = stackParty(args.stackTags);
        if (!party) {
            args.notApplicable("the stack has no valid vigil:party tag (vigil-raci-party-tag reports it)");
        }
        const { activities } = raci();
        const resources = vigilResources(args.resources);
        const misplaced = new Set<string>();
        for (const r of resources) {
            if (r.type.startsWith("vigil:") && componentParty(r.type) !== party) {
                misplaced.add(r.type);
                report(
                    `The ${party} stack must not create the component ${describe(r)}: Vigil's ${r.type.split(":")[1]} components belong in the ${componentParty(r.type)}'s project (policies/raci.yaml componentModules).`,
                    r.urn,
                );
            }
        }
        for (const r of resources) {
            if (r.type.startsWith("vigil:") || vigilComponents(r.urn).some((c) => misplaced.has(c))) {
                continue;
            }
            const reason = otherPartyReason(r, party as Party, activities);
            if (reason) {
                report(`The ${party} stack must not create ${describe(r)}: ${reason}; it belongs in the ${other(party as Party)}'s project.`, r.urn);
            }
        }
    },
};

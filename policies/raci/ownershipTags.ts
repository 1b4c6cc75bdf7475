import type { ResourceValidationPolicy } from "@pulumi/policy";
import { PARTIES, raci } from "../lib/raci";
import { isDynamicLogGroup } from "../lib/logGroups";
import { listing } from "../lib/policy";
import { describe, MANAGED_BY, requireVigil, TAG_ACTIVITY, TAG_MANAGED_BY, TAG_RESPONSIBLE, tagsOf } from "../lib/resources";
import { TAGGABLE_TYPES } from "../lib/taggable";

export const raciOwnershipTags: ResourceValidationPolicy = {
    name: "vigil-raci-ownership-tags",
    description:
        "Every AWS resource Vigil creates carries the ownership tags vigil:activity (an activity of the matrix), vigil:responsible (the party the matrix makes responsible for that activity) and managed-by=vigil.",
    enforcementLevel: "mandatory",
    severity: "medium",
    remediationSteps: "Tag the resource with vigilTags(activity) from components/tags.ts, choosing the activity of policies/raci.yaml that the resource serves.",
    validateResource: (args, report) => {
        // Vigil's dynamic log group stands for an AWS log group and tags it: it is held to the same rule.
        const dynamicLogGroup = isDynamicLogGroup(args.type, args.props);
        if (!args.type.startsWith("aws:") && !dynamicLogGroup) {
            args.notApplicable("applies to AWS resources");
        }
        requireVigil(args);
        const hasTagsInput = args.props.tags !== undefined && args.props.tags !== null;
        if (!TAGGABLE_TYPES.has(args.type) && !dynamicLogGroup && !hasTagsInput) {
            args.notApplicable(`${args.type} takes no tags`);
        }
        const tags = tagsOf(args.props);
        const what = describe(args);
        const missing = [TAG_ACTIVITY, TAG_RESPONSIBLE, TAG_MANAGED_BY].filter((k) => typeof tags[k] !== "string" || tags[k] === "");
        if (missing.length > 0) {
            report(`The ${what} must carry the ownership tags ${TAG_ACTIVITY}, ${TAG_RESPONSIBLE} and ${TAG_MANAGED_BY}=${MANAGED_BY}; it lacks ${listing(missing)}. Tag it with vigilTags(activity) from components/tags.ts.`);
        }
        if (typeof tags[TAG_MANAGED_BY] === "string" && tags[TAG_MANAGED_BY] !== MANAGED_BY) {
            report(`The ${what} has ${TAG_MANAGED_BY}=${JSON.stringify(tags[TAG_MANAGED_BY])}; Vigil's resources must have ${TAG_MANAGED_BY}=${MANAGED_BY}.`);
        }
        const responsible = tags[TAG_RESPONSIBLE];
        if (typeof responsible === "string" && responsible !== "" && !(PARTIES as readonly string[]).includes(responsible)) {
            report(`The ${what} has ${TAG_RESPONSIBLE}=${JSON.stringify(responsible)}; it must be ${PARTIES.join(" or ")}.`);
        }
        const activityId = tags[TAG_ACTIVITY];
        if (typeof activityId !== "string" || activityId === "") {
            return;
        }
        const activity = raci().byId.get(activityId);
        if (!activity) {
            report(
                `The ${what} has ${TAG_ACTIVITY}=${JSON.stringify(activityId)}, which is not an activity of the matrix (policies/raci.yaml); use one of: ${raci()
                    .activities.map((a) => a.id)
                    .join(", ")}.`,
            );
            return;
        }
        if (typeof responsible === "string" && (PARTIES as readonly string[]).includes(responsible) && responsible !== activity.responsible) {
            report(
                `The ${what} has ${TAG_RESPONSIBLE}=${responsible}, but the matrix makes the ${activity.responsible} responsible (R) for activity ${activity.id} (${activity.title}); set ${TAG_RESPONSIBLE}=${activity.responsible}.`,
            );
        }
    },
};

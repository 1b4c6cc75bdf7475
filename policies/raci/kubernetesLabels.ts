import type { ResourceValidationPolicy } from "@pulumi/policy";
import { isKubernetesObject } from "../lib/kubernetes";
import { listing } from "../lib/policy";
import { PARTIES, raci } from "../lib/raci";
import { describe, LABEL_ACTIVITY, LABEL_MANAGED_BY, LABEL_PART_OF, LABEL_RESPONSIBLE, labelsOf, MANAGED_BY, requireVigil } from "../lib/resources";

export const raciKubernetesLabels: ResourceValidationPolicy = {
    name: "vigil-raci-kubernetes-labels",
    description:
        "Every Kubernetes object Vigil creates carries the labels app.kubernetes.io/managed-by=vigil, app.kubernetes.io/part-of=vigil, vigil.dev/activity (an activity of the matrix) and vigil.dev/responsible (the party responsible for it).",
    enforcementLevel: "mandatory",
    severity: "medium",
    remediationSteps: "Label the object with vigilLabels(activity, component) from components/tags.ts.",
    validateResource: (args, report) => {
        if (!isKubernetesObject(args.type)) {
            args.notApplicable("applies to Kubernetes API objects");
        }
        requireVigil(args);
        const labels = labelsOf(args.props);
        const what = describe(args);
        const required = [LABEL_MANAGED_BY, LABEL_PART_OF, LABEL_ACTIVITY, LABEL_RESPONSIBLE];
        const missing = required.filter((k) => typeof labels[k] !== "string" || labels[k] === "");
        if (missing.length > 0) {
            report(`The Kubernetes object ${what} must carry the labels ${listing(required)}; it lacks ${listing(missing)}. Label it with vigilLabels(activity, component) from components/tags.ts.`);
        }
        for (const key of [LABEL_MANAGED_BY, LABEL_PART_OF]) {
            if (typeof labels[key] === "string" && labels[key] !== MANAGED_BY) {
                report(`The Kubernetes object ${what} has ${key}=${JSON.stringify(labels[key])}; it must be ${MANAGED_BY}.`);
            }
        }
        const responsible = labels[LABEL_RESPONSIBLE];
        if (typeof responsible === "string" && responsible !== "" && !(PARTIES as readonly string[]).includes(responsible)) {
            report(`The Kubernetes object ${what} has ${LABEL_RESPONSIBLE}=${JSON.stringify(responsible)}; it must be ${PARTIES.join(" or ")}.`);
        }
        const activityId = labels[LABEL_ACTIVITY];
        if (typeof activityId !== "string" || activityId === "") {
            return;
        }
        const activity = raci().byId.get(activityId);
        if (!activity) {
            report(
                `The Kubernetes object ${what} has ${LABEL_ACTIVITY}=${JSON.stringify(activityId)}, which is not an activity of the matrix (policies/raci.yaml); use one of: ${raci()
                    .activities.map((a) => a.id)
                    .join(", ")}.`,
            );
            return;
        }
        if (typeof responsible === "string" && (PARTIES as readonly string[]).includes(responsible) && responsible !== activity.responsible) {
            report(
                `The Kubernetes object ${what} has ${LABEL_RESPONSIBLE}=${responsible}, but the matrix makes the ${activity.responsible} responsible (R) for activity ${activity.id} (${activity.title}); set ${LABEL_RESPONSIBLE}=${activity.responsible}.`,
            );
        }
    },
};

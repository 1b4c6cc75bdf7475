import type { ResourceValidationPolicy } from "@pulumi/policy";
import { OPERATOR_GROUPS_SCHEMA } from "../lib/kubernetes";
import { forVigilTypes, strings } from "../lib/policy";
import { describe } from "../lib/resources";

export const eksAccessEntryStandard: ResourceValidationPolicy = {
    name: "vigil-eks-access-entry-standard",
    description:
        "The access entries Vigil creates are STANDARD entries for IAM roles whose only Kubernetes group, if any, is the operator's group bound to the role the customer grants (never a system: group such as system:masters).",
    enforcementLevel: "mandatory",
    severity: "high",
    tags: ["cis-eks:4.1.1", "cis-eks:5.5.1"],
    configSchema: { properties: { ...OPERATOR_GROUPS_SCHEMA } },
    remediationSteps: "Create the access entry with type STANDARD, an IAM role ARN as principalArn, and kubernetesGroups only from operatorGroups; grant access with access policy associations.",
    validateResource: forVigilTypes(["aws:eks/accessEntry:AccessEntry"], (props, args, report) => {
        const what = describe(args);
        if (props.type !== undefined && props.type !== "STANDARD") {
            report(`The access entry ${what} has type ${JSON.stringify(props.type)}; it must be STANDARD.`);
        }
        if (typeof props.principalArn !== "string" || !/^arn:aws[a-z-]*:iam::\d{12}:role\/.+/.test(props.principalArn)) {
            report(`The access entry ${what} must be for an IAM role; principalArn is ${JSON.stringify(props.principalArn)}.`);
        }
        const { operatorGroups } = args.getConfig<{ operatorGroups: readonly string[] }>();
        const foreign = strings(props.kubernetesGroups).filter((g) => !operatorGroups.includes(g));
        if (foreign.length > 0) {
            report(`The access entry ${what} puts the operator in the Kubernetes group${foreign.length > 1 ? "s" : ""} ${foreign.join(", ")}; only ${operatorGroups.join(", ")} (bound to the role the customer grants) is allowed.`);
        }
    }),
};

import type { ResourceValidationPolicy } from "@pulumi/policy";
import { forVigilTypes, strings } from "../lib/policy";
import { describe } from "../lib/resources";

export const eksAccessEntryStandard: ResourceValidationPolicy = {
    name: "vigil-eks-access-entry-standard",
    description:
        "The access entries Vigil creates are STANDARD entries for IAM roles that carry no Kubernetes groups of their own, so that the operator's permissions come only from the scoped access policies.",
    enforcementLevel: "mandatory",
    severity: "high",
    tags: ["cis-eks:4.1.1", "cis-eks:5.5.1"],
    remediationSteps: "Create the access entry with type STANDARD, an IAM role ARN as principalArn and no kubernetesGroups; grant access with access policy associations.",
    validateResource: forVigilTypes(["aws:eks/accessEntry:AccessEntry"], (props, args, report) => {
        const what = describe(args);
        if (props.type !== undefined && props.type !== "STANDARD") {
            report(`The access entry ${what} has type ${JSON.stringify(props.type)}; it must be STANDARD.`);
        }
        if (typeof props.principalArn !== "string" || !/^arn:aws[a-z-]*:iam::\d{12}:role\/.+/.test(props.principalArn)) {
            report(`The access entry ${what} must be for an IAM role; principalArn is ${JSON.stringify(props.principalArn)}.`);
        }
        const groups = strings(props.kubernetesGroups);
        if (groups.length > 0) {
            report(`The access entry ${what} must not add Kubernetes groups (${groups.join(", ")}); grant access with access policy associations scoped by the matrix.`);
        }
    }),
};

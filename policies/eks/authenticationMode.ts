import type { ResourceValidationPolicy } from "@pulumi/policy";
import { EKS_CLUSTER } from "../lib/eks";
import { forTypes } from "../lib/policy";
import { describe } from "../lib/resources";

const ACCESS_ENTRY_MODES = ["API", "API_AND_CONFIG_MAP"];

export const eksAuthenticationMode: ResourceValidationPolicy = {
    name: "vigil-eks-authentication-mode",
    description:
        "A monitored cluster accepts EKS access entries (authentication mode API or API_AND_CONFIG_MAP), the mechanism through which the customer grants the operator scoped cluster access.",
    enforcementLevel: "mandatory",
    severity: "medium",
    tags: ["cis-eks:4.1.7"],
    remediationSteps: "Set accessConfig.authenticationMode to API (or API_AND_CONFIG_MAP while aws-auth is still in use).",
    validateResource: forTypes([EKS_CLUSTER], (props, args, report) => {
        const mode = props.accessConfig?.authenticationMode;
        if (!ACCESS_ENTRY_MODES.includes(mode)) {
            report(
                `The EKS cluster ${describe(args)} must accept access entries: its authentication mode is ${mode === undefined ? "CONFIG_MAP (the default)" : JSON.stringify(mode)}; set accessConfig.authenticationMode to API or API_AND_CONFIG_MAP.`,
            );
        }
    }),
};

import type { ResourceValidationPolicy } from "@pulumi/policy";
import { EKS_CLUSTER } from "../lib/eks";
import { forTypes, strings } from "../lib/policy";
import { describe } from "../lib/resources";

const OPEN = ["0.0.0.0/0", "::/0"];

export const eksEndpointRestricted: ResourceValidationPolicy = {
    name: "vigil-eks-endpoint-restricted",
    description: "A monitored cluster's public API endpoint is disabled, or open only to listed CIDR ranges that exclude 0.0.0.0/0 and ::/0; discovery reports it to the cluster owner.",
    enforcementLevel: "advisory",
    severity: "high",
    framework: { name: "AWS Foundational Security Best Practices", version: "1.0", reference: "EKS.1", specification: "EKS cluster endpoints should not be publicly accessible." },
    tags: ["cis-eks:5.4.1", "cis-eks:5.4.2", "checkov:CKV_AWS_38", "checkov:CKV_AWS_39"],
    remediationSteps: "Set vpcConfig.endpointPublicAccess to false, or set vpcConfig.publicAccessCidrs to the ranges that need the endpoint.",
    validateResource: forTypes([EKS_CLUSTER], (props, args, report) => {
        const vpc = props.vpcConfig ?? {};
        if (vpc.endpointPublicAccess === false) {
            return;
        }
        const cidrs = strings(vpc.publicAccessCidrs);
        const open = cidrs.filter((c) => OPEN.includes(c));
        if (cidrs.length === 0 || open.length > 0) {
            report(
                `The EKS cluster ${describe(args)} must not expose its API endpoint to the whole internet (${cidrs.length === 0 ? "public access is on with no CIDR restriction" : `publicAccessCidrs includes ${open.join(", ")}`}); set vpcConfig.endpointPublicAccess to false or restrict vpcConfig.publicAccessCidrs.`,
            );
        }
    }),
};

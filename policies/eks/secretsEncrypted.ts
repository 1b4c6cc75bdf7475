import type { ResourceValidationPolicy } from "@pulumi/policy";
import { EKS_CLUSTER } from "../lib/eks";
import { forTypes, strings } from "../lib/policy";
import { describe } from "../lib/resources";

export const eksSecretsEncrypted: ResourceValidationPolicy = {
    name: "vigil-eks-secrets-encrypted",
    description: "A monitored cluster encrypts Kubernetes secrets with a KMS key (envelope encryption); discovery reports it to the cluster owner.",
    enforcementLevel: "advisory",
    severity: "medium",
    framework: { name: "AWS Foundational Security Best Practices", version: "1.0", reference: "EKS.3", specification: "EKS clusters should use encrypted Kubernetes secrets." },
    tags: ["cis-eks:5.3.1", "checkov:CKV_AWS_58"],
    remediationSteps: "Set encryptionConfig to { resources: [\"secrets\"], provider: { keyArn: <KMS key ARN> } }.",
    validateResource: forTypes([EKS_CLUSTER], (props, args, report) => {
        const config = props.encryptionConfig;
        const ok = config && strings(config.resources).includes("secrets") && typeof config.provider?.keyArn === "string" && config.provider.keyArn !== "";
        if (!ok) {
            report(`The EKS cluster ${describe(args)} must encrypt Kubernetes secrets with a KMS key: set encryptionConfig with resources ["secrets"] and provider.keyArn.`);
        }
    }),
};

import type { ResourceValidationPolicy } from "@pulumi/policy";
import { forVigilTypes } from "../lib/policy";
import { describe } from "../lib/resources";

export const kmsKeyRotation: ResourceValidationPolicy = {
    name: "vigil-kms-key-rotation",
    description: "Vigil's customer-managed KMS keys rotate their key material automatically.",
    enforcementLevel: "mandatory",
    severity: "medium",
    framework: { name: "AWS Foundational Security Best Practices", version: "1.0", reference: "KMS.4", specification: "AWS KMS key rotation should be enabled." },
    tags: ["checkov:CKV_AWS_7", "avd:AVD-AWS-0065"],
    remediationSteps: "Set enableKeyRotation to true.",
    validateResource: forVigilTypes(["aws:kms/key:Key"], (props, args, report) => {
        const spec = props.keySpec ?? props.customerMasterKeySpec;
        if (spec !== undefined && spec !== "SYMMETRIC_DEFAULT") {
            args.notApplicable("KMS rotates only symmetric encryption keys");
        }
        if (props.enableKeyRotation !== true) {
            report(`The KMS key ${describe(args)} must rotate its key material: set enableKeyRotation to true.`);
        }
    }),
};

import type { ResourceValidationPolicy } from "@pulumi/policy";
import { forVigilTypes } from "../lib/policy";
import { describe } from "../lib/resources";

export const guarddutyDetectorEnabled: ResourceValidationPolicy = {
    name: "vigil-guardduty-detector-enabled",
    description: "A GuardDuty detector Vigil creates is enabled, since EKS Audit Log Monitoring runs only on an enabled detector.",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: { name: "AWS Foundational Security Best Practices", version: "1.0", reference: "GuardDuty.1", specification: "GuardDuty should be enabled." },
    tags: ["checkov:CKV_AWS_238"],
    remediationSteps: "Remove enable: false from the detector.",
    validateResource: forVigilTypes(["aws:guardduty/detector:Detector"], (props, args, report) => {
        if (props.enable === false) {
            report(`The GuardDuty detector ${describe(args)} is disabled (enable: false); enable it.`);
        }
    }),
};

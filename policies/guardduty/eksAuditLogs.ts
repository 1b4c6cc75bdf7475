import type { ResourceValidationPolicy } from "@pulumi/policy";
import { forTypes } from "../lib/policy";
import { describe } from "../lib/resources";

export const guarddutyEksAuditLogs: ResourceValidationPolicy = {
    name: "vigil-guardduty-eks-audit-logs",
    description: "The GuardDuty detector feature EKS_AUDIT_LOGS (EKS Audit Log Monitoring) is ENABLED wherever a stack declares it.",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: { name: "AWS Foundational Security Best Practices", version: "1.0", reference: "GuardDuty.5", specification: "GuardDuty EKS Audit Log Monitoring should be enabled." },
    remediationSteps: "Set status to ENABLED on the EKS_AUDIT_LOGS detector feature. Note that deleting the feature resource does not disable the feature in AWS.",
    validateResource: forTypes(["aws:guardduty/detectorFeature:DetectorFeature"], (props, args, report) => {
        if (props.name !== "EKS_AUDIT_LOGS") {
            args.notApplicable(`the detector feature ${JSON.stringify(props.name)} is not EKS_AUDIT_LOGS`);
        }
        if (props.status !== "ENABLED") {
            report(`The GuardDuty detector feature ${describe(args)} (EKS_AUDIT_LOGS) has status ${JSON.stringify(props.status ?? null)}; set it to ENABLED.`);
        }
    }),
};

import type { ResourceValidationPolicy } from "@pulumi/policy";
import { EKS_CLUSTER } from "../lib/eks";
import { forTypes } from "../lib/policy";
import { describe } from "../lib/resources";

interface VersionConfig {
    readonly minKubernetesVersion: string;
}

/** `1.31` → [1, 31]; undefined for anything else. */
function parseVersion(text: unknown): [number, number] | undefined {
    const m = typeof text === "string" ? /^(\d+)\.(\d+)$/.exec(text) : null;
    return m ? [Number(m[1]), Number(m[2])] : undefined;
}

export const eksSupportedVersion: ResourceValidationPolicy = {
    name: "vigil-eks-supported-version",
    description: "A monitored cluster runs a Kubernetes version EKS still supports (at least minKubernetesVersion); discovery reports older ones to the cluster owner.",
    enforcementLevel: "advisory",
    severity: "high",
    framework: { name: "AWS Foundational Security Best Practices", version: "1.0", reference: "EKS.2", specification: "EKS clusters should run on a supported Kubernetes version." },
    tags: ["checkov:CKV_AWS_339"],
    configSchema: {
        properties: {
            minKubernetesVersion: {
                type: "string",
                pattern: "^\\d+\\.\\d+$",
                default: "1.29",
                description: "The oldest Kubernetes minor version accepted (major.minor).",
            },
        },
    },
    remediationSteps: "Upgrade the cluster (version) to a supported Kubernetes version.",
    validateResource: forTypes([EKS_CLUSTER], (props, args, report) => {
        const { minKubernetesVersion } = args.getConfig<VersionConfig>();
        const min = parseVersion(minKubernetesVersion);
        if (!min) {
            report(`The policy configuration minKubernetesVersion is ${JSON.stringify(minKubernetesVersion)}; it must be a major.minor version such as 1.29.`);
            return;
        }
        if (props.version === undefined) {
            return; // EKS picks its current default version, which is supported.
        }
        const version = parseVersion(props.version);
        if (!version) {
            report(`The EKS cluster ${describe(args)} has version ${JSON.stringify(props.version)}; it must be a major.minor version such as ${minKubernetesVersion}.`);
        } else if (version[0] < min[0] || (version[0] === min[0] && version[1] < min[1])) {
            report(`The EKS cluster ${describe(args)} runs Kubernetes ${props.version}, older than the oldest supported version ${minKubernetesVersion}; upgrade it.`);
        }
    }),
};

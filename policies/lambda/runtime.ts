import type { ResourceValidationPolicy } from "@pulumi/policy";
import { LAMBDA_FUNCTION } from "../lib/lambda";
import { forVigilTypes } from "../lib/policy";
import { describe } from "../lib/resources";

interface RuntimeConfig {
    readonly allowedRuntimes: readonly string[];
}

export const lambdaRuntime: ResourceValidationPolicy = {
    name: "vigil-lambda-runtime",
    description: "Vigil's Lambda functions run on a supported Node.js runtime (nodejs20.x or newer), so that they keep receiving security patches.",
    enforcementLevel: "mandatory",
    severity: "medium",
    framework: { name: "AWS Foundational Security Best Practices", version: "1.0", reference: "Lambda.2", specification: "Lambda functions should use supported runtimes." },
    tags: ["checkov:CKV_AWS_363"],
    configSchema: {
        properties: {
            allowedRuntimes: {
                type: "array",
                items: { type: "string" },
                default: ["nodejs20.x", "nodejs22.x", "nodejs24.x"],
                description: "Lambda runtimes accepted.",
            },
        },
    },
    remediationSteps: "Set runtime to one of the allowed runtimes (and the esbuild target to match).",
    validateResource: forVigilTypes([LAMBDA_FUNCTION], (props, args, report) => {
        if (props.packageType === "Image") {
            args.notApplicable("container image functions bring their own runtime");
        }
        const { allowedRuntimes } = args.getConfig<RuntimeConfig>();
        if (!allowedRuntimes.includes(props.runtime)) {
            report(`The Lambda function ${describe(args)} runs on ${props.runtime === undefined ? "no runtime" : JSON.stringify(props.runtime)}; use one of ${allowedRuntimes.join(", ")}.`);
        }
    }),
};

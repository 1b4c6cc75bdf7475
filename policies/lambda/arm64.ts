import type { ResourceValidationPolicy } from "@pulumi/policy";
import { LAMBDA_FUNCTION } from "../lib/lambda";
import { forVigilTypes, strings } from "../lib/policy";
import { describe } from "../lib/resources";

export const lambdaArm64: ResourceValidationPolicy = {
    name: "vigil-lambda-arm64",
    description: "Vigil's Lambda functions run on arm64 (Graviton), which AWS prices about 20 percent below x86_64 for the same duration.",
    enforcementLevel: "advisory",
    severity: "low",
    remediationSteps: "Set architectures to [\"arm64\"] (the bundle is plain JavaScript).",
    validateResource: forVigilTypes([LAMBDA_FUNCTION], (props, args, report) => {
        const architectures = strings(props.architectures);
        if (!architectures.includes("arm64")) {
            report(`The Lambda function ${describe(args)} runs on ${architectures[0] ?? "x86_64 (the default)"}; set architectures to ["arm64"] to pay less for the same work.`);
        }
    }),
};

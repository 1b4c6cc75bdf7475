import type { ResourceValidationPolicy } from "@pulumi/policy";
import { isPublicPrincipal, LAMBDA_PERMISSION, opensFunctionUrlOnly } from "../lib/lambda";
import { forVigilTypes } from "../lib/policy";
import { describe } from "../lib/resources";

export const lambdaPermissionScoped: ResourceValidationPolicy = {
    name: "vigil-lambda-permission-scoped",
    description:
        "Vigil's Lambda permissions are scoped: an AWS service may invoke a function only from its source (sourceArn), no permission grants every Lambda action, and a permission for anyone only opens a function URL.",
    enforcementLevel: "mandatory",
    severity: "critical",
    framework: { name: "AWS Foundational Security Best Practices", version: "1.0", reference: "Lambda.1", specification: "Lambda function policies should prohibit public access." },
    tags: ["checkov:CKV_AWS_301", "checkov:CKV_AWS_364", "avd:AVD-AWS-0067"],
    remediationSteps: "Set sourceArn to the rule, topic or API that invokes the function; grant lambda:InvokeFunction only.",
    validateResource: forVigilTypes([LAMBDA_PERMISSION], (props, args, report) => {
        const what = describe(args);
        if (props.action === "lambda:*" || props.action === "*") {
            report(`The Lambda permission ${what} grants ${props.action}; grant lambda:InvokeFunction only.`);
        }
        if (isPublicPrincipal(props.principal)) {
            if (!opensFunctionUrlOnly(props)) {
                report(`The Lambda permission ${what} lets anyone invoke the function; a public permission may only open a function URL (lambda:InvokeFunctionUrl with functionUrlAuthType NONE, or lambda:InvokeFunction with invokedViaFunctionUrl).`);
            }
            return;
        }
        if (typeof props.principal === "string" && props.principal.endsWith(".amazonaws.com") && (typeof props.sourceArn !== "string" || props.sourceArn === "")) {
            report(`The Lambda permission ${what} lets ${props.principal} invoke the function from any source; set sourceArn to the resource that invokes it.`);
        }
    }),
};

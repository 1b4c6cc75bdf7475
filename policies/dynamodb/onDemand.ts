import type { ResourceValidationPolicy } from "@pulumi/policy";
import { forVigilTypes } from "../lib/policy";
import { describe } from "../lib/resources";

export const dynamodbOnDemand: ResourceValidationPolicy = {
    name: "vigil-dynamodb-on-demand",
    description: "The triage state table bills on demand: its traffic is idle most of the time and spikes during alert storms, which provisioned capacity either wastes or throttles.",
    enforcementLevel: "advisory",
    severity: "low",
    remediationSteps: "Set billingMode to PAY_PER_REQUEST.",
    validateResource: forVigilTypes(["aws:dynamodb/table:Table"], (props, args, report) => {
        if (props.billingMode !== "PAY_PER_REQUEST") {
            report(`The DynamoDB table ${describe(args)} bills ${props.billingMode === undefined ? "PROVISIONED (the default)" : props.billingMode}; set billingMode to PAY_PER_REQUEST.`);
        }
    }),
};

import type { ResourceValidationPolicy } from "@pulumi/policy";
import { EVENT_SOURCE_MAPPING, isSqsArn } from "../lib/lambda";
import { forVigilTypes, strings } from "../lib/policy";
import { describe } from "../lib/resources";

export const lambdaSqsPartialBatch: ResourceValidationPolicy = {
    name: "vigil-lambda-sqs-partial-batch",
    description:
        "An SQS event source mapping of Vigil's reports batch item failures (ReportBatchItemFailures): without it the handler's partial batch response is ignored and the messages it could not process are deleted with the rest.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: "Set functionResponseTypes to [\"ReportBatchItemFailures\"] on the event source mapping.",
    validateResource: forVigilTypes([EVENT_SOURCE_MAPPING], (props, args, report) => {
        if (!isSqsArn(props.eventSourceArn)) {
            args.notApplicable("the mapping does not read from SQS");
        }
        if (!strings(props.functionResponseTypes).includes("ReportBatchItemFailures")) {
            report(`The SQS event source mapping ${describe(args)} must set functionResponseTypes to ["ReportBatchItemFailures"]; otherwise messages the handler reports as failed are deleted.`);
        }
    }),
};

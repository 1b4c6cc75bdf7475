import type { ResourceValidationPolicy } from "@pulumi/policy";
import { conditionValues } from "../lib/documents";
import { forVigilTypes } from "../lib/policy";
import { readDocument } from "../lib/resourcePolicy";
import { describe } from "../lib/resources";

const PUBLISH = ["sns:Publish", "sns:*", "*"];

export const snsTopicTlsOnly: ResourceValidationPolicy = {
    name: "vigil-sns-topic-tls-only",
    description: "Vigil's SNS topic policies deny publishing over plain HTTP (a Deny for any principal when aws:SecureTransport is false), as SNS's security best practices recommend.",
    enforcementLevel: "advisory",
    severity: "low",
    remediationSteps: "Add a statement { Effect: Deny, Principal: \"*\", Action: sns:Publish, Condition: { Bool: { aws:SecureTransport: \"false\" } } }.",
    validateResource: forVigilTypes(["aws:sns/topic:Topic", "aws:sns/topicPolicy:TopicPolicy"], (props, args, report) => {
        if (props.policy === undefined) {
            args.notApplicable("the topic has no access policy of its own");
        }
        const what = describe(args);
        const statements = readDocument(props.policy, what, report);
        if (!statements) {
            return;
        }
        const denies = statements.some(
            (s) =>
                s.effect === "Deny" &&
                s.principals?.anyone === true &&
                !s.notAction &&
                s.actions.some((a) => PUBLISH.includes(a)) &&
                conditionValues(s, "aws:SecureTransport").some((c) => c.operator === "Bool" && c.values.includes("false")),
        );
        if (!denies) {
            report(`The access policy of ${what} must deny sns:Publish to any principal when aws:SecureTransport is false.`);
        }
    }),
};

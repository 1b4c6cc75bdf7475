import type { ResourceValidationPolicy } from "@pulumi/policy";
import { conditionValues, statementCovers } from "../lib/documents";
import { forVigilTypes } from "../lib/policy";
import { readDocument } from "../lib/resourcePolicy";
import { describe } from "../lib/resources";

export const snsTopicTlsOnly: ResourceValidationPolicy = {
    name: "vigil-sns-topic-tls-only",
    description:
        "Vigil's SNS topic policies deny publishing over plain HTTP (a Deny for any principal, covering sns:Publish, when aws:SecureTransport is false), as SNS's security best practices recommend, so that alerts and notifications never travel unencrypted.",
    enforcementLevel: "mandatory",
    severity: "medium",
    remediationSteps:
        "Add a statement { Effect: Deny, Principal: \"*\", Action: sns:Publish (or more SNS actions, or sns:*), Condition: { Bool: { aws:SecureTransport: \"false\" } } }.",
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
                !s.notPrincipal &&
                statementCovers(s, "sns:Publish") &&
                conditionValues(s, "aws:SecureTransport").some((c) => c.operator === "Bool" && c.values.some((v) => v.toLowerCase() === "false")),
        );
        if (!denies) {
            report(`The access policy of ${what} must deny sns:Publish to any principal when aws:SecureTransport is false.`);
        }
    }),
};

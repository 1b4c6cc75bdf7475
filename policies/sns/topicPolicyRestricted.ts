import type { ResourceValidationPolicy } from "@pulumi/policy";
import { forVigilTypes } from "../lib/policy";
import { checkResourcePolicy, readDocument } from "../lib/resourcePolicy";
import { describe } from "../lib/resources";

interface TopicPolicyConfig {
    readonly allowedServicePrincipals: readonly string[];
}

export const snsTopicPolicyRestricted: ResourceValidationPolicy = {
    name: "vigil-sns-topic-policy-restricted",
    description:
        "Vigil's SNS topic policies are not public: any-principal statements are tied to the account, only AMP, EventBridge and CloudWatch may publish, AMP only for its workspace (aws:SourceArn and aws:SourceAccount), and no Allow uses NotPrincipal or NotAction.",
    enforcementLevel: "mandatory",
    severity: "critical",
    framework: { name: "AWS Foundational Security Best Practices", version: "1.0", reference: "SNS.4", specification: "SNS topic access policies should not allow public access." },
    tags: ["checkov:CKV_AWS_169", "checkov:CKV_AWS_385"],
    configSchema: {
        properties: {
            allowedServicePrincipals: {
                type: "array",
                items: { type: "string" },
                default: ["aps.amazonaws.com", "events.amazonaws.com", "cloudwatch.amazonaws.com"],
                description: "Service principals that may be granted access to a topic.",
            },
        },
    },
    remediationSteps: "Grant aps.amazonaws.com sns:Publish and sns:GetTopicAttributes with aws:SourceArn = the workspace ARN and aws:SourceAccount = the account; grant EventBridge and CloudWatch sns:Publish with aws:SourceAccount.",
    validateResource: forVigilTypes(["aws:sns/topic:Topic", "aws:sns/topicPolicy:TopicPolicy"], (props, args, report) => {
        if (props.policy === undefined) {
            args.notApplicable("the topic has no access policy of its own (only its owner may use it)");
        }
        const what = describe(args);
        const statements = readDocument(props.policy, what, report);
        if (!statements) {
            return;
        }
        const { allowedServicePrincipals } = args.getConfig<TopicPolicyConfig>();
        checkResourcePolicy(statements, what, { allowedServices: allowedServicePrincipals, requiredKeys: { "aps.amazonaws.com": ["aws:SourceArn", "aws:SourceAccount"] } }, report);
    }),
};

import type { ResourceValidationPolicy } from "@pulumi/policy";
import { forVigilTypes } from "../lib/policy";
import { checkResourcePolicy, readDocument } from "../lib/resourcePolicy";
import { describe } from "../lib/resources";

interface QueuePolicyConfig {
    readonly allowedServicePrincipals: readonly string[];
}

export const sqsQueuePolicyRestricted: ResourceValidationPolicy = {
    name: "vigil-sqs-queue-policy-restricted",
    description:
        "Vigil's SQS queue policies are not public: only SNS and EventBridge may send, each only from its own topic or rule (a fixed aws:SourceArn), and no Allow uses NotPrincipal or NotAction.",
    enforcementLevel: "mandatory",
    severity: "critical",
    configSchema: {
        properties: {
            allowedServicePrincipals: {
                type: "array",
                items: { type: "string" },
                default: ["sns.amazonaws.com", "events.amazonaws.com"],
                description: "Service principals that may be granted access to a queue.",
            },
        },
    },
    remediationSteps: "Grant sns.amazonaws.com (or events.amazonaws.com) sqs:SendMessage with aws:SourceArn = the topic (or rule) ARN.",
    validateResource: forVigilTypes(["aws:sqs/queue:Queue", "aws:sqs/queuePolicy:QueuePolicy"], (props, args, report) => {
        if (props.policy === undefined) {
            args.notApplicable("the queue has no access policy of its own (only its account may use it)");
        }
        const what = describe(args);
        const statements = readDocument(props.policy, what, report);
        if (!statements) {
            return;
        }
        const { allowedServicePrincipals } = args.getConfig<QueuePolicyConfig>();
        const requiredKeys = Object.fromEntries(allowedServicePrincipals.map((s) => [s, ["aws:SourceArn"]]));
        checkResourcePolicy(statements, what, { allowedServices: allowedServicePrincipals, requiredKeys }, report);
    }),
};

import * as assert from "node:assert/strict";
import * as aws from "@pulumi/aws";
import { ResourceValidationPolicy, StackValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { PolicyFailure, PolicySubject, runPolicies } from "../../tools/offline/policies";

const topicEncrypted: ResourceValidationPolicy = {
    name: "test-sns-encrypted",
    description: "SNS topics must be encrypted.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { allowAwsManagedKey: { type: "boolean", default: false } } },
    validateResource: validateResourceOfType(aws.sns.Topic, (topic, args, report) => {
        const { allowAwsManagedKey } = args.getConfig<{ allowAwsManagedKey: boolean }>();
        if (!topic.kmsMasterKeyId) {
            report(`The SNS topic ${args.name} must be encrypted with a KMS key.`);
        } else if (topic.kmsMasterKeyId === "alias/aws/sns" && !allowAwsManagedKey) {
            report(`The SNS topic ${args.name} must use a customer-managed key.`);
        }
    }),
};

const partyTagged: StackValidationPolicy = {
    name: "test-stack-party",
    description: "Stacks say which party they belong to.",
    validateStack: (args, report) => {
        if (!args.stackTags.get("vigil:party")) {
            report("The stack must carry the vigil:party tag.");
        }
        const orphans = args.resources.filter((r) => r.type === "aws:sns/topic:Topic" && !r.parent);
        for (const r of orphans) {
            report(`The topic ${r.name} must belong to a component.`, r.urn);
        }
    },
};

const topic = (name: string, inputs: Record<string, unknown>, parent?: string): PolicySubject => ({
    urn: `urn:pulumi:s::vigil::aws:sns/topic:Topic::${name}`,
    type: "aws:sns/topic:Topic",
    name,
    parent,
    inputs,
});
const component: PolicySubject = { urn: "urn:pulumi:s::vigil::vigil:x:C::c", type: "vigil:x:C", name: "c", inputs: {} };

describe("offline policy runner", () => {
    it("reports a resource violation with the policy's level and the resource's URN", async () => {
        const run = await runPolicies([topicEncrypted], [topic("plain", {})]);
        assert.deepEqual(run.violations, [
            { policy: "test-sns-encrypted", enforcementLevel: "mandatory", urn: "urn:pulumi:s::vigil::aws:sns/topic:Topic::plain", message: "The SNS topic plain must be encrypted with a KMS key." },
        ]);
    });

    it("passes a compliant resource and marks other types not applicable", async () => {
        const run = await runPolicies([topicEncrypted], [topic("ok", { kmsMasterKeyId: "arn:aws:kms:eu-west-1:111122223333:key/k" }), component]);
        assert.deepEqual(run.violations, []);
        assert.equal(run.notApplicable.length, 1);
        assert.equal(run.notApplicable[0].urn, component.urn);
    });

    it("applies schema defaults and pack configuration", async () => {
        const awsKey = topic("aws-key", { kmsMasterKeyId: "alias/aws/sns" });
        assert.equal((await runPolicies([topicEncrypted], [awsKey])).violations.length, 1);
        const allowed = await runPolicies([topicEncrypted], [awsKey], { config: { "test-sns-encrypted": { allowAwsManagedKey: true } } });
        assert.deepEqual(allowed.violations, []);
        const advisory = await runPolicies([topicEncrypted], [awsKey], { config: { "test-sns-encrypted": "advisory" } });
        assert.equal(advisory.violations[0].enforcementLevel, "advisory");
        const off = await runPolicies([topicEncrypted], [awsKey], { config: { all: "disabled" } });
        assert.deepEqual(off.violations, []);
    });

    it("gives stack policies the stack tags and linked parents", async () => {
        const subjects = [component, topic("owned", {}, component.urn), topic("loose", {})];
        const untagged = await runPolicies([partyTagged], subjects);
        assert.deepEqual(
            untagged.violations.map((v) => v.message),
            ["The stack must carry the vigil:party tag.", "The topic loose must belong to a component."],
        );
        assert.equal(untagged.violations[0].enforcementLevel, "advisory", "a policy without a level is advisory");
        const tagged = await runPolicies([partyTagged], subjects, { stackTags: new Map([["vigil:party", "operator"]]) });
        assert.deepEqual(tagged.violations.map((v) => v.urn), ["urn:pulumi:s::vigil::aws:sns/topic:Topic::loose"]);
    });

    it("names the policy and resource when a policy itself throws", async () => {
        const broken: ResourceValidationPolicy = {
            name: "test-broken",
            description: "Breaks.",
            validateResource: (args) => {
                (args.props.missing as { deeper: string }).deeper.toString();
            },
        };
        await assert.rejects(runPolicies([broken], [topic("t", {})]), (err: Error) => err instanceof PolicyFailure && /test-broken failed on urn:pulumi:s::vigil::aws:sns\/topic:Topic::t/.test(err.message));
    });
});

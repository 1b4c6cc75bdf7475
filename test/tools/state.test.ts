import * as assert from "node:assert/strict";
import { mockResourceState, physicalName } from "../../tools/offline/state";
import { exampleAccount } from "../support/mocks";

describe("mock resource state", () => {
    const account = exampleAccount();

    it("synthesises the ARN and id a topic gets from AWS", () => {
        const { id, state } = mockResourceState("aws:sns/topic:Topic", "vigil-alerts", {}, true, account);
        assert.match(String(state.arn), /^arn:aws:sns:eu-west-1:111122223333:vigil-alerts-[0-9a-f]{7}$/);
        assert.equal(id, state.arn);
    });

    it("keeps an arn input (an event target's target, a topic policy's topic)", () => {
        const target = "arn:aws:sns:eu-west-1:111122223333:vigil-alerts-abc1234";
        assert.equal(mockResourceState("aws:cloudwatch/eventTarget:EventTarget", "t", { arn: target, rule: "r" }, true, account).state.arn, target);
        assert.equal(mockResourceState("aws:sns/topicPolicy:TopicPolicy", "p", { arn: target, policy: "{}" }, true, account).state.arn, target);
    });

    it("is deterministic and honours explicit names", () => {
        assert.deepEqual(mockResourceState("aws:kms/key:Key", "k", {}, true, account), mockResourceState("aws:kms/key:Key", "k", {}, true, account));
        assert.equal(physicalName("aws:cloudwatch/logGroup:LogGroup", "lg", { name: "/aws/eks/c/cluster" }), "/aws/eks/c/cluster");
    });

    it("echoes component inputs", () => {
        assert.deepEqual(mockResourceState("vigil:x:C", "c", { a: 1 }, false, account), { id: "", state: { a: 1 } });
    });
});

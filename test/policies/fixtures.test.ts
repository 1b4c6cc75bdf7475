import * as assert from "node:assert/strict";
import { POLICIES } from "../../policies/catalog";
import { customerStack, operatorStack } from "./fixtures";
import { run } from "./harness";

describe("policy fixtures", () => {
    it("the operator's compliant stack passes every policy, advisory ones included", async () => {
        const result = await run(POLICIES, operatorStack());
        assert.deepEqual(result.violations, []);
    });

    it("the customer's compliant project passes every policy, advisory ones included", async () => {
        const result = await run(POLICIES, customerStack(), { party: "customer" });
        assert.deepEqual(result.violations, []);
    });
});

// vigil:notificationTopicKeyArn: the CMK of an existing notifications topic, read and checked by
// the stack program's configuration reader (stacks/config.ts) before anything is deployed.

import * as assert from "node:assert/strict";
import * as path from "node:path";
import { ConfigError, parseConfig } from "../../stacks/config";
import { loadProject, loadStackConfig } from "../../tools/offline/stackConfig";

const TOPIC = "arn:aws:sns:eu-west-1:111122223333:customer-notifications";
const KEY = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

/** The example stack with an existing notifications topic (whose owner manages subscriptions). */
function withExistingTopic(extra: Record<string, string> = {}): Record<string, string> {
    const values = loadStackConfig(path.join(__dirname, "..", "..", "stacks", "Pulumi.example.yaml"), loadProject()).values;
    return { ...values, "vigil:notificationEmails": "[]", "vigil:notificationTopicArn": TOPIC, ...extra };
}

function refused(raw: Record<string, string>, given: RegExp, allowed: RegExp): void {
    assert.throws(
        () => parseConfig(raw),
        (err: unknown) => err instanceof ConfigError && err.key === "vigil:notificationTopicKeyArn" && given.test(err.given) && allowed.test(err.allowed) && err.message.includes("vigil:notificationTopicKeyArn"),
    );
}

describe("stack configuration: vigil:notificationTopicKeyArn", () => {
    it('defaults to "" (no key to grant), with or without an existing topic', () => {
        assert.equal(loadProject().config.notificationTopicKeyArn.default, "");
        assert.equal(parseConfig(withExistingTopic()).notificationTopicKeyArn, undefined);
        const example = loadStackConfig(path.join(__dirname, "..", "..", "stacks", "Pulumi.example.yaml"), loadProject()).values;
        assert.equal(parseConfig(example).notificationTopicKeyArn, undefined);
    });

    it("accepts the key ARN of the existing topic, also a multi-Region key", () => {
        assert.equal(parseConfig(withExistingTopic({ "vigil:notificationTopicKeyArn": KEY })).notificationTopicKeyArn, KEY);
        const mrk = "arn:aws:kms:eu-west-1:444455556666:key/mrk-1234abcd12ab34cd56ef1234567890ab";
        assert.equal(parseConfig(withExistingTopic({ "vigil:notificationTopicKeyArn": mrk })).notificationTopicKeyArn, mrk);
    });

    it("refuses what is not a key ARN: an alias, a key id, another service's ARN", () => {
        for (const value of ["arn:aws:kms:eu-west-1:111122223333:alias/customer", "1234abcd-12ab-34cd-56ef-1234567890ab", "arn:aws:sns:eu-west-1:111122223333:customer-notifications"]) {
            refused(withExistingTopic({ "vigil:notificationTopicKeyArn": value }), new RegExp(JSON.stringify(value).replace(/[/.*+?^${}()|[\]\\]/g, "\\$&")), /a KMS key ARN \(arn:aws:kms:<region>:<account>:key\/<key id>; not an alias\) or "" for none/);
        }
    });

    it("refuses a key without an existing topic (Vigil's own topic has its own key)", () => {
        const example = loadStackConfig(path.join(__dirname, "..", "..", "stacks", "Pulumi.example.yaml"), loadProject()).values;
        refused({ ...example, "vigil:notificationTopicKeyArn": KEY }, /without vigil:notificationTopicArn/, /or set vigil:notificationTopicArn to the existing topic this key encrypts/);
    });

    it("refuses a key of another region than the topic", () => {
        refused(withExistingTopic({ "vigil:notificationTopicKeyArn": KEY.replace("eu-west-1", "us-east-1") }), /a key in us-east-1 for a topic in eu-west-1/, /a key in eu-west-1, the topic's region/);
    });
});

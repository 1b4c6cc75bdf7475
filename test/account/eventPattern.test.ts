import * as assert from "node:assert/strict";
import { matchesPattern } from "./eventPattern";

// Cases follow the examples of the EventBridge user guide's "Event patterns" and "Content filtering" pages.
const EVENT = {
    source: "aws.ec2",
    "detail-type": "EC2 Instance State-change Notification",
    resources: ["arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789"],
    detail: {
        "instance-id": "i-0123456789",
        state: "terminated",
        "c-count": 5,
        "d-count": 3,
        "x-limit": 301.8,
        location: null,
        tags: ["prod", "web"],
        nested: { value: "x" },
        empty: "",
    },
};

describe("EventBridge pattern matcher (test helper)", () => {
    it("matches exact values, and any element of an array value", () => {
        assert.equal(matchesPattern({ source: ["aws.ec2"] }, EVENT), true);
        assert.equal(matchesPattern({ source: ["aws.ec2", "aws.s3"] }, EVENT), true);
        assert.equal(matchesPattern({ source: ["aws.s3"] }, EVENT), false);
        assert.equal(matchesPattern({ detail: { tags: ["web"] } }, EVENT), true);
        assert.equal(matchesPattern({ detail: { tags: ["dev"] } }, EVENT), false);
        assert.equal(matchesPattern({ detail: { empty: [""] } }, EVENT), true);
    });

    it("requires every field, descending into nested objects", () => {
        assert.equal(matchesPattern({ source: ["aws.ec2"], detail: { state: ["terminated"] } }, EVENT), true);
        assert.equal(matchesPattern({ source: ["aws.ec2"], detail: { state: ["running"] } }, EVENT), false);
        assert.equal(matchesPattern({ detail: { nested: { value: ["x"] } } }, EVENT), true);
        assert.equal(matchesPattern({ detail: { nested: { value: ["y"] } } }, EVENT), false);
        assert.equal(matchesPattern({ detail: { missing: { value: ["x"] } } }, EVENT), false);
    });

    it("is case-sensitive and type-sensitive for literals", () => {
        assert.equal(matchesPattern({ detail: { state: ["Terminated"] } }, EVENT), false);
        assert.equal(matchesPattern({ detail: { "c-count": ["5"] } }, EVENT), false);
        assert.equal(matchesPattern({ detail: { "c-count": [5] } }, EVENT), true);
        assert.equal(matchesPattern({ detail: { location: [null] } }, EVENT), true);
        assert.equal(matchesPattern({ detail: { state: [null] } }, EVENT), false);
    });

    it("supports prefix, suffix and equals-ignore-case", () => {
        assert.equal(matchesPattern({ "detail-type": [{ prefix: "EC2 Instance" }] }, EVENT), true);
        assert.equal(matchesPattern({ "detail-type": [{ prefix: "EC2 Spot" }] }, EVENT), false);
        assert.equal(matchesPattern({ "detail-type": [{ prefix: { "equals-ignore-case": "ec2 instance" } }] }, EVENT), true);
        assert.equal(matchesPattern({ detail: { "instance-id": [{ suffix: "789" }] } }, EVENT), true);
        assert.equal(matchesPattern({ detail: { state: [{ "equals-ignore-case": "TERMINATED" }] } }, EVENT), true);
    });

    it("supports anything-but with a value, a list and a prefix", () => {
        assert.equal(matchesPattern({ detail: { state: [{ "anything-but": "running" }] } }, EVENT), true);
        assert.equal(matchesPattern({ detail: { state: [{ "anything-but": ["stopped", "terminated"] }] } }, EVENT), false);
        assert.equal(matchesPattern({ detail: { state: [{ "anything-but": { prefix: "term" } }] } }, EVENT), false);
        assert.equal(matchesPattern({ detail: { missing: [{ "anything-but": "x" }] } }, EVENT), false);
    });

    it("supports numeric ranges", () => {
        assert.equal(matchesPattern({ detail: { "c-count": [{ numeric: [">", 0, "<=", 5] }] } }, EVENT), true);
        assert.equal(matchesPattern({ detail: { "d-count": [{ numeric: ["<", 10] }] } }, EVENT), true);
        assert.equal(matchesPattern({ detail: { "x-limit": [{ numeric: ["=", 301.8] }] } }, EVENT), true);
        assert.equal(matchesPattern({ detail: { "c-count": [{ numeric: [">", 5] }] } }, EVENT), false);
    });

    it("supports exists true and false (leaves only)", () => {
        assert.equal(matchesPattern({ detail: { state: [{ exists: true }] } }, EVENT), true);
        assert.equal(matchesPattern({ detail: { missing: [{ exists: true }] } }, EVENT), false);
        assert.equal(matchesPattern({ detail: { missing: [{ exists: false }] } }, EVENT), true);
        assert.equal(matchesPattern({ detail: { state: [{ exists: false }] } }, EVENT), false);
        assert.equal(matchesPattern({ detail: { nested: [{ exists: true }] } }, EVENT), false, "an object is not a leaf");
    });

    it("supports wildcard", () => {
        assert.equal(matchesPattern({ resources: [{ wildcard: "arn:aws:ec2:*:instance/i-*" }] }, EVENT), true);
        assert.equal(matchesPattern({ resources: [{ wildcard: "arn:aws:s3:*" }] }, EVENT), false);
    });

    it("supports $or", () => {
        const pattern = { $or: [{ detail: { state: ["running"] } }, { detail: { "c-count": [{ numeric: [">", 4] }] } }] };
        assert.equal(matchesPattern(pattern, EVENT), true);
        assert.equal(matchesPattern({ $or: [{ detail: { state: ["running"] } }, { source: ["aws.s3"] }] }, EVENT), false);
    });

    it("rejects what it cannot judge instead of guessing", () => {
        assert.throws(() => matchesPattern({ source: "aws.ec2" }, EVENT), /must be an array or an object/);
        assert.throws(() => matchesPattern({ source: [] }, EVENT), /non-empty array/);
        assert.throws(() => matchesPattern({ source: [{ cidr: "10.0.0.0/8" }] }, EVENT), /not supported/);
        assert.throws(() => matchesPattern({ detail: { "c-count": [{ numeric: ["!=", 1] }] } }, EVENT), /numeric operator/);
        assert.throws(() => matchesPattern({}, EVENT), /non-empty JSON object/);
    });
});

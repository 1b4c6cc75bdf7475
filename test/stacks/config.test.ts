import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ConfigError, formatDuration, parseConfig, parseDuration } from "../../stacks/config";
import { cli } from "../../tools/plan";
import { loadProject, loadStackConfig, Project } from "../../tools/offline/stackConfig";
import { EXAMPLE, writeStackVariant } from "./variant";

let cachedProject: Project | undefined;
/** Pulumi.yaml, read once. */
const project = (): Project => (cachedProject ??= loadProject());

/** The example stack's values merged with Pulumi.yaml's defaults, as the CLI hands them over. */
function exampleValues(): Record<string, string> {
    return loadStackConfig(EXAMPLE, project()).values;
}

/** The type Pulumi.yaml declares for a `vigil:` key (undefined for an undeclared key). */
function declaredType(key: string): string | undefined {
    return project().config[key.replace(/^vigil:/, "")]?.type;
}

/**
 * A raw value (the string the CLI hands the program) as a stack file holds it: lists as YAML
 * lists, integers and booleans as such when the declared type says so and the text is one; other
 * text stays a string (which the CLI's schema check then rejects).
 */
function stackFileValue(key: string, raw: string): unknown {
    const declared = declaredType(key);
    if (declared === "array") {
        try {
            return JSON.parse(raw);
        } catch {
            return raw;
        }
    }
    if (declared === "integer" && /^-?\d+$/.test(raw)) {
        return Number(raw);
    }
    if (declared === "boolean" && (raw === "true" || raw === "false")) {
        return raw === "true";
    }
    return raw;
}

/** Whether a stack file value has the type Pulumi.yaml declares for its key (undeclared keys pass). */
function hasDeclaredType(key: string, value: unknown): boolean {
    switch (declaredType(key)) {
        case "array":
            return Array.isArray(value);
        case "integer":
            return Number.isInteger(value);
        case "boolean":
            return typeof value === "boolean";
        case "string":
            return typeof value === "string";
        default:
            return true;
    }
}

/**
 * Runs `npm run plan -- --config <file>` in-process on the example stack with `change` applied,
 * its account description next to it. Configuration errors stop the plan before the program runs.
 */
async function planWith(change: Record<string, unknown>): Promise<{ code: number; out: string; err: string }> {
    const file = writeVariant(change);
    try {
        let out = "";
        let err = "";
        const code = await cli(["--config", file], { out: (t) => (out += t), err: (t) => (err += t) });
        return { code, out, err };
    } finally {
        fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
}

/** Writes the example stack with `change` applied, and its account description, into a fresh folder. */
function writeVariant(change: Record<string, unknown>): string {
    return writeStackVariant("bad", (config) => Object.assign(config, change));
}

function escapeRegExp(text: string): string {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function expectConfigError(raw: Record<string, string>, key: string, allowedPart: RegExp): ConfigError {
    let caught: unknown;
    try {
        parseConfig(raw);
    } catch (err) {
        caught = err;
    }
    assert.ok(caught instanceof ConfigError, `expected a ConfigError for ${key}, got ${String(caught)}`);
    assert.equal(caught.key, key);
    assert.match(caught.allowed, allowedPart);
    assert.ok(caught.message.includes(key), caught.message);
    return caught;
}

describe("stack configuration", () => {
    it("reads the example stack with Pulumi.yaml's defaults", () => {
        const config = parseConfig(exampleValues());
        assert.deepEqual(config.clusters, ["payments-prod", "platform-staging"]);
        assert.equal(config.namespace, "vigil-monitoring");
        assert.equal(config.collector, "prometheus");
        assert.equal(config.collectorIdentity, "irsa");
        assert.equal(config.scrapeIntervalSeconds, 30);
        assert.equal(config.logRetentionDays, 365);
        assert.equal(config.guardDuty, "adopt");
        assert.equal(config.replyWindowSeconds, 72 * 3600);
        assert.equal(config.repeatIntervalSeconds, 4 * 3600);
        assert.equal(config.notificationTopicArn, undefined);
        assert.deepEqual(config.notificationEmails, ["oncall@customer.example.com"]);
    });

    it("reads every key Pulumi.yaml declares, and no other vigil: key", () => {
        const reads = new Set<string>();
        const raw = new Proxy(exampleValues(), {
            get(target, property, receiver) {
                if (typeof property === "string") {
                    reads.add(property);
                }
                return Reflect.get(target, property, receiver) as unknown;
            },
        });
        parseConfig(raw);
        const declared = Object.keys(project().config).map((k) => `vigil:${k}`);
        assert.deepEqual([...reads].filter((k) => k.startsWith("vigil:")).sort(), declared.sort());
        // Listing the keys (for the unknown-key check) is not reading them: aws:region is present but never read.
        assert.ok("aws:region" in exampleValues() && !reads.has("aws:region"), "the recorder tells reads from presence");
    });

    it("ignores keys of other namespaces", () => {
        const config = parseConfig({ ...exampleValues(), "aws:region": "eu-west-1", "kubernetes:context": "x" });
        assert.equal(config.clusters.length, 2);
    });

    const cases: [string, Record<string, string>, string, RegExp][] = [
        ["an unknown key, with a suggestion", { "vigil:clusterz": "[]" }, "vigil:clusterz", /keys Pulumi\.yaml declares/],
        ["an empty cluster list", { "vigil:clusters": "[]" }, "vigil:clusters", /at least 1/],
        ["a cluster list that is not a list", { "vigil:clusters": '"payments-prod"' }, "vigil:clusters", /list of EKS cluster names/],
        ["a duplicate cluster name", { "vigil:clusters": '["a","b","a"]' }, "vigil:clusters[2]", /only once/],
        ["an invalid cluster name", { "vigil:clusters": '["has space"]' }, "vigil:clusters[0]", /EKS cluster name/],
        ["a collector that does not exist", { "vigil:collector": "prometheous" }, "vigil:collector", /"prometheus", "managed"/],
        ["a non-boolean switch", { "vigil:grafana": "yes" }, "vigil:grafana", /true or false/],
        ["a duration without a unit", { "vigil:replyWindow": "72" }, "vigil:replyWindow", /duration/],
        ["a duration in words", { "vigil:replyWindow": "3 days" }, "vigil:replyWindow", /between 1h and 14d/],
        ["a repeat interval above AMP's cap", { "vigil:repeatInterval": "6d" }, "vigil:repeatInterval", /between 1m and 5d/],
        ["a scrape interval too short", { "vigil:scrapeInterval": "1s" }, "vigil:scrapeInterval", /between 10s and 5m/],
        ["a retention CloudWatch does not accept", { "vigil:logRetentionDays": "42" }, "vigil:logRetentionDays", /365/],
        ["a negative series limit", { "vigil:maxSeriesPerCluster": "-1" }, "vigil:maxSeriesPerCluster", /between 0 and/],
        ["a malformed e-mail address", { "vigil:notificationEmails": '["oncall"]' }, "vigil:notificationEmails[0]", /e-mail/],
        ["a plain-http endpoint", { "vigil:notificationHttpsEndpoints": '["http://x.example.com"]' }, "vigil:notificationHttpsEndpoints[0]", /https/],
        ["a topic ARN that is not one", { "vigil:notificationTopicArn": "my-topic" }, "vigil:notificationTopicArn", /SNS topic ARN/],
        ["the kube-system namespace", { "vigil:namespace": "kube-system" }, "vigil:namespace", /DNS-1123/],
        ["a metric name with a dash", { "vigil:extraKeepMetrics": '["my-metric"]' }, "vigil:extraKeepMetrics[0]", /metric name/],
        ["runtime monitoring without GuardDuty", { "vigil:guardDuty": "off", "vigil:guardDutyRuntimeMonitoring": "true" }, "vigil:guardDutyRuntimeMonitoring", /create/],
        [
            "an existing topic together with subscriptions",
            { "vigil:notificationTopicArn": "arn:aws:sns:eu-west-1:111122223333:customer" },
            "vigil:notificationTopicArn",
            /not both/,
        ],
    ];
    for (const [what, change, key, allowed] of cases) {
        it(`rejects ${what}, naming ${key}`, () => {
            expectConfigError({ ...exampleValues(), ...change }, key, allowed);
        });
    }

    describe("the same cases through npm run plan", function () {
        // In-process and before the program runs: each case takes milliseconds.
        this.timeout(20_000);
        for (const [what, change, key, allowed] of cases) {
            it(`exits 2 on ${what}, with a message naming ${key}`, async () => {
                const values = Object.fromEntries(Object.entries(change).map(([k, raw]) => [k, stackFileValue(k, raw)]));
                const result = await planWith(values);
                assert.equal(result.code, 2, result.out + result.err);
                assert.match(result.err, new RegExp(`^error: Invalid stack configuration ${escapeRegExp(key)}: got `, "m"));
                // A value of the wrong YAML type stops at the CLI's schema check, before stacks/config.ts.
                const schemaStop = Object.entries(values).find(([k, v]) => !hasDeclaredType(k, v));
                assert.match(result.err, schemaStop ? /allowed: a value of type \S+ \(Pulumi\.yaml declares it so\)/ : allowed);
                assert.equal(result.out, "", "nothing is planned");
            });
        }

        it("accepts the rewritten example unchanged (so each case above fails for its change alone)", () => {
            // The plan's configuration stage without running the program (one program run per process).
            const file = writeVariant({});
            try {
                assert.deepEqual(parseConfig(loadStackConfig(file, project()).values), parseConfig(exampleValues()));
            } finally {
                fs.rmSync(path.dirname(file), { recursive: true, force: true });
            }
        });
    });

    it("suggests the nearest known key for a typo", () => {
        const err = expectConfigError({ ...exampleValues(), "vigil:clusterz": "[]" }, "vigil:clusterz", /clusters/);
        assert.match(err.given, /did you mean vigil:clusters\?/);
    });

    it("reports a missing required key", () => {
        const values = exampleValues();
        delete values["vigil:clusters"];
        expectConfigError(values, "vigil:clusters", /string/);
    });
});

describe("durations", () => {
    it("parses Prometheus durations", () => {
        assert.equal(parseDuration("30s"), 30);
        assert.equal(parseDuration("15m"), 900);
        assert.equal(parseDuration("1h30m"), 5400);
        assert.equal(parseDuration("3d"), 259200);
        assert.equal(parseDuration("1w"), 604800);
        assert.equal(parseDuration("0s"), 0);
    });

    it("rejects what is not one", () => {
        for (const bad of ["", "30", "3 days", "1.5h", "-5m", "5M", "h"]) {
            assert.equal(parseDuration(bad), undefined, bad);
        }
    });

    it("formats the shortest form", () => {
        assert.equal(formatDuration(14400), "4h");
        assert.equal(formatDuration(90), "1m30s");
        assert.equal(formatDuration(259200), "3d");
        assert.equal(formatDuration(0), "0s");
        assert.throws(() => formatDuration(1.5), RangeError);
    });
});

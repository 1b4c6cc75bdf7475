import * as assert from "node:assert/strict";
import { ConfigError, formatDuration, parseConfig, parseDuration } from "../../stacks/config";
import { loadProject, loadStackConfig } from "../../tools/offline/stackConfig";
import * as path from "node:path";

/** The example stack's values merged with Pulumi.yaml's defaults, as the CLI hands them over. */
function exampleValues(): Record<string, string> {
    return loadStackConfig(path.join(__dirname, "..", "..", "stacks", "Pulumi.example.yaml"), loadProject()).values;
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

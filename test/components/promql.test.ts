import * as assert from "node:assert/strict";
import { metricNames, PromQLError } from "../../components/promql";

describe("metric names in PromQL", () => {
    it("finds every selector's metric, through functions, aggregations and binary operators", () => {
        const expr = `sum by (cluster) (rate(node_cpu_seconds_total{mode!="idle"}[5m]))
            / on (cluster) group_left count(kube_node_info) > 0.9
            unless absent(up{job="node-exporter"}) or vector(1)`;
        assert.deepEqual(metricNames(expr), ["kube_node_info", "node_cpu_seconds_total", "up"]);
    });

    it("reads names given as __name__ matchers and recording-rule names", () => {
        assert.deepEqual(metricNames('{__name__="kube_pod_info", namespace="x"} * on() group_left cluster:node_cpu:ratio'), ["cluster:node_cpu:ratio", "kube_pod_info"]);
    });

    it("ignores label names and string arguments that look like metrics", () => {
        assert.deepEqual(metricNames('label_replace(kube_pod_info, "node_name", "$1", "node", "(.*)")'), ["kube_pod_info"]);
    });

    it("rejects a regular expression on __name__, which cannot be kept exactly", () => {
        assert.throws(() => metricNames('{__name__=~"node_.*"}'), PromQLError);
    });

    it("rejects a selector without a name", () => {
        assert.throws(() => metricNames('count({job="x"})'), /does not name a metric/);
    });

    it("rejects a syntax error", () => {
        assert.throws(() => metricNames("sum(rate(x[5m])"), /syntax error/);
    });
});

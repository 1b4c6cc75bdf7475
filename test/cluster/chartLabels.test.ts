// The labels Vigil passes to the charts never collide with the labels the charts render themselves
// (CHART_OWNED_LABELS, read from the charts' templates), nor with each other where a chart renders
// two label values into the same map: a duplicate key makes Helm fail with "mapping key ... already
// defined", and a pod label could stop matching its controller's selector.

import * as assert from "node:assert/strict";
import { CHART_OWNED_LABELS, CHARTS, chartLabels, kubeStateMetricsValues, nodeExporterValues, prometheusValues } from "../../components/cluster/values";

type Chart = keyof typeof CHARTS;
type Values = Record<string, unknown>;

/**
 * Value paths each chart renders into the same labels map, in addition to its own keys: the pod
 * template gets the common labels and the pod labels (prometheus templates/deploy.yaml:
 * `prometheus.server.labels`, which holds commonMetaLabels, then server.podLabels;
 * prometheus-node-exporter templates/daemonset.yaml: `prometheus-node-exporter.labels`, which holds
 * commonLabels, then podLabels; kube-state-metrics templates/deployment.yaml:
 * `kube-state-metrics.labels`, which holds customLabels, then podLabels).
 */
const RENDERED_TOGETHER: Readonly<Record<Chart, readonly (readonly string[])[]>> = {
    prometheus: [["commonMetaLabels", "server.podLabels"]],
    nodeExporter: [["commonLabels", "podLabels"]],
    kubeStateMetrics: [["customLabels", "podLabels"]],
};

const at = (values: Values, dotted: string): Record<string, unknown> | undefined =>
    dotted.split(".").reduce<unknown>((v, k) => (typeof v === "object" && v !== null ? (v as Record<string, unknown>)[k] : undefined), values) as
        | Record<string, unknown>
        | undefined;

/** Every label map in chart values: an object under a key that ends in `labels` (any case), by path. */
function labelMaps(values: unknown, prefix = ""): [string, Record<string, unknown>][] {
    if (typeof values !== "object" || values === null || Array.isArray(values)) {
        return [];
    }
    return Object.entries(values).flatMap(([key, value]) => {
        const where = prefix ? `${prefix}.${key}` : key;
        if (/labels$/i.test(key) && typeof value === "object" && value !== null && !Array.isArray(value)) {
            return [[where, value as Record<string, unknown>] as [string, Record<string, unknown>]];
        }
        return labelMaps(value, where);
    });
}

/** What would collide when the chart renders these values; empty when nothing does. */
function labelCollisions(chart: Chart, values: Values): string[] {
    const owned = new Set(CHART_OWNED_LABELS[chart]);
    const problems = labelMaps(values).flatMap(([where, labels]) =>
        Object.keys(labels)
            .filter((k) => owned.has(k))
            .map((k) => `${chart}: ${where} sets ${k}, which the chart renders itself`),
    );
    for (const group of RENDERED_TOGETHER[chart]) {
        const seen = new Map<string, string>();
        for (const where of group) {
            for (const key of Object.keys(at(values, where) ?? {})) {
                const first = seen.get(key);
                if (first !== undefined) {
                    problems.push(`${chart}: ${first} and ${where} both set ${key}, rendered into the same labels`);
                }
                seen.set(key, where);
            }
        }
    }
    return problems;
}

const VALUES: Readonly<Record<Chart, () => Values>> = {
    prometheus: () => prometheusValues({ serviceAccountAnnotations: {} }),
    nodeExporter: () => nodeExporterValues(),
    kubeStateMetrics: () => kubeStateMetricsValues(["kube_pod_info"]),
};

const CHART_NAMES = Object.keys(CHARTS) as Chart[];

describe("chart labels", () => {
    it("lists the chart-owned keys for every pinned chart", () => {
        assert.deepEqual(Object.keys(CHART_OWNED_LABELS).sort(), [...CHART_NAMES].sort());
        for (const chart of CHART_NAMES) {
            for (const key of ["app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/component", "app.kubernetes.io/part-of", "app.kubernetes.io/managed-by", "helm.sh/chart"]) {
                assert.ok(CHART_OWNED_LABELS[chart].includes(key), `${chart}: ${key}`);
            }
        }
    });

    for (const chart of CHART_NAMES) {
        it(`${chart}: sets no label the chart renders itself, and no key twice in one rendered map`, () => {
            const values = VALUES[chart]();
            assert.ok(labelMaps(values).length > 0, "the values label the chart's objects");
            assert.deepEqual(labelCollisions(chart, values), []);
        });

        it(`${chart}: labels the chart's objects with exactly the vigil.dev/ keys`, () => {
            const maps = labelMaps(VALUES[chart]());
            assert.deepEqual(maps, maps.map(([where]) => [where, { "vigil.dev/activity": "on-cluster-components", "vigil.dev/responsible": "operator" }]));
        });
    }

    it("catches a chart-owned key and a key set twice (the check is real)", () => {
        const ne = nodeExporterValues();
        const mutated = { ...ne, commonLabels: { ...(ne.commonLabels as object), "app.kubernetes.io/component": "node-exporter" }, podLabels: { "vigil.dev/activity": "x" } };
        assert.deepEqual(labelCollisions("nodeExporter", mutated), [
            "nodeExporter: commonLabels sets app.kubernetes.io/component, which the chart renders itself",
            "nodeExporter: commonLabels and podLabels both set vigil.dev/activity, rendered into the same labels",
        ]);
        const prom = prometheusValues({ serviceAccountAnnotations: {} });
        const server = prom.server as Values;
        const nested = { ...prom, server: { ...server, service: { ...(server.service as object), labels: { "app.kubernetes.io/managed-by": "vigil" } } } };
        assert.deepEqual(labelCollisions("prometheus", nested), ["prometheus: server.service.labels sets app.kubernetes.io/managed-by, which the chart renders itself"]);
    });

    it("keeps only the vigil.dev/ keys of Vigil's labels", () => {
        assert.deepEqual(chartLabels("control-plane-monitoring"), { "vigil.dev/activity": "control-plane-monitoring", "vigil.dev/responsible": "operator" });
    });
});

// Which checks an alert gets, by level and labels, and which values its queries may use.

import * as assert from "node:assert/strict";
import { nodeRefOf, planDiagnostics } from "../../components/triage/handler/diagnostics/plan";
import { alertOf, withAttributes } from "./support";

const CRASH = alertOf("amp/01-crashloop-firing.sns.json");
const NODE = alertOf("amp/06-node-group-mixed.sns.json", 1);

describe("diagnostics: what is checked for which alert", () => {
    it("pod alerts: the pod (with the alert's container); queries get namespace, pod and container", () => {
        const plan = planDiagnostics(CRASH, "vigil-monitoring");
        assert.deepEqual(plan.kubernetes, [{ kind: "pod", namespace: "shop", pod: "cart-7d9c6b5f4-x2lkq", container: "cart" }]);
        assert.deepEqual(plan.parameters, { namespace: "shop", pod: "cart-7d9c6b5f4-x2lkq", container: "cart" });
        assert.deepEqual(plan.skipped, []);
    });

    it("pod alerts without a valid pod fall back to the namespace, or the cluster, and say why", () => {
        const noPod = planDiagnostics(withAttributes(CRASH, { pod: undefined }), "vigil-monitoring");
        assert.deepEqual(noPod.kubernetes, [{ kind: "namespace", namespace: "shop" }]);
        assert.deepEqual(noPod.skipped.map((s) => s.reason), ["the alert names no valid pod (label pod)"]);
        const badNamespace = planDiagnostics(withAttributes(CRASH, { namespace: "Shop!" }), "vigil-monitoring");
        assert.deepEqual(badNamespace.kubernetes, [{ kind: "cluster" }]);
        assert.match(badNamespace.skipped[0].reason, /namespace label "Shop!" is not a valid namespace name/);
        assert.equal(badNamespace.parameters.namespace, undefined, "an invalid value never reaches a query");
    });

    it("workload alerts: the object their label names, by kind; otherwise the namespace", () => {
        const level = { level: "workload" as const };
        const cases: [Record<string, string>, object][] = [
            [{ deployment: "cart" }, { kind: "workload", namespace: "shop", resource: "deployments", name: "cart" }],
            [{ statefulset: "orders-db" }, { kind: "workload", namespace: "shop", resource: "statefulsets", name: "orders-db" }],
            [{ daemonset: "fluent-bit" }, { kind: "workload", namespace: "shop", resource: "daemonsets", name: "fluent-bit" }],
            [{ job_name: "nightly-export-28573210" }, { kind: "workload", namespace: "shop", resource: "jobs", name: "nightly-export-28573210" }],
            [{ cronjob: "nightly-export" }, { kind: "workload", namespace: "shop", resource: "cronjobs", name: "nightly-export" }],
            [{ horizontalpodautoscaler: "cart" }, { kind: "workload", namespace: "shop", resource: "horizontalpodautoscalers", name: "cart" }],
            [{ persistentvolumeclaim: "data-orders-db-0" }, { kind: "workload", namespace: "shop", resource: "persistentvolumeclaims", name: "data-orders-db-0" }],
            [{ resourcequota: "compute" }, { kind: "namespace", namespace: "shop" }],
        ];
        for (const [labels, expected] of cases) {
            const plan = planDiagnostics(withAttributes(CRASH, { pod: undefined, container: undefined, ...labels }, level), "vigil-monitoring");
            assert.deepEqual(plan.kubernetes, [expected], JSON.stringify(labels));
        }
        const deployment = planDiagnostics(withAttributes(CRASH, { pod: undefined, deployment: "cart" }, level), "vigil-monitoring");
        assert.deepEqual(deployment.parameters, { namespace: "shop", workload: "cart", workloadResource: "deployments" });
    });

    it("node alerts: the node by name, by address (a scrape target), or by EC2 instance", () => {
        assert.deepEqual(planDiagnostics(NODE, "vigil-monitoring").kubernetes, [{ kind: "node", node: { name: "ip-10-0-1-23.eu-west-1.compute.internal" } }]);
        assert.deepEqual(planDiagnostics(NODE, "vigil-monitoring").parameters, { node: "ip-10-0-1-23.eu-west-1.compute.internal" });
        assert.deepEqual(nodeRefOf(withAttributes(NODE, { node: undefined, instance: "10.0.2.45:61678" })), { ip: "10.0.2.45" });
        assert.deepEqual(nodeRefOf(withAttributes(NODE, { node: undefined, instance: "ip-10-0-2-45.eu-west-1.compute.internal" })), { name: "ip-10-0-2-45.eu-west-1.compute.internal" });
        const ec2 = alertOf("ec2/01-instance-stopped.json");
        assert.deepEqual(nodeRefOf(ec2), { instanceId: /:(i-[0-9a-f]+):/.exec(ec2.key)?.[1] });
        const nothing = planDiagnostics(withAttributes(NODE, { node: undefined }), "vigil-monitoring");
        assert.deepEqual(nothing.kubernetes, [{ kind: "cluster" }]);
        assert.match(nothing.skipped[0].reason, /names no node/);
    });

    it("system levels: CoreDNS, the API server (and an aggregated API's APIService), scheduler and controller manager, the network, Vigil's own pipeline", () => {
        const as = (level: string, labels: Record<string, string | undefined> = {}, extra: object = {}) =>
            planDiagnostics(withAttributes(CRASH, { namespace: undefined, pod: undefined, container: undefined, ...labels }, { level: level as never, ...extra }), "vigil-ops").kubernetes;
        assert.deepEqual(as("coredns"), [{ kind: "coredns" }]);
        assert.deepEqual(as("apiserver"), [{ kind: "apiserver" }]);
        assert.deepEqual(as("apiserver", { name: "v1beta1.metrics.k8s.io" }, { alertname: "KubeAggregatedAPIDown" }), [{ kind: "apiserver", apiService: "v1beta1.metrics.k8s.io" }]);
        assert.deepEqual(as("apiserver", { name: "v1beta1.metrics.k8s.io" }, { alertname: "KubeAPIErrorsHigh" }), [{ kind: "apiserver" }], "the name label means an APIService only for aggregated API alerts");
        assert.deepEqual(as("control-plane"), [{ kind: "control-plane" }]);
        assert.deepEqual(as("network", { instance: "10.0.1.23:61678" }), [{ kind: "network", node: { ip: "10.0.1.23" } }]);
        assert.deepEqual(as("network"), [{ kind: "network" }]);
        assert.deepEqual(as("pipeline"), [{ kind: "pipeline", namespace: "vigil-ops" }]);
        assert.deepEqual(planDiagnostics(withAttributes(CRASH, {}, { level: "pipeline" }), "vigil-ops").parameters.vigilNamespace, "vigil-ops");
    });

    it("cluster alerts: an EKS add-on's pods when the add-on is known, else the cluster's nodes and warnings", () => {
        const degraded = alertOf("eks/01-addon-health-degraded.json");
        const plan = planDiagnostics(degraded, "vigil-monitoring");
        assert.equal(degraded.level, "cluster");
        assert.deepEqual(plan.kubernetes, [{ kind: "addon", addon: degraded.attributes.addonName, selector: plan.kubernetes[0].kind === "addon" ? plan.kubernetes[0].selector : "" }]);
        assert.ok(plan.kubernetes[0].kind === "addon" && /=/.test(plan.kubernetes[0].selector));
        assert.deepEqual(planDiagnostics(withAttributes(degraded, { addonName: "some-marketplace-addon" }), "vigil-monitoring").kubernetes, [{ kind: "cluster" }]);
        assert.deepEqual(planDiagnostics(alertOf("health/01-eks-issue-open.sns.json"), "vigil-monitoring").kubernetes, [{ kind: "cluster" }]);
    });
});

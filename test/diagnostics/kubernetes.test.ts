// The pure readers behind the Kubernetes checks: quantities and what a pod requests (as the
// scheduler counts), which log to read, how answers are classified, the workload summaries, and
// the read-only rules every request the checks make must fall under.

import * as assert from "node:assert/strict";
import { DIAGNOSTICS_READ_RULES, Permission, permits, requiredPermission } from "../../components/triage/handler/diagnostics/access";
import { workloadLines } from "../../components/triage/handler/diagnostics/checks";
import { classify, formatBytes, formatCpu, logTarget, nodeInTrouble, parseQuantity, Pod, podRequests, requestKey } from "../../components/triage/handler/diagnostics/kubernetes";
import { runDiagnostics } from "../../components/triage/handler/diagnostics/runner";
import { alertOf, NOW, runnerDeps, scenario, withAttributes } from "./support";

describe("diagnostics: reading Kubernetes answers", () => {
    it("parses resource quantities as the API writes them", () => {
        const cases: [string, number][] = [["250m", 0.25], ["2", 2], ["1.5", 1.5], ["512Mi", 512 * 2 ** 20], ["1Gi", 2 ** 30], ["1G", 1e9], ["500M", 5e8], ["1e3", 1000], ["100k", 1e5], ["3Ki", 3072], ["0", 0]];
        for (const [text, value] of cases) {
            assert.equal(parseQuantity(text), value, text);
        }
        assert.equal(parseQuantity("lots"), undefined);
        assert.equal(parseQuantity(undefined), undefined);
        assert.equal(formatCpu(0.25), "250m");
        assert.equal(formatCpu(3.875), "3.88");
        assert.equal(formatBytes(1.5 * 2 ** 30), "1.5Gi");
        assert.equal(formatBytes(1.25 * 2 ** 20), "1.3Mi");
        assert.equal(formatBytes(300 * 2 ** 20), "300Mi");
        assert.equal(formatBytes(16 * 1024), "16Ki");
    });

    it("counts a pod's request as the scheduler does: containers and sidecars, or the largest init container, plus overhead", () => {
        const c = (cpu: string, memory: string, restartPolicy?: string) => ({ name: "c", resources: { requests: { cpu, memory } }, ...(restartPolicy ? { restartPolicy } : {}) });
        const pod: Pod = { spec: { containers: [c("250m", "256Mi"), c("250m", "256Mi")], initContainers: [c("100m", "64Mi", "Always"), c("2", "128Mi")], overhead: { cpu: "10m", memory: "1Mi" } } };
        const r = podRequests(pod);
        assert.equal(Number(r.cpu.toFixed(3)), 2.01, "the init container's 2 cores exceed the 0.6 of containers and sidecar");
        assert.equal(r.memory, (256 + 256 + 64 + 1) * 2 ** 20);
        assert.deepEqual(podRequests({}), { cpu: 0, memory: 0 });
    });

    it("reads the previous instance's log for a crash loop, the current one otherwise, and prefers the alert's container", () => {
        const crashed = { name: "app", ready: false, restartCount: 3, state: { waiting: { reason: "CrashLoopBackOff" } }, lastState: { terminated: { exitCode: 1 } } };
        const sidecar = { name: "envoy", ready: true, restartCount: 0, state: { running: {} } };
        assert.deepEqual(logTarget({ status: { containerStatuses: [sidecar, crashed] } }), { container: "app", previous: true });
        assert.deepEqual(logTarget({ status: { containerStatuses: [sidecar, crashed] } }, "envoy"), { container: "envoy", previous: false });
        assert.deepEqual(logTarget({ status: { containerStatuses: [{ name: "app", ready: false, restartCount: 0, state: { waiting: { reason: "ImagePullBackOff" } } }] } }), { container: "app", previous: false });
        assert.deepEqual(logTarget({ spec: { containers: [{ name: "only" }] } }), { container: "only", previous: false });
        assert.equal(logTarget({}), undefined);
    });

    it("classifies answers: 2xx is the value, 401 and 403 are missing access, 404 is missing, the rest fails with the Status message", () => {
        const req = { path: "/api/v1/namespaces/shop/pods/x" };
        const status = (code: number, message: string) => JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", message, code });
        assert.deepEqual(classify(req, { status: 200, body: "{}" }), { ok: true, value: "{}", droppedBytes: undefined });
        const unauthorized = classify(req, { status: 401, body: status(401, "Unauthorized") });
        assert.ok(!unauthorized.ok && unauthorized.outcome === "denied" && /no access entry on this cluster/.test(unauthorized.reason));
        const forbidden = classify(req, { status: 403, body: status(403, 'pods "x" is forbidden') });
        assert.ok(!forbidden.ok && forbidden.outcome === "denied" && forbidden.reason === 'not allowed to read it (403 Forbidden): pods "x" is forbidden');
        const missing = classify(req, { status: 404, body: status(404, 'pods "x" not found') });
        assert.ok(!missing.ok && missing.outcome === "missing" && missing.reason === 'pods "x" not found');
        const error = classify(req, { status: 500, body: status(500, "etcdserver: request timed out") });
        assert.ok(!error.ok && error.outcome === "failed" && error.reason === "HTTP 500 for GET /api/v1/namespaces/shop/pods/x: etcdserver: request timed out");
        assert.equal(requestKey({ path: "/api/v1/pods", query: { limit: "500", fieldSelector: "spec.nodeName=n,status.phase!=Failed" } }), "GET /api/v1/pods?fieldSelector=spec.nodeName%3Dn%2Cstatus.phase!%3DFailed&limit=500");
    });

    it("summarises each workload kind, and tells the unwell from the well", () => {
        assert.deepEqual(workloadLines("statefulsets", { spec: { replicas: 3 }, status: { readyReplicas: 3, updatedReplicas: 3, currentRevision: "a", updateRevision: "a" } }).found, false);
        const rolling = workloadLines("statefulsets", { spec: { replicas: 3 }, status: { readyReplicas: 2, updatedReplicas: 1, currentRevision: "db-5c", updateRevision: "db-7f" } });
        assert.deepEqual([rolling.found, rolling.summary], [true, "2/3 ready, 1 updated, rolling from db-5c to db-7f"]);
        assert.equal(workloadLines("daemonsets", { status: { desiredNumberScheduled: 6, numberReady: 5, updatedNumberScheduled: 6, numberUnavailable: 1, numberMisscheduled: 0 } }).summary, "5/6 ready, 6 updated, 1 unavailable, 0 misscheduled");
        const job = workloadLines("jobs", { spec: { backoffLimit: 2 }, status: { failed: 3, startTime: "2024-05-01T02:00:00Z", conditions: [{ type: "Failed", status: "True", reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit" }] } });
        assert.deepEqual(job.lines, ["0 active, 0 succeeded, 3 failed (backoff limit 2); started 2024-05-01T02:00:00Z", "Failed=True (BackoffLimitExceeded): Job has reached the specified backoff limit"]);
        assert.equal(workloadLines("cronjobs", { spec: { schedule: "0 2 * * *", suspend: true }, status: { lastScheduleTime: "2024-04-30T02:00:00Z" } }).summary, "schedule 0 2 * * * (suspended); last scheduled 2024-04-30T02:00:00Z, last successful never, 0 active");
        const hpa = workloadLines("horizontalpodautoscalers", { spec: { minReplicas: 2, maxReplicas: 10, scaleTargetRef: { kind: "Deployment", name: "cart" } }, status: { currentReplicas: 10, desiredReplicas: 14 } });
        assert.deepEqual([hpa.found, hpa.summary], [true, "10 replica(s), desired 14, range 2-10 for Deployment/cart (at its maximum)"]);
        const pvc = workloadLines("persistentvolumeclaims", { spec: { storageClassName: "gp3", resources: { requests: { storage: "100Gi" } } }, status: { phase: "Pending" } });
        assert.deepEqual([pvc.found, pvc.summary], [true, "Pending; requested 100Gi, capacity ?; storage class gp3; volume (none)"]);
        assert.equal(nodeInTrouble({ status: { conditions: [{ type: "Ready", status: "True" }, { type: "DiskPressure", status: "False" }] } }), false);
        assert.equal(nodeInTrouble({ status: { conditions: [{ type: "Ready", status: "True" }, { type: "MemoryPressure", status: "True" }] } }), true);
        assert.equal(nodeInTrouble({ spec: { unschedulable: true }, status: { conditions: [{ type: "Ready", status: "True" }] } }), true);
    });
});

describe("diagnostics: read-only access", () => {
    it("maps API paths to the permission the authorizer checks", () => {
        assert.deepEqual(requiredPermission("/api/v1/namespaces/shop/pods/cart-1"), { verb: "get", apiGroup: "", resource: "pods" });
        assert.deepEqual(requiredPermission("/api/v1/namespaces/shop/pods/cart-1/log"), { verb: "get", apiGroup: "", resource: "pods/log" });
        assert.deepEqual(requiredPermission("/api/v1/namespaces/shop/events"), { verb: "list", apiGroup: "", resource: "events" });
        assert.deepEqual(requiredPermission("/api/v1/pods"), { verb: "list", apiGroup: "", resource: "pods" });
        assert.deepEqual(requiredPermission("/api/v1/nodes/ip-10-0-1-23"), { verb: "get", apiGroup: "", resource: "nodes" });
        assert.deepEqual(requiredPermission("/apis/apps/v1/namespaces/shop/deployments/cart"), { verb: "get", apiGroup: "apps", resource: "deployments" });
        assert.deepEqual(requiredPermission("/apis/apiregistration.k8s.io/v1/apiservices/v1beta1.metrics.k8s.io"), { verb: "get", apiGroup: "apiregistration.k8s.io", resource: "apiservices" });
        assert.deepEqual(requiredPermission("/readyz"), { verb: "get", nonResourceURL: "/readyz" });
    });

    it("the rules only read (get, list), never Secrets, and permit every request the checks made in every scenario", async () => {
        for (const rule of DIAGNOSTICS_READ_RULES) {
            assert.ok(rule.verbs.every((v) => v === "get" || v === "list"), JSON.stringify(rule));
            assert.ok(!(rule.resources ?? []).some((r) => r.startsWith("secrets") || r === "*"));
        }
        const crash = alertOf("amp/01-crashloop-firing.sns.json");
        const runs: [string, ReturnType<typeof alertOf>][] = [
            ["crashloop", crash],
            ["deployment-unavailable", withAttributes(crash, { pod: undefined, deployment: "cart" }, { level: "workload" })],
            ["node-not-ready", alertOf("amp/06-node-group-mixed.sns.json", 1)],
            ["apiserver-burn", alertOf("amp/04-apiserver-burn-known.sns.json")],
            ["network-cni", withAttributes(crash, { pod: undefined, container: undefined, namespace: undefined }, { level: "network" })],
        ];
        const paths = new Set<string>();
        for (const [name, alert] of runs) {
            const recorded = scenario(name);
            await runDiagnostics({ alert, cluster: alert.cluster, episode: 1, reason: "incident", requestedAt: NOW }, runnerDeps(recorded));
            for (const client of recorded.kubernetesClients) {
                client.requests.forEach((r) => paths.add(r.slice("GET ".length).split("?")[0]));
            }
        }
        assert.ok(paths.size >= 12, `${paths.size} distinct paths`);
        for (const p of paths) {
            assert.ok(permits(DIAGNOSTICS_READ_RULES, requiredPermission(p)), `${p} is permitted`);
        }
        // The check would catch a rule set that lacks what a request needs.
        const withoutLogs = DIAGNOSTICS_READ_RULES.map((r) => ({ ...r, resources: (r.resources ?? []).filter((x) => x !== "pods/log") }));
        assert.ok([...paths].some((p) => !permits(withoutLogs, requiredPermission(p))));
    });

    it("AmazonEKSViewPolicy (its published rules) covers everything but nodes and APIServices, which is why the group is better", () => {
        // docs: access-policy-permissions, AmazonEKSViewPolicy (the rows the checks touch).
        const view = [
            { apiGroups: ["apps"], resources: ["daemonsets", "deployments", "statefulsets", "replicasets"], verbs: ["get", "list", "watch"] },
            { apiGroups: ["autoscaling"], resources: ["horizontalpodautoscalers"], verbs: ["get", "list", "watch"] },
            { apiGroups: ["batch"], resources: ["cronjobs", "jobs"], verbs: ["get", "list", "watch"] },
            { apiGroups: [""], resources: ["configmaps", "endpoints", "persistentvolumeclaims", "pods", "services"], verbs: ["get", "list", "watch"] },
            { apiGroups: [""], resources: ["events", "pods/log", "pods/status"], verbs: ["get", "list", "watch"] },
            // system:public-info-viewer, for every authenticated user.
            { nonResourceURLs: ["/readyz", "/livez", "/version"], verbs: ["get"] },
        ];
        const uncovered = DIAGNOSTICS_READ_RULES.flatMap((r): Permission[] =>
            r.nonResourceURLs
                ? r.nonResourceURLs.map((u) => ({ verb: "get" as const, nonResourceURL: u }))
                : (r.resources ?? []).flatMap((res) => (r.apiGroups ?? []).map((g) => ({ verb: "get" as const, apiGroup: g, resource: res }))),
        ).filter((p) => !permits(view, p));
        assert.deepEqual(uncovered, [
            { verb: "get", apiGroup: "", resource: "nodes" },
            { verb: "get", apiGroup: "apiregistration.k8s.io", resource: "apiservices" },
        ]);
    });
});

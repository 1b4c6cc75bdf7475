// The network checks: the VPC CNI (aws-node) and kube-proxy DaemonSets, desired against ready,
// their pods (not ready, restarts) and the worst pod closely, for a network alert that names no
// node. Run twice over the recorded answers of test/fixtures/diagnostics/network-cni: through the
// recorded port (as replay does), and served by a real HTTPS API server on 127.0.0.1 to the
// HTTPS client the function uses, which proves the recorded shapes read the same over the wire.

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as https from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import * as path from "node:path";
import { Deadline } from "../../components/triage/handler/diagnostics/budget";
import { runKubernetesCheck } from "../../components/triage/handler/diagnostics/checks";
import { HttpsKubernetesApi } from "../../components/triage/handler/diagnostics/kubeClient";
import { requestKey } from "../../components/triage/handler/diagnostics/kubernetes";
import { CheckResult } from "../../components/triage/handler/diagnostics/report";
import { runDiagnostics } from "../../components/triage/handler/diagnostics/runner";
import { alertOf, byId, makePki, NOW, Pki, removeVariants, runnerDeps, scenario, SCENARIOS, variant, withAttributes } from "./support";

/** A cluster-wide network alert (no node, pod or namespace labels). */
const SUBNET = withAttributes(
    alertOf("amp/01-crashloop-firing.sns.json"),
    { alertname: "AwsVpcCniSubnetIPsExhausted", pod: undefined, container: undefined, namespace: undefined, job: "aws-node" },
    { level: "network", alertname: "AwsVpcCniSubnetIPsExhausted" },
);

const KUBE_PROXY_STATUS = "2/3 ready, 3 updated, 1 unavailable, 0 misscheduled";

/** What every scenario run must say about the two DaemonSets. */
function assertNetworkChecks(checks: readonly CheckResult[]): void {
    const c = byId(checks);
    assert.deepEqual(
        checks.filter((x) => x.source === "kubernetes").map((x) => [x.id, x.outcome]),
        [
            ["aws-node-status", "ok"],
            ["aws-node-pods", "ok"],
            ["kube-proxy-status", "found"],
            ["kube-proxy-pods", "found"],
            ["kube-proxy-pod-status", "found"],
            ["kube-proxy-pod-events", "found"],
            ["kube-proxy-pod-logs", "found"],
        ],
    );
    assert.equal(c["aws-node-status"].title, "DaemonSet kube-system/aws-node (VPC CNI)");
    assert.equal(c["aws-node-status"].summary, "3/3 ready, 3 updated, 0 unavailable, 0 misscheduled");
    assert.equal(c["aws-node-pods"].summary, "3 pod(s): 3 ready");
    assert.equal(c["kube-proxy-status"].title, "DaemonSet kube-system/kube-proxy");
    assert.equal(c["kube-proxy-status"].summary, KUBE_PROXY_STATUS);
    assert.match(c["kube-proxy-status"].lines[1], /^Images: kube-proxy=602401143452\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/eks\/kube-proxy:v1\.30\.0-minimal-eksbuild\.3$/);
    assert.equal(c["kube-proxy-pods"].title, "kube-proxy pods (k8s-app=kube-proxy)");
    assert.equal(c["kube-proxy-pods"].summary, "3 pod(s): 2 ready, 1 not ready (CrashLoopBackOff 1)");
    // Not-ready pods first, with their restarts and node.
    assert.equal(c["kube-proxy-pods"].lines[0], "kube-proxy-tw7lc: Running (CrashLoopBackOff), 9 restart(s), node ip-10-0-2-45.eu-west-1.compute.internal");
    assert.equal(c["kube-proxy-pod-status"].summary, "Running; kube-proxy: CrashLoopBackOff, 9 restart(s), last Error (exit 1)");
    assert.match(c["kube-proxy-pod-events"].summary, /^5 event\(s\), 1 warning\(s\); latest \(13s ago\): 2024-05-01T11:59:47Z Warning BackOff \(84x, kubelet\)/);
    assert.equal(c["kube-proxy-pod-logs"].title, "Log of kube-system/kube-proxy-tw7lc (kube-proxy, previous instance)");
    assert.match(c["kube-proxy-pod-logs"].summary, /strict decoding error: unknown field \\"iptables\.masqueradeAl\\"/);
}

interface Server {
    readonly endpoint: string;
    readonly seen: string[];
    close(): Promise<void>;
}

/** An API server on 127.0.0.1 that answers from a fixture's kubernetes.json (404 Status otherwise; only GET). */
async function recordedApiServer(pki: Pki, dir: string): Promise<Server> {
    const entries = JSON.parse(fs.readFileSync(path.join(dir, "kubernetes.json"), "utf8")) as { request: string; status: number; body: unknown }[];
    const seen: string[] = [];
    const sockets = new Set<Socket>();
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
        const url = new URL(req.url ?? "/", "https://127.0.0.1");
        const key = requestKey({ path: url.pathname, query: Object.fromEntries(url.searchParams) });
        seen.push(`${req.method} ${key.slice("GET ".length)}`);
        const entry = req.method === "GET" ? entries.find((e) => e.request === key) : undefined;
        if (!entry) {
            res.writeHead(req.method === "GET" ? 404 : 405, { "Content-Type": "application/json" });
            res.end(JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", message: "the server could not find the requested resource", reason: "NotFound", code: 404 }));
            return;
        }
        const text = typeof entry.body === "string";
        res.writeHead(entry.status, { "Content-Type": text ? "text/plain" : "application/json" });
        res.end(text ? (entry.body as string) : JSON.stringify(entry.body));
    };
    const server = https.createServer({ key: pki.serverKey, cert: pki.serverCert }, handler);
    server.on("connection", (s: Socket) => {
        sockets.add(s);
        s.on("close", () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
        endpoint: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
        seen,
        close: () =>
            new Promise<void>((resolve) => {
                sockets.forEach((s) => s.destroy());
                server.close(() => resolve());
            }),
    };
}

describe("diagnostics: the network checks (VPC CNI and kube-proxy)", function () {
    this.timeout(30_000);
    after(removeVariants);

    it("recorded answers: both DaemonSets and their pods, the crash-looping kube-proxy closely, and who changed its configuration", async () => {
        const recorded = scenario("network-cni");
        const report = await runDiagnostics({ alert: SUBNET, cluster: SUBNET.cluster, episode: 1, reason: "incident", requestedAt: NOW }, runnerDeps(recorded));
        assertNetworkChecks(report.checks);
        const c = byId(report.checks);
        assert.equal(c["logs:network/cni-changes"].outcome, "found");
        assert.match(c["logs:network/cni-changes"].lines[1], /\| patch \| configmaps \| kube-system \| kube-proxy-config \| arn:aws:sts::111122223333:assumed-role\/platform-admin\/jdoe \| 200$/);
        // Only GETs, and only in kube-system.
        const requests = recorded.kubernetesClients.flatMap((k) => k.requests);
        assert.ok(requests.every((r) => /^GET \/(api\/v1|apis\/apps\/v1)\/namespaces\/kube-system\//.test(r)), requests.join("\n"));
    });

    it("a cluster without kube-proxy, or a role that may not read it: the report says so, and the VPC CNI is still checked", async () => {
        const without = variant("network-cni", (f) => {
            f.kubernetes = f.kubernetes.filter((e: { request: string }) => !e.request.includes("kube-proxy"));
            f.kubernetes.push(
                { request: "GET /apis/apps/v1/namespaces/kube-system/daemonsets/kube-proxy", status: 404, body: { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: 'daemonsets.apps "kube-proxy" not found', reason: "NotFound", details: { name: "kube-proxy", group: "apps", kind: "daemonsets" }, code: 404 } },
                { request: "GET /api/v1/namespaces/kube-system/pods?labelSelector=k8s-app%3Dkube-proxy&limit=500", status: 200, body: { kind: "PodList", apiVersion: "v1", metadata: { resourceVersion: "48903320" }, items: [] } },
            );
        });
        const gone = byId((await runDiagnostics({ alert: SUBNET, cluster: SUBNET.cluster, episode: 1, reason: "incident", requestedAt: NOW }, runnerDeps(scenario(without)))).checks);
        assert.equal(gone["aws-node-status"].outcome, "ok");
        assert.deepEqual([gone["kube-proxy-status"].outcome, gone["kube-proxy-status"].summary], ["found", "there is no DaemonSet kube-system/kube-proxy: the cluster runs without it (removed, or replaced by another CNI)"]);
        assert.deepEqual([gone["kube-proxy-pods"].outcome, gone["kube-proxy-pods"].summary], ["found", "no pods match"]);

        const forbidden = variant("network-cni", (f) => {
            const status = (what: string) => ({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: `${what} is forbidden: User "vigil-diagnostics" cannot get resource`, reason: "Forbidden", code: 403 });
            for (const e of f.kubernetes as { request: string; status: number; body: unknown }[]) {
                if (e.request.includes("kube-proxy")) {
                    Object.assign(e, { status: 403, body: status(e.request) });
                }
            }
        });
        const denied = byId((await runDiagnostics({ alert: SUBNET, cluster: SUBNET.cluster, episode: 1, reason: "incident", requestedAt: NOW }, runnerDeps(scenario(forbidden)))).checks);
        assert.equal(denied["aws-node-pods"].outcome, "ok");
        assert.equal(denied["kube-proxy-status"].outcome, "denied");
        assert.equal(denied["kube-proxy-pods"].outcome, "denied");
        assert.match(denied["kube-proxy-pods"].summary, /^not allowed to read it \(403 Forbidden\)/);
    });

    describe("over HTTPS from a real API server on loopback", () => {
        let pki: Pki;
        let server: Server;
        let api: HttpsKubernetesApi;

        before(async () => {
            pki = makePki();
            server = await recordedApiServer(pki, path.join(SCENARIOS, "network-cni"));
            api = new HttpsKubernetesApi({ endpoint: server.endpoint, caPem: pki.caPem, token: async () => "k8s-aws-v1.test-token", timeoutMs: 5000 });
        });

        after(async () => {
            api.close();
            await server.close();
            fs.rmSync(pki.dir, { recursive: true, force: true });
        });

        it("reads the same answers the same way, with GETs only: the DaemonSets, then each one's pods, then the worst pod's events and previous log", async () => {
            const checks = await runKubernetesCheck({ api, deadline: new Deadline(Date.now() + 10_000), now: NOW }, { kind: "network" });
            assertNetworkChecks(checks);
            assert.deepEqual(server.seen, [
                "GET /apis/apps/v1/namespaces/kube-system/daemonsets/aws-node",
                "GET /api/v1/namespaces/kube-system/pods?labelSelector=k8s-app%3Daws-node&limit=500",
                "GET /apis/apps/v1/namespaces/kube-system/daemonsets/kube-proxy",
                "GET /api/v1/namespaces/kube-system/pods?labelSelector=k8s-app%3Dkube-proxy&limit=500",
                "GET /api/v1/namespaces/kube-system/events?fieldSelector=involvedObject.kind%3DPod%2CinvolvedObject.name%3Dkube-proxy-tw7lc&limit=500",
                "GET /api/v1/namespaces/kube-system/pods/kube-proxy-tw7lc/log?container=kube-proxy&limitBytes=4194304&previous=true&tailLines=50&timestamps=true",
            ]);
        });
    });
});

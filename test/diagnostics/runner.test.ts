// The diagnostics run against recorded answers of eks:DescribeCluster, the Kubernetes API and
// Logs Insights (test/fixtures/diagnostics): what each scenario's report says, including errors,
// timeouts, missing permissions (the report says what could not be checked and why), huge logs
// (kept truncated, with a note), private endpoints and log types that are off.

import * as assert from "node:assert/strict";
import { runDiagnostics, RunInput } from "../../components/triage/handler/diagnostics/runner";
import { CheckResult, DiagnosticsReport } from "../../components/triage/handler/diagnostics/report";
import { Alert } from "../../components/triage/handler/model";
import { alertOf, byId, NOW, removeVariants, runnerDeps, scenario, variant, withAttributes } from "./support";

const CRASH = alertOf("amp/01-crashloop-firing.sns.json");
const NODE = alertOf("amp/06-node-group-mixed.sns.json", 1);
const BURN = alertOf("amp/04-apiserver-burn-known.sns.json");
const UNAVAILABLE = withAttributes(CRASH, { pod: undefined, container: undefined, deployment: "cart", alertname: "KubeDeploymentUnavailable" }, { level: "workload", alertname: "KubeDeploymentUnavailable" });

const input = (alert: Alert, reason: RunInput["reason"] = "notification"): RunInput => ({ alert, cluster: alert.cluster, episode: 1, reason, requestedAt: NOW });

/** id → outcome of every check. */
const outcomes = (report: DiagnosticsReport) => Object.fromEntries(report.checks.map((c) => [c.id, c.outcome]));

describe("diagnostics: runs against recorded answers", function () {
    this.timeout(30_000);
    after(removeVariants);

    it("a crash-looping pod: status, events, the previous instance's log, and the audit events of the pod and its namespace", async () => {
        const recorded = scenario("crashloop");
        const report = await runDiagnostics(input(CRASH), runnerDeps(recorded));
        assert.deepEqual(outcomes(report), {
            "cluster": "ok",
            "pod-status": "found",
            "pod-events": "found",
            "pod-logs": "found",
            "logs:pod/pod-writes": "found",
            "logs:pod/namespace-changes": "found",
        });
        assert.equal(report.outcome, "complete");
        const c = byId(report.checks);
        assert.equal(c["pod-status"].summary, "Running; cart: CrashLoopBackOff, 14 restart(s), last Error (exit 1)");
        assert.match(c["pod-status"].lines[1], /^Container cart: not ready, 14 restart\(s\), waiting CrashLoopBackOff .* last terminated Error \(exit code 1\) at 2024-05-01T11:58:36Z; requests cpu 250m memory 256Mi, limits memory 512Mi; image /);
        assert.equal(c["pod-events"].lines[0], "2024-05-01T11:59:52Z Warning BackOff (61x, kubelet): Back-off restarting failed container cart in pod cart-7d9c6b5f4-x2lkq_shop(0c7b5e1a-3f2d-4c6b-9a8e-7d1f2e3c4b5a)");
        assert.match(c["pod-events"].summary, /^5 event\(s\), 1 warning\(s\); latest \(8s ago\)/);
        assert.equal(c["pod-logs"].title, "Log of shop/cart-7d9c6b5f4-x2lkq (cart, previous instance)");
        assert.match(c["pod-logs"].lines[3], /CART_REDIS_PASSWORD is empty/);
        assert.deepEqual(c["logs:pod/namespace-changes"].lines[0], "@timestamp | verb | objectRef.resource | objectRef.name | user.username | responseStatus.code");
        assert.match(c["logs:pod/namespace-changes"].lines[3], /^2024-05-01 11:39:57\.660 \| delete \| secrets \| cart-redis \| arn:aws:sts::111122223333:assumed-role\/github-deploy\/GitHubActions \| 200$/);
        assert.ok(!c["logs:pod/pod-writes"].lines.join("\n").includes("@ptr"), "the record pointer is not shown");
        assert.deepEqual(report.guidance.mitigations.length, 2);
        assert.equal(report.guidance.runbookUrl, "https://runbooks.vigil.dev/pod/KubePodCrashLooping.md");

        // What was asked: only GETs, the previous log, and the queries on the cluster's log group for the alert's window.
        assert.deepEqual(recorded.clusters.described, ["payments-prod"]);
        assert.equal(recorded.kubernetesClients.length, 1);
        assert.ok(recorded.kubernetesClients[0].requests.every((r) => r.startsWith("GET /")));
        assert.ok(recorded.kubernetesClients[0].requests.some((r) => r.includes("/log?container=cart&limitBytes=4194304&previous=true&tailLines=50&timestamps=true")));
        assert.deepEqual(
            recorded.logs.started.map((s) => ({ name: s.name, group: s.logGroupName, start: s.startTime, end: s.endTime, limit: s.limit })),
            [
                { name: "pod/pod-writes", group: "/aws/eks/payments-prod/cluster", start: Date.parse("2024-05-01T10:55:00Z") / 1000, end: Date.parse(NOW) / 1000, limit: 30 },
                { name: "pod/namespace-changes", group: "/aws/eks/payments-prod/cluster", start: Date.parse("2024-05-01T09:55:00Z") / 1000, end: Date.parse(NOW) / 1000, limit: 30 },
            ],
        );
        assert.match(recorded.logs.started[0].queryString, /objectRef\.namespace = "shop" and objectRef\.name = "cart-7d9c6b5f4-x2lkq"/);
    });

    it("an unavailable deployment: its status, events and pods, then the worst pod closely; the log that cannot be read says why", async () => {
        const recorded = scenario("deployment-unavailable");
        const report = await runDiagnostics(input(UNAVAILABLE, "incident"), runnerDeps(recorded));
        const c = byId(report.checks);
        assert.equal(c["workload-status"].summary, "0/3 ready, 0 available, 3 up to date");
        assert.deepEqual(c["workload-status"].lines.slice(1, 3), [
            "Available=False (MinimumReplicasUnavailable): Deployment does not have minimum availability.",
            'Progressing=False (ProgressDeadlineExceeded): ReplicaSet "cart-6b8f7d9c5" has timed out progressing.',
        ]);
        assert.match(c["workload-status"].lines[3], /^Images: cart=111122223333\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/shop\/cart:v1\.5\.0$/);
        assert.equal(c["workload-pods"].summary, "3 pod(s): 0 ready, 3 not ready (ImagePullBackOff 3, Pending 3)");
        assert.equal(c["pod-status"].title, "Pod shop/cart-6b8f7d9c5-2kd8r");
        assert.match(c["pod-events"].lines[0], /Warning BackOff \(71x, kubelet\): Back-off pulling image/);
        assert.match(c["pod-events"].lines[1], /Failed to pull image .*: not found$/);
        assert.equal(c["pod-logs"].outcome, "failed");
        assert.match(c["pod-logs"].summary, /HTTP 400 .*is waiting to start: trying and failing to pull image/);
        assert.equal(c["logs:workload/workload-writes"].outcome, "found");
        assert.equal(c["logs:workload/namespace-config-changes"].outcome, "ok");
        assert.match(c["logs:workload/namespace-config-changes"].summary, /^nothing found from 2024-05-01T09:55:00\.000Z to 2024-05-01T12:00:00\.000Z; 0 of 402113 log events matched/);
        assert.equal(report.outcome, "partial");
        assert.match(recorded.logs.started[0].queryString, /objectRef\.resource = "deployments" and objectRef\.namespace = "shop" and objectRef\.name = "cart"/);
    });

    it("missing permissions: a forbidden node and a log group the role may not query are reported with the reason, the rest still runs", async () => {
        const report = await runDiagnostics(input(NODE), runnerDeps(scenario("node-not-ready")));
        const c = byId(report.checks);
        assert.equal(c["node-status"].outcome, "denied");
        assert.match(c["node-status"].summary, /^not allowed to read it \(403 Forbidden\): nodes "ip-10-0-1-23\.eu-west-1\.compute\.internal" is forbidden: User ".*vigil-triage-diagnostics-role.*" cannot get resource "nodes"/);
        assert.equal(c["node-pods"].outcome, "found");
        assert.match(c["node-pods"].summary, /^Requested: cpu 2\.88 of \?, memory 8\.3Gi of \?, pods 5 of \?; 5 pod\(s\): 2 ready, 3 not ready/);
        assert.match(c["node-events"].lines[0], /NodeNotReady/);
        assert.equal(c["logs:node/node-writes"].outcome, "denied");
        assert.match(c["logs:node/node-writes"].summary, /^not allowed to query \/aws\/eks\/payments-prod\/cluster \(AccessDeniedException\): User: .* is not authorized to perform: logs:StartQuery/);
        assert.equal(c["logs:node/evictions"].outcome, "ok");
        assert.equal(c["logs:node/controller-manager-node"].outcome, "found");
        assert.equal(report.outcome, "partial");
    });

    it("an API server burning its error budget: /readyz failing lines, its endpoints, no pods on EKS, errors, slow verbs and top callers", async () => {
        const recorded = scenario("apiserver-burn");
        const report = await runDiagnostics(input(BURN, "incident"), runnerDeps(recorded));
        const c = byId(report.checks);
        assert.equal(c["apiserver-health"].outcome, "found");
        assert.equal(c["apiserver-health"].summary, "readyz failing, livez ok; version v1.30.4-eks-a737599");
        assert.deepEqual(c["apiserver-health"].lines, ["[-]etcd failed: reason withheld"]);
        assert.equal(c["apiserver-endpoints"].summary, "2 API server address(es) in service: 10.0.12.87, 10.0.44.153");
        assert.match(c["apiserver-pods"].summary, /EKS runs the API server outside the cluster/);
        // Recorded before the run's clock (12:00:00Z), as a real answer would be.
        assert.match(c["kube-system-events"].summary, /^1 event\(s\), 1 warning\(s\); latest \(9m ago\): 2024-05-01T11:51:10Z Warning Unhealthy \(33x, kubelet\)/);
        assert.deepEqual(c["logs:apiserver/error-codes"].lines.slice(0, 2), ["responseStatus.code | verb | objectRef.resource | requests", "429 | list | pods | 1311"]);
        assert.match(c["logs:apiserver/slow-requests"].lines[1], /^list \| pods \| system:serviceaccount:batch:report-builder \| 4711$/);
        assert.match(c["logs:apiserver/top-callers"].lines[1], /report-builder/);
        assert.equal(c["logs:apiserver/authenticator-failures"].outcome, "ok");
        assert.deepEqual(recorded.logs.stopped, [], "nothing left running");
    });

    it("timeouts: a slow API server and a query still running at the budget's end become 'timed out' (the query is stopped), and the run ends on time", async () => {
        const dir = variant("apiserver-burn", (f) => {
            f.kubernetes.find((e) => e.request === "GET /readyz?verbose=true").delayMs = 5000;
            f.logs.find((e) => e.query === "apiserver/slow-requests").status = "Running";
        });
        const recorded = scenario(dir);
        const started = Date.now();
        const report = await runDiagnostics(input(BURN, "incident"), runnerDeps(recorded, { budgetMs: 1200 }));
        const elapsed = Date.now() - started;
        // Below the API server's 5 s delay (so the budget, not the answer, ended it), with room for a loaded machine.
        assert.ok(elapsed < 4000, `the run took ${elapsed} ms with a 1200 ms budget`);
        const c = byId(report.checks);
        assert.equal(c["apiserver-health"].outcome, "timed-out");
        assert.match(c["apiserver-health"].summary, /GET \/readyz\?verbose=true: no answer within the diagnostics time budget/);
        assert.equal(c["logs:apiserver/slow-requests"].outcome, "timed-out");
        assert.match(c["logs:apiserver/slow-requests"].summary, /still running when the diagnostics budget ran out .*; it was stopped/);
        assert.equal(recorded.logs.stopped.length, 1);
        assert.equal(c["logs:apiserver/error-codes"].outcome, "found", "what answered in time is kept");
        assert.ok(["partial", "failed"].includes(report.outcome));
    });

    it("a huge log: only its end is kept, the partial first line dropped, with a note of how much there was", async () => {
        const line = (i: number) => `2024-05-01T11:58:${String(i % 60).padStart(2, "0")}.000000000Z {"level":"debug","msg":"request ${i}","payload":"${"x".repeat(180)}"}`;
        const dir = variant("crashloop", (f) => {
            const log = f.kubernetes.find((e) => e.request.includes("/log?"));
            log.body = `${Array.from({ length: 6000 }, (_, i) => line(i)).join("\n")}\n`;
        });
        const report = await runDiagnostics(input(CRASH), runnerDeps(scenario(dir)));
        const logs = byId(report.checks)["pod-logs"];
        assert.equal(logs.outcome, "found");
        assert.equal(logs.lines.length, 50);
        assert.ok(logs.lines.every((l) => /^2024-05-01T11:58:\d\d\.000000000Z \{"level":"debug","msg":"request \d+"/.test(l)), "whole lines only");
        assert.match(logs.lines[49], /"msg":"request 5999"/, "the newest line is last");
        assert.ok(logs.lines.every((l) => l.length <= 400));
        assert.match(logs.truncated ?? "", /^the log's last 50 lines are 1\.[0-9]Mi; only the last 16Ki were kept$/);
    });

    it("a private API endpoint: the Kubernetes checks say why they could not run; the log queries still do", async () => {
        const dir = variant("crashloop", (f) => {
            f.clusters["payments-prod"].cluster.resourcesVpcConfig.endpointPublicAccess = false;
        });
        const recorded = scenario(dir);
        const report = await runDiagnostics(input(CRASH), runnerDeps(recorded));
        const c = byId(report.checks);
        assert.equal(c.cluster.summary, "ACTIVE, Kubernetes 1.30; endpoint private only; control-plane logs: api, audit, authenticator, controllerManager, scheduler");
        assert.equal(c.kubernetes.outcome, "skipped");
        assert.match(c.kubernetes.summary, /API endpoint is private and the diagnostics function runs outside the cluster's VPC/);
        assert.equal(recorded.kubernetesClients.length, 0, "no request was made");
        assert.equal(c["logs:pod/pod-writes"].outcome, "found");
    });

    it("DescribeCluster denied: no Kubernetes checks (no endpoint or CA), queries still run; an unknown cluster says so", async () => {
        const denied = variant("crashloop", (f) => {
            f.clusters["payments-prod"] = { error: { name: "AccessDeniedException", message: "User is not authorized to perform: eks:DescribeCluster on resource: arn:aws:eks:eu-west-1:111122223333:cluster/payments-prod" } };
        });
        const report = await runDiagnostics(input(CRASH), runnerDeps(scenario(denied)));
        const c = byId(report.checks);
        assert.equal(c.cluster.outcome, "denied");
        assert.match(c.cluster.summary, /^not allowed to describe the cluster \(AccessDeniedException: User is not authorized to perform: eks:DescribeCluster/);
        assert.match(c.kubernetes.summary, /^the API endpoint and CA come from eks:DescribeCluster, which did not answer/);
        assert.equal(c["logs:pod/pod-writes"].outcome, "found");

        const gone = variant("crashloop", (f) => delete f.clusters["payments-prod"]);
        const missing = await runDiagnostics(input(CRASH), runnerDeps(scenario(gone)));
        assert.equal(byId(missing.checks).cluster.summary, "no EKS cluster payments-prod in this account and region");
    });

    it("a control-plane log type that is off: its queries are skipped with the reason, not run", async () => {
        const dir = variant("crashloop", (f) => {
            f.clusters["payments-prod"].cluster.logging.clusterLogging = [
                { types: ["api", "authenticator"], enabled: true },
                { types: ["audit", "controllerManager", "scheduler"], enabled: false },
            ];
        });
        const recorded = scenario(dir);
        const report = await runDiagnostics(input(CRASH), runnerDeps(recorded));
        const c = byId(report.checks);
        assert.equal(c.cluster.outcome, "found", "logging not fully on is worth saying");
        assert.equal(c["logs:pod/pod-writes"].outcome, "skipped");
        assert.equal(c["logs:pod/pod-writes"].summary, "the cluster's control-plane log type audit is off, so there is nothing to query");
        assert.equal(recorded.logs.started.length, 0);
    });

    it("an unreachable API server, and one that refuses the token, say what to look at", async () => {
        const unreachable = variant("crashloop", (f) => {
            for (const e of f.kubernetes) {
                e.error = "ECONNREFUSED connect ECONNREFUSED 10.0.12.87:443";
            }
        });
        const c = byId((await runDiagnostics(input(CRASH), runnerDeps(scenario(unreachable)))).checks);
        assert.equal(c["pod-status"].outcome, "failed");
        assert.match(c["pod-status"].summary, /could not get an answer from the API server at https:\/\/4B3F1E8A.*ECONNREFUSED .* \(an API endpoint that is private, or public only to some CIDRs, cannot be reached from the diagnostics function\)$/);
        const unauthorized = variant("crashloop", (f) => {
            for (const e of f.kubernetes) {
                Object.assign(e, { status: 401, body: { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: "Unauthorized", reason: "Unauthorized", code: 401 } });
            }
        });
        const u = byId((await runDiagnostics(input(CRASH), runnerDeps(scenario(unauthorized)))).checks);
        assert.equal(u["pod-status"].outcome, "denied");
        assert.match(u["pod-status"].summary, /did not accept the diagnostics role's token .*no access entry on this cluster \(CustomerAccess diagnosticsRoleArn\)/);
    });

    it("finds an EC2 event's node by its instance ID (the node's provider ID)", async () => {
        const ec2 = { ...alertOf("ec2/01-instance-stopped.json"), cluster: "payments-prod" };
        const dir = variant("node-not-ready", (f) => {
            f.kubernetes.push({
                request: "GET /api/v1/nodes?limit=500",
                status: 200,
                body: {
                    kind: "NodeList",
                    apiVersion: "v1",
                    metadata: { resourceVersion: "48900100" },
                    items: [
                        { metadata: { name: "ip-10-0-2-45.eu-west-1.compute.internal" }, spec: { providerID: "aws:///eu-west-1b/i-0fedcba9876543210" } },
                        { metadata: { name: "ip-10-0-1-23.eu-west-1.compute.internal" }, spec: { providerID: "aws:///eu-west-1a/i-0a1b2c3d4e5f67890" } },
                    ],
                },
            });
        });
        const report = await runDiagnostics(input(ec2), runnerDeps(scenario(dir)));
        const c = byId(report.checks);
        assert.equal(c["node-status"].title, "Node ip-10-0-1-23.eu-west-1.compute.internal");
        assert.equal(c["node-status"].outcome, "denied");
        assert.match(c["node-events"].lines[0], /NodeNotReady/);
        const other = await runDiagnostics(input({ ...ec2, key: ec2.key.replace("i-0a1b2c3d4e5f67890", "i-0000000000000dead") }), runnerDeps(scenario(dir)));
        assert.match(byId(other.checks)["node-status"].summary, /no node of the cluster is the node of EC2 instance i-0000000000000dead/);
    });

    it("looks only at Vigil's clusters, and at nothing when the alert names no cluster", async () => {
        const recorded = scenario("crashloop");
        const foreign = await runDiagnostics(input({ ...CRASH, cluster: "someone-elses" }), runnerDeps(recorded));
        assert.deepEqual(foreign.checks.map((c: CheckResult) => [c.id, c.outcome]), [["cluster", "skipped"]]);
        assert.match(foreign.checks[0].summary, /someone-elses is not one of the clusters Vigil monitors \(payments-prod, platform-staging\)/);
        const none = await runDiagnostics(input({ ...CRASH, cluster: "" }), runnerDeps(recorded));
        assert.equal(none.checks[0].summary, "the alert names no EKS cluster, so there is nothing to inspect");
        assert.equal(none.outcome, "failed");
        assert.deepEqual(recorded.clusters.described, [], "nothing was described");
    });
});

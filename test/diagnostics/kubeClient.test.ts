// The Kubernetes client against a real HTTPS server on 127.0.0.1 whose certificate a test CA
// (openssl) signed: TLS verified against the cluster's CA only, the bearer token sent on every
// GET, timeouts, non-2xx answers classified, and big bodies bounded. Also the EKS side of the
// client: DescribeCluster's answer (mocked SDK client) and the client built from it.

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as https from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { DescribeClusterCommand, EKSClient, ResourceNotFoundException } from "@aws-sdk/client-eks";
import { mockClient } from "aws-sdk-client-mock";
import { Deadline } from "../../components/triage/handler/diagnostics/budget";
import { clusterInfo, EksClusterDirectory, httpsKubernetes } from "../../components/triage/handler/diagnostics/eks";
import { HttpsKubernetesApi } from "../../components/triage/handler/diagnostics/kubeClient";
import { fetchJson, fetchText } from "../../components/triage/handler/diagnostics/kubernetes";
import { TOKEN_PREFIX } from "../../components/triage/handler/diagnostics/token";
import { makePki, Pki } from "./support";

const POD = { kind: "Pod", apiVersion: "v1", metadata: { name: "cart-7d9c6b5f4-x2lkq", namespace: "shop" }, status: { phase: "Running" } };
const status = (code: number, reason: string, message: string) => JSON.stringify({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code });

interface Server {
    readonly endpoint: string;
    /** Requests seen: method, URL and headers. */
    readonly seen: { method?: string; url?: string; headers: IncomingMessage["headers"] }[];
    close(): Promise<void>;
}

/** An API server stand-in on 127.0.0.1 with the given certificate. */
async function apiServer(pki: Pki): Promise<Server> {
    const seen: Server["seen"] = [];
    const sockets = new Set<Socket>();
    const handler = (req: IncomingMessage, res: ServerResponse) => {
        seen.push({ method: req.method, url: req.url, headers: req.headers });
        const url = new URL(req.url ?? "/", "https://127.0.0.1");
        const json = (code: number, body: string) => {
            res.writeHead(code, { "Content-Type": "application/json" });
            res.end(body);
        };
        switch (url.pathname) {
            case "/api/v1/namespaces/shop/pods/cart-7d9c6b5f4-x2lkq":
                return json(200, JSON.stringify(POD));
            case "/api/v1/nodes/ip-10-0-1-23":
                return json(403, status(403, "Forbidden", 'nodes "ip-10-0-1-23" is forbidden: User "vigil-diagnostics" cannot get resource "nodes" in API group "" at the cluster scope'));
            case "/api/v1/namespaces/shop/pods/gone":
                return json(404, status(404, "NotFound", 'pods "gone" not found'));
            case "/api/v1/namespaces/shop/pods":
                return json(500, status(500, "InternalError", "etcdserver: request timed out"));
            case "/unauthorized":
                return json(401, status(401, "Unauthorized", "Unauthorized"));
            case "/not-json":
                res.writeHead(200, { "Content-Type": "text/plain" });
                return res.end("<html>proxy error</html>");
            case "/slow":
                return; // never answers
            case "/big":
                // 2 MiB of JSON, above the client's 1 MiB maximum in these tests.
                return json(200, JSON.stringify({ items: "x".repeat(2 * 1024 * 1024) }));
            case "/log": {
                // Numbered lines of multi-byte text, in many chunks.
                res.writeHead(200, { "Content-Type": "text/plain" });
                const lines = Number(url.searchParams.get("lines") ?? "1000");
                for (let i = 0; i < lines; i++) {
                    res.write(`line ${String(i).padStart(6, "0")} ${"€".repeat(20)}\n`);
                }
                return res.end();
            }
            case "/endless": {
                res.writeHead(200, { "Content-Type": "text/plain" });
                const chunk = Buffer.alloc(64 * 1024, "a");
                const timer = setInterval(() => res.write(chunk), 1);
                res.on("close", () => clearInterval(timer));
                return;
            }
            default:
                return json(404, status(404, "NotFound", "the server could not find the requested resource"));
        }
    };
    const server = https.createServer({ key: pki.serverKey, cert: pki.serverCert }, handler);
    server.on("connection", (s: Socket) => {
        sockets.add(s);
        s.on("close", () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
        endpoint: `https://127.0.0.1:${port}`,
        seen,
        close: () =>
            new Promise<void>((resolve) => {
                for (const s of sockets) {
                    s.destroy();
                }
                server.close(() => resolve());
            }),
    };
}

describe("diagnostics: the HTTPS Kubernetes client against a real TLS server on loopback", function () {
    this.timeout(20_000);
    let pki: Pki;
    let otherPki: Pki;
    let server: Server;
    let impostor: Server;
    const clients: HttpsKubernetesApi[] = [];

    const client = (options: Partial<ConstructorParameters<typeof HttpsKubernetesApi>[0]> = {}) => {
        const c = new HttpsKubernetesApi({ endpoint: server.endpoint, caPem: pki.caPem, token: async () => "k8s-aws-v1.test-token", timeoutMs: 2000, ...options });
        clients.push(c);
        return c;
    };

    before(async () => {
        pki = makePki();
        otherPki = makePki();
        server = await apiServer(pki);
        impostor = await apiServer(otherPki);
    });

    after(async () => {
        clients.forEach((c) => c.close());
        await server.close();
        await impostor.close();
        fs.rmSync(pki.dir, { recursive: true, force: true });
        fs.rmSync(otherPki.dir, { recursive: true, force: true });
    });

    it("GETs over TLS verified against the cluster's CA, with the bearer token on every request", async () => {
        const api = client();
        const answer = await api.get({ path: "/api/v1/namespaces/shop/pods/cart-7d9c6b5f4-x2lkq", query: { limit: "5", fieldSelector: "status.phase!=Running" } });
        assert.equal(answer.status, 200);
        assert.deepEqual(JSON.parse(answer.body), POD);
        assert.equal(answer.droppedBytes, undefined);
        const seen = server.seen[server.seen.length - 1];
        assert.equal(seen.method, "GET");
        assert.equal(seen.url, "/api/v1/namespaces/shop/pods/cart-7d9c6b5f4-x2lkq?limit=5&fieldSelector=status.phase%21%3DRunning");
        assert.equal(seen.headers.authorization, "Bearer k8s-aws-v1.test-token");
        assert.equal(seen.headers["user-agent"], "vigil-diagnostics");
        assert.match(String(seen.headers.accept), /^application\/json/);
    });

    it("refuses a server whose certificate another CA signed (only the cluster's CA is trusted), and sends it no token", async () => {
        const before = impostor.seen.length;
        const api = client({ endpoint: impostor.endpoint });
        await assert.rejects(api.get({ path: "/api/v1/namespaces/shop/pods/cart-7d9c6b5f4-x2lkq" }), (err: NodeJS.ErrnoException) => {
            assert.match(String(err.code), /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|CERT_SIGNATURE_FAILURE|UNABLE_TO_GET_ISSUER_CERT/);
            return true;
        });
        assert.equal(impostor.seen.length, before, "no request reached the impostor");
        // Through the checks' fetch it is a failed check that names the endpoint.
        const got = await fetchText(api, { path: "/api/v1/namespaces/shop/pods/cart-7d9c6b5f4-x2lkq" }, Deadline.in(2000));
        assert.ok(!got.ok && got.outcome === "failed");
        assert.match(got.reason, new RegExp(`^could not get an answer from the API server at ${impostor.endpoint.replace(/\./g, "\\.")}: `));
    });

    it("refuses endpoints that are not https://host[:port] and CA data that is not a PEM certificate", () => {
        assert.throws(() => client({ endpoint: "http://127.0.0.1:6443" }), /the cluster endpoint "http:\/\/127\.0\.0\.1:6443" is not an https:\/\/host\[:port\] URL/);
        assert.throws(() => client({ endpoint: "https://api.example/path" }), /is not an https:\/\/host\[:port\] URL/);
        assert.throws(() => client({ caPem: "not a certificate" }), /certificate authority data is not a PEM certificate/);
    });

    it("an API server that does not answer in time: the request fails after its timeout, or the check times out at the budget", async () => {
        const api = client({ timeoutMs: 200 });
        const started = Date.now();
        await assert.rejects(api.get({ path: "/slow" }), /no answer within 200 ms/);
        // The server never answers: only the 200 ms timeout ends the request (room left for a loaded machine).
        assert.ok(Date.now() - started < 3000);
        const viaFetch = await fetchText(api, { path: "/slow" }, Deadline.in(5000));
        assert.ok(!viaFetch.ok && viaFetch.outcome === "failed");
        assert.match(viaFetch.reason, /no answer within 200 ms \(an API endpoint that is private, or public only to some CIDRs, cannot be reached from the diagnostics function\)$/);
        const budget = await fetchText(client({ timeoutMs: 10_000 }), { path: "/slow" }, Deadline.in(150));
        assert.ok(!budget.ok && budget.outcome === "timed-out");
        assert.equal(budget.reason, "GET /slow: no answer within the diagnostics time budget");
    });

    it("classifies non-2xx answers: 401 and 403 are missing access, 404 is missing, 5xx fails with the Status message; non-JSON fails", async () => {
        const api = client();
        const deadline = Deadline.in(5000);
        const forbidden = await fetchJson(api, { path: "/api/v1/nodes/ip-10-0-1-23" }, deadline);
        assert.ok(!forbidden.ok && forbidden.outcome === "denied");
        assert.equal(forbidden.reason, 'not allowed to read it (403 Forbidden): nodes "ip-10-0-1-23" is forbidden: User "vigil-diagnostics" cannot get resource "nodes" in API group "" at the cluster scope');
        const unauthorized = await fetchJson(api, { path: "/unauthorized" }, deadline);
        assert.ok(!unauthorized.ok && unauthorized.outcome === "denied");
        assert.match(unauthorized.reason, /no access entry on this cluster/);
        const missing = await fetchJson(api, { path: "/api/v1/namespaces/shop/pods/gone" }, deadline);
        assert.ok(!missing.ok && missing.outcome === "missing" && missing.reason === 'pods "gone" not found');
        const error = await fetchJson(api, { path: "/api/v1/namespaces/shop/pods" }, deadline);
        assert.ok(!error.ok && error.outcome === "failed");
        assert.equal(error.reason, "HTTP 500 for GET /api/v1/namespaces/shop/pods: etcdserver: request timed out");
        const html = await fetchJson(api, { path: "/not-json" }, deadline);
        assert.ok(!html.ok && html.outcome === "failed" && html.reason === "GET /not-json: the answer is not JSON (<html>proxy error</html>)");
        const ok = await fetchJson<typeof POD>(api, { path: "/api/v1/namespaces/shop/pods/cart-7d9c6b5f4-x2lkq" }, deadline);
        assert.ok(ok.ok);
        assert.equal(ok.value.metadata.name, "cart-7d9c6b5f4-x2lkq");
    });

    it("bounds big bodies: an answer above the maximum fails; a log keeps only its last bytes, at a character boundary, counting the rest", async () => {
        const api = client({ maxBytes: 1024 * 1024 });
        await assert.rejects(api.get({ path: "/big" }), /the answer is larger than 1048576 bytes/);
        // Each line is 12 + 60 + 1 = 73 bytes ("€" is 3 bytes in UTF-8).
        const small = await api.get({ path: "/log", query: { lines: "3" } });
        assert.equal(small.body.split("\n").length, 4);
        assert.equal(small.droppedBytes, undefined);
        const log = await api.get({ path: "/log", query: { lines: "5000" }, keepTailBytes: 1000 });
        assert.equal(log.status, 200);
        assert.ok(Buffer.byteLength(log.body) <= 1000);
        assert.ok(!log.body.includes("\uFFFD"), "no split character at the cut");
        assert.ok(log.body.endsWith(`line 004999 ${"€".repeat(20)}\n`), "the newest line is kept");
        assert.equal(log.droppedBytes, 5000 * 73 - Buffer.byteLength(log.body), "what was not kept, including a character split at the cut");
        assert.ok(Buffer.byteLength(log.body) < 1000, "the cut fell inside a character here, which is dropped");
    });

    it("stops reading an endless log at the maximum and closes the connection", async () => {
        const api = client({ maxBytes: 512 * 1024 });
        const started = Date.now();
        const log = await api.get({ path: "/endless", keepTailBytes: 4096 });
        assert.ok(Date.now() - started < 5000);
        assert.equal(log.status, 200);
        assert.equal(Buffer.byteLength(log.body), 4096);
        assert.ok((log.droppedBytes ?? 0) >= 512 * 1024 - 4096);
    });
});

describe("diagnostics: the cluster's endpoint, CA and token (eks:DescribeCluster)", function () {
    this.timeout(20_000);
    const mockEks = () => mockClient(EKSClient);
    let eks: ReturnType<typeof mockEks>;
    let pki: Pki;
    let server: Server;

    before(async () => {
        eks = mockEks();
        pki = makePki();
        server = await apiServer(pki);
    });

    after(async () => {
        eks.restore();
        await server.close();
        fs.rmSync(pki.dir, { recursive: true, force: true });
    });

    it("reads endpoint, CA, access and enabled log types from DescribeCluster; a missing cluster is ResourceNotFoundException", async () => {
        eks.on(DescribeClusterCommand, { name: "payments-prod" }).resolves({
            cluster: {
                name: "payments-prod",
                status: "ACTIVE",
                version: "1.30",
                endpoint: server.endpoint,
                certificateAuthority: { data: Buffer.from(pki.caPem).toString("base64") },
                resourcesVpcConfig: { endpointPublicAccess: true, endpointPrivateAccess: false, publicAccessCidrs: ["203.0.113.0/24"] },
                accessConfig: { authenticationMode: "API" },
                logging: { clusterLogging: [{ types: ["api", "audit"], enabled: true }, { types: ["scheduler"], enabled: false }] },
            },
        });
        eks.on(DescribeClusterCommand, { name: "gone" }).rejects(new ResourceNotFoundException({ message: "No cluster found for name: gone.", $metadata: {} }));
        const directory = new EksClusterDirectory(new EKSClient({ region: "eu-west-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } }));
        const info = await directory.describe("payments-prod");
        assert.deepEqual(info, {
            name: "payments-prod",
            status: "ACTIVE",
            version: "1.30",
            endpoint: server.endpoint,
            certificateAuthorityData: Buffer.from(pki.caPem).toString("base64"),
            endpointPublicAccess: true,
            endpointPrivateAccess: false,
            publicAccessCidrs: ["203.0.113.0/24"],
            authenticationMode: "API",
            enabledLogTypes: ["api", "audit"],
        });
        await assert.rejects(directory.describe("gone"), (err: Error) => err.name === "ResourceNotFoundException");
        assert.equal(clusterInfo("x", { name: "x" }).enabledLogTypes, undefined, "logging not reported: not known, not off");
        assert.throws(() => clusterInfo("x", undefined), (err: Error) => err.name === "ResourceNotFoundException" && /DescribeCluster returned no cluster for x/.test(err.message));

        // The client built from it trusts the cluster's CA and sends an `aws eks get-token` token, renewed only when due.
        const api = httpsKubernetes(info, "eu-west-1", async () => ({ accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" }), 2000);
        try {
            await api.get({ path: "/api/v1/namespaces/shop/pods/cart-7d9c6b5f4-x2lkq" });
            await api.get({ path: "/api/v1/namespaces/shop/pods/cart-7d9c6b5f4-x2lkq" });
        } finally {
            api.close();
        }
        const tokens = server.seen.slice(-2).map((s) => String(s.headers.authorization));
        assert.ok(tokens[0].startsWith(`Bearer ${TOKEN_PREFIX}`), tokens[0]);
        assert.equal(tokens[1], tokens[0], "the token is reused within its validity");
        const url = new URL(Buffer.from(tokens[0].slice(`Bearer ${TOKEN_PREFIX}`.length), "base64url").toString("utf8"));
        assert.equal(url.host, "sts.eu-west-1.amazonaws.com");
        assert.equal(url.searchParams.get("Action"), "GetCallerIdentity");
    });

    it("a cluster without an endpoint or CA yet cannot be inspected, and says its status", () => {
        assert.throws(
            () => httpsKubernetes({ name: "new-cluster", status: "CREATING" }, "eu-west-1", async () => ({ accessKeyId: "a", secretAccessKey: "b" }), 1000),
            /cluster new-cluster has no API endpoint or certificate authority yet \(status CREATING\)/,
        );
    });
});

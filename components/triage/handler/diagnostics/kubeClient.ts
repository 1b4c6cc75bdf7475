// A minimal, read-only Kubernetes API client over HTTPS: GET only, the cluster's own CA (from
// eks:DescribeCluster) as the only trusted root, a bearer token per request, a timeout per request,
// and bounded answers (a log keeps its last bytes; anything else larger than the maximum fails).

import * as https from "node:https";
import type { IncomingMessage } from "node:http";
import { KubeRequest, KubeResponse, KubernetesApi } from "./kubernetes";

export interface HttpsKubernetesOptions {
    /** `https://<host>[:port]` (DescribeCluster's `endpoint`). */
    readonly endpoint: string;
    /** PEM of the cluster's certificate authority (DescribeCluster's `certificateAuthority.data`, base64-decoded). */
    readonly caPem: string;
    /** A bearer token for the request (cached by the caller). */
    readonly token: () => Promise<string>;
    /** Longest wait for one answer. */
    readonly timeoutMs?: number;
    /** The most bytes read from one answer. */
    readonly maxBytes?: number;
}

const ENDPOINT = /^https:\/\/([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\])(?::(\d{1,5}))?\/?$/;

export class HttpsKubernetesApi implements KubernetesApi {
    readonly endpoint: string;
    private readonly host: string;
    private readonly port: number;
    private readonly agent: https.Agent;
    private readonly timeoutMs: number;
    private readonly maxBytes: number;

    constructor(private readonly options: HttpsKubernetesOptions) {
        const m = ENDPOINT.exec(options.endpoint);
        if (!m) {
            throw new Error(`the cluster endpoint ${JSON.stringify(options.endpoint)} is not an https://host[:port] URL`);
        }
        if (!options.caPem.includes("-----BEGIN CERTIFICATE-----")) {
            throw new Error("the cluster's certificate authority data is not a PEM certificate");
        }
        this.endpoint = options.endpoint.replace(/\/$/, "");
        this.host = m[1].replace(/^\[|\]$/g, "");
        this.port = m[2] ? Number(m[2]) : 443;
        // Only the cluster's CA is trusted: no system roots for a cluster endpoint.
        this.agent = new https.Agent({ keepAlive: true, maxSockets: 4, ca: options.caPem, rejectUnauthorized: true });
        this.timeoutMs = options.timeoutMs ?? 10_000;
        this.maxBytes = options.maxBytes ?? 8 * 1024 * 1024;
    }

    async get(request: KubeRequest): Promise<KubeResponse> {
        if (!request.path.startsWith("/")) {
            throw new Error(`API paths start with /: ${request.path}`);
        }
        const token = await this.options.token();
        const query = new URLSearchParams(Object.entries(request.query ?? {})).toString();
        return new Promise<KubeResponse>((resolve, reject) => {
            const req = https.request(
                {
                    method: "GET",
                    host: this.host,
                    port: this.port,
                    path: `${request.path}${query ? `?${query}` : ""}`,
                    agent: this.agent,
                    headers: { Authorization: `Bearer ${token}`, Accept: "application/json, */*", "User-Agent": "vigil-diagnostics" },
                    timeout: this.timeoutMs,
                },
                (res) => this.read(res, request.keepTailBytes).then(resolve, reject),
            );
            req.on("timeout", () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
            req.on("error", reject);
            req.end();
        });
    }

    /** Reads an answer: whole (up to maxBytes), or only its last `keepTail` bytes. */
    private read(res: IncomingMessage, keepTail: number | undefined): Promise<KubeResponse> {
        return new Promise((resolve, reject) => {
            const chunks: Buffer[] = [];
            let kept = 0;
            let total = 0;
            let stopped = false;
            const finish = () => {
                const body = Buffer.concat(chunks);
                let start = keepTail !== undefined && body.length > keepTail ? body.length - keepTail : 0;
                if (start > 0) {
                    // Do not start inside a multi-byte character: skip its continuation bytes.
                    while (start < body.length && (body[start] & 0xc0) === 0x80) {
                        start++;
                    }
                }
                const text = body.subarray(start).toString("utf8");
                const dropped = total - (body.length - start);
                resolve({ status: res.statusCode ?? 0, body: text, ...(dropped > 0 ? { droppedBytes: dropped } : {}) });
            };
            res.on("data", (chunk: Buffer) => {
                if (stopped) {
                    return;
                }
                total += chunk.length;
                chunks.push(chunk);
                kept += chunk.length;
                if (keepTail !== undefined) {
                    // Keep a little more than asked, so the cut can fall on the last kept bytes.
                    while (chunks.length > 1 && kept - chunks[0].length >= keepTail) {
                        kept -= (chunks.shift() as Buffer).length;
                    }
                    if (total >= this.maxBytes) {
                        stopped = true;
                        res.destroy();
                        finish();
                    }
                } else if (total > this.maxBytes) {
                    stopped = true;
                    res.destroy();
                    reject(new Error(`the answer is larger than ${this.maxBytes} bytes`));
                }
            });
            res.on("end", () => {
                if (!stopped) {
                    finish();
                }
            });
            res.on("error", (err) => {
                if (!stopped) {
                    reject(err);
                }
            });
        });
    }

    /** Closes kept-alive connections. */
    close(): void {
        this.agent.destroy();
    }
}

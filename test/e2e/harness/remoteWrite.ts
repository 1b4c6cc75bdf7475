// The local remote-write receiver: it stands where AMP's remote-write endpoint stands. Each request
// is decoded (snappy block format + protobuf `prometheus.WriteRequest`, remote-write 1.0) and
// recorded, then forwarded unchanged to the ruler Prometheus, whose answer goes back to the
// collector (so its retries behave as against AMP).
//
// Signatures: a request that carries SigV4 must be valid for the `aps` service. Unsigned requests
// are counted, not refused, because Debian's Prometheus 2.42 sends none even with `sigv4`
// configured (checked against a plain HTTP listener); the in-cluster Prometheus signs.

import * as http from "node:http";
import { closeServer, listenOnLoopback } from "../../../tools/loopback";
import { decodeWrite, encodeWrite } from "../../../tools/prompb";
import { verifySigV4 } from "./sigv4";

export interface Series {
    readonly labels: Readonly<Record<string, string>>;
    readonly samples: number;
}

export interface DecodedWrite {
    readonly series: Series[];
    /** Metric family names of the metadata entries. */
    readonly metadata: string[];
}

/** Decodes one remote-write request body. */
export function decodeWriteRequest(body: Uint8Array): DecodedWrite {
    const write = decodeWrite(body);
    return { series: write.timeseries.map((ts) => ({ labels: ts.labels, samples: ts.samples.length })), metadata: write.metadata };
}

/** Encodes a remote-write request body (for tests of the receiver). */
export function encodeWriteRequest(series: readonly { labels: Readonly<Record<string, string>>; value: number; timestamp: number }[]): Uint8Array {
    return encodeWrite(series.map((s) => ({ labels: s.labels, samples: [{ value: s.value, timestamp: s.timestamp }] })));
}

export interface RemoteWriteReceiverOptions {
    readonly region: string;
    readonly credentials: Readonly<Record<string, string>>;
}

export class RemoteWriteReceiver {
    /** Every series received, in order of arrival (one entry per series per request). */
    readonly series: Series[] = [];
    readonly metadata = new Set<string>();
    readonly refused: string[] = [];
    requests = 0;
    /** Accepted requests without a signature (see above). */
    unsigned = 0;
    /** Where accepted writes go on to (the ruler's `/api/v1/write`); nowhere when unset. */
    forwardTo: string | undefined;
    private readonly server: http.Server;
    private endpoint = "";

    constructor(private readonly options: RemoteWriteReceiverOptions) {
        this.server = http.createServer((req, res) => {
            const chunks: Buffer[] = [];
            req.on("data", (c: Buffer) => chunks.push(c));
            req.on("end", () => {
                this.handle(req, Buffer.concat(chunks)).then(
                    ({ status, body }) => {
                        res.writeHead(status, { "Content-Type": "text/plain" });
                        res.end(body);
                    },
                    (err: Error) => {
                        res.writeHead(500, { "Content-Type": "text/plain" });
                        res.end(String(err.stack ?? err.message));
                    },
                );
            });
        });
    }

    async start(): Promise<string> {
        this.endpoint = `${await listenOnLoopback(this.server)}/api/v1/remote_write`;
        return this.endpoint;
    }

    get url(): string {
        return this.endpoint;
    }

    close(): Promise<void> {
        return closeServer(this.server);
    }

    /** Metric names received so far. */
    metricNames(): Set<string> {
        return new Set(this.series.map((s) => s.labels.__name__));
    }

    private async handle(req: http.IncomingMessage, body: Buffer): Promise<{ status: number; body: string }> {
        const refuse = (status: number, reason: string) => {
            this.refused.push(reason);
            return { status, body: reason };
        };
        if (req.method !== "POST") {
            return refuse(405, `remote write takes POST, got ${req.method}`);
        }
        const signed = req.headers.authorization !== undefined;
        if (signed) {
            const verdict = await verifySigV4({ method: "POST", url: req.url ?? "/", headers: req.headers, body }, this.options.credentials, this.options.region);
            if (!verdict.ok || verdict.service !== "aps") {
                return refuse(403, verdict.ok ? `signed for service ${verdict.service}, expected aps` : verdict.reason);
            }
        }
        if (req.headers["content-encoding"] !== "snappy" || req.headers["content-type"] !== "application/x-protobuf") {
            return refuse(415, `expected Content-Encoding snappy and Content-Type application/x-protobuf, got ${req.headers["content-encoding"]} / ${req.headers["content-type"]}`);
        }
        let decoded: DecodedWrite;
        try {
            decoded = decodeWriteRequest(body);
        } catch (err) {
            return refuse(400, `not a snappy-compressed WriteRequest: ${(err as Error).message}`);
        }
        this.requests++;
        this.unsigned += signed ? 0 : 1;
        this.series.push(...decoded.series);
        decoded.metadata.forEach((m) => this.metadata.add(m));
        if (!this.forwardTo) {
            return { status: 204, body: "" };
        }
        const forwarded = await fetch(this.forwardTo, {
            method: "POST",
            headers: {
                "Content-Encoding": "snappy",
                "Content-Type": "application/x-protobuf",
                "X-Prometheus-Remote-Write-Version": String(req.headers["x-prometheus-remote-write-version"] ?? "0.1.0"),
            },
            body,
        });
        return { status: forwarded.status, body: await forwarded.text() };
    }
}

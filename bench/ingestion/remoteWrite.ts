// A remote-write receiver that counts what a Prometheus queue sends: it stands where AMP's
// remote-write endpoint stands, decodes each request (snappy block format + protobuf
// `prometheus.WriteRequest`, remote write 1.0) and records every sample by queue (the URL path),
// series and timestamp. AMP bills each sample it ingests, so samples per scrape is the cost driver.

import * as http from "node:http";
import { closeServer, listenOnLoopback } from "../../tools/loopback";
import { decodeWrite, encodeWrite } from "../../tools/prompb";

export type Labels = Readonly<Record<string, string>>;

export interface DecodedSeries {
    readonly labels: Labels;
    /** Sample timestamps, milliseconds since the epoch. */
    readonly timestamps: readonly number[];
}

/** Decodes one remote-write request body. */
export function decodeWriteRequest(body: Uint8Array): DecodedSeries[] {
    return decodeWrite(body).timeseries.map((ts) => ({ labels: ts.labels, timestamps: ts.samples.map((s) => s.timestamp) }));
}

/** Encodes a request body (tests of the receiver and the analysis). */
export function encodeWriteRequest(series: readonly { labels: Labels; timestamps: readonly number[] }[]): Uint8Array {
    return encodeWrite(series.map((s) => ({ labels: s.labels, samples: s.timestamps.map((timestamp) => ({ value: 1, timestamp })) })));
}

/** A stable identity for a label set. */
export function seriesKey(labels: Labels): string {
    return Object.keys(labels)
        .sort()
        .map((k) => `${k}=${JSON.stringify(labels[k])}`)
        .join(",");
}

/** What one queue delivered: each series once, and the series seen at each timestamp. */
export class QueueRecord {
    readonly series = new Map<string, Labels>();
    readonly byTimestamp = new Map<number, Set<string>>();
    requests = 0;
    /** Samples received, resends included (a sample sent twice counts twice here, once in byTimestamp). */
    samplesReceived = 0;

    add(decoded: readonly DecodedSeries[]): void {
        this.requests++;
        for (const s of decoded) {
            const key = seriesKey(s.labels);
            this.series.set(key, s.labels);
            for (const t of s.timestamps) {
                this.samplesReceived++;
                let set = this.byTimestamp.get(t);
                if (!set) {
                    set = new Set();
                    this.byTimestamp.set(t, set);
                }
                set.add(key);
            }
        }
    }
}

/** Serves `POST /<queue>` and records per queue; anything that is not a valid request is refused and kept. */
export class RemoteWriteReceiver {
    readonly queues = new Map<string, QueueRecord>();
    readonly refused: string[] = [];
    private readonly server: http.Server;
    private base = "";

    constructor() {
        this.server = http.createServer((req, res) => {
            const chunks: Buffer[] = [];
            req.on("data", (c: Buffer) => chunks.push(c));
            req.on("end", () => {
                const { status, body } = this.handle(req, Buffer.concat(chunks));
                res.writeHead(status, { "Content-Type": "text/plain" });
                res.end(body);
            });
        });
    }

    async start(): Promise<string> {
        this.base = await listenOnLoopback(this.server);
        return this.base;
    }

    /** The URL a queue named `name` writes to. */
    url(name: string): string {
        return `${this.base}/${name}`;
    }

    queue(name: string): QueueRecord {
        let q = this.queues.get(name);
        if (!q) {
            q = new QueueRecord();
            this.queues.set(name, q);
        }
        return q;
    }

    close(): Promise<void> {
        return closeServer(this.server);
    }

    private handle(req: http.IncomingMessage, body: Buffer): { status: number; body: string } {
        const name = /^\/([a-z0-9-]+)$/.exec(req.url ?? "")?.[1];
        const refuse = (status: number, reason: string) => {
            this.refused.push(`${req.method} ${req.url}: ${reason}`);
            return { status, body: reason };
        };
        if (req.method !== "POST" || !name) {
            return refuse(404, "remote write takes POST /<queue>");
        }
        if (req.headers["content-encoding"] !== "snappy" || req.headers["content-type"] !== "application/x-protobuf") {
            return refuse(415, `expected snappy protobuf, got ${req.headers["content-encoding"]} / ${req.headers["content-type"]}`);
        }
        let decoded: DecodedSeries[];
        try {
            decoded = decodeWriteRequest(body);
        } catch (err) {
            return refuse(400, `not a WriteRequest: ${(err as Error).message}`);
        }
        this.queue(name).add(decoded);
        return { status: 204, body: "" };
    }
}

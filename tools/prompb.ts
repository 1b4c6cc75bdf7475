// The Prometheus remote-write 1.0 wire format (snappy block format + protobuf
// `prometheus.WriteRequest`), shared by the local receivers that stand where AMP's remote-write
// endpoint stands: the end-to-end pipeline's and the ingestion benchmark's.

import * as protobuf from "protobufjs";

// snappyjs has no type declarations.
const snappy = require("snappyjs") as { uncompress(data: Uint8Array): Uint8Array; compress(data: Uint8Array): Uint8Array };

/** The fields of prometheus/prompb (types.proto, remote.proto) read here; others are skipped. */
const PROMPB = protobuf.Root.fromJSON({
    nested: {
        prometheus: {
            nested: {
                WriteRequest: {
                    fields: {
                        timeseries: { rule: "repeated", type: "TimeSeries", id: 1 },
                        metadata: { rule: "repeated", type: "MetricMetadata", id: 3 },
                    },
                },
                TimeSeries: {
                    fields: {
                        labels: { rule: "repeated", type: "Label", id: 1 },
                        samples: { rule: "repeated", type: "Sample", id: 2 },
                    },
                },
                Label: { fields: { name: { type: "string", id: 1 }, value: { type: "string", id: 2 } } },
                Sample: { fields: { value: { type: "double", id: 1 }, timestamp: { type: "int64", id: 2 } } },
                MetricMetadata: {
                    fields: {
                        type: { type: "int32", id: 1 },
                        metric_family_name: { type: "string", id: 2 },
                        help: { type: "string", id: 4 },
                        unit: { type: "string", id: 5 },
                    },
                },
            },
        },
    },
});
const WRITE_REQUEST = PROMPB.lookupType("prometheus.WriteRequest");

export interface WireSample {
    readonly value: number;
    /** Milliseconds since the epoch. */
    readonly timestamp: number;
}

export interface WireSeries {
    readonly labels: Readonly<Record<string, string>>;
    readonly samples: readonly WireSample[];
}

export interface WireWrite {
    readonly timeseries: WireSeries[];
    /** Metric family names of the metadata entries. */
    readonly metadata: string[];
}

/** Decodes one request body. @throws when it is not snappy-compressed or not a WriteRequest. */
export function decodeWrite(body: Uint8Array): WireWrite {
    const message = WRITE_REQUEST.toObject(WRITE_REQUEST.decode(snappy.uncompress(body)), { longs: Number, defaults: true, arrays: true }) as {
        timeseries: { labels: { name: string; value: string }[]; samples: WireSample[] }[];
        metadata: { metric_family_name: string }[];
    };
    return {
        timeseries: message.timeseries.map((ts) => ({ labels: Object.fromEntries(ts.labels.map((l) => [l.name, l.value])), samples: ts.samples })),
        metadata: message.metadata.map((m) => m.metric_family_name),
    };
}

/** Encodes a request body, labels sorted by name as Prometheus sends them. */
export function encodeWrite(timeseries: readonly WireSeries[]): Uint8Array {
    const message = WRITE_REQUEST.fromObject({
        timeseries: timeseries.map((s) => ({
            labels: Object.entries(s.labels)
                .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
                .map(([name, value]) => ({ name, value })),
            samples: s.samples,
        })),
    });
    return snappy.compress(WRITE_REQUEST.encode(message).finish());
}

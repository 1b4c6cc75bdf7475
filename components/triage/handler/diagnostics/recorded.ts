// Recorded answers for the diagnostics' three outside calls — eks:DescribeCluster, the Kubernetes
// API and CloudWatch Logs Insights — read from a fixture directory. `npm run triage:replay --
// --diagnostics DIR` and the tests run the real checks, queries and rendering against them.
//
//   DIR/clusters.json    { "<cluster>": <DescribeCluster response {"cluster": {...}}> | {"error": {"name", "message"}} }
//   DIR/kubernetes.json  [ { "request": "GET <path>?<query>", "status": 200, "body": <JSON or text>,
//                            "cluster"?: "<name>", "delayMs"?: n, "error"?: "<network error>" } ]
//                        (the query sorted and URL-encoded as requestKey() writes it)
//   DIR/logs.json        [ { "query": "<level>/<id>", "status": "Complete", "results": [[{"field","value"}]],
//                            "statistics"?: {...}, "polls"?: n, "delayMs"?: n, "error"?: {"name", "message"} } ]
// A request with no recorded answer fails with a message that names it.

import * as fs from "node:fs";
import * as path from "node:path";
import { ClusterDirectory, ClusterInfo, clusterInfo } from "./eks";
import { LogsInsights, QueryResults, StartQueryInput } from "./insights";
import { KubeRequest, KubeResponse, KubernetesApi, requestKey } from "./kubernetes";

/** A fixture file that cannot be used. */
export class RecordingError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "RecordingError";
    }
}

interface KubeEntry {
    readonly request: string;
    readonly cluster?: string;
    readonly status: number;
    readonly body: string;
    readonly delayMs: number;
    readonly error?: string;
}

interface LogEntry {
    readonly query: string;
    readonly status: string;
    readonly results: QueryResults["results"];
    readonly statistics?: QueryResults["statistics"];
    readonly polls: number;
    readonly delayMs: number;
    readonly error?: { readonly name: string; readonly message: string };
}

const delay = (ms: number) => (ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve());

function serviceError(e: { name: string; message: string }): Error {
    return Object.assign(new Error(e.message), { name: e.name });
}

export class RecordedKubernetes implements KubernetesApi {
    readonly requests: string[] = [];

    constructor(
        private readonly entries: readonly KubeEntry[],
        private readonly cluster: string,
        readonly endpoint: string,
    ) {}

    async get(request: KubeRequest): Promise<KubeResponse> {
        const key = requestKey(request);
        this.requests.push(key);
        const entry = this.entries.find((e) => e.request === key && (e.cluster === undefined || e.cluster === this.cluster));
        if (!entry) {
            throw new RecordingError(`no recorded answer for ${key} (cluster ${this.cluster})`);
        }
        await delay(entry.delayMs);
        if (entry.error !== undefined) {
            throw Object.assign(new Error(entry.error), { code: entry.error.split(/[\s:]/)[0] });
        }
        const body = Buffer.from(entry.body, "utf8");
        if (request.keepTailBytes !== undefined && body.length > request.keepTailBytes) {
            const kept = body.subarray(body.length - request.keepTailBytes).toString("utf8").replace(/^\uFFFD+/, "");
            return { status: entry.status, body: kept, droppedBytes: body.length - Buffer.byteLength(kept) };
        }
        return { status: entry.status, body: entry.body };
    }
}

export class RecordedLogsInsights implements LogsInsights {
    readonly started: (StartQueryInput & { readonly queryId: string })[] = [];
    readonly stopped: string[] = [];
    private readonly polls = new Map<string, { entry: LogEntry; left: number }>();

    constructor(private readonly entries: readonly LogEntry[]) {}

    async startQuery(input: StartQueryInput): Promise<string> {
        const entry = this.entries.find((e) => e.query === input.name);
        if (!entry) {
            throw new RecordingError(`no recorded result for the Logs Insights query ${input.name ?? "(unnamed)"}`);
        }
        await delay(entry.delayMs);
        if (entry.error) {
            throw serviceError(entry.error);
        }
        const queryId = `recorded-${this.started.length + 1}`;
        this.started.push({ ...input, queryId });
        this.polls.set(queryId, { entry, left: entry.polls });
        return queryId;
    }

    async getQueryResults(queryId: string): Promise<QueryResults> {
        const state = this.polls.get(queryId);
        if (!state) {
            throw serviceError({ name: "ResourceNotFoundException", message: `unknown query ${queryId}` });
        }
        await delay(state.entry.delayMs);
        if (state.left > 0 || state.entry.status === "Running") {
            state.left--;
            return { status: "Running", results: [] };
        }
        return { status: state.entry.status, results: state.entry.results, statistics: state.entry.statistics };
    }

    async stopQuery(queryId: string): Promise<void> {
        this.stopped.push(queryId);
    }
}

export class RecordedClusters implements ClusterDirectory {
    readonly described: string[] = [];

    constructor(private readonly answers: Readonly<Record<string, unknown>>) {}

    async describe(name: string): Promise<ClusterInfo> {
        this.described.push(name);
        const answer = this.answers[name] as { cluster?: Record<string, unknown>; error?: { name: string; message: string } } | undefined;
        if (!answer) {
            throw serviceError({ name: "ResourceNotFoundException", message: `No cluster found for name: ${name}.` });
        }
        if (answer.error) {
            throw serviceError(answer.error);
        }
        return clusterInfo(name, answer.cluster);
    }
}

/** The recorded ports of a fixture directory, and what was asked of them. */
export interface RecordedDiagnostics {
    readonly dir: string;
    /** The clusters clusters.json answers for. */
    readonly clusterNames: readonly string[];
    readonly clusters: RecordedClusters;
    readonly logs: RecordedLogsInsights;
    /** The Kubernetes API of a cluster (each call makes a fresh recorder, kept in `kubernetesClients`). */
    kubernetes(cluster: ClusterInfo): RecordedKubernetes;
    readonly kubernetesClients: RecordedKubernetes[];
}

function readJson(file: string, fallback: unknown): unknown {
    if (!fs.existsSync(file)) {
        return fallback;
    }
    try {
        return JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (err) {
        throw new RecordingError(`${file}: not valid JSON: ${(err as Error).message}`);
    }
}

const isRecord = (v: unknown): v is Record<string, any> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Loads and checks a fixture directory. */
export function loadRecordedDiagnostics(dir: string): RecordedDiagnostics {
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
        throw new RecordingError(`no diagnostics fixture directory ${dir}`);
    }
    const clustersFile = path.join(dir, "clusters.json");
    const clusters = readJson(clustersFile, {});
    if (!isRecord(clusters)) {
        throw new RecordingError(`${clustersFile}: expected an object of DescribeCluster answers by cluster name`);
    }
    const kubeFile = path.join(dir, "kubernetes.json");
    const kube = readJson(kubeFile, []);
    if (!Array.isArray(kube)) {
        throw new RecordingError(`${kubeFile}: expected a list of recorded answers`);
    }
    const kubeEntries: KubeEntry[] = kube.map((e, i) => {
        if (!isRecord(e) || typeof e.request !== "string" || !/^GET \//.test(e.request) || (e.error === undefined && typeof e.status !== "number")) {
            throw new RecordingError(`${kubeFile}[${i}]: expected {"request": "GET /path?query", "status": <HTTP status>, "body": ...} or {"request", "error"}`);
        }
        return {
            request: e.request,
            cluster: typeof e.cluster === "string" ? e.cluster : undefined,
            status: typeof e.status === "number" ? e.status : 0,
            body: typeof e.body === "string" ? e.body : JSON.stringify(e.body ?? ""),
            delayMs: typeof e.delayMs === "number" ? e.delayMs : 0,
            error: typeof e.error === "string" ? e.error : undefined,
        };
    });
    const logsFile = path.join(dir, "logs.json");
    const logs = readJson(logsFile, []);
    if (!Array.isArray(logs)) {
        throw new RecordingError(`${logsFile}: expected a list of recorded query results`);
    }
    const logEntries: LogEntry[] = logs.map((e, i) => {
        if (!isRecord(e) || typeof e.query !== "string" || !/^[a-z-]+\/[a-z0-9-]+$/.test(e.query)) {
            throw new RecordingError(`${logsFile}[${i}]: expected {"query": "<level>/<query id>", "status": "Complete", "results": [...]} or {"query", "error": {"name", "message"}}`);
        }
        if (e.error !== undefined && !(isRecord(e.error) && typeof e.error.name === "string" && typeof e.error.message === "string")) {
            throw new RecordingError(`${logsFile}[${i}]: error must be {"name": "<service error>", "message": "..."}`);
        }
        return {
            query: e.query,
            status: typeof e.status === "string" ? e.status : "Complete",
            results: Array.isArray(e.results) ? e.results : [],
            statistics: isRecord(e.statistics) ? e.statistics : undefined,
            polls: typeof e.polls === "number" ? e.polls : 0,
            delayMs: typeof e.delayMs === "number" ? e.delayMs : 0,
            error: e.error,
        };
    });
    const kubernetesClients: RecordedKubernetes[] = [];
    return {
        dir,
        clusterNames: Object.keys(clusters),
        clusters: new RecordedClusters(clusters),
        logs: new RecordedLogsInsights(logEntries),
        kubernetesClients,
        kubernetes(cluster: ClusterInfo): RecordedKubernetes {
            const client = new RecordedKubernetes(kubeEntries, cluster.name, `${cluster.endpoint ?? cluster.name} (recorded answers in ${dir})`);
            kubernetesClients.push(client);
            return client;
        },
    };
}

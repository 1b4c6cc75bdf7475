// CloudWatch Logs Insights queries as data: `rules/diagnostics/<level>.yaml`, one file per alert
// level, reviewed like the alert rules. This module reads and checks them strictly (a query that
// could scan anything, or a placeholder that could carry text into the query, is refused on load)
// and renders a query for one alert: its placeholders become validated, quoted values.

import * as yaml from "js-yaml";
import { LEVELS, Level } from "../model";
import { isObject } from "../text";

/** A DNS-1123 label: namespaces and containers are named so. */
export const DNS_LABEL = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
/** A DNS-1123 subdomain: pods, nodes and most other objects are named so. */
export const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/;

/**
 * What a query may refer to, as `{{name}}`, and how a value is checked before it is quoted into
 * the query. Values come from alert labels: only Kubernetes names pass, so nothing an alert
 * carries can change a query's meaning.
 */
export const QUERY_PARAMETERS = {
    /** The alert's namespace. */
    namespace: DNS_LABEL,
    /** The pod. */
    pod: DNS_SUBDOMAIN,
    /** The container. */
    container: DNS_LABEL,
    /** The node. */
    node: DNS_SUBDOMAIN,
    /** The workload object's name. */
    workload: DNS_SUBDOMAIN,
    /** The workload object's resource, as the audit log's objectRef.resource names it. */
    workloadResource: /^(?:deployments|statefulsets|daemonsets|jobs|cronjobs|horizontalpodautoscalers|persistentvolumeclaims)$/,
    /** Vigil's own namespace in the cluster. */
    vigilNamespace: DNS_LABEL,
} as const;

export type QueryParameter = keyof typeof QUERY_PARAMETERS;
export const QUERY_PARAMETER_NAMES = Object.keys(QUERY_PARAMETERS) as QueryParameter[];

/** The EKS log group of a cluster's control-plane logs (the only group the queries run on). */
export function controlPlaneLogGroup(cluster: string): string {
    return `/aws/eks/${cluster}/cluster`;
}

/** Log streams of the EKS control-plane log group (controlPlaneLogGroup), by prefix. */
export const CONTROL_PLANE_STREAMS = ["kube-apiserver-audit", "kube-apiserver", "authenticator", "kube-controller-manager", "kube-scheduler", "cloud-controller-manager"] as const;

/** StartQuery takes at most 10,000 characters of query. */
export const MAX_QUERY_LENGTH = 10_000;
/** Rows a diagnostics query may return (the report shows them). */
export const MAX_QUERY_LIMIT = 100;
/** How far before the alert started a query may look. */
export const MAX_LOOKBACK_SECONDS = 24 * 3600;
/** The longest window a query covers: an alert that started days ago is queried for its last hours. */
export const MAX_WINDOW_SECONDS = 6 * 3600;

export interface QueryDefinition {
    /** Unique within its file: `[a-z0-9-]`, used in the check id `logs:<level>/<id>`. */
    readonly id: string;
    readonly title: string;
    readonly description: string;
    /** The placeholders the query uses; all must have values, or the query is skipped. */
    readonly parameters: readonly QueryParameter[];
    /** How far before the alert started the window opens. */
    readonly lookbackSeconds: number;
    /** Only for alerts whose name matches (anchored), when given. */
    readonly alertname?: RegExp;
    readonly query: string;
    /** The query's `limit`. */
    readonly limit: number;
}

export interface QueryFile {
    readonly level: Level;
    /** Where it was read from (for messages). */
    readonly origin: string;
    readonly description: string;
    readonly queries: readonly QueryDefinition[];
}

/** A query file that cannot be used; the message names the file, the query and what is allowed. */
export class QueryFileError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "QueryFileError";
    }
}

const ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
const DURATION = /^(?:(\d+)h)?(?:(\d+)m)?$/;
const PLACEHOLDER = /\{\{\s*([A-Za-z]+)\s*\}\}/g;
const STREAM_FILTER = new RegExp(`@logStream\\s+like\\s+/\\^(?:\\(\\?:)?(?:${CONTROL_PLANE_STREAMS.join("|")})`);

function parseLookback(value: unknown, where: string): number {
    if (value === undefined) {
        return 3600;
    }
    const m = typeof value === "string" ? DURATION.exec(value) : null;
    const seconds = m && (m[1] || m[2]) ? Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 : NaN;
    if (!(seconds > 0) || seconds > MAX_LOOKBACK_SECONDS) {
        throw new QueryFileError(`${where}: lookback is ${JSON.stringify(value)}; allowed: hours and/or minutes (30m, 1h, 2h30m) up to 24h`);
    }
    return seconds;
}

function parseQuery(raw: unknown, index: number, origin: string, seen: Set<string>): QueryDefinition {
    const at = `${origin}: queries[${index}]`;
    if (!isObject(raw)) {
        throw new QueryFileError(`${at} is not a mapping`);
    }
    const known = ["id", "title", "description", "parameters", "lookback", "alertname", "query"];
    for (const key of Object.keys(raw)) {
        if (!known.includes(key)) {
            throw new QueryFileError(`${at}: unknown key ${JSON.stringify(key)}; allowed: ${known.join(", ")}`);
        }
    }
    const id = raw.id;
    if (typeof id !== "string" || !ID.test(id)) {
        throw new QueryFileError(`${at}: id is ${JSON.stringify(id)}; allowed: 1-63 of a-z 0-9 - (starting with a letter or digit)`);
    }
    if (seen.has(id)) {
        throw new QueryFileError(`${at}: id ${id} is used twice in the file`);
    }
    seen.add(id);
    const where = `${origin}: query ${id}`;
    for (const key of ["title", "description", "query"] as const) {
        if (typeof raw[key] !== "string" || (raw[key] as string).trim() === "") {
            throw new QueryFileError(`${where}: ${key} must be a non-empty string`);
        }
    }
    const title = (raw.title as string).trim();
    if (title.length > 120) {
        throw new QueryFileError(`${where}: title is ${title.length} characters; at most 120 are allowed`);
    }
    const parameters = raw.parameters ?? [];
    if (!Array.isArray(parameters) || parameters.some((p) => typeof p !== "string" || !(QUERY_PARAMETER_NAMES as string[]).includes(p))) {
        throw new QueryFileError(`${where}: parameters is ${JSON.stringify(parameters)}; allowed: a list of ${QUERY_PARAMETER_NAMES.join(", ")}`);
    }
    const query = (raw.query as string).trim();
    const rest = query.replace(PLACEHOLDER, "");
    if (rest.includes("{{") || rest.includes("}}")) {
        throw new QueryFileError(`${where}: the query has a malformed placeholder; write {{name}}`);
    }
    const used = new Set<string>();
    for (const m of query.matchAll(PLACEHOLDER)) {
        if (!(QUERY_PARAMETER_NAMES as string[]).includes(m[1])) {
            throw new QueryFileError(`${where}: placeholder {{${m[1]}}} is not a parameter; allowed: ${QUERY_PARAMETER_NAMES.join(", ")}`);
        }
        used.add(m[1]);
    }
    const declared = new Set(parameters as string[]);
    const undeclared = [...used].filter((p) => !declared.has(p));
    const unused = [...declared].filter((p) => !used.has(p));
    if (undeclared.length > 0 || unused.length > 0) {
        throw new QueryFileError(`${where}: parameters must list exactly the placeholders the query uses (${[...used].sort().join(", ") || "none"}); declared ${[...declared].sort().join(", ") || "none"}`);
    }
    if (/^\s*SOURCE\b/i.test(query)) {
        throw new QueryFileError(`${where}: the query must not select log groups (SOURCE); it runs on the cluster's control-plane log group only`);
    }
    if (!STREAM_FILTER.test(query)) {
        throw new QueryFileError(`${where}: the query must filter the log stream with "filter @logStream like /^<stream>/" for one of ${CONTROL_PLANE_STREAMS.join(", ")}, so it reads only the control-plane log it needs`);
    }
    const limits = [...query.matchAll(/\|\s*limit\s+(\d+)/g)].map((m) => Number(m[1]));
    if (limits.length !== 1 || limits[0] < 1 || limits[0] > MAX_QUERY_LIMIT) {
        throw new QueryFileError(`${where}: the query must end its pipeline with one "| limit N" where N is 1 to ${MAX_QUERY_LIMIT}; found ${limits.length === 0 ? "none" : limits.join(", ")}`);
    }
    if (query.length > MAX_QUERY_LENGTH - 2000) {
        // Room for quoted values.
        throw new QueryFileError(`${where}: the query is ${query.length} characters; at most ${MAX_QUERY_LENGTH - 2000} are allowed`);
    }
    let alertname: RegExp | undefined;
    if (raw.alertname !== undefined) {
        if (typeof raw.alertname !== "string" || raw.alertname === "") {
            throw new QueryFileError(`${where}: alertname must be a regular expression string`);
        }
        try {
            alertname = new RegExp(`^(?:${raw.alertname})$`);
        } catch (err) {
            throw new QueryFileError(`${where}: alertname ${JSON.stringify(raw.alertname)} is not a valid regular expression: ${(err as Error).message}`);
        }
    }
    return {
        id,
        title,
        description: (raw.description as string).trim(),
        parameters: parameters as QueryParameter[],
        lookbackSeconds: parseLookback(raw.lookback, where),
        alertname,
        query,
        limit: limits[0],
    };
}

/** Parses and checks one query file; `origin` is its path (`rules/diagnostics/pod.yaml`). */
export function parseQueryFile(text: string, origin: string): QueryFile {
    let doc: unknown;
    try {
        doc = yaml.load(text);
    } catch (err) {
        throw new QueryFileError(`${origin}: not valid YAML: ${(err as Error).message}`);
    }
    if (!isObject(doc)) {
        throw new QueryFileError(`${origin}: expected a mapping with level, description and queries`);
    }
    for (const key of Object.keys(doc)) {
        if (!["level", "description", "queries"].includes(key)) {
            throw new QueryFileError(`${origin}: unknown key ${JSON.stringify(key)}; allowed: level, description, queries`);
        }
    }
    const level = doc.level;
    if (typeof level !== "string" || !(LEVELS as readonly string[]).includes(level)) {
        throw new QueryFileError(`${origin}: level is ${JSON.stringify(level)}; allowed: ${LEVELS.join(", ")}`);
    }
    const base = origin.split(/[\\/]/).pop() ?? origin;
    if (base !== `${level}.yaml`) {
        throw new QueryFileError(`${origin}: a file holds the queries of one level and is named after it; level ${level} belongs in ${level}.yaml`);
    }
    if (typeof doc.description !== "string" || doc.description.trim() === "") {
        throw new QueryFileError(`${origin}: description must say what the queries look for`);
    }
    if (!Array.isArray(doc.queries)) {
        throw new QueryFileError(`${origin}: queries must be a list (it may be empty)`);
    }
    const seen = new Set<string>();
    const queries = doc.queries.map((q, i) => parseQuery(q, i, origin, seen));
    return { level: level as Level, origin, description: doc.description.trim(), queries };
}

/**
 * Parses the query files (name → text) and checks that every alert level has exactly one.
 * @throws QueryFileError naming the first problem.
 */
export function parseQueryFiles(texts: Readonly<Record<string, string>>, dir = "rules/diagnostics"): ReadonlyMap<Level, QueryFile> {
    const files = new Map<Level, QueryFile>();
    for (const [name, text] of Object.entries(texts).sort(([a], [b]) => (a < b ? -1 : 1))) {
        const file = parseQueryFile(text, `${dir}/${name}`);
        files.set(file.level, file);
    }
    const missing = LEVELS.filter((l) => !files.has(l));
    if (missing.length > 0) {
        throw new QueryFileError(`${dir}: every alert level needs a query file (it may have no queries); missing ${missing.map((l) => `${l}.yaml`).join(", ")}`);
    }
    return files;
}

/** The queries of a level that apply to an alert name. */
export function queriesFor(files: ReadonlyMap<Level, QueryFile>, level: Level, alertname: string | undefined): QueryDefinition[] {
    return (files.get(level)?.queries ?? []).filter((q) => !q.alertname || (alertname !== undefined && q.alertname.test(alertname)));
}

export type QueryParameters = Readonly<Partial<Record<QueryParameter, string>>>;

/** A query ready to start, or why it cannot be. */
export type RenderedQuery = { readonly ok: true; readonly queryString: string } | { readonly ok: false; readonly reason: string };

/**
 * The query with its placeholders replaced by the values, each checked against its parameter's
 * pattern and written as a double-quoted string literal.
 */
export function renderQuery(def: QueryDefinition, values: QueryParameters): RenderedQuery {
    const missing = def.parameters.filter((p) => values[p] === undefined || values[p] === "");
    if (missing.length > 0) {
        return { ok: false, reason: `the alert does not name the ${missing.join(" and ")} the query needs` };
    }
    for (const p of def.parameters) {
        if (!QUERY_PARAMETERS[p].test(values[p] as string)) {
            return { ok: false, reason: `the alert's ${p} ${JSON.stringify(values[p])} is not a valid Kubernetes name, so it is not put into a query` };
        }
    }
    // Checked values hold only [a-z0-9.-]: JSON quoting is exact Logs Insights quoting for them.
    return { ok: true, queryString: def.query.replace(PLACEHOLDER, (_, name: QueryParameter) => JSON.stringify(values[name])) };
}

/**
 * The time window of a query for an alert: from `lookback` before the alert started to now (or
 * to five minutes after it resolved), at most MAX_WINDOW_SECONDS long. Epoch seconds, as
 * StartQuery takes them.
 */
export function queryWindow(def: Pick<QueryDefinition, "lookbackSeconds">, alert: { readonly startsAt?: string; readonly endsAt?: string }, now: string): { startTime: number; endTime: number } {
    const nowS = Math.floor(Date.parse(now) / 1000);
    const started = alert.startsAt ? Math.floor(Date.parse(alert.startsAt) / 1000) : nowS;
    const ended = alert.endsAt ? Math.floor(Date.parse(alert.endsAt) / 1000) + 300 : nowS;
    const endTime = Math.min(nowS, Math.max(ended, started + 60));
    const startTime = Math.max(started - def.lookbackSeconds, endTime - MAX_WINDOW_SECONDS);
    return { startTime: Math.min(startTime, endTime - 60), endTime };
}

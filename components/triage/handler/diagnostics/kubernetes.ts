// The Kubernetes API as the checks use it: read-only GETs, answered by the cluster's API server
// (kubeClient.ts) or by recorded responses (recorded.ts). Also the pure readers and formatters
// of the objects the checks look at (pods, events, nodes, quantities).

import { Deadline, DeadlineExceeded } from "./budget";
import { CheckOutcome } from "./report";

export interface KubeRequest {
    /** The API path, e.g. `/api/v1/namespaces/shop/pods/cart-7d9c6b5f4-x2lkq`. */
    readonly path: string;
    readonly query?: Readonly<Record<string, string>>;
    /** Logs: keep only the last this many bytes of the body (the rest is counted, not kept). */
    readonly keepTailBytes?: number;
}

export interface KubeResponse {
    readonly status: number;
    readonly body: string;
    /** Bytes of the body not kept: dropped from its start to keep `keepTailBytes`, or past the client's maximum. */
    readonly droppedBytes?: number;
}

/** Read-only access to one cluster's API server. Never anything but GET. */
export interface KubernetesApi {
    /** Resolves with any HTTP answer; rejects when the server cannot be reached. */
    get(request: KubeRequest): Promise<KubeResponse>;
    /** Where requests go (for messages). */
    readonly endpoint: string;
}

/** `GET <path>?<query>` with the query sorted and encoded: how recorded responses are keyed. */
export function requestKey(request: Pick<KubeRequest, "path" | "query">): string {
    const query = Object.entries(request.query ?? {})
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
        .join("&");
    return `GET ${request.path}${query ? `?${query}` : ""}`;
}

/** One path segment, encoded (names are checked before they get here; this is the second guard). */
export const seg = (name: string): string => encodeURIComponent(name);

export type Fetched<T> =
    | { readonly ok: true; readonly value: T; readonly droppedBytes?: number }
    | {
          readonly ok: false;
          readonly status?: number;
          readonly outcome: Exclude<CheckOutcome, "ok" | "found" | "skipped"> | "missing";
          readonly reason: string;
          /** The answer's body, when there was one. */
          readonly body?: string;
      };

/** What a Kubernetes `Status` body says, if it is one. */
function statusMessage(body: string): string | undefined {
    try {
        const parsed = JSON.parse(body) as { kind?: unknown; message?: unknown };
        return parsed.kind === "Status" && typeof parsed.message === "string" ? parsed.message : undefined;
    } catch {
        return undefined;
    }
}

/** Classifies an answer: 2xx is the value; 401/403 mean missing access; 404 is "missing". */
export function classify(request: KubeRequest, response: KubeResponse): Fetched<string> {
    const what = requestKey(request);
    if (response.status >= 200 && response.status < 300) {
        return { ok: true, value: response.body, droppedBytes: response.droppedBytes };
    }
    const message = statusMessage(response.body) ?? response.body.slice(0, 300).trim();
    if (response.status === 401) {
        return {
            ok: false,
            status: 401,
            outcome: "denied",
            reason: `the API server did not accept the diagnostics role's token (401 Unauthorized for ${what}): the role has no access entry on this cluster (CustomerAccess diagnosticsRoleArn), or the cluster does not accept access entries`,
        };
    }
    if (response.status === 403) {
        return { ok: false, status: 403, outcome: "denied", reason: `not allowed to read it (403 Forbidden): ${message || what}`, body: response.body };
    }
    if (response.status === 404) {
        return { ok: false, status: 404, outcome: "missing", reason: message || `${what}: not found`, body: response.body };
    }
    return { ok: false, status: response.status, outcome: "failed", reason: `HTTP ${response.status} for ${what}${message ? `: ${message}` : ""}`, body: response.body };
}

/** GETs and classifies, within the deadline; network errors and timeouts become results too. */
export async function fetchText(api: KubernetesApi, request: KubeRequest, deadline: Deadline): Promise<Fetched<string>> {
    try {
        return classify(request, await deadline.race(api.get(request), requestKey(request)));
    } catch (err) {
        if (err instanceof DeadlineExceeded) {
            return { ok: false, outcome: "timed-out", reason: err.message };
        }
        const code = (err as NodeJS.ErrnoException).code ?? "";
        const network = /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN)$/.test(code) || /no answer within/.test((err as Error).message);
        return {
            ok: false,
            outcome: "failed",
            reason: `could not get an answer from the API server at ${api.endpoint}: ${(err as Error).message}${network ? " (an API endpoint that is private, or public only to some CIDRs, cannot be reached from the diagnostics function)" : ""}`,
        };
    }
}

/** GETs JSON. A body that is not JSON is a failure. */
export async function fetchJson<T>(api: KubernetesApi, request: KubeRequest, deadline: Deadline): Promise<Fetched<T>> {
    const got = await fetchText(api, request, deadline);
    if (!got.ok) {
        return got;
    }
    try {
        return { ok: true, value: JSON.parse(got.value) as T };
    } catch {
        return { ok: false, outcome: "failed", reason: `${requestKey(request)}: the answer is not JSON (${got.value.slice(0, 80)})` };
    }
}

// ---- object shapes (the fields the checks read) -------------------------------------------------

export interface ObjectMeta {
    readonly name?: string;
    readonly namespace?: string;
    readonly creationTimestamp?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly ownerReferences?: readonly { readonly kind?: string; readonly name?: string }[];
}

export interface Condition {
    readonly type?: string;
    readonly status?: string;
    readonly reason?: string;
    readonly message?: string;
    readonly lastTransitionTime?: string;
}

export interface ResourceList {
    readonly cpu?: string;
    readonly memory?: string;
    readonly pods?: string;
    readonly [name: string]: string | undefined;
}

export interface ContainerSpec {
    readonly name?: string;
    readonly image?: string;
    readonly restartPolicy?: string;
    readonly resources?: { readonly requests?: ResourceList; readonly limits?: ResourceList };
}

export interface ContainerState {
    readonly waiting?: { readonly reason?: string; readonly message?: string };
    readonly running?: { readonly startedAt?: string };
    readonly terminated?: { readonly reason?: string; readonly exitCode?: number; readonly signal?: number; readonly message?: string; readonly startedAt?: string; readonly finishedAt?: string };
}

export interface ContainerStatus {
    readonly name?: string;
    readonly ready?: boolean;
    readonly restartCount?: number;
    readonly image?: string;
    readonly state?: ContainerState;
    readonly lastState?: ContainerState;
}

export interface Pod {
    readonly metadata?: ObjectMeta;
    readonly spec?: { readonly nodeName?: string; readonly containers?: readonly ContainerSpec[]; readonly initContainers?: readonly ContainerSpec[]; readonly overhead?: ResourceList };
    readonly status?: {
        readonly phase?: string;
        readonly reason?: string;
        readonly message?: string;
        readonly startTime?: string;
        readonly conditions?: readonly Condition[];
        readonly containerStatuses?: readonly ContainerStatus[];
        readonly initContainerStatuses?: readonly ContainerStatus[];
    };
}

export interface KubeEvent {
    readonly metadata?: ObjectMeta;
    readonly type?: string;
    readonly reason?: string;
    readonly message?: string;
    readonly count?: number;
    readonly firstTimestamp?: string | null;
    readonly lastTimestamp?: string | null;
    readonly eventTime?: string | null;
    readonly series?: { readonly count?: number; readonly lastObservedTime?: string };
    readonly source?: { readonly component?: string; readonly host?: string };
    readonly reportingComponent?: string;
    readonly involvedObject?: { readonly kind?: string; readonly name?: string; readonly namespace?: string };
}

export interface Node {
    readonly metadata?: ObjectMeta;
    readonly spec?: { readonly providerID?: string; readonly unschedulable?: boolean; readonly taints?: readonly { readonly key?: string; readonly value?: string; readonly effect?: string }[] };
    readonly status?: {
        readonly conditions?: readonly Condition[];
        readonly allocatable?: ResourceList;
        readonly capacity?: ResourceList;
        readonly addresses?: readonly { readonly type?: string; readonly address?: string }[];
        readonly nodeInfo?: { readonly kubeletVersion?: string; readonly osImage?: string; readonly containerRuntimeVersion?: string };
    };
}

export interface List<T> {
    readonly items?: readonly T[];
    readonly metadata?: { readonly continue?: string; readonly remainingItemCount?: number };
}

// ---- quantities -----------------------------------------------------------------------------------

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** A Kubernetes resource quantity (`250m`, `2`, `512Mi`, `1e3`) in base units; undefined when unreadable. */
export function parseQuantity(text: string | undefined): number | undefined {
    if (text === undefined) {
        return undefined;
    }
    const m = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei)|([eE][+-]?\d+)|(n|u|m|k|M|G|T|P|E))?$/.exec(text.trim());
    if (!m) {
        return undefined;
    }
    const n = Number(m[1]);
    if (m[2]) {
        return n * BINARY[m[2]];
    }
    if (m[3]) {
        return Number(`${m[1]}${m[3]}`);
    }
    return n * DECIMAL[m[4] ?? ""];
}

export function formatCpu(cores: number): string {
    return cores < 1 ? `${Math.round(cores * 1000)}m` : `${Number(cores.toFixed(2))}`;
}

export function formatBytes(bytes: number): string {
    if (bytes >= 2 ** 30) {
        return `${Number((bytes / 2 ** 30).toFixed(1))}Gi`;
    }
    const unit = bytes >= 2 ** 20 ? ["Mi", 2 ** 20] : ["Ki", 2 ** 10];
    const n = bytes / (unit[1] as number);
    return `${n < 10 ? Number(n.toFixed(1)) : Math.round(n)}${unit[0]}`;
}

/** What a pod asks the scheduler for: its containers (and sidecars) or its largest init container, plus overhead. */
export function podRequests(pod: Pod): { cpu: number; memory: number } {
    const sum = (cs: readonly ContainerSpec[], key: "cpu" | "memory") => cs.reduce((t, c) => t + (parseQuantity(c.resources?.requests?.[key]) ?? 0), 0);
    const containers = pod.spec?.containers ?? [];
    const inits = pod.spec?.initContainers ?? [];
    const sidecars = inits.filter((c) => c.restartPolicy === "Always");
    const plain = inits.filter((c) => c.restartPolicy !== "Always");
    const of = (key: "cpu" | "memory") =>
        Math.max(sum(containers, key) + sum(sidecars, key), ...plain.map((c) => parseQuantity(c.resources?.requests?.[key]) ?? 0)) + (parseQuantity(pod.spec?.overhead?.[key]) ?? 0);
    return { cpu: of("cpu"), memory: of("memory") };
}

// ---- formatting -----------------------------------------------------------------------------------

/** At most `max` characters, on one line. */
export function oneLine(text: string | undefined, max = 300): string {
    const flat = (text ?? "").replace(/\s+/g, " ").trim();
    return flat.length <= max ? flat : `${flat.slice(0, max - 14)} …[truncated]`;
}

/** `5m ago`, `3h ago`, `2d ago` (from `now`). */
export function ago(time: string | undefined | null, now: string): string {
    if (!time) {
        return "time unknown";
    }
    const s = Math.max(0, Math.round((Date.parse(now) - Date.parse(time)) / 1000));
    if (Number.isNaN(s)) {
        return time;
    }
    return s < 120 ? `${s}s ago` : s < 7200 ? `${Math.round(s / 60)}m ago` : s < 172800 ? `${Math.round(s / 3600)}h ago` : `${Math.round(s / 86400)}d ago`;
}

/** When an event was last seen. */
export function eventTime(e: KubeEvent): string {
    return e.series?.lastObservedTime ?? e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp ?? "";
}

/** Events, newest first, as lines: `<time> <type> <reason> (<count>x, <component>) <object>: <message>`. */
export function eventLines(events: readonly KubeEvent[], max: number, withObject = false): string[] {
    return [...events]
        .sort((a, b) => (eventTime(a) < eventTime(b) ? 1 : eventTime(a) > eventTime(b) ? -1 : 0))
        .slice(0, max)
        .map((e) => {
            const count = e.series?.count ?? e.count ?? 1;
            const from = e.reportingComponent || e.source?.component || "";
            const object = withObject && e.involvedObject ? ` ${e.involvedObject.kind ?? ""}/${e.involvedObject.name ?? ""}` : "";
            // Event messages carry the cause (the registry's answer, the OOM victim): keep them long.
            return oneLine(`${eventTime(e) || "?"} ${e.type ?? "?"} ${e.reason ?? "?"} (${count}x${from ? `, ${from}` : ""})${object}: ${e.message ?? ""}`, 600);
        });
}

export function describeState(state: ContainerState | undefined): string {
    if (state?.waiting) {
        return `waiting ${state.waiting.reason ?? ""}${state.waiting.message ? ` (${oneLine(state.waiting.message, 160)})` : ""}`.trim();
    }
    if (state?.running) {
        return `running since ${state.running.startedAt ?? "?"}`;
    }
    if (state?.terminated) {
        const t = state.terminated;
        return `terminated ${t.reason ?? ""} (exit code ${t.exitCode ?? "?"}${t.signal ? `, signal ${t.signal}` : ""}) at ${t.finishedAt ?? "?"}${t.message ? `: ${oneLine(t.message, 160)}` : ""}`;
    }
    return "state unknown";
}

/** True when a container status shows trouble: not ready, waiting, restarted or last stopped badly. */
export function containerInTrouble(s: ContainerStatus): boolean {
    return s.ready === false || s.state?.waiting !== undefined || (s.restartCount ?? 0) > 0 || (s.state?.terminated !== undefined && s.state.terminated.exitCode !== 0);
}

/** A score for picking the pod most worth a closer look (higher is worse). */
export function podTrouble(pod: Pod): number {
    const statuses = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])];
    const phase = pod.status?.phase;
    let score = phase === "Failed" ? 50 : phase === "Pending" ? 30 : phase === "Unknown" ? 40 : 0;
    for (const s of statuses) {
        score += s.ready === false ? 10 : 0;
        score += s.state?.waiting ? 20 : 0;
        score += Math.min(s.restartCount ?? 0, 100) / 10;
    }
    return score;
}

/** Lines describing a pod: phase, readiness, node, and every container's state and last termination. */
export function podLines(pod: Pod): string[] {
    const st = pod.status ?? {};
    const ready = st.conditions?.find((c) => c.type === "Ready");
    const unscheduled = st.conditions?.find((c) => c.type === "PodScheduled" && c.status === "False");
    const lines = [
        oneLine(
            `Phase ${st.phase ?? "?"}${st.reason ? ` (${st.reason}${st.message ? `: ${st.message}` : ""})` : ""}; node ${pod.spec?.nodeName ?? "(not scheduled)"}; ` +
                `ready ${ready?.status ?? "?"}${ready?.status === "False" && ready.reason ? ` (${ready.reason}${ready.message ? `: ${ready.message}` : ""})` : ""}; started ${st.startTime ?? "?"}`,
        ),
    ];
    if (unscheduled) {
        lines.push(oneLine(`Not scheduled: ${unscheduled.reason ?? ""} ${unscheduled.message ?? ""}`));
    }
    const specs = new Map([...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) => [c.name, c]));
    const statuses = [...(st.initContainerStatuses ?? []).map((s) => ({ s, init: true })), ...(st.containerStatuses ?? []).map((s) => ({ s, init: false }))];
    for (const { s, init } of statuses) {
        const spec = specs.get(s.name);
        const req = spec?.resources?.requests ?? {};
        const lim = spec?.resources?.limits ?? {};
        const resources = [req.cpu ? `cpu ${req.cpu}` : "", req.memory ? `memory ${req.memory}` : ""].filter(Boolean).join(" ");
        const limits = [lim.cpu ? `cpu ${lim.cpu}` : "", lim.memory ? `memory ${lim.memory}` : ""].filter(Boolean).join(" ");
        lines.push(
            oneLine(
                `${init ? "Init container" : "Container"} ${s.name ?? "?"}: ${s.ready ? "ready" : "not ready"}, ${s.restartCount ?? 0} restart(s), ${describeState(s.state)}` +
                    `${s.lastState?.terminated ? `; last ${describeState(s.lastState)}` : ""}` +
                    `${resources ? `; requests ${resources}` : ""}${limits ? `, limits ${limits}` : ""}; image ${s.image ?? spec?.image ?? "?"}`,
                400,
            ),
        );
    }
    return lines;
}

/** The container whose logs to read, and whether the previous instance (a crash loop's last run) is the one. */
export function logTarget(pod: Pod, preferred?: string): { container: string; previous: boolean } | undefined {
    const statuses = pod.status?.containerStatuses ?? [];
    const chosen =
        statuses.find((s) => s.name === preferred) ??
        [...statuses].filter(containerInTrouble).sort((a, b) => (b.restartCount ?? 0) - (a.restartCount ?? 0))[0] ??
        statuses[0];
    const name = chosen?.name ?? preferred ?? pod.spec?.containers?.[0]?.name;
    if (!name) {
        return undefined;
    }
    // A container that crashed and is waiting to restart has no current output worth reading.
    const previous = chosen?.lastState?.terminated !== undefined && (chosen.state?.waiting !== undefined || (chosen.restartCount ?? 0) > 0);
    return { container: name, previous };
}

/** Summary counts of a pod list: `5 pods: 3 ready; 2 not ready (CrashLoopBackOff 2)`. */
export function podListSummary(pods: readonly Pod[]): string {
    const ready = pods.filter((p) => p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")).length;
    const reasons = new Map<string, number>();
    for (const p of pods) {
        for (const s of p.status?.containerStatuses ?? []) {
            const r = s.state?.waiting?.reason ?? (s.state?.terminated ? s.state.terminated.reason : undefined);
            if (r) {
                reasons.set(r, (reasons.get(r) ?? 0) + 1);
            }
        }
        if (p.status?.phase && p.status.phase !== "Running" && p.status.phase !== "Succeeded") {
            reasons.set(p.status.phase, (reasons.get(p.status.phase) ?? 0) + 1);
        }
    }
    const why = [...reasons.entries()].map(([r, n]) => `${r} ${n}`).join(", ");
    return `${pods.length} pod(s): ${ready} ready${pods.length - ready > 0 ? `, ${pods.length - ready} not ready${why ? ` (${why})` : ""}` : ""}`;
}

/** Whether a node condition is bad: Ready is not True, or a pressure condition is. */
export function conditionBad(c: Condition): boolean {
    return c.type === "Ready" ? c.status !== "True" : c.status === "True";
}

/** The node's conditions as lines, the bad ones marked. */
export function nodeConditionLines(node: Node): string[] {
    return (node.status?.conditions ?? []).map((c) => {
        const bad = conditionBad(c);
        return oneLine(`${bad ? "!" : " "} ${c.type ?? "?"}=${c.status ?? "?"}${c.reason ? ` (${c.reason})` : ""} since ${c.lastTransitionTime ?? "?"}${bad && c.message ? `: ${c.message}` : ""}`);
    });
}

/** True when the node is not Ready, under pressure, or cordoned. */
export function nodeInTrouble(node: Node): boolean {
    return node.spec?.unschedulable === true || (node.status?.conditions ?? []).some(conditionBad);
}

// The read-only Kubernetes checks: for a pod, its status, container states and last terminations,
// recent events and the last lines of the failing container's log (the previous instance for a
// crash loop); for a workload, its status, its pods and the worst of them; for a node, its
// conditions, allocatable against what its pods request, and recent events; for CoreDNS, the API
// server, the scheduler and controller manager, add-ons and Vigil's collectors, their pods,
// health endpoints and events; for the node network, the VPC CNI (aws-node) and kube-proxy
// DaemonSets and their pods. Only GETs; every one of them inside the time budget.

import { Deadline } from "./budget";
import {
    ago,
    conditionBad,
    containerInTrouble,
    eventLines,
    eventTime,
    fetchJson,
    fetchText,
    Fetched,
    formatBytes,
    formatCpu,
    KubeEvent,
    KubernetesApi,
    List,
    logTarget,
    Node,
    nodeConditionLines,
    nodeInTrouble,
    oneLine,
    parseQuantity,
    Pod,
    podLines,
    podListSummary,
    podRequests,
    podTrouble,
    seg,
} from "./kubernetes";
import { describeNodeRef, KubernetesCheck, NodeRef, WorkloadResource } from "./plan";
import { CheckResult, notChecked } from "./report";

/** Limits of what a check keeps. */
export const CHECK_LIMITS = {
    /** Events shown per check. */
    events: 12,
    /** Log lines asked for and shown. */
    logLines: 50,
    /** Log bytes kept (the end of the log). */
    logBytes: 16 * 1024,
    /** The server stops sending a log after this many bytes. */
    logLimitBytes: 4 * 1024 * 1024,
    /** Objects listed per request. */
    listLimit: 500,
    /** Pods named in a list's details. */
    podsShown: 10,
} as const;

export interface CheckContext {
    readonly api: KubernetesApi;
    readonly deadline: Deadline;
    /** Now (ISO), for ages. */
    readonly now: string;
}

type Outcome = Exclude<Fetched<unknown>, { ok: true }>;

/** A check result for a failed fetch ("missing" is reported by the caller where it means something). */
function failed(id: string, title: string, f: Outcome): CheckResult {
    return notChecked(id, title, "kubernetes", f.outcome === "missing" ? "failed" : f.outcome, f.reason);
}

function result(id: string, title: string, found: boolean, summary: string, lines: readonly string[], truncated?: string): CheckResult {
    return { id, title, source: "kubernetes", outcome: found ? "found" : "ok", summary: oneLine(summary, 400), lines, ...(truncated ? { truncated } : {}) };
}

/** Events matching a field selector, newest first. */
async function eventsCheck(ctx: CheckContext, id: string, title: string, namespace: string | undefined, fieldSelector: string, withObject = false): Promise<CheckResult> {
    const path = namespace ? `/api/v1/namespaces/${seg(namespace)}/events` : "/api/v1/events";
    const got = await fetchJson<List<KubeEvent>>(ctx.api, { path, query: { fieldSelector, limit: String(CHECK_LIMITS.listLimit) } }, ctx.deadline);
    if (!got.ok) {
        return failed(id, title, got);
    }
    const items = got.value.items ?? [];
    const warnings = items.filter((e) => e.type === "Warning").length;
    const more = got.value.metadata?.continue ? ` (more than ${items.length} listed; the newest of those are shown)` : "";
    const lines = eventLines(items, CHECK_LIMITS.events, withObject);
    const latest = [...items].sort((a, b) => (eventTime(a) < eventTime(b) ? 1 : -1))[0];
    const summary = items.length === 0 ? "no events (events are kept for about an hour)" : `${items.length} event(s), ${warnings} warning(s)${more}; latest (${ago(latest ? eventTime(latest) : undefined, ctx.now)}): ${lines[0]}`;
    return result(id, title, warnings > 0, summary, lines, items.length > CHECK_LIMITS.events ? `${items.length - CHECK_LIMITS.events} older event(s) not shown` : undefined);
}

// ---- pods -----------------------------------------------------------------------------------------

async function podLogs(ctx: CheckContext, pod: Pod, namespace: string, name: string, preferred: string | undefined, id: string): Promise<CheckResult> {
    const target = logTarget(pod, preferred);
    const title = `Log of ${namespace}/${name}${target ? ` (${target.container}${target.previous ? ", previous instance" : ""})` : ""}`;
    if (!target) {
        return notChecked(id, title, "kubernetes", "skipped", "the pod has no containers to read");
    }
    const path = `/api/v1/namespaces/${seg(namespace)}/pods/${seg(name)}/log`;
    const query = (previous: boolean) => ({
        container: target.container,
        tailLines: String(CHECK_LIMITS.logLines),
        timestamps: "true",
        limitBytes: String(CHECK_LIMITS.logLimitBytes),
        ...(previous ? { previous: "true" } : {}),
    });
    let previous = target.previous;
    let got = await fetchText(ctx.api, { path, query: query(previous), keepTailBytes: CHECK_LIMITS.logBytes }, ctx.deadline);
    let note = "";
    if (!got.ok && previous && (got.status === 400 || got.status === 404)) {
        // The previous instance's log is gone (the container was recreated): read the current one.
        note = `no log of the previous instance (${got.reason}); the current instance's log is shown`;
        previous = false;
        got = await fetchText(ctx.api, { path, query: query(false), keepTailBytes: CHECK_LIMITS.logBytes }, ctx.deadline);
    }
    if (!got.ok) {
        return failed(id, title, got);
    }
    const text = got.value;
    const dropped = got.droppedBytes ?? 0;
    let lines = text.split("\n").filter((l) => l !== "");
    if (dropped > 0 && lines.length > 0) {
        // The first kept line starts in the middle of a line.
        lines = lines.slice(1);
    }
    lines = lines.slice(-CHECK_LIMITS.logLines).map((l) => oneLine(l, 400));
    const cut = [
        dropped > 0 ? `the log's last ${CHECK_LIMITS.logLines} lines are ${formatBytes(dropped + Buffer.byteLength(text))}; only the last ${formatBytes(CHECK_LIMITS.logBytes)} were kept` : "",
        note,
    ]
        .filter(Boolean)
        .join("; ");
    const summary = lines.length === 0 ? `the ${previous ? "previous instance's " : ""}log of ${target.container} is empty` : `last ${lines.length} line(s) of ${target.container}${previous ? " (previous instance)" : ""}; last: ${lines[lines.length - 1]}`;
    return { id, title, source: "kubernetes", outcome: lines.length > 0 ? "found" : "ok", summary: oneLine(summary, 400), lines, ...(cut ? { truncated: cut } : {}) };
}

/** Status, events and log of one pod (`prefix` tells apart several pods in one report). */
export async function checkPod(ctx: CheckContext, namespace: string, name: string, container?: string, prefix = "pod", known?: Pod): Promise<CheckResult[]> {
    const title = `Pod ${namespace}/${name}`;
    let pod = known;
    const out: CheckResult[] = [];
    if (!pod) {
        const got = await fetchJson<Pod>(ctx.api, { path: `/api/v1/namespaces/${seg(namespace)}/pods/${seg(name)}` }, ctx.deadline);
        if (got.ok) {
            pod = got.value;
        } else if (got.outcome === "missing") {
            out.push(result(`${prefix}-status`, title, true, `the pod no longer exists (deleted or replaced since the alert)`, []));
        } else {
            out.push(failed(`${prefix}-status`, title, got));
        }
    }
    if (pod) {
        const statuses = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])];
        const troubled = statuses.filter(containerInTrouble);
        const phase = pod.status?.phase ?? "?";
        const found = troubled.length > 0 || (phase !== "Running" && phase !== "Succeeded");
        const summary = found
            ? `${phase}; ${troubled.map((s) => `${s.name}: ${s.state?.waiting?.reason ?? (s.ready ? "ready" : "not ready")}, ${s.restartCount ?? 0} restart(s)${s.lastState?.terminated ? `, last ${s.lastState.terminated.reason ?? "terminated"} (exit ${s.lastState.terminated.exitCode ?? "?"})` : ""}`).join("; ") || "not running"}`
            : `${phase}, all ${statuses.length} container(s) ready, no restarts`;
        out.push(result(`${prefix}-status`, title, found, summary, podLines(pod)));
    }
    out.push(await eventsCheck(ctx, `${prefix}-events`, `Events of pod ${namespace}/${name}`, namespace, `involvedObject.kind=Pod,involvedObject.name=${name}`));
    if (pod) {
        out.push(await podLogs(ctx, pod, namespace, name, container, `${prefix}-logs`));
    }
    return out;
}

/** Pods matching a selector: a summary, the troubled ones named, and the worst checked closely. */
async function podsCheck(ctx: CheckContext, id: string, title: string, namespace: string, query: Record<string, string>, prefix: string): Promise<CheckResult[]> {
    const got = await fetchJson<List<Pod>>(ctx.api, { path: `/api/v1/namespaces/${seg(namespace)}/pods`, query: { ...query, limit: String(CHECK_LIMITS.listLimit) } }, ctx.deadline);
    if (!got.ok) {
        return [failed(id, title, got)];
    }
    const pods = got.value.items ?? [];
    const ranked = [...pods].sort((a, b) => podTrouble(b) - podTrouble(a));
    const troubled = ranked.filter((p) => podTrouble(p) > 0);
    const lines = ranked.slice(0, CHECK_LIMITS.podsShown).map((p) => {
        const s = p.status ?? {};
        const restarts = (s.containerStatuses ?? []).reduce((t, c) => t + (c.restartCount ?? 0), 0);
        const waiting = (s.containerStatuses ?? []).map((c) => c.state?.waiting?.reason).filter(Boolean);
        return oneLine(`${p.metadata?.name ?? "?"}: ${s.phase ?? "?"}${waiting.length ? ` (${waiting.join(", ")})` : ""}, ${restarts} restart(s), node ${p.spec?.nodeName ?? "-"}`);
    });
    const out: CheckResult[] = [
        result(id, title, troubled.length > 0 || pods.length === 0, pods.length === 0 ? "no pods match" : podListSummary(pods), lines, pods.length > CHECK_LIMITS.podsShown ? `${pods.length - CHECK_LIMITS.podsShown} more pod(s) not listed` : undefined),
    ];
    const worst = troubled[0];
    if (worst?.metadata?.name) {
        out.push(...(await checkPod(ctx, namespace, worst.metadata.name, undefined, prefix, worst)));
    }
    return out;
}

// ---- workloads -----------------------------------------------------------------------------------

const WORKLOAD_API: Readonly<Record<WorkloadResource, { group: string; kind: string }>> = {
    deployments: { group: "/apis/apps/v1", kind: "Deployment" },
    statefulsets: { group: "/apis/apps/v1", kind: "StatefulSet" },
    daemonsets: { group: "/apis/apps/v1", kind: "DaemonSet" },
    jobs: { group: "/apis/batch/v1", kind: "Job" },
    cronjobs: { group: "/apis/batch/v1", kind: "CronJob" },
    horizontalpodautoscalers: { group: "/apis/autoscaling/v2", kind: "HorizontalPodAutoscaler" },
    persistentvolumeclaims: { group: "/api/v1", kind: "PersistentVolumeClaim" },
};

interface Workload {
    readonly metadata?: { readonly name?: string; readonly generation?: number };
    readonly spec?: Record<string, any>;
    readonly status?: Record<string, any>;
}

/** The status lines of a workload object, and whether it looks unwell. */
export function workloadLines(resource: WorkloadResource, w: Workload): { found: boolean; summary: string; lines: string[] } {
    const s = w.status ?? {};
    const spec = w.spec ?? {};
    const conditions: { type?: string; status?: string; reason?: string; message?: string }[] = Array.isArray(s.conditions) ? s.conditions : [];
    const conditionLines = conditions.map((c) => oneLine(`${c.type ?? "?"}=${c.status ?? "?"}${c.reason ? ` (${c.reason})` : ""}${c.message ? `: ${c.message}` : ""}`));
    const images = ((spec.template?.spec?.containers ?? spec.jobTemplate?.spec?.template?.spec?.containers ?? []) as { name?: string; image?: string }[]).map((c) => `${c.name}=${c.image}`).join(", ");
    const imageLine = images ? [oneLine(`Images: ${images}`)] : [];
    const n = (v: unknown) => (typeof v === "number" ? v : 0);
    switch (resource) {
        case "deployments": {
            const want = typeof spec.replicas === "number" ? spec.replicas : 1;
            const found = n(s.availableReplicas) < want || n(s.updatedReplicas) < want || conditions.some((c) => c.status === "False") || spec.paused === true;
            const summary = `${n(s.readyReplicas)}/${want} ready, ${n(s.availableReplicas)} available, ${n(s.updatedReplicas)} up to date${spec.paused ? ", rollout paused" : ""}`;
            return { found, summary, lines: [summary, ...conditionLines, ...imageLine] };
        }
        case "statefulsets": {
            const want = typeof spec.replicas === "number" ? spec.replicas : 1;
            const stale = s.updateRevision && s.currentRevision && s.updateRevision !== s.currentRevision;
            const found = n(s.readyReplicas) < want || Boolean(stale);
            const summary = `${n(s.readyReplicas)}/${want} ready, ${n(s.updatedReplicas)} updated${stale ? `, rolling from ${s.currentRevision} to ${s.updateRevision}` : ""}`;
            return { found, summary, lines: [summary, ...conditionLines, ...imageLine] };
        }
        case "daemonsets": {
            const found = n(s.numberReady) < n(s.desiredNumberScheduled) || n(s.numberMisscheduled) > 0 || n(s.updatedNumberScheduled) < n(s.desiredNumberScheduled);
            const summary = `${n(s.numberReady)}/${n(s.desiredNumberScheduled)} ready, ${n(s.updatedNumberScheduled)} updated, ${n(s.numberUnavailable)} unavailable, ${n(s.numberMisscheduled)} misscheduled`;
            return { found, summary, lines: [summary, ...conditionLines, ...imageLine] };
        }
        case "jobs": {
            const failedCond = conditions.find((c) => c.type === "Failed" && c.status === "True");
            const found = n(s.failed) > 0 || failedCond !== undefined;
            const summary = `${n(s.active)} active, ${n(s.succeeded)} succeeded, ${n(s.failed)} failed (backoff limit ${spec.backoffLimit ?? 6}); started ${s.startTime ?? "?"}${s.completionTime ? `, completed ${s.completionTime}` : ""}`;
            return { found, summary, lines: [summary, ...conditionLines, ...imageLine] };
        }
        case "cronjobs": {
            const summary = `schedule ${spec.schedule ?? "?"}${spec.suspend ? " (suspended)" : ""}; last scheduled ${s.lastScheduleTime ?? "never"}, last successful ${s.lastSuccessfulTime ?? "never"}, ${(s.active ?? []).length} active`;
            return { found: spec.suspend === true || !s.lastSuccessfulTime, summary, lines: [summary, ...imageLine] };
        }
        case "horizontalpodautoscalers": {
            const maxed = n(s.currentReplicas) >= n(spec.maxReplicas) && n(spec.maxReplicas) > 0;
            const summary = `${n(s.currentReplicas)} replica(s), desired ${n(s.desiredReplicas)}, range ${spec.minReplicas ?? 1}-${spec.maxReplicas ?? "?"} for ${spec.scaleTargetRef?.kind ?? "?"}/${spec.scaleTargetRef?.name ?? "?"}${maxed ? " (at its maximum)" : ""}`;
            return { found: maxed || conditions.some((c) => c.status === "False"), summary, lines: [summary, ...conditionLines] };
        }
        case "persistentvolumeclaims": {
            const summary = `${s.phase ?? "?"}; requested ${spec.resources?.requests?.storage ?? "?"}, capacity ${s.capacity?.storage ?? "?"}; storage class ${spec.storageClassName ?? "(default)"}; volume ${spec.volumeName ?? "(none)"}`;
            return { found: s.phase !== "Bound", summary, lines: [summary, ...conditionLines] };
        }
    }
}

function selectorOf(w: Workload): string | undefined {
    const labels = w.spec?.selector?.matchLabels as Record<string, string> | undefined;
    if (!labels || Object.keys(labels).length === 0) {
        return undefined;
    }
    return Object.entries(labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(",");
}

async function checkWorkload(ctx: CheckContext, namespace: string, resource: WorkloadResource, name: string): Promise<CheckResult[]> {
    const api = WORKLOAD_API[resource];
    const title = `${api.kind} ${namespace}/${name}`;
    const got = await fetchJson<Workload>(ctx.api, { path: `${api.group}/namespaces/${seg(namespace)}/${resource}/${seg(name)}` }, ctx.deadline);
    const out: CheckResult[] = [];
    let workload: Workload | undefined;
    if (got.ok) {
        workload = got.value;
        const w = workloadLines(resource, workload);
        out.push(result("workload-status", title, w.found, w.summary, w.lines));
    } else if (got.outcome === "missing") {
        out.push(result("workload-status", title, true, `the ${api.kind} no longer exists`, []));
    } else {
        out.push(failed("workload-status", title, got));
    }
    out.push(await eventsCheck(ctx, "workload-events", `Events of ${title}`, namespace, `involvedObject.kind=${api.kind},involvedObject.name=${name}`));
    const ownsPods = ["deployments", "statefulsets", "daemonsets", "jobs"].includes(resource);
    const selector = workload && ownsPods ? selectorOf(workload) : undefined;
    if (selector) {
        out.push(...(await podsCheck(ctx, "workload-pods", `Pods of ${title}`, namespace, { labelSelector: selector }, "pod")));
    } else if (workload && ownsPods) {
        out.push(notChecked("workload-pods", `Pods of ${title}`, "kubernetes", "skipped", "the workload selects its pods with expressions only; its pods were not listed"));
    }
    return out;
}

async function checkNamespace(ctx: CheckContext, namespace: string): Promise<CheckResult[]> {
    return [
        ...(await podsCheck(ctx, "namespace-pods", `Pods in namespace ${namespace}`, namespace, {}, "pod")),
        await eventsCheck(ctx, "namespace-events", `Warning events in namespace ${namespace}`, namespace, "type=Warning", true),
    ];
}

// ---- nodes ---------------------------------------------------------------------------------------

/** The node's name for a reference by EC2 instance or address (listing nodes). */
async function resolveNode(ctx: CheckContext, ref: NodeRef): Promise<{ ok: true; name: string } | { ok: false; result: CheckResult }> {
    if ("name" in ref) {
        return { ok: true, name: ref.name };
    }
    const title = `Node of ${"instanceId" in ref ? `EC2 instance ${ref.instanceId}` : `address ${ref.ip}`}`;
    const got = await fetchJson<List<Node>>(ctx.api, { path: "/api/v1/nodes", query: { limit: String(CHECK_LIMITS.listLimit) } }, ctx.deadline);
    if (!got.ok) {
        return { ok: false, result: failed("node-status", title, got) };
    }
    const match = (got.value.items ?? []).find((n) =>
        "instanceId" in ref ? (n.spec?.providerID ?? "").endsWith(`/${ref.instanceId}`) : (n.status?.addresses ?? []).some((a) => a.type === "InternalIP" && a.address === ref.ip),
    );
    if (!match?.metadata?.name) {
        return { ok: false, result: result("node-status", title, true, `no node of the cluster is ${describeNodeRef(ref)} (it left the cluster, or never joined)`, []) };
    }
    return { ok: true, name: match.metadata.name };
}

async function checkNode(ctx: CheckContext, ref: NodeRef): Promise<CheckResult[]> {
    const resolved = await resolveNode(ctx, ref);
    if (!resolved.ok) {
        return [resolved.result];
    }
    const name = resolved.name;
    const title = `Node ${name}`;
    const out: CheckResult[] = [];
    const got = await fetchJson<Node>(ctx.api, { path: `/api/v1/nodes/${seg(name)}` }, ctx.deadline);
    let node: Node | undefined;
    if (got.ok) {
        node = got.value;
        const labels = node.metadata?.labels ?? {};
        const taints = (node.spec?.taints ?? []).map((t) => `${t.key}${t.value ? `=${t.value}` : ""}:${t.effect}`).join(", ");
        const info = node.status?.nodeInfo ?? {};
        const bad = (node.status?.conditions ?? []).filter(conditionBad);
        const summary = bad.length
            ? `${bad.map((c) => `${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ""}`).join(", ")}${node.spec?.unschedulable ? "; cordoned" : ""}`
            : `Ready, no pressure${node.spec?.unschedulable ? "; cordoned" : ""}`;
        out.push(
            result("node-status", title, nodeInTrouble(node), summary, [
                ...nodeConditionLines(node),
                oneLine(`Unschedulable: ${node.spec?.unschedulable ? "yes (cordoned)" : "no"}; taints: ${taints || "none"}`),
                oneLine(
                    `Instance ${labels["node.kubernetes.io/instance-type"] ?? "?"} in ${labels["topology.kubernetes.io/zone"] ?? "?"}; ` +
                        `${labels["eks.amazonaws.com/nodegroup"] ? `node group ${labels["eks.amazonaws.com/nodegroup"]}` : labels["karpenter.sh/nodepool"] ? `node pool ${labels["karpenter.sh/nodepool"]}` : "no node group label"}; ` +
                        `kubelet ${info.kubeletVersion ?? "?"}, ${info.containerRuntimeVersion ?? "?"}; provider ID ${node.spec?.providerID ?? "?"}; created ${node.metadata?.creationTimestamp ?? "?"}`,
                ),
            ]),
        );
    } else if (got.outcome === "missing") {
        out.push(result("node-status", title, true, "the node no longer exists in the cluster", []));
    } else {
        out.push(failed("node-status", title, got));
    }
    const pods = await fetchJson<List<Pod>>(
        ctx.api,
        { path: "/api/v1/pods", query: { fieldSelector: `spec.nodeName=${name},status.phase!=Succeeded,status.phase!=Failed`, limit: String(CHECK_LIMITS.listLimit) } },
        ctx.deadline,
    );
    if (!pods.ok) {
        out.push(failed("node-pods", `Pods on node ${name}`, pods));
    } else {
        const items = pods.value.items ?? [];
        const requested = items.map(podRequests).reduce((t, r) => ({ cpu: t.cpu + r.cpu, memory: t.memory + r.memory }), { cpu: 0, memory: 0 });
        const alloc = node?.status?.allocatable ?? {};
        const cpu = parseQuantity(alloc.cpu);
        const memory = parseQuantity(alloc.memory);
        const maxPods = parseQuantity(alloc.pods);
        const pct = (used: number, of: number | undefined) => (of ? ` (${Math.round((used / of) * 100)}%)` : "");
        const line = `Requested: cpu ${formatCpu(requested.cpu)} of ${cpu === undefined ? "?" : formatCpu(cpu)}${pct(requested.cpu, cpu)}, memory ${formatBytes(requested.memory)} of ${memory === undefined ? "?" : formatBytes(memory)}${pct(requested.memory, memory)}, pods ${items.length} of ${maxPods ?? "?"}${pct(items.length, maxPods)}`;
        const full = (cpu !== undefined && requested.cpu / cpu > 0.9) || (memory !== undefined && requested.memory / memory > 0.9) || (maxPods !== undefined && items.length / maxPods > 0.9);
        const troubled = items.filter((p) => podTrouble(p) > 0).sort((a, b) => podTrouble(b) - podTrouble(a));
        const lines = [
            line,
            podListSummary(items),
            ...troubled.slice(0, CHECK_LIMITS.podsShown).map((p) => oneLine(`${p.metadata?.namespace}/${p.metadata?.name}: ${p.status?.phase ?? "?"} ${(p.status?.containerStatuses ?? []).map((c) => c.state?.waiting?.reason ?? "").filter(Boolean).join(", ")}`)),
        ];
        out.push(result("node-pods", `Pods on node ${name}`, full || troubled.length > 0, `${line}; ${podListSummary(items)}`, lines));
    }
    out.push(await eventsCheck(ctx, "node-events", `Events of node ${name}`, undefined, `involvedObject.kind=Node,involvedObject.name=${name}`));
    return out;
}

// ---- system components ------------------------------------------------------------------------------

async function healthEndpoint(ctx: CheckContext, path: "/readyz" | "/livez"): Promise<{ ok: true; healthy: boolean; lines: string[] } | { ok: false; f: Outcome }> {
    const got = await fetchText(ctx.api, { path, query: { verbose: "true" } }, ctx.deadline);
    if (got.ok) {
        return { ok: true, healthy: true, lines: got.value.split("\n").filter((l) => l.startsWith("[-]")) };
    }
    // A failing check answers 500 with the verbose list; that is the finding.
    if (got.status === 500 || got.status === 503) {
        return { ok: true, healthy: false, lines: (got.body ?? "").split("\n").filter((l) => l.startsWith("[-]")).map((l) => oneLine(l)) };
    }
    return { ok: false, f: got };
}

async function checkApiServer(ctx: CheckContext, apiService?: string): Promise<CheckResult[]> {
    const out: CheckResult[] = [];
    const ready = await healthEndpoint(ctx, "/readyz");
    const live = await healthEndpoint(ctx, "/livez");
    const version = await fetchJson<{ gitVersion?: string }>(ctx.api, { path: "/version" }, ctx.deadline);
    if (!ready.ok && !live.ok) {
        out.push(failed("apiserver-health", "API server health (/readyz, /livez)", ready.f));
    } else {
        const failing = [...(ready.ok ? ready.lines : []), ...(live.ok ? live.lines : [])];
        const healthy = (ready.ok ? ready.healthy : true) && (live.ok ? live.healthy : true);
        out.push(
            result(
                "apiserver-health",
                "API server health (/readyz, /livez)",
                !healthy,
                `${ready.ok ? `readyz ${ready.healthy ? "ok" : "failing"}` : `readyz not read (${ready.f.reason})`}, ${live.ok ? `livez ${live.healthy ? "ok" : "failing"}` : `livez not read (${live.f.reason})`}; version ${version.ok ? (version.value.gitVersion ?? "?") : "not read"}`,
                failing,
            ),
        );
    }
    const endpoints = await fetchJson<{ subsets?: { addresses?: { ip?: string }[] }[] }>(ctx.api, { path: "/api/v1/namespaces/default/endpoints/kubernetes" }, ctx.deadline);
    if (endpoints.ok) {
        const ips = (endpoints.value.subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => a.ip ?? "?"));
        out.push(result("apiserver-endpoints", "API server endpoints (default/kubernetes)", ips.length < 2, `${ips.length} API server address(es) in service: ${ips.join(", ") || "none"}`, []));
    } else {
        out.push(failed("apiserver-endpoints", "API server endpoints (default/kubernetes)", endpoints));
    }
    const pods = await fetchJson<List<Pod>>(ctx.api, { path: "/api/v1/namespaces/kube-system/pods", query: { labelSelector: "component=kube-apiserver", limit: "50" } }, ctx.deadline);
    if (pods.ok) {
        const items = pods.value.items ?? [];
        out.push(
            items.length === 0
                ? result("apiserver-pods", "API server pods", false, "no API server pods in kube-system: EKS runs the API server outside the cluster (its health is read from /readyz and the control-plane logs)", [])
                : result("apiserver-pods", "API server pods", items.some((p) => podTrouble(p) > 0), podListSummary(items), items.map((p) => oneLine(`${p.metadata?.name}: ${p.status?.phase}`))),
        );
    } else {
        out.push(failed("apiserver-pods", "API server pods", pods));
    }
    if (apiService) {
        const svc = await fetchJson<{ status?: { conditions?: { type?: string; status?: string; reason?: string; message?: string }[] }; spec?: { service?: { namespace?: string; name?: string } } }>(
            ctx.api,
            { path: `/apis/apiregistration.k8s.io/v1/apiservices/${seg(apiService)}` },
            ctx.deadline,
        );
        if (svc.ok) {
            const available = svc.value.status?.conditions?.find((c) => c.type === "Available");
            const backing = svc.value.spec?.service ? `${svc.value.spec.service.namespace}/${svc.value.spec.service.name}` : "local";
            out.push(
                result(
                    "apiservice-status",
                    `APIService ${apiService}`,
                    available?.status !== "True",
                    `Available=${available?.status ?? "?"}${available?.reason ? ` (${available.reason})` : ""}; served by ${backing}`,
                    available?.message ? [oneLine(available.message)] : [],
                ),
            );
        } else {
            out.push(failed("apiservice-status", `APIService ${apiService}`, svc));
        }
    }
    out.push(await eventsCheck(ctx, "kube-system-events", "Warning events in kube-system", "kube-system", "type=Warning", true));
    return out;
}

async function checkCoreDns(ctx: CheckContext): Promise<CheckResult[]> {
    const out: CheckResult[] = [];
    const got = await fetchJson<Workload>(ctx.api, { path: "/apis/apps/v1/namespaces/kube-system/deployments/coredns" }, ctx.deadline);
    if (got.ok) {
        const w = workloadLines("deployments", got.value);
        out.push(result("coredns-status", "Deployment kube-system/coredns", w.found, w.summary, w.lines));
    } else {
        out.push(failed("coredns-status", "Deployment kube-system/coredns", got));
    }
    out.push(...(await podsCheck(ctx, "coredns-pods", "CoreDNS pods (k8s-app=kube-dns)", "kube-system", { labelSelector: "k8s-app=kube-dns" }, "coredns-pod")));
    if (!out.some((r) => r.id === "coredns-pod-events")) {
        out.push(await eventsCheck(ctx, "coredns-events", "Events of the coredns deployment", "kube-system", "involvedObject.kind=Deployment,involvedObject.name=coredns"));
    }
    return out;
}

async function checkControlPlane(ctx: CheckContext): Promise<CheckResult[]> {
    const out: CheckResult[] = [];
    const ready = await healthEndpoint(ctx, "/readyz");
    out.push(
        ready.ok
            ? result("apiserver-health", "API server readiness (/readyz)", !ready.healthy, ready.healthy ? "readyz ok" : "readyz failing", ready.lines)
            : failed("apiserver-health", "API server readiness (/readyz)", ready.f),
    );
    const pending = await fetchJson<List<Pod>>(ctx.api, { path: "/api/v1/pods", query: { fieldSelector: "status.phase=Pending", limit: String(CHECK_LIMITS.listLimit) } }, ctx.deadline);
    if (pending.ok) {
        const items = pending.value.items ?? [];
        const reasons = new Map<string, number>();
        for (const p of items) {
            const c = p.status?.conditions?.find((x) => x.type === "PodScheduled" && x.status === "False");
            const key = c ? oneLine(`${c.reason ?? "Unschedulable"}: ${c.message ?? ""}`, 200) : "scheduled, waiting to start";
            reasons.set(key, (reasons.get(key) ?? 0) + 1);
        }
        const lines = [...reasons.entries()].sort((a, b) => b[1] - a[1]).map(([r, n]) => `${n} pod(s): ${r}`);
        out.push(result("pending-pods", "Pending pods across the cluster", items.length > 0, items.length === 0 ? "no pending pods" : `${items.length} pending pod(s)`, lines));
    } else {
        out.push(failed("pending-pods", "Pending pods across the cluster", pending));
    }
    out.push(await eventsCheck(ctx, "scheduling-events", "FailedScheduling events across the cluster", undefined, "reason=FailedScheduling", true));
    return out;
}

async function checkCluster(ctx: CheckContext): Promise<CheckResult[]> {
    const out: CheckResult[] = [];
    const nodes = await fetchJson<List<Node>>(ctx.api, { path: "/api/v1/nodes", query: { limit: String(CHECK_LIMITS.listLimit) } }, ctx.deadline);
    if (nodes.ok) {
        const items = nodes.value.items ?? [];
        const troubled = items.filter(nodeInTrouble);
        out.push(
            result(
                "cluster-nodes",
                "Nodes",
                troubled.length > 0 || items.length === 0,
                `${items.length} node(s), ${troubled.length} not ready, under pressure or cordoned`,
                troubled.slice(0, CHECK_LIMITS.podsShown).map((n) => oneLine(`${n.metadata?.name}: ${nodeConditionLines(n).filter((l) => l.startsWith("!")).join("; ")}${n.spec?.unschedulable ? " cordoned" : ""}`)),
            ),
        );
    } else {
        out.push(failed("cluster-nodes", "Nodes", nodes));
    }
    out.push(await eventsCheck(ctx, "cluster-events", "Warning events across the cluster", undefined, "type=Warning", true));
    return out;
}

async function checkAddon(ctx: CheckContext, addon: string, selector: string): Promise<CheckResult[]> {
    return podsCheck(ctx, "addon-pods", `Pods of add-on ${addon} (${selector})`, "kube-system", { labelSelector: selector }, "addon-pod");
}

/** The node network's DaemonSets in kube-system: the VPC CNI and kube-proxy. */
export const NETWORK_DAEMONSETS = [
    { name: "aws-node", what: "VPC CNI", container: "aws-node" },
    { name: "kube-proxy", what: "kube-proxy", container: "kube-proxy" },
] as const;
type NetworkDaemonSet = (typeof NETWORK_DAEMONSETS)[number];

/** A network DaemonSet across the cluster: desired against ready, then its pods (not ready, restarts), the worst closely. */
async function networkDaemonSet(ctx: CheckContext, d: NetworkDaemonSet): Promise<CheckResult[]> {
    const out: CheckResult[] = [];
    const title = `DaemonSet kube-system/${d.name}${d.what === d.name ? "" : ` (${d.what})`}`;
    const ds = await fetchJson<Workload>(ctx.api, { path: `/apis/apps/v1/namespaces/kube-system/daemonsets/${d.name}` }, ctx.deadline);
    if (ds.ok) {
        const w = workloadLines("daemonsets", ds.value);
        out.push(result(`${d.name}-status`, title, w.found, w.summary, w.lines));
    } else if (ds.outcome === "missing") {
        // A cluster may run without it (a CNI that replaces kube-proxy, a removed add-on): worth reading during a network alert.
        out.push(result(`${d.name}-status`, title, true, `there is no DaemonSet kube-system/${d.name}: the cluster runs without it (removed, or replaced by another CNI)`, []));
    } else {
        out.push(failed(`${d.name}-status`, title, ds));
    }
    out.push(...(await podsCheck(ctx, `${d.name}-pods`, `${d.what} pods (k8s-app=${d.name})`, "kube-system", { labelSelector: `k8s-app=${d.name}` }, `${d.name}-pod`)));
    return out;
}

/** A network DaemonSet's pod on one node, checked closely. */
async function networkPodOnNode(ctx: CheckContext, d: NetworkDaemonSet, node: string): Promise<CheckResult[]> {
    const title = `${d.what} pod on node ${node}`;
    const pods = await fetchJson<List<Pod>>(
        ctx.api,
        { path: "/api/v1/namespaces/kube-system/pods", query: { labelSelector: `k8s-app=${d.name}`, fieldSelector: `spec.nodeName=${node}`, limit: "5" } },
        ctx.deadline,
    );
    const pod = pods.ok ? pods.value.items?.[0] : undefined;
    if (!pods.ok) {
        return [failed(`${d.name}-pod-status`, title, pods)];
    }
    if (!pod?.metadata?.name) {
        return [result(`${d.name}-pod-status`, title, true, `no ${d.name} pod runs on the node`, [])];
    }
    return checkPod(ctx, "kube-system", pod.metadata.name, d.container, `${d.name}-pod`, pod);
}

async function checkNetwork(ctx: CheckContext, ref?: NodeRef): Promise<CheckResult[]> {
    if (!ref) {
        const out: CheckResult[] = [];
        for (const d of NETWORK_DAEMONSETS) {
            out.push(...(await networkDaemonSet(ctx, d)));
        }
        return out;
    }
    const out = await checkNode(ctx, ref);
    const name = "name" in ref ? ref.name : undefined;
    if (name) {
        for (const d of NETWORK_DAEMONSETS) {
            out.push(...(await networkPodOnNode(ctx, d, name)));
        }
    }
    return out;
}

async function checkPipeline(ctx: CheckContext, namespace: string): Promise<CheckResult[]> {
    return [
        ...(await podsCheck(ctx, "vigil-pods", `Vigil's collectors (namespace ${namespace})`, namespace, {}, "vigil-pod")),
        await eventsCheck(ctx, "vigil-events", `Warning events in namespace ${namespace}`, namespace, "type=Warning", true),
    ];
}

/** Carries out one planned check. */
export async function runKubernetesCheck(ctx: CheckContext, check: KubernetesCheck): Promise<CheckResult[]> {
    switch (check.kind) {
        case "pod":
            return checkPod(ctx, check.namespace, check.pod, check.container);
        case "workload":
            return checkWorkload(ctx, check.namespace, check.resource, check.name);
        case "namespace":
            return checkNamespace(ctx, check.namespace);
        case "node":
            return checkNode(ctx, check.node);
        case "coredns":
            return checkCoreDns(ctx);
        case "apiserver":
            return checkApiServer(ctx, check.apiService);
        case "control-plane":
            return checkControlPlane(ctx);
        case "cluster":
            return checkCluster(ctx);
        case "addon":
            return checkAddon(ctx, check.addon, check.selector);
        case "network":
            return checkNetwork(ctx, check.node);
        case "pipeline":
            return checkPipeline(ctx, check.namespace);
    }
}

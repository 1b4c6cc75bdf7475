// The diagnostics run for one alert: look the cluster up (endpoint, CA, logging), start the
// level's Logs Insights queries, run the Kubernetes checks the plan chose while they run, and
// collect everything into a report before the budget runs out. Nothing here writes anywhere.

import type { Alert, Level } from "../model";
import { Deadline } from "./budget";
import { runKubernetesCheck } from "./checks";
import { ClusterDirectory, ClusterInfo } from "./eks";
import { LogsInsights, runQueries } from "./insights";
import { KubernetesApi, oneLine } from "./kubernetes";
import { planDiagnostics } from "./plan";
import { controlPlaneLogGroup, QueryFile, queriesFor } from "./queries";
import { CheckResult, DiagnosticsReason, DiagnosticsReport, makeReport, notChecked } from "./report";

export interface RunnerDeps {
    readonly clusters: ClusterDirectory;
    /** The Kubernetes API of a described cluster (closed after the run when it can be). */
    readonly kubernetes: (cluster: ClusterInfo) => KubernetesApi & { close?(): void };
    readonly logs: LogsInsights;
    readonly queries: ReadonlyMap<Level, QueryFile>;
    /** The clusters diagnostics may look at (Vigil's monitored clusters). */
    readonly allowedClusters: ReadonlySet<string>;
    /** Vigil's namespace in the clusters (pipeline checks). */
    readonly vigilNamespace: string;
    /** The whole run's time budget. */
    readonly budgetMs: number;
    /** Milliseconds between Logs Insights polls. */
    readonly pollMs?: number;
    /** Now (ISO): the engine's clock, for the report's times and the queries' windows. */
    readonly now: () => string;
}

export interface RunInput {
    readonly alert: Alert;
    readonly cluster: string;
    readonly episode: number;
    readonly reason: DiagnosticsReason;
    readonly requestedAt: string;
}

function describeCluster(c: ClusterInfo): { found: boolean; summary: string; lines: string[] } {
    const access =
        c.endpointPublicAccess === false
            ? "private only"
            : `public${c.publicAccessCidrs && !(c.publicAccessCidrs.length === 1 && c.publicAccessCidrs[0] === "0.0.0.0/0") ? ` (only from ${c.publicAccessCidrs.join(", ")})` : ""}${c.endpointPrivateAccess ? " and private" : ""}`;
    const logs = c.enabledLogTypes === undefined ? "unknown" : c.enabledLogTypes.length === 0 ? "none" : c.enabledLogTypes.join(", ");
    const lines = [
        `Status ${c.status ?? "?"}, Kubernetes ${c.version ?? "?"}`,
        `API endpoint ${c.endpoint ?? "(none)"}: ${access}`,
        `Authentication mode ${c.authenticationMode ?? "?"}${c.authenticationMode === "CONFIG_MAP" ? " (access entries are not used: map the diagnostics role in aws-auth or switch to API_AND_CONFIG_MAP)" : ""}`,
        `Control-plane log types on: ${logs}`,
    ];
    const found = c.status !== "ACTIVE" || c.authenticationMode === "CONFIG_MAP" || (c.enabledLogTypes !== undefined && c.enabledLogTypes.length < 5);
    return { found, summary: `${c.status ?? "?"}, Kubernetes ${c.version ?? "?"}; endpoint ${access}; control-plane logs: ${logs}`, lines };
}

/** Runs the diagnostics for one alert and returns the (unbounded) report. Never throws for a failed check. */
export async function runDiagnostics(input: RunInput, deps: RunnerDeps): Promise<DiagnosticsReport> {
    const deadline = Deadline.in(deps.budgetMs);
    const startedAt = deps.now();
    const { alert } = input;
    const finish = (checks: CheckResult[]): DiagnosticsReport => makeReport(input, { startedAt, finishedAt: deps.now(), budgetMs: deps.budgetMs, cluster: input.cluster }, alert, checks);

    if (input.cluster === "") {
        return finish([notChecked("cluster", "Cluster", "eks", "skipped", "the alert names no EKS cluster, so there is nothing to inspect")]);
    }
    if (!deps.allowedClusters.has(input.cluster)) {
        return finish([notChecked("cluster", `Cluster ${input.cluster}`, "eks", "skipped", `${input.cluster} is not one of the clusters Vigil monitors (${[...deps.allowedClusters].join(", ") || "none"}); diagnostics look only at those`)]);
    }
    const plan = planDiagnostics(alert, deps.vigilNamespace);
    const checks: CheckResult[] = [];

    let cluster: ClusterInfo | undefined;
    let kubernetesBlocked: string | undefined;
    try {
        cluster = await deadline.race(deps.clusters.describe(input.cluster), `DescribeCluster ${input.cluster}`);
        const d = describeCluster(cluster);
        checks.push({ id: "cluster", title: `Cluster ${input.cluster}`, source: "eks", outcome: d.found ? "found" : "ok", summary: oneLine(d.summary, 400), lines: d.lines });
        if (cluster.endpointPublicAccess === false) {
            kubernetesBlocked = "the cluster's API endpoint is private and the diagnostics function runs outside the cluster's VPC; enable public access (restricted to NAT addresses) or run the checks from inside the VPC";
        } else if (!cluster.endpoint || !cluster.certificateAuthorityData) {
            kubernetesBlocked = `the cluster has no API endpoint yet (status ${cluster.status ?? "unknown"})`;
        }
    } catch (err) {
        const name = (err as { name?: string }).name ?? "Error";
        const denied = name === "AccessDeniedException";
        const reason =
            name === "ResourceNotFoundException"
                ? `no EKS cluster ${input.cluster} in this account and region`
                : `${denied ? "not allowed to describe the cluster" : "could not describe the cluster"} (${name}: ${oneLine((err as Error).message, 200)})`;
        checks.push(notChecked("cluster", `Cluster ${input.cluster}`, "eks", denied ? "denied" : name === "DeadlineExceeded" ? "timed-out" : "failed", reason));
        kubernetesBlocked = `the API endpoint and CA come from eks:DescribeCluster, which did not answer: ${reason}`;
    }

    for (const s of plan.skipped) {
        checks.push(notChecked(s.id, s.title, "kubernetes", "skipped", s.reason));
    }

    // Queries run on the service side while the Kubernetes checks run here.
    const queries = queriesFor(deps.queries, plan.level, alert.alertname).map((def) => ({ level: plan.level, def }));
    const logResults = runQueries(
        {
            logs: deps.logs,
            deadline,
            logGroup: controlPlaneLogGroup(input.cluster),
            enabledLogTypes: cluster?.enabledLogTypes,
            alert,
            parameters: plan.parameters,
            now: deps.now(),
            pollMs: deps.pollMs,
        },
        queries,
    );

    if (kubernetesBlocked !== undefined) {
        checks.push(notChecked("kubernetes", "Kubernetes checks", "kubernetes", "skipped", kubernetesBlocked));
    } else if (cluster) {
        let api: (KubernetesApi & { close?(): void }) | undefined;
        try {
            api = deps.kubernetes(cluster);
            const ctx = { api, deadline, now: deps.now() };
            for (const check of plan.kubernetes) {
                checks.push(...(await runKubernetesCheck(ctx, check)));
            }
        } catch (err) {
            checks.push(notChecked("kubernetes", "Kubernetes checks", "kubernetes", "failed", `could not run the checks: ${oneLine((err as Error).message, 300)}`));
        } finally {
            api?.close?.();
        }
    }
    checks.push(...(await logResults));
    return finish(checks);
}

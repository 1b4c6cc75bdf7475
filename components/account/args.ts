// AccountMonitoring's arguments (the component's contract, STYLE.md 3-5): defaults resolved once,
// every value validated up front with a message that names the argument and what is allowed.

import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { LOG_RETENTION_DAYS } from "../../stacks/config";
import { DASHBOARDS_DIR, RULES_DIR } from "../metrics";
import type { Activity } from "../tags";
import { DEFAULT_HEARTBEAT_INTERVAL_SECONDS, MAX_REPEAT_INTERVAL_SECONDS } from "./alertmanager";

export type GuardDutyMode = "create" | "adopt" | "off";

export interface AccountMonitoringArgs {
    /**
     * Names of the monitored EKS clusters in this account and region. They scope the GuardDuty
     * finding rule and key the per-cluster series limits. Default: none (GuardDuty findings of
     * every EKS cluster; no per-cluster limits).
     */
    readonly clusterNames?: readonly string[];
    /** Retention of the log groups this component creates, in days (a value CloudWatch Logs accepts). Default 365. */
    readonly logRetentionDays?: number;
    /**
     * GuardDuty: `create` a detector, `adopt` the region's existing detector (looked up), or `off`.
     * Default `create`.
     */
    readonly guardDuty?: GuardDutyMode;
    /** Also enable GuardDuty EKS Runtime Monitoring with managed agent add-on. Default false. */
    readonly guardDutyRuntimeMonitoring?: boolean;
    /** Create the Managed Grafana workspace, its AMP data source and the dashboards. Default true. */
    readonly grafana?: boolean;
    /** E-mail addresses subscribed to the notifications topic (the customer). Default none. */
    readonly notificationEmails?: readonly string[];
    /** HTTPS endpoints subscribed to the notifications topic. Default none. */
    readonly notificationHttpsEndpoints?: readonly string[];
    /**
     * An existing SNS topic (same account and region) for customer notifications; when given, no
     * notifications topic is created and its owner manages subscriptions. Default: create one.
     */
    readonly notificationTopicArn?: pulumi.Input<string>;
    /** Operator e-mail addresses subscribed to the pipeline topic (the pipeline's own alarms). Default none. */
    readonly operatorEmails?: readonly string[];
    /** How often the alert manager re-sends a still-firing group, in seconds, 60 to 432000 (5 days). Default 14400 (4h). */
    readonly repeatIntervalSeconds?: number;
    /** How often the Watchdog heartbeat is re-sent, in seconds, 60 to 3600. Default 300. */
    readonly heartbeatIntervalSeconds?: number;
    /** Active-series limit per cluster label set in the workspace; 0 means none. Default 0. */
    readonly maxSeriesPerCluster?: number;
    /** Folder of the Prometheus rule files (one rule group namespace per file). Default: the repository's `rules/`. */
    readonly rulesDir?: string;
    /** Folder of the Grafana dashboards (`*.json`). Default: the repository's `dashboards/`. */
    readonly dashboardsDir?: string;
    /** The deployment time, which picks the Grafana token's rotation window. Default: now. */
    readonly now?: Date;
    /**
     * The triage service's intake queue and its dead-letter queue (as `TriageService` exports
     * them), for the pipeline dashboard's triage panels. Default: none (those panels are left out).
     */
    readonly triageQueues?: pulumi.Input<TriageQueues>;
}

/** The queues of the triage service that the pipeline dashboard shows. */
export interface TriageQueues {
    readonly intakeQueueArn: string;
    readonly deadLetterQueueArn: string;
}

/** The arguments with every default applied. */
export interface ResolvedAccountArgs {
    readonly clusterNames: readonly string[];
    readonly logRetentionDays: number;
    readonly guardDuty: GuardDutyMode;
    readonly guardDutyRuntimeMonitoring: boolean;
    readonly grafana: boolean;
    readonly notificationEmails: readonly string[];
    readonly notificationHttpsEndpoints: readonly string[];
    readonly notificationTopicArn?: pulumi.Input<string>;
    readonly operatorEmails: readonly string[];
    readonly repeatIntervalSeconds: number;
    readonly heartbeatIntervalSeconds: number;
    readonly maxSeriesPerCluster: number;
    readonly rulesDir: string;
    readonly dashboardsDir: string;
    readonly now: Date;
}

/** An argument AccountMonitoring cannot use. */
export class AccountArgsError extends Error {
    constructor(argument: string, given: unknown, allowed: string) {
        super(`AccountMonitoring argument ${argument}: got ${JSON.stringify(given)}; allowed: ${allowed}`);
        this.name = "AccountArgsError";
    }
}

const EKS_CLUSTER_NAME = /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const HTTPS_URL = /^https:\/\/[^\s/?#]+[^\s]*$/;
/** Component names end up in rule, alarm, key alias and namespace names. */
const COMPONENT_NAME = /^[a-z][a-z0-9-]{0,29}$/;

function checkList(argument: string, list: readonly string[] | undefined, pattern: RegExp, what: string): readonly string[] {
    const items = list ?? [];
    const seen = new Set<string>();
    items.forEach((item, i) => {
        if (typeof item !== "string" || !pattern.test(item)) {
            throw new AccountArgsError(`${argument}[${i}]`, item, what);
        }
        if (seen.has(item)) {
            throw new AccountArgsError(`${argument}[${i}]`, item, `each ${what} only once (duplicate)`);
        }
        seen.add(item);
    });
    return items;
}

function checkInteger(argument: string, value: number, min: number, max: number): number {
    if (!Number.isInteger(value) || value < min || value > max) {
        throw new AccountArgsError(argument, value, `a whole number from ${min} to ${max}`);
    }
    return value;
}

/** Checks the component name, which every child name derives from. */
export function checkComponentName(name: string): void {
    if (!COMPONENT_NAME.test(name)) {
        throw new AccountArgsError("name", name, "1-30 lowercase letters, digits and hyphens, starting with a letter");
    }
}

/**
 * Applies the defaults and validates every argument.
 *
 * @throws AccountArgsError naming the argument, the value given and what is allowed.
 */
export function resolveAccountArgs(args: AccountMonitoringArgs): ResolvedAccountArgs {
    const guardDuty = args.guardDuty ?? "create";
    if (!["create", "adopt", "off"].includes(guardDuty)) {
        throw new AccountArgsError("guardDuty", guardDuty, '"create", "adopt" or "off"');
    }
    const guardDutyRuntimeMonitoring = args.guardDutyRuntimeMonitoring ?? false;
    if (guardDutyRuntimeMonitoring && guardDuty === "off") {
        throw new AccountArgsError("guardDutyRuntimeMonitoring", true, 'false while guardDuty is "off"');
    }
    const logRetentionDays = args.logRetentionDays ?? 365;
    if (!(LOG_RETENTION_DAYS as readonly number[]).includes(logRetentionDays)) {
        throw new AccountArgsError("logRetentionDays", logRetentionDays, `one of ${LOG_RETENTION_DAYS.join(", ")}`);
    }
    const notificationEmails = checkList("notificationEmails", args.notificationEmails, EMAIL, "e-mail address");
    const notificationHttpsEndpoints = checkList("notificationHttpsEndpoints", args.notificationHttpsEndpoints, HTTPS_URL, "https:// URL");
    if (args.notificationTopicArn !== undefined && (notificationEmails.length > 0 || notificationHttpsEndpoints.length > 0)) {
        throw new AccountArgsError(
            "notificationTopicArn",
            "an existing topic together with notification subscriptions",
            "either an existing topic (its owner manages subscriptions) or notificationEmails/notificationHttpsEndpoints",
        );
    }
    const clusterNames = checkList("clusterNames", args.clusterNames, EKS_CLUSTER_NAME, "EKS cluster name");
    const maxSeriesPerCluster = checkInteger("maxSeriesPerCluster", args.maxSeriesPerCluster ?? 0, 0, 1_000_000_000);
    if (maxSeriesPerCluster > 0 && clusterNames.length === 0) {
        throw new AccountArgsError("maxSeriesPerCluster", maxSeriesPerCluster, "0 unless clusterNames names the clusters to limit");
    }
    const now = args.now ?? new Date();
    if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
        throw new AccountArgsError("now", String(now), "a valid Date");
    }
    return {
        clusterNames,
        logRetentionDays,
        guardDuty,
        guardDutyRuntimeMonitoring,
        grafana: args.grafana ?? true,
        notificationEmails,
        notificationHttpsEndpoints,
        notificationTopicArn: args.notificationTopicArn,
        operatorEmails: checkList("operatorEmails", args.operatorEmails, EMAIL, "e-mail address"),
        repeatIntervalSeconds: checkInteger("repeatIntervalSeconds", args.repeatIntervalSeconds ?? 4 * 3600, 60, MAX_REPEAT_INTERVAL_SECONDS),
        heartbeatIntervalSeconds: checkInteger("heartbeatIntervalSeconds", args.heartbeatIntervalSeconds ?? DEFAULT_HEARTBEAT_INTERVAL_SECONDS, 60, 3600),
        maxSeriesPerCluster,
        rulesDir: args.rulesDir ?? RULES_DIR,
        dashboardsDir: args.dashboardsDir ?? DASHBOARDS_DIR,
        now,
    };
}

/** The activity a rule file serves, from its area (file name). */
export function ruleNamespaceActivity(area: string): Activity {
    if (/^(apiserver|control-plane|scheduler|controller-manager)$/.test(area)) {
        return "control-plane-monitoring";
    }
    if (area === "pipeline") {
        return "alert-manager";
    }
    if (area === "network") {
        return "network-incident-response";
    }
    return "cluster-health-monitoring";
}

/** Per-cluster active-series limits of the workspace (empty when there is no limit). */
export function seriesLimits(clusterNames: readonly string[], maxSeriesPerCluster: number): { labelSet: { cluster: string }; limits: { maxSeries: number } }[] {
    if (maxSeriesPerCluster <= 0) {
        return [];
    }
    return clusterNames.map((cluster) => ({ labelSet: { cluster }, limits: { maxSeries: maxSeriesPerCluster } }));
}

/** A short, stable id for a subscription endpoint (URLs make poor resource names). */
export function endpointId(endpoint: string): string {
    return createHash("sha256").update(endpoint, "utf8").digest("hex").slice(0, 10);
}

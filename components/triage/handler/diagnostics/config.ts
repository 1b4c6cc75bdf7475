// The diagnostics function's configuration: environment variables, read and checked in one place.
// DIAGNOSTICS_ENV_VARS is the contract with TriageService, whose tests check that the function
// gets every variable it requires.

import { ConfigurationError } from "../config";
import { DNS_LABEL } from "./queries";

export interface DiagnosticsEnvVar {
    readonly name: string;
    readonly required: boolean;
    readonly default?: string;
    readonly description: string;
}

export const DEFAULT_BUDGET_SECONDS = 60;
export const DEFAULT_VIGIL_NAMESPACE = "vigil-monitoring";

export const DIAGNOSTICS_ENV_VARS: readonly DiagnosticsEnvVar[] = [
    { name: "TABLE_NAME", required: true, description: "The case table (the engine's TABLE_NAME)." },
    { name: "NOTIFICATION_TOPIC_ARN", required: true, description: "SNS topic for customer notifications; the follow-up with the diagnostics goes there." },
    { name: "DIAGNOSTICS_CLUSTERS", required: true, description: "Comma-separated names of the EKS clusters diagnostics may inspect (Vigil's monitored clusters)." },
    { name: "DIAGNOSTICS_BUDGET_SECONDS", required: false, default: String(DEFAULT_BUDGET_SECONDS), description: "Time budget of one run (checks and queries), 10-600." },
    { name: "DIAGNOSTICS_LEASE_SECONDS", required: false, description: "How long a run owns a case's diagnostics before another may take over; above the function's timeout, 60-3600. Defaults to the budget plus 120." },
    { name: "DIAGNOSTICS_NAMESPACE", required: false, default: DEFAULT_VIGIL_NAMESPACE, description: "Vigil's namespace in the clusters (checked for pipeline alerts)." },
    { name: "RETENTION_DAYS", required: false, default: "90", description: "The engine's RETENTION_DAYS (the case's expiry is renewed on every write), 1-3650." },
    { name: "AWS_REGION", required: true, description: "Set by Lambda: the region of the clusters, their log groups and STS." },
];

export const DIAGNOSTICS_ENV_VAR_NAMES: readonly string[] = DIAGNOSTICS_ENV_VARS.map((v) => v.name);

export interface DiagnosticsConfig {
    readonly tableName: string;
    readonly notificationTopicArn: string;
    readonly clusters: ReadonlySet<string>;
    readonly budgetSeconds: number;
    readonly leaseSeconds: number;
    readonly vigilNamespace: string;
    readonly retentionDays: number;
    readonly region: string;
}

const TABLE = /^[A-Za-z0-9_.-]{3,255}$/;
const TOPIC = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;
/** EKS cluster names: 1-100 characters, a letter or digit first, then letters, digits, - and _. */
export const EKS_CLUSTER_NAME = /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/;
/** AWS region names (`eu-west-1`, `us-gov-west-1`). */
export const AWS_REGION_NAME = /^[a-z]{2}(-[a-z]+)+-\d$/;

/**
 * Reads and checks the diagnostics function's configuration.
 * @throws ConfigurationError naming the first variable that is missing or invalid.
 */
export function readDiagnosticsConfig(env: Readonly<Record<string, string | undefined>> = process.env): DiagnosticsConfig {
    const get = (name: string): string | undefined => {
        const spec = DIAGNOSTICS_ENV_VARS.find((v) => v.name === name);
        const value = env[name]?.trim();
        if (value === undefined || value === "") {
            if (spec?.required) {
                throw new ConfigurationError(name, `is not set; the diagnostics function requires it (${spec.description})`);
            }
            return spec?.default;
        }
        return value;
    };
    const matching = (name: string, pattern: RegExp, what: string): string => {
        const value = get(name) as string;
        if (!pattern.test(value)) {
            throw new ConfigurationError(name, `is ${JSON.stringify(value)}; expected ${what}`);
        }
        return value;
    };
    const integer = (name: string, value: string, min: number, max: number): number => {
        if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
            throw new ConfigurationError(name, `is ${JSON.stringify(value)}; expected a whole number from ${min} to ${max}`);
        }
        return Number(value);
    };
    const clusters = (get("DIAGNOSTICS_CLUSTERS") as string).split(",").map((c) => c.trim()).filter((c) => c !== "");
    const bad = clusters.filter((c) => !EKS_CLUSTER_NAME.test(c));
    if (clusters.length === 0 || bad.length > 0) {
        throw new ConfigurationError("DIAGNOSTICS_CLUSTERS", `is ${JSON.stringify(env.DIAGNOSTICS_CLUSTERS)}; expected comma-separated EKS cluster names${bad.length ? ` (not names: ${bad.join(", ")})` : ""}`);
    }
    const budgetSeconds = integer("DIAGNOSTICS_BUDGET_SECONDS", get("DIAGNOSTICS_BUDGET_SECONDS") as string, 10, 600);
    const lease = get("DIAGNOSTICS_LEASE_SECONDS");
    const leaseSeconds = lease === undefined ? budgetSeconds + 120 : integer("DIAGNOSTICS_LEASE_SECONDS", lease, 60, 3600);
    if (leaseSeconds <= budgetSeconds) {
        throw new ConfigurationError("DIAGNOSTICS_LEASE_SECONDS", `is ${leaseSeconds}; it must be above the budget (${budgetSeconds}), or another run takes over a run still working`);
    }
    return {
        tableName: matching("TABLE_NAME", TABLE, "a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)"),
        notificationTopicArn: matching("NOTIFICATION_TOPIC_ARN", TOPIC, "an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)"),
        clusters: new Set(clusters),
        budgetSeconds,
        leaseSeconds,
        vigilNamespace: matching("DIAGNOSTICS_NAMESPACE", DNS_LABEL, "a namespace name (DNS-1123 label)"),
        retentionDays: integer("RETENTION_DAYS", get("RETENTION_DAYS") as string, 1, 3650),
        region: matching("AWS_REGION", AWS_REGION_NAME, "an AWS region name"),
    };
}

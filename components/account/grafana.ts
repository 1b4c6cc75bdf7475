// Managed Grafana provisioning helpers: the AMP data source settings, the service-account token's
// rotation, and the dashboards as Grafana receives them.

import type { Dashboard } from "../metrics";

/** Grafana version of the workspace (Managed Grafana supports a fixed set). */
export const GRAFANA_VERSION = "10.4";
/** Managed Grafana caps service-account tokens at 30 days. */
export const TOKEN_LIFETIME_SECONDS = 30 * 86400;
/**
 * A new token is minted in every rotation window. A token is only used while Pulumi deploys, so
 * any deployment within its 30 days works; a window well under 30 days means the token a
 * deployment uses is never older than the window, so it never expires mid-run.
 */
export const TOKEN_ROTATION_DAYS = 14;

/** The rotation window a time falls into (whole windows since the Unix epoch). */
export function tokenRotationWindow(now: Date): number {
    const ms = now.getTime();
    if (!Number.isFinite(ms)) {
        throw new Error(`tokenRotationWindow needs a valid date, got ${String(now)}`);
    }
    return Math.floor(ms / (TOKEN_ROTATION_DAYS * 86400 * 1000));
}

/**
 * The token's name: it changes once per rotation window, and a changed name makes Pulumi replace
 * the token, so a deployment after the window mints a fresh one before the old one can expire.
 */
export function grafanaTokenName(componentName: string, now: Date): string {
    return `${componentName}-provisioning-${tokenRotationWindow(now)}`;
}

/**
 * JSON settings of the AMP data source: SigV4-signed queries with the workspace's IAM role
 * (`ec2_iam_role` is how Managed Grafana names "workspace IAM role"), POST for long queries.
 */
export function ampDataSourceJson(region: string): string {
    return JSON.stringify({ httpMethod: "POST", sigV4Auth: true, sigV4AuthType: "ec2_iam_role", sigV4Region: region });
}

/** The dashboard's stable uid: its file id, prefixed so Vigil's dashboards are recognisable. */
export function dashboardUid(dashboard: Dashboard): string {
    const uid = `vigil-${dashboard.id}`;
    if (!/^[A-Za-z0-9_-]{1,40}$/.test(uid)) {
        throw new Error(`${dashboard.path}: dashboard file names become uids (letters, digits, - and _, at most 34 characters), got ${JSON.stringify(dashboard.id)}`);
    }
    return uid;
}

/**
 * The dashboard model Grafana receives: a stable uid, no database id, and the `datasource`
 * variable pointing at the provisioned AMP data source.
 */
export function dashboardConfig(dashboard: Dashboard, dataSource: { readonly uid: string; readonly name: string }): Record<string, unknown> {
    const model = structuredClone(dashboard.model);
    const templating = (model.templating ?? { list: [] }) as { list?: Record<string, unknown>[] };
    const variable = (templating.list ?? []).find((v) => v.type === "datasource" && v.name === "datasource");
    if (!variable) {
        throw new Error(`${dashboard.path}: a dashboard needs a "datasource" variable of type datasource (query "prometheus") that its panels use`);
    }
    variable.current = { selected: true, text: dataSource.name, value: dataSource.uid };
    delete model.id;
    model.uid = dashboardUid(dashboard);
    return model;
}

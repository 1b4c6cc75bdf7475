// Managed Grafana provisioning helpers: the AMP and CloudWatch data source settings, the
// service-account token's rotation, and the dashboards as Grafana receives them (data sources and
// the names of the stack's resources filled in at provisioning time).

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

/**
 * JSON settings of the CloudWatch data source: the workspace's IAM role (`ec2_iam_role` is
 * "Workspace IAM Role" in Managed Grafana), this region by default.
 */
export function cloudWatchDataSourceJson(region: string): string {
    return JSON.stringify({ authType: "ec2_iam_role", defaultRegion: region });
}

/** The resource name an ARN ends with (an SNS topic's or an SQS queue's name). */
export function nameFromArn(arn: string): string {
    const parts = arn.split(":");
    const name = parts[5];
    if (parts.length !== 6 || parts[0] !== "arn" || !name) {
        throw new Error(`expected an SNS topic or SQS queue ARN (arn:<partition>:<service>:<region>:<account>:<name>), got ${JSON.stringify(arn)}`);
    }
    return name;
}

/** The dashboard's stable uid: its file id, prefixed so Vigil's dashboards are recognisable. */
export function dashboardUid(dashboard: Dashboard): string {
    const uid = `vigil-${dashboard.id}`;
    if (!/^[A-Za-z0-9_-]{1,40}$/.test(uid)) {
        throw new Error(`${dashboard.path}: dashboard file names become uids (letters, digits, - and _, at most 34 characters), got ${JSON.stringify(dashboard.id)}`);
    }
    return uid;
}

/** A provisioned Grafana data source, as dashboards refer to it. */
export interface DataSourceRef {
    readonly uid: string;
    readonly name: string;
}

/** The data sources dashboards can use, by the name of the dashboard variable that selects them. */
export interface DashboardDataSources {
    /** The AMP data source (variable `datasource`, query `prometheus`; every dashboard has it). */
    readonly prometheus: DataSourceRef;
    /** The CloudWatch data source (variable `cloudwatch`, query `cloudwatch`). */
    readonly cloudwatch?: DataSourceRef;
}

/**
 * The names of the resources the stack created, by dashboard variable: a hidden `constant`
 * variable takes one name, a hidden `custom` variable a list. `undefined` (or an empty list) means
 * the resource does not exist here, and the panels that use the variable are left out.
 */
export type DashboardResources = Readonly<Record<string, string | readonly string[] | undefined>>;

interface Variable extends Record<string, unknown> {
    name?: unknown;
    type?: unknown;
}

/** The variables a panel (or any JSON inside it) refers to: `$name` or `${name}` / `${name:format}`. */
function referencedVariables(value: unknown): Set<string> {
    const names = new Set<string>();
    for (const [, a, b] of JSON.stringify(value ?? null).matchAll(/\$(?:\{(\w+)(?::[^}]*)?\}|(\w+))/g)) {
        names.add(a ?? b);
    }
    return names;
}

function withoutPanelsUsing(panels: unknown, dropped: ReadonlySet<string>): unknown {
    if (!Array.isArray(panels) || dropped.size === 0) {
        return panels;
    }
    return (panels as Record<string, unknown>[])
        .filter((panel) => ![...referencedVariables({ ...panel, panels: undefined })].some((n) => dropped.has(n)))
        .map((panel) => (Array.isArray(panel.panels) ? { ...panel, panels: withoutPanelsUsing(panel.panels, dropped) } : panel));
}

function fillResourceVariable(dashboard: Dashboard, variable: Variable, value: string | readonly string[]): void {
    const values = typeof value === "string" ? [value] : [...value];
    for (const v of values) {
        if (typeof v !== "string" || v === "" || v.includes(",")) {
            throw new Error(`${dashboard.path}: variable ${String(variable.name)} needs resource names without commas, got ${JSON.stringify(v)}`);
        }
    }
    if (variable.type === "constant") {
        if (values.length !== 1) {
            throw new Error(`${dashboard.path}: constant variable ${String(variable.name)} takes one resource name, got ${values.length}`);
        }
        variable.query = values[0];
        variable.current = { selected: true, text: values[0], value: values[0] };
        variable.options = [{ selected: true, text: values[0], value: values[0] }];
        return;
    }
    // A custom variable with every value selected: the CloudWatch data source turns a multi-valued
    // dimension into a SEARCH over exactly these names.
    variable.query = values.join(",");
    variable.multi = true;
    variable.includeAll = false;
    variable.current = { selected: true, text: values, value: values };
    variable.options = values.map((v) => ({ selected: true, text: v, value: v }));
}

/**
 * The dashboard model Grafana receives: a stable uid, no database id, the data source variables
 * pointing at the provisioned data sources, and the resource variables holding the names of the
 * resources the stack created (panels of resources that do not exist are left out).
 *
 * @throws when the dashboard lacks the `datasource` variable, uses a data source that is not
 * provisioned, or has a resource variable that `resources` does not name.
 */
export function dashboardConfig(dashboard: Dashboard, dataSources: DashboardDataSources, resources: DashboardResources = {}): Record<string, unknown> {
    const model = structuredClone(dashboard.model);
    const templating = (model.templating ?? { list: [] }) as { list?: Variable[] };
    const list = templating.list ?? [];
    const prometheus = list.find((v) => v.type === "datasource" && v.name === "datasource");
    if (!prometheus) {
        throw new Error(`${dashboard.path}: a dashboard needs a "datasource" variable of type datasource (query "prometheus") that its panels use`);
    }
    prometheus.current = { selected: true, text: dataSources.prometheus.name, value: dataSources.prometheus.uid };
    const dropped = new Set<string>();
    for (const variable of list) {
        const name = String(variable.name);
        if (variable.type === "datasource" && variable !== prometheus) {
            if (name !== "cloudwatch" || variable.query !== "cloudwatch") {
                throw new Error(`${dashboard.path}: data source variable ${name} is not one Vigil provisions (datasource: prometheus, cloudwatch: cloudwatch)`);
            }
            if (!dataSources.cloudwatch) {
                throw new Error(`${dashboard.path}: variable cloudwatch needs the CloudWatch data source, which is not provisioned`);
            }
            variable.current = { selected: true, text: dataSources.cloudwatch.name, value: dataSources.cloudwatch.uid };
        } else if (variable.type === "constant" || variable.type === "custom") {
            if (!Object.prototype.hasOwnProperty.call(resources, name)) {
                throw new Error(`${dashboard.path}: variable ${name} names a resource the stack does not provide (known: ${Object.keys(resources).sort().join(", ") || "none"})`);
            }
            const value = resources[name];
            if (value === undefined || (typeof value !== "string" && value.length === 0)) {
                dropped.add(name);
            } else {
                fillResourceVariable(dashboard, variable, value);
            }
        }
    }
    templating.list = list.filter((v) => !dropped.has(String(v.name)));
    model.panels = withoutPanelsUsing(model.panels, dropped);
    delete model.id;
    model.uid = dashboardUid(dashboard);
    return model;
}

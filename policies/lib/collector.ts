// The collector's Prometheus configuration as the cluster component ships it (contract C5): the
// `prometheus.yml` key of a ConfigMap (in-cluster Prometheus) or the scrape configuration of an
// AMP managed scraper.

import * as yaml from "js-yaml";

export const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";
export const SCRAPER = "aws:amp/scraper:Scraper";
export const PROMETHEUS_YML = "prometheus.yml";

export interface RelabelConfig {
    readonly source_labels?: readonly string[];
    readonly target_label?: string;
    readonly action?: string;
    readonly regex?: string;
    readonly replacement?: string;
}

export interface PrometheusConfig {
    readonly global?: { readonly external_labels?: Readonly<Record<string, unknown>> };
    readonly scrape_configs?: readonly { readonly job_name?: string; readonly relabel_configs?: readonly RelabelConfig[]; readonly metric_relabel_configs?: readonly RelabelConfig[] }[];
    readonly remote_write?: readonly { readonly url?: string; readonly write_relabel_configs?: readonly RelabelConfig[] }[];
}

/** The collector configuration a resource carries, `undefined` when it carries none, or the parse error. */
export function collectorConfig(type: string, props: Record<string, any>): { config?: PrometheusConfig; error?: string } | undefined {
    let text: unknown;
    if (type === CONFIG_MAP) {
        text = props.data?.[PROMETHEUS_YML];
    } else if (type === SCRAPER) {
        text = props.scrapeConfiguration;
    }
    if (typeof text !== "string") {
        return undefined;
    }
    try {
        const doc = yaml.load(text);
        if (typeof doc !== "object" || doc === null) {
            return { error: "it is not a YAML mapping" };
        }
        return { config: doc as PrometheusConfig };
    } catch (err) {
        return { error: `it is not valid YAML (${(err as Error).message.split("\n")[0]})` };
    }
}

/** Whether a relabel list keeps series by metric name (`action: keep` on `__name__`). */
export function keepsByName(configs: readonly RelabelConfig[] | undefined): boolean {
    return (configs ?? []).some((c) => c?.action === "keep" && Array.isArray(c.source_labels) && c.source_labels.length === 1 && c.source_labels[0] === "__name__" && typeof c.regex === "string" && c.regex !== "");
}

/** Whether a relabel list sets the `cluster` label. */
export function setsCluster(configs: readonly RelabelConfig[] | undefined): boolean {
    return (configs ?? []).some((c) => c?.target_label === "cluster" && (c.action === undefined || c.action === "replace") && typeof c.replacement === "string" && c.replacement !== "" && c.replacement !== "$1");
}

import type { ResourceValidationPolicy } from "@pulumi/policy";
import { collectorConfig, CONFIG_MAP, SCRAPER, setsCluster } from "../lib/collector";
import { forVigilTypes } from "../lib/policy";
import { describe } from "../lib/resources";

export const collectorClusterLabel: ResourceValidationPolicy = {
    name: "vigil-collector-cluster-label",
    description:
        "The collector labels every series with its cluster (an external label cluster, or a relabelling that sets it on every job), since alerts, routing and triage all key on the cluster label.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: "Set global.external_labels.cluster to the cluster's name in the collector's prometheus.yml (ClusterMonitoring's prometheusConfig()).",
    validateResource: forVigilTypes([CONFIG_MAP, SCRAPER], (props, args, report) => {
        const found = collectorConfig(args.type, props);
        if (!found) {
            return args.notApplicable("the resource carries no collector configuration");
        }
        const what = describe(args);
        if (found.error) {
            report(`The collector configuration of ${what} cannot be read: ${found.error}.`);
            return;
        }
        const config = found.config ?? {};
        const external = config.global?.external_labels?.cluster;
        if (typeof external === "string" && external !== "") {
            return;
        }
        const jobs = config.scrape_configs ?? [];
        const unlabelled = jobs.filter((j) => !setsCluster(j?.relabel_configs) && !setsCluster(j?.metric_relabel_configs));
        if (jobs.length === 0 || unlabelled.length > 0) {
            report(
                `The collector configuration of ${what} must label every series with cluster: set global.external_labels.cluster${unlabelled.length > 0 ? ` (jobs without it: ${unlabelled.map((j) => j?.job_name ?? "(unnamed)").join(", ")})` : ""}.`,
            );
        }
    }),
};

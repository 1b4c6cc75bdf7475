import type { ResourceValidationPolicy } from "@pulumi/policy";
import { collectorConfig, CONFIG_MAP, keepsByName, SCRAPER } from "../lib/collector";
import { forVigilTypes } from "../lib/policy";
import { describe } from "../lib/resources";

export const collectorKeepList: ResourceValidationPolicy = {
    name: "vigil-collector-keep-list",
    description:
        "The collector sends AMP only the metrics Vigil's rules and dashboards use (a keep rule on __name__ in every remote write, or in every job of a managed scraper); AMP bills every sample ingested.",
    enforcementLevel: "advisory",
    severity: "low",
    remediationSteps: "Add write_relabel_configs [{ source_labels: [__name__], action: keep, regex: <keep-list> }] to each remote_write (ClusterMonitoring's keepRelabelConfig()).",
    validateResource: forVigilTypes([CONFIG_MAP, SCRAPER], (props, args, report) => {
        const found = collectorConfig(args.type, props);
        if (!found || found.error) {
            return args.notApplicable("the resource carries no readable collector configuration (vigil-collector-cluster-label reports an unreadable one)");
        }
        const config = found.config ?? {};
        const what = describe(args);
        if (args.type === SCRAPER) {
            const unfiltered = (config.scrape_configs ?? []).filter((j) => !keepsByName(j?.metric_relabel_configs));
            if (unfiltered.length > 0) {
                report(`The managed scraper ${what} ingests every metric of ${unfiltered.map((j) => j?.job_name ?? "(unnamed)").join(", ")}; add a metric_relabel_configs keep rule on __name__ with Vigil's keep-list to each job.`);
            }
            return;
        }
        const writes = config.remote_write ?? [];
        if (writes.length === 0) {
            args.notApplicable("the configuration writes nowhere");
        }
        const unfiltered = writes.filter((w) => !keepsByName(w?.write_relabel_configs));
        if (unfiltered.length > 0) {
            report(`The collector configuration of ${what} remote-writes every metric to ${unfiltered.map((w) => w?.url ?? "(no url)").join(", ")}; add a write_relabel_configs keep rule on __name__ with Vigil's keep-list.`);
        }
    }),
};

import * as assert from "node:assert/strict";
import * as yaml from "js-yaml";
import {
    keepRelabelConfig,
    kubeStateMetricsAllowlist,
    managedScrapeConfiguration,
    normaliseKeepList,
    prometheusConfig,
    ScrapeConfig,
    ScrapeConfigError,
    scrapeJobs,
    versionAtLeast,
} from "../../components/cluster/scrape";
import { checkConfig } from "./promtool";

const REMOTE_WRITE = "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-0123/api/v1/remote_write";
const job = (jobs: ScrapeConfig[], name: string): ScrapeConfig => {
    const found = jobs.find((j) => j.job_name === name);
    assert.ok(found, `job ${name} exists`);
    return found;
};
type Doc = Record<string, any>;

describe("scrape jobs", () => {
    it("has the contract's jobs for an in-cluster agent on Kubernetes 1.28 and later", () => {
        const jobs = scrapeJobs({ kubernetesVersion: "1.31", namespace: "vigil-monitoring", collector: "prometheus" });
        assert.deepEqual(
            jobs.map((j) => j.job_name),
            ["kubelet", "kubelet-cadvisor", "apiserver", "kube-scheduler", "kube-controller-manager", "kube-dns", "aws-node", "node-exporter", "kube-state-metrics", "prometheus"],
        );
    });

    it("scrapes EKS's scheduler and controller-manager endpoints only from 1.28 on", () => {
        const names = (v: string) => scrapeJobs({ kubernetesVersion: v, namespace: "ns", collector: "prometheus" }).map((j) => j.job_name);
        assert.ok(!names("1.27").includes("kube-scheduler"));
        assert.ok(!names("1.27").includes("kube-controller-manager"));
        assert.ok(names("1.28").includes("kube-scheduler"));
        assert.ok(names("1.28").includes("kube-controller-manager"));
        const jobs = scrapeJobs({ kubernetesVersion: "1.29", namespace: "ns", collector: "prometheus" });
        assert.equal(job(jobs, "kube-scheduler").metrics_path, "/apis/metrics.eks.amazonaws.com/v1/ksh/container/metrics");
        assert.equal(job(jobs, "kube-controller-manager").metrics_path, "/apis/metrics.eks.amazonaws.com/v1/kcm/container/metrics");
        assert.deepEqual(job(jobs, "kube-scheduler").kubernetes_sd_configs, [{ role: "service", namespaces: { names: ["default"] } }]);
    });

    it("compares Kubernetes versions numerically and rejects anything else", () => {
        assert.equal(versionAtLeast("1.100", "1.28"), true);
        assert.equal(versionAtLeast("1.9", "1.28"), false);
        assert.equal(versionAtLeast("2.0", "1.28"), true);
        assert.throws(() => versionAtLeast("v1.30", "1.28"), /kubernetesVersion: got "v1.30"/);
    });

    it("reads the kubelet and cAdvisor through the API server proxy, both as job kubelet", () => {
        const jobs = scrapeJobs({ kubernetesVersion: "1.31", namespace: "ns", collector: "prometheus" });
        for (const [name, path] of [["kubelet", "/metrics"], ["kubelet-cadvisor", "/metrics/cadvisor"]] as const) {
            const j = job(jobs, name);
            assert.equal(j.scheme, "https");
            assert.deepEqual(j.authorization, { type: "Bearer", credentials_file: "/var/run/secrets/kubernetes.io/serviceaccount/token" });
            assert.deepEqual(j.tls_config, { ca_file: "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt" });
            const relabel = j.relabel_configs ?? [];
            assert.deepEqual(relabel[0], { target_label: "__address__", replacement: "kubernetes.default.svc:443" });
            assert.deepEqual(relabel[1], { source_labels: ["__meta_kubernetes_node_name"], regex: "(.+)", target_label: "__metrics_path__", replacement: `/api/v1/nodes/$1/proxy${path}` });
            assert.ok(relabel.some((r) => r.target_label === "job" && r.replacement === "kubelet"));
            assert.ok(relabel.some((r) => r.target_label === "metrics_path" && r.replacement === path));
            assert.ok(relabel.some((r) => r.target_label === "instance" && r.source_labels?.[0] === "__meta_kubernetes_node_name"));
        }
        assert.equal(job(jobs, "kubelet-cadvisor").honor_timestamps, false);
    });

    it("keeps exporter pods by namespace, pod label and port", () => {
        const jobs = scrapeJobs({ kubernetesVersion: "1.31", namespace: "obs", collector: "prometheus" });
        const keepOf = (name: string) => (job(jobs, name).relabel_configs ?? []).find((r) => r.action === "keep")?.regex;
        assert.equal(keepOf("kube-dns"), "kube-system;kube-dns;9153");
        assert.equal(keepOf("aws-node"), "kube-system;aws-node;61678");
        assert.equal(keepOf("node-exporter"), "obs;prometheus-node-exporter;9100");
        assert.equal(keepOf("kube-state-metrics"), "obs;kube-state-metrics;(8080|8081)", "object metrics and telemetry");
        assert.equal(job(jobs, "kube-state-metrics").honor_labels, true);
        assert.ok(!(job(jobs, "kube-state-metrics").relabel_configs ?? []).some((r) => r.target_label === "namespace"), "no namespace label on cluster-level series");
        assert.ok((job(jobs, "node-exporter").relabel_configs ?? []).some((r) => r.target_label === "instance" && r.source_labels?.[0] === "__meta_kubernetes_pod_node_name"));
    });

    it("fits the managed collector: no tls_config, no self-scrape", () => {
        const jobs = scrapeJobs({ kubernetesVersion: "1.31", namespace: "ns", collector: "managed" });
        assert.ok(!jobs.some((j) => j.job_name === "prometheus"));
        assert.ok(jobs.every((j) => j.tls_config === undefined));
        assert.ok(jobs.every((j) => j.static_configs === undefined));
    });

    it("rejects a bad collector or namespace, naming the argument", () => {
        assert.throws(() => scrapeJobs({ kubernetesVersion: "1.31", namespace: "ns", collector: "agent" as never }), /collector: got "agent"/);
        assert.throws(() => scrapeJobs({ kubernetesVersion: "1.31", namespace: "Bad_NS", collector: "prometheus" }), /namespace: got "Bad_NS"/);
    });
});

describe("keep-list relabeling", () => {
    it("keeps exactly the listed names, sorted and without duplicates", () => {
        assert.deepEqual(keepRelabelConfig(["up", "node_cpu_seconds_total", "up"]), {
            source_labels: ["__name__"],
            regex: "node_cpu_seconds_total|up",
            action: "keep",
        });
    });

    it("refuses an empty list (remote write would send nothing) and invalid names", () => {
        assert.throws(() => normaliseKeepList([]), (e: Error) => e instanceof ScrapeConfigError && /keep: got an empty list/.test(e.message));
        assert.throws(() => keepRelabelConfig(["up", "node.cpu"]), /keep\[1\]: got "node\.cpu"/);
        assert.throws(() => keepRelabelConfig(["up|.*"]), /keep\[0\]/, "a regex cannot be smuggled in as a name");
    });

    it("derives the kube-state-metrics allowlist from the kube_* names", () => {
        assert.deepEqual(kubeStateMetricsAllowlist(["up", "kube_pod_info", "kube_node_info", "node_load1", "kube_pod_info"]), ["kube_node_info", "kube_pod_info"]);
        assert.deepEqual(kubeStateMetricsAllowlist(["up"]), []);
    });
});

describe("prometheus.yml", () => {
    const render = (overrides: Partial<Parameters<typeof prometheusConfig>[0]> = {}) =>
        prometheusConfig({
            cluster: "payments-prod",
            scrapeIntervalSeconds: 30,
            jobs: scrapeJobs({ kubernetesVersion: "1.31", namespace: "vigil-monitoring", collector: "prometheus" }),
            remoteWrite: { url: REMOTE_WRITE, region: "eu-west-1" },
            keep: ["up", "node_cpu_seconds_total", "kube_pod_info"],
            ...overrides,
        });

    it("labels every series with the cluster and remote-writes with SigV4, queue settings and the keep rule", () => {
        const doc = yaml.load(render()) as Doc;
        assert.deepEqual(doc.global, { scrape_interval: "30s", scrape_timeout: "10s", external_labels: { cluster: "payments-prod" } });
        assert.equal(doc.remote_write.length, 1);
        const rw = doc.remote_write[0];
        assert.equal(rw.url, REMOTE_WRITE);
        assert.deepEqual(rw.sigv4, { region: "eu-west-1" });
        assert.deepEqual(rw.queue_config, { capacity: 2500, max_shards: 200, max_samples_per_send: 1000 });
        assert.deepEqual(rw.write_relabel_configs, [{ source_labels: ["__name__"], regex: "kube_pod_info|node_cpu_seconds_total|up", action: "keep" }]);
        assert.equal(doc.rule_files, undefined, "agent mode has no rules");
    });

    it("signs nothing when no region is given (a local receiver)", () => {
        const doc = yaml.load(render({ remoteWrite: { url: "http://127.0.0.1:9090/api/v1/write" } })) as Doc;
        assert.equal(doc.remote_write[0].sigv4, undefined);
    });

    it("passes promtool check config in agent mode", () => {
        const result = checkConfig(render(), { agent: true });
        assert.equal(result.status, 0, result.output);
        assert.match(result.output, /SUCCESS/);
    });

    it("passes promtool for a cluster without the control-plane endpoints and at the shortest interval", () => {
        const result = checkConfig(render({ scrapeIntervalSeconds: 10, jobs: scrapeJobs({ kubernetesVersion: "1.27", namespace: "obs", collector: "prometheus" }) }), { agent: true });
        assert.equal(result.status, 0, result.output);
    });

    it("is caught by promtool when broken (the check is real)", () => {
        const broken = render().replace("action: keep", "action: keepp");
        const result = checkConfig(broken, { agent: true });
        assert.notEqual(result.status, 0);
        assert.match(result.output, /keepp/);
    });

    it("rejects bad arguments, naming them", () => {
        assert.throws(() => render({ cluster: "bad cluster" }), /cluster: got "bad cluster"/);
        assert.throws(() => render({ scrapeIntervalSeconds: 5 }), /scrapeIntervalSeconds: got 5; allowed: a whole number of seconds between 10 and 300/);
        assert.throws(() => render({ remoteWrite: { url: "ftp://x", region: "eu-west-1" } }), /remoteWrite.url: got "ftp:\/\/x"/);
        assert.throws(() => render({ remoteWrite: { url: REMOTE_WRITE, region: "Europe" } }), /remoteWrite.region: got "Europe"/);
        assert.throws(() => render({ jobs: [{ job_name: "a" }, { job_name: "a" }] }), /job_name "a" appears twice/);
    });
});

describe("managed collector scrape configuration", () => {
    const jobs = scrapeJobs({ kubernetesVersion: "1.31", namespace: "vigil-monitoring", collector: "managed" });
    const render = (overrides: Partial<Parameters<typeof managedScrapeConfiguration>[0]> = {}) =>
        managedScrapeConfiguration({ cluster: "payments-prod", scrapeIntervalSeconds: 30, jobs, keep: ["up", "kube_pod_info"], ...overrides });

    it("applies the keep-list to every job's samples and has no remote_write", () => {
        const doc = yaml.load(render()) as Doc;
        assert.deepEqual(doc.global.external_labels, { cluster: "payments-prod" });
        assert.equal(doc.remote_write, undefined);
        assert.equal(doc.scrape_configs.length, jobs.length);
        for (const j of doc.scrape_configs) {
            assert.deepEqual(j.metric_relabel_configs.at(-1), { source_labels: ["__name__"], regex: "kube_pod_info|up", action: "keep" }, j.job_name);
        }
        assert.deepEqual(Object.keys(doc).sort(), ["global", "scrape_configs"], "only the sections the managed collector accepts");
    });

    it("passes promtool check config", () => {
        const result = checkConfig(render());
        assert.equal(result.status, 0, result.output);
    });

    it("refuses what the managed collector does not accept", () => {
        assert.throws(() => render({ scrapeIntervalSeconds: 15 }), /scrapeIntervalSeconds: got 15; allowed: a whole number of seconds between 30 and 300/);
        const agentJobs = scrapeJobs({ kubernetesVersion: "1.31", namespace: "vigil-monitoring", collector: "prometheus" });
        assert.throws(() => render({ jobs: agentJobs }), /tls_config: the AMP managed collector accepts no tls_config/);
        assert.throws(() => render({ jobs: [{ job_name: "x", static_configs: [{ targets: ["localhost:9090"] }] }] }), /got target "localhost:9090"; allowed: IP:port/);
        assert.doesNotThrow(() => render({ jobs: [{ job_name: "x", static_configs: [{ targets: ["10.1.2.3:9100"] }] }] }));
    });
});

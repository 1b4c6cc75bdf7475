import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import * as yaml from "js-yaml";
import type { ClusterMonitoringArgs } from "../../components/cluster/clusterMonitoring";
import { LOG_RETENTION_DAYS } from "../../stacks/config";
import { AccountDescription } from "../../tools/offline/account";
import { exampleAccount, MockRecorder, promiseOf, RecordedResource, setupMocks } from "../support/mocks";

type Module = typeof import("../../components/cluster/clusterMonitoring");

const WORKSPACE_ARN = "arn:aws:aps:eu-west-1:111122223333:workspace/ws-0a1b2c3d-4e5f-6789-abcd-ef0123456789";
const REMOTE_WRITE = "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-0a1b2c3d-4e5f-6789-abcd-ef0123456789/api/v1/remote_write";
const LOG_KEY = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const KEEP = ["up", "node_cpu_seconds_total", "kube_pod_info", "kube_node_info", "container_cpu_usage_seconds_total"];
const base = (clusterName: string): ClusterMonitoringArgs => ({
    clusterName,
    workspaceArn: WORKSPACE_ARN,
    remoteWriteUrl: REMOTE_WRITE,
    region: "eu-west-1",
    logKeyArn: LOG_KEY,
    keep: KEEP,
});

/** Waits until every registration in flight has reached the mocks (an internal SDK helper). */
const drain = () => (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();

/** The resources one component registered: the component and its children (names start with its name). */
function ofComponent(recorder: MockRecorder, name: string): RecordedResource[] {
    return recorder.resources.filter((r) => r.name === name || r.name.startsWith(`${name}-`));
}

const typesAndNames = (rs: RecordedResource[]) => rs.map((r) => `${r.type}::${r.name}`).sort();
const policy = (r: RecordedResource, key: string) => JSON.parse(r.inputs[key]);

describe("ClusterMonitoring (in-cluster Prometheus, IRSA)", function () {
    this.timeout(60_000);
    let recorder: MockRecorder;
    let mod: Module;
    let rs: RecordedResource[];
    let outputs: { namespace: string; collectorRoleArn: string; logGroupName: string | undefined };

    before(async () => {
        recorder = await setupMocks();
        mod = await import("../../components/cluster/clusterMonitoring");
        const cm = new mod.ClusterMonitoring("payments-prod", base("payments-prod"));
        outputs = { namespace: await promiseOf(cm.namespace), collectorRoleArn: await promiseOf(cm.collectorRoleArn), logGroupName: await promiseOf(cm.logGroupName) };
        await drain();
        rs = ofComponent(recorder, "payments-prod");
    });

    const one = (type: string, name: string) => recorder.named(name, type);

    it("registers exactly these resources", () => {
        assert.deepEqual(typesAndNames(rs), [
            "aws:iam/role:Role::payments-prod-collector",
            "aws:iam/rolePolicy:RolePolicy::payments-prod-remote-write",
            "kubernetes:core/v1:ConfigMap::payments-prod-prometheus-config",
            "kubernetes:core/v1:Namespace::payments-prod-namespace",
            "kubernetes:helm.sh/v3:Release::payments-prod-kube-state-metrics",
            "kubernetes:helm.sh/v3:Release::payments-prod-node-exporter",
            "kubernetes:helm.sh/v3:Release::payments-prod-prometheus",
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole::payments-prod-control-plane-metrics",
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole::payments-prod-kube-state-metrics",
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole::payments-prod-prometheus",
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding::payments-prod-control-plane-metrics",
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding::payments-prod-kube-state-metrics",
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding::payments-prod-prometheus",
            "pulumi-nodejs:dynamic:Resource::payments-prod-control-plane-logging",
            "pulumi-nodejs:dynamic:Resource::payments-prod-control-plane-logs",
            "pulumi:providers:kubernetes::payments-prod-k8s",
            "vigil:cluster:ClusterMonitoring::payments-prod",
        ]);
    });

    it("exposes the contract's outputs", () => {
        assert.equal(outputs.namespace, "vigil-monitoring");
        assert.equal(outputs.collectorRoleArn, one("aws:iam/role:Role", "payments-prod-collector").state.arn);
        assert.equal(outputs.logGroupName, "/aws/eks/payments-prod/cluster");
    });

    it("lets only the Prometheus service account assume the collector role, through the cluster's OIDC provider", () => {
        const trust = policy(one("aws:iam/role:Role", "payments-prod-collector"), "assumeRolePolicy");
        const issuer = "oidc.eks.eu-west-1.amazonaws.com/id/9F3B2A7C41D8E6F0A1B2C3D4E5F60718";
        assert.deepEqual(trust, {
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "CollectorServiceAccountOnly",
                    Effect: "Allow",
                    Principal: { Federated: `arn:aws:iam::111122223333:oidc-provider/${issuer}` },
                    Action: "sts:AssumeRoleWithWebIdentity",
                    Condition: { StringEquals: { [`${issuer}:sub`]: "system:serviceaccount:vigil-monitoring:vigil-prometheus", [`${issuer}:aud`]: "sts.amazonaws.com" } },
                },
            ],
        });
    });

    it("allows the collector role aps:RemoteWrite on the one workspace and nothing else", () => {
        const rolePolicy = one("aws:iam/rolePolicy:RolePolicy", "payments-prod-remote-write");
        assert.equal(rolePolicy.inputs.role, one("aws:iam/role:Role", "payments-prod-collector").state.name);
        assert.deepEqual(policy(rolePolicy, "policy"), {
            Version: "2012-10-17",
            Statement: [{ Sid: "RemoteWriteToVigilWorkspace", Effect: "Allow", Action: "aps:RemoteWrite", Resource: WORKSPACE_ARN }],
        });
        assert.equal(rs.filter((r) => r.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment").length, 0, "no managed policies");
    });

    it("tags every AWS resource, and the log group it creates or adopts, with its activity and the operator", () => {
        const expected: Record<string, [string, string]> = {
            "payments-prod-collector": ["aws:iam/role:Role", "on-cluster-components"],
            "payments-prod-control-plane-logs": ["pulumi-nodejs:dynamic:Resource", "control-plane-logging"],
        };
        for (const [name, [type, activity]] of Object.entries(expected)) {
            assert.deepEqual(one(type, name).inputs.tags, { "vigil:activity": activity, "vigil:responsible": "operator", "managed-by": "vigil" }, name);
        }
        assert.deepEqual(
            rs.filter((r) => r.type.startsWith("aws:") && r.inputs.tags === undefined).map((r) => r.type),
            ["aws:iam/rolePolicy:RolePolicy"],
            "only the inline role policy, which takes no tags, is untagged",
        );
    });

    it("creates or adopts the control-plane log group with retention, the log CMK and tags, and enables all five types", () => {
        const group = one("pulumi-nodejs:dynamic:Resource", "payments-prod-control-plane-logs");
        assert.deepEqual(
            { kind: group.inputs.kind, logGroupName: group.inputs.logGroupName, region: group.inputs.region, retentionInDays: group.inputs.retentionInDays, kmsKeyId: group.inputs.kmsKeyId },
            { kind: "vigil:cloudwatch:LogGroup", logGroupName: "/aws/eks/payments-prod/cluster", region: "eu-west-1", retentionInDays: 365, kmsKeyId: LOG_KEY },
        );
        assert.equal(typeof group.inputs.__provider, "string");
        assert.equal(rs.filter((r) => r.type === "aws:cloudwatch/logGroup:LogGroup").length, 0, "no LogGroup that would fail on an existing group");
        const logging = one("pulumi-nodejs:dynamic:Resource", "payments-prod-control-plane-logging");
        assert.equal(logging.inputs.kind, "vigil:eks:ControlPlaneLogging");
        assert.equal(logging.inputs.clusterName, "payments-prod");
        assert.equal(logging.inputs.region, "eu-west-1");
        assert.deepEqual(logging.inputs.enabledLogTypes, ["api", "audit", "authenticator", "controllerManager", "scheduler"]);
        assert.equal(typeof logging.inputs.__provider, "string");
    });

    it("creates the namespace with Pod Security labels and Vigil's labels", () => {
        const ns = one("kubernetes:core/v1:Namespace", "payments-prod-namespace");
        assert.deepEqual(ns.inputs.metadata, {
            name: "vigil-monitoring",
            labels: {
                "app.kubernetes.io/managed-by": "vigil",
                "app.kubernetes.io/part-of": "vigil",
                "app.kubernetes.io/component": "namespace",
                "vigil.dev/activity": "on-cluster-components",
                "vigil.dev/responsible": "operator",
                "pod-security.kubernetes.io/enforce": "privileged",
                "pod-security.kubernetes.io/enforce-version": "latest",
                "pod-security.kubernetes.io/audit": "restricted",
                "pod-security.kubernetes.io/audit-version": "latest",
                "pod-security.kubernetes.io/warn": "restricted",
                "pod-security.kubernetes.io/warn-version": "latest",
            },
        });
    });

    it("puts every namespaced object and every Helm release in the Vigil namespace", () => {
        const namespaced = rs.filter((r) => r.type.startsWith("kubernetes:") && !/ClusterRole|Namespace|helm/.test(r.type));
        assert.equal(namespaced.length, 1);
        for (const r of namespaced) {
            assert.equal(r.inputs.metadata.namespace, "vigil-monitoring", r.name);
        }
        const releases = rs.filter((r) => r.type === "kubernetes:helm.sh/v3:Release");
        assert.equal(releases.length, 3);
        for (const r of releases) {
            assert.equal(r.inputs.namespace, "vigil-monitoring", r.name);
            assert.equal(r.inputs.createNamespace, undefined, r.name);
        }
    });

    it("pins every chart to an exact version from prometheus-community", () => {
        const releases = Object.fromEntries(
            rs.filter((r) => r.type === "kubernetes:helm.sh/v3:Release").map((r) => [r.name, [r.inputs.name, r.inputs.chart, r.inputs.version, r.inputs.repositoryOpts?.repo]]),
        );
        const repo = "https://prometheus-community.github.io/helm-charts";
        assert.deepEqual(releases, {
            "payments-prod-prometheus": ["vigil-prometheus", "prometheus", "27.37.0", repo],
            "payments-prod-node-exporter": ["vigil-node-exporter", "prometheus-node-exporter", "4.49.2", repo],
            "payments-prod-kube-state-metrics": ["vigil-kube-state-metrics", "kube-state-metrics", "7.0.1", repo],
        });
    });

    it("runs Prometheus in agent mode with Vigil's config, the IRSA annotation, requests and limits", () => {
        const values = one("kubernetes:helm.sh/v3:Release", "payments-prod-prometheus").inputs.values;
        assert.deepEqual(values.server.defaultFlagsOverride, ["--agent", "--config.file=/etc/config/prometheus.yml", "--storage.agent.path=/data", "--web.enable-lifecycle", "--web.listen-address=:9090"]);
        assert.equal(values.server.configMapOverrideName, "config");
        assert.deepEqual(values.serviceAccounts.server, {
            create: true,
            name: "vigil-prometheus",
            annotations: { "eks.amazonaws.com/role-arn": outputs.collectorRoleArn },
        });
        assert.deepEqual(values.server.resources, { requests: { cpu: "200m", memory: "512Mi" }, limits: { cpu: "1", memory: "2Gi" } });
        assert.equal(values.rbac.create, false);
        for (const sub of ["alertmanager", "kube-state-metrics", "prometheus-node-exporter", "prometheus-pushgateway"]) {
            assert.equal(values[sub].enabled, false, sub);
        }
        assert.equal(values.server.containerSecurityContext.allowPrivilegeEscalation, false);
        assert.equal(values.server.securityContext.runAsNonRoot, true);
    });

    it("writes prometheus.yml to the ConfigMap the chart mounts", () => {
        const cm = one("kubernetes:core/v1:ConfigMap", "payments-prod-prometheus-config");
        assert.equal(cm.inputs.metadata.name, "vigil-prometheus-config");
        const doc = yaml.load(cm.inputs.data["prometheus.yml"]) as Record<string, any>;
        assert.deepEqual(doc.global.external_labels, { cluster: "payments-prod" });
        assert.equal(doc.remote_write[0].url, REMOTE_WRITE);
        assert.deepEqual(doc.remote_write[0].sigv4, { region: "eu-west-1" });
        assert.deepEqual(doc.remote_write[0].write_relabel_configs, [{ source_labels: ["__name__"], regex: [...KEEP].sort().join("|"), action: "keep" }]);
        const jobs = doc.scrape_configs.map((j: { job_name: string }) => j.job_name);
        assert.ok(jobs.includes("kube-scheduler") && jobs.includes("kube-controller-manager"), "EKS 1.31 has the control-plane endpoints");
    });

    it("runs node-exporter on every node, tainted ones included, with requests and limits", () => {
        const values = one("kubernetes:helm.sh/v3:Release", "payments-prod-node-exporter").inputs.values;
        assert.deepEqual(values.tolerations, [{ operator: "Exists" }]);
        assert.deepEqual(values.extraArgs, ["--collector.ethtool", "--collector.ethtool.metrics-include=^(bw_in|bw_out|pps|conntrack|linklocal)_allowance_exceeded$"]);
        assert.deepEqual(values.resources, { requests: { cpu: "20m", memory: "32Mi" }, limits: { cpu: "250m", memory: "96Mi" } });
        assert.deepEqual(values.rbac, { create: false });
        assert.equal(values.serviceAccount.automountServiceAccountToken, false);
    });

    it("limits kube-state-metrics to the kube_* names of the keep-list and never to secrets", () => {
        const values = one("kubernetes:helm.sh/v3:Release", "payments-prod-kube-state-metrics").inputs.values;
        assert.deepEqual(values.metricAllowlist, ["kube_node_info", "kube_pod_info"]);
        assert.deepEqual(values.metricLabelsAllowlist, ["persistentvolumeclaims=[excluded_from_alerts]"]);
        assert.deepEqual(values.selfMonitor, { enabled: true, telemetryPort: 8081 });
        assert.ok(!values.collectors.includes("secrets"));
        assert.deepEqual(values.resources, { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "500m", memory: "512Mi" } });
        assert.deepEqual(values.serviceAccount, { create: true, name: "vigil-kube-state-metrics" });
    });

    it("grants the collectors exactly their RBAC: get/list/watch verbs, no wildcards, no secrets; nodes/proxy only to Prometheus", () => {
        type Rule = { apiGroups?: string[]; resources?: string[]; verbs: string[]; nonResourceURLs?: string[] };
        const roles = rs.filter((r) => r.type === "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole");
        assert.equal(roles.length, 3);
        for (const role of roles) {
            for (const rule of role.inputs.rules as Rule[]) {
                const all = [...(rule.apiGroups ?? []), ...(rule.resources ?? []), ...rule.verbs, ...(rule.nonResourceURLs ?? [])];
                assert.ok(!all.includes("*"), `${role.name}: no wildcard`);
                assert.ok(!(rule.resources ?? []).includes("secrets"), `${role.name}: no secrets`);
                assert.deepEqual(rule.verbs.filter((v) => !["get", "list", "watch"].includes(v)), [], `${role.name}: only get, list and watch`);
            }
        }
        // get on nodes/proxy reaches the whole kubelet API, exec into pods included (README,
        // "Cluster-level monitoring"): the exact rule set, so any widening fails here.
        assert.deepEqual(one("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "payments-prod-prometheus").inputs.rules, [
            { apiGroups: [""], resources: ["nodes", "nodes/proxy", "services", "endpoints", "pods"], verbs: ["get", "list", "watch"] },
            { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["get", "list", "watch"] },
            { nonResourceURLs: ["/metrics"], verbs: ["get"] },
        ]);
        assert.deepEqual(
            roles.filter((role) => (role.inputs.rules as Rule[]).some((rule) => (rule.resources ?? []).some((r) => r.startsWith("nodes/")))).map((role) => role.name),
            ["payments-prod-prometheus"],
            "no other collector role reaches a node subresource",
        );
        assert.deepEqual(one("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "payments-prod-control-plane-metrics").inputs.rules, [
            { apiGroups: ["metrics.eks.amazonaws.com"], resources: ["kcm/metrics", "ksh/metrics"], verbs: ["get"] },
        ]);
        const ksm = one("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "payments-prod-kube-state-metrics").inputs.rules as Rule[];
        assert.ok(ksm.every((rule) => rule.verbs.join() === "list,watch" && rule.resources?.length === 1), "kube-state-metrics: list and watch, one resource per rule");
        const binding = one("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", "payments-prod-prometheus");
        assert.deepEqual(binding.inputs.subjects, [{ kind: "ServiceAccount", name: "vigil-prometheus", namespace: "vigil-monitoring" }]);
        assert.deepEqual(binding.inputs.roleRef, { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "vigil-prometheus" });
    });

    it("labels the in-cluster objects with their activity", () => {
        const cpm = one("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "payments-prod-control-plane-metrics");
        assert.equal(cpm.inputs.metadata.labels["vigil.dev/activity"], "control-plane-monitoring");
        assert.equal(one("kubernetes:core/v1:ConfigMap", "payments-prod-prometheus-config").inputs.metadata.labels["vigil.dev/activity"], "on-cluster-components");
        for (const r of rs.filter((x) => x.type.startsWith("kubernetes:") && !x.type.includes("helm.sh") && !x.type.startsWith("kubernetes:core/v1:Namespace"))) {
            assert.equal(r.inputs.metadata.labels["app.kubernetes.io/managed-by"], "vigil", r.name);
            assert.equal(r.inputs.metadata.labels["app.kubernetes.io/part-of"], "vigil", r.name);
        }
    });

    it("gives the charts only the vigil.dev/ labels, leaving the app.kubernetes.io/ keys to the charts", () => {
        const vigil = { "vigil.dev/activity": "on-cluster-components", "vigil.dev/responsible": "operator" };
        const values = (name: string) => one("kubernetes:helm.sh/v3:Release", name).inputs.values;
        assert.deepEqual(values("payments-prod-prometheus").commonMetaLabels, vigil);
        assert.equal(values("payments-prod-prometheus").server.podLabels, undefined);
        assert.deepEqual(values("payments-prod-node-exporter").commonLabels, vigil);
        assert.equal(values("payments-prod-node-exporter").podLabels, undefined);
        assert.deepEqual(values("payments-prod-kube-state-metrics").customLabels, vigil);
        assert.equal(values("payments-prod-kube-state-metrics").podLabels, undefined);
    });

    it("gives the Kubernetes provider a kubeconfig that authenticates with aws eks get-token", () => {
        const kubeconfig = JSON.parse(one("pulumi:providers:kubernetes", "payments-prod-k8s").inputs.kubeconfig);
        assert.equal(kubeconfig.clusters[0].cluster.server, exampleAccount().clusters["payments-prod"].endpoint);
        assert.deepEqual(kubeconfig.users[0].user.exec.args, ["--region", "eu-west-1", "eks", "get-token", "--cluster-name", "payments-prod", "--output", "json"]);
        assert.equal(kubeconfig.users[0].user.token, undefined, "no credentials in the kubeconfig");
    });
});

describe("ClusterMonitoring variants", function () {
    this.timeout(60_000);
    let recorder: MockRecorder;
    let mod: Module;

    const build = async (name: string, args: ClusterMonitoringArgs, account?: AccountDescription, opts?: pulumi.ComponentResourceOptions) => {
        if (account) {
            recorder = await setupMocks(account);
        }
        const cm = new mod.ClusterMonitoring(name, args, opts);
        const outputs = { collectorRoleArn: await promiseOf(cm.collectorRoleArn), logGroupName: await promiseOf(cm.logGroupName) };
        await drain();
        return { rs: ofComponent(recorder, name), outputs };
    };

    before(async () => {
        recorder = await setupMocks();
        mod = await import("../../components/cluster/clusterMonitoring");
    });

    it("EKS Pod Identity: an association, a trust policy pinned by session tags, no IRSA annotation", async () => {
        const { rs } = await build("pi", { ...base("platform-staging"), identity: "pod-identity" });
        const association = rs.find((r) => r.type === "aws:eks/podIdentityAssociation:PodIdentityAssociation");
        assert.ok(association);
        const role = rs.find((r) => r.type === "aws:iam/role:Role");
        assert.deepEqual(
            { clusterName: association.inputs.clusterName, namespace: association.inputs.namespace, serviceAccount: association.inputs.serviceAccount, roleArn: association.inputs.roleArn },
            { clusterName: "platform-staging", namespace: "vigil-monitoring", serviceAccount: "vigil-prometheus", roleArn: role?.state.arn },
        );
        assert.deepEqual(JSON.parse(role?.inputs.assumeRolePolicy).Statement, [
            {
                Sid: "CollectorServiceAccountOnly",
                Effect: "Allow",
                Principal: { Service: "pods.eks.amazonaws.com" },
                Action: ["sts:AssumeRole", "sts:TagSession"],
                Condition: {
                    StringEquals: {
                        "aws:SourceAccount": "111122223333",
                        "aws:RequestTag/eks-cluster-arn": "arn:aws:eks:eu-west-1:111122223333:cluster/platform-staging",
                        "aws:RequestTag/kubernetes-namespace": "vigil-monitoring",
                        "aws:RequestTag/kubernetes-service-account": "vigil-prometheus",
                    },
                },
            },
        ]);
        const values = rs.find((r) => r.name === "pi-prometheus" && r.type === "kubernetes:helm.sh/v3:Release")?.inputs.values;
        assert.deepEqual(values.serviceAccounts.server.annotations, {});
    });

    it("managed collector: an AMP scraper with the cluster's subnets and security group, no in-cluster Prometheus", async () => {
        const { rs, outputs } = await build("managed", { ...base("payments-prod"), collector: "managed" });
        assert.ok(!rs.some((r) => r.name === "managed-prometheus" || r.name === "managed-collector" || r.name === "managed-prometheus-config"));
        assert.deepEqual(rs.filter((r) => r.type === "kubernetes:helm.sh/v3:Release").map((r) => r.inputs.chart).sort(), ["kube-state-metrics", "prometheus-node-exporter"]);
        const scraper = rs.find((r) => r.type === "aws:amp/scraper:Scraper");
        assert.ok(scraper);
        const account = exampleAccount().clusters["payments-prod"];
        assert.deepEqual(scraper.inputs.source, {
            eks: { clusterArn: "arn:aws:eks:eu-west-1:111122223333:cluster/payments-prod", subnetIds: [...account.subnetIds], securityGroupIds: [account.securityGroupId] },
        });
        assert.deepEqual(scraper.inputs.destination, { amp: { workspaceArn: WORKSPACE_ARN } });
        assert.equal(scraper.inputs.tags["vigil:activity"], "cluster-health-monitoring");
        assert.equal(outputs.collectorRoleArn, scraper.state.roleArn);
        const doc = yaml.load(scraper.inputs.scrapeConfiguration) as Record<string, any>;
        assert.equal(doc.remote_write, undefined);
        assert.ok(!doc.scrape_configs.some((j: { job_name: string }) => j.job_name === "prometheus"));
        for (const j of doc.scrape_configs) {
            assert.equal(j.metric_relabel_configs.at(-1).action, "keep", j.job_name);
        }
    });

    it("managed collector: refuses an interval under 30 s, naming the argument", () => {
        assert.throws(() => new mod.ClusterMonitoring("too-fast", { ...base("payments-prod"), collector: "managed", scrapeIntervalSeconds: 15 }), /scrapeIntervalSeconds: got 15; allowed: a whole number of seconds from 30 to 300/);
    });

    it("leaves out the scheduler and controller-manager jobs before Kubernetes 1.28", async () => {
        const account = exampleAccount();
        const old: AccountDescription = { ...account, clusters: { ...account.clusters, legacy: { ...account.clusters["platform-staging"], version: "1.27" } } };
        const { rs } = await build("legacy", base("legacy"), old);
        const doc = yaml.load(rs.find((r) => r.type === "kubernetes:core/v1:ConfigMap")?.inputs.data["prometheus.yml"]) as Record<string, any>;
        const jobs = doc.scrape_configs.map((j: { job_name: string }) => j.job_name);
        assert.ok(!jobs.includes("kube-scheduler") && !jobs.includes("kube-controller-manager"));
        assert.ok(jobs.includes("apiserver"));
    });

    it("enables logging only after the log group has its retention and key (dependsOn)", async () => {
        const registered = new Map<string, { resource: pulumi.Resource; dependsOn: unknown }>();
        const record: pulumi.ResourceTransformation = (a) => {
            registered.set(a.name, { resource: a.resource, dependsOn: a.opts.dependsOn });
            return undefined;
        };
        await build("ordered", base("payments-prod"), undefined, { transformations: [record] });
        const logs = registered.get("ordered-control-plane-logs");
        const logging = registered.get("ordered-control-plane-logging");
        assert.ok(logs && logging);
        const dependsOn = await promiseOf(pulumi.output(logging.dependsOn as pulumi.Input<pulumi.Resource[]>));
        assert.equal(dependsOn.length, 1);
        assert.equal(dependsOn[0], logs.resource, "the logging resource depends on the log group");
        assert.equal(logs.dependsOn, undefined, "the log group waits for nothing");
    });

    it("without control-plane logging: no log group, no logging resource, no log group name", async () => {
        recorder = await setupMocks();
        const { rs, outputs } = await build("nolog", { ...base("payments-prod"), controlPlaneLogging: false, logKeyArn: undefined });
        assert.ok(!rs.some((r) => r.type === "aws:cloudwatch/logGroup:LogGroup" || r.type === "pulumi-nodejs:dynamic:Resource"));
        assert.equal(outputs.logGroupName, undefined);
    });

    it("with an eks.Cluster: reads it instead of looking it up, and leaves its log types to the cluster", async () => {
        const aws = await import("@pulumi/aws");
        const owned = new aws.eks.Cluster("owned", {
            name: "owned",
            roleArn: "arn:aws:iam::111122223333:role/owned",
            version: "1.30",
            vpcConfig: { subnetIds: ["subnet-1", "subnet-2"] },
            enabledClusterLogTypes: ["api", "audit", "authenticator", "controllerManager", "scheduler"],
        });
        const callsBefore = recorder.calls.filter((c) => c.token === "aws:eks/getCluster:getCluster").length;
        const { rs } = await build("owned-mon", { ...base("unused"), clusterName: undefined, cluster: { eksCluster: pulumi.output(owned) } });
        assert.equal(recorder.calls.filter((c) => c.token === "aws:eks/getCluster:getCluster").length, callsBefore, "no lookup");
        // EKS creates the group while it creates a cluster with logging on, before this program can
        // read the cluster's name: the group is adopted like an existing cluster's.
        const groups = rs.filter((r) => r.type === "pulumi-nodejs:dynamic:Resource");
        assert.deepEqual(
            groups.map((r) => [r.name, r.inputs.kind, r.inputs.logGroupName]),
            [["owned-mon-control-plane-logs", "vigil:cloudwatch:LogGroup", "/aws/eks/owned/cluster"]],
            "the log group, and no logging resource: the cluster's owner enables the types",
        );
        assert.ok(!rs.some((r) => r.type === "aws:cloudwatch/logGroup:LogGroup"));
        const kubeconfig = JSON.parse(rs.find((r) => r.type === "pulumi:providers:kubernetes")?.inputs.kubeconfig);
        assert.match(kubeconfig.clusters[0].cluster.server, /^https:\/\/[0-9A-F]{32}\.gr7\.eu-west-1\.eks\.amazonaws\.com$/);
        const trust = JSON.parse(rs.find((r) => r.type === "aws:iam/role:Role")?.inputs.assumeRolePolicy);
        assert.match(trust.Statement[0].Principal.Federated, /^arn:aws:iam::111122223333:oidc-provider\/oidc\.eks\.eu-west-1\.amazonaws\.com\/id\/[0-9A-F]{32}$/);
    });
});

describe("ClusterMonitoring arguments", () => {
    let mod: Module;
    before(async () => {
        mod = await import("../../components/cluster/clusterMonitoring");
    });
    const resolve = (args: Partial<ClusterMonitoringArgs>) => mod.resolveClusterMonitoringArgs({ ...base("payments-prod"), ...args } as ClusterMonitoringArgs);

    it("applies the defaults", () => {
        const r = resolve({});
        assert.deepEqual(
            { ...r, keep: undefined },
            { namespace: "vigil-monitoring", collector: "prometheus", identity: "irsa", scrapeIntervalSeconds: 30, keep: undefined, logRetentionDays: 365, controlPlaneLogging: true },
        );
        assert.deepEqual(r.keep, [...KEEP].sort());
    });

    const invalid: [string, Partial<ClusterMonitoringArgs>, RegExp][] = [
        ["neither cluster argument", { clusterName: undefined }, /clusterName\/cluster: got "neither"; allowed: exactly one of/],
        ["both cluster arguments", { cluster: { eksCluster: undefined as never } }, /clusterName\/cluster: got "both"/],
        ["a bad cluster name", { clusterName: "-bad" }, /clusterName: got "-bad"/],
        ["a kube-* namespace", { namespace: "kube-system" }, /namespace: got "kube-system"; allowed: a DNS-1123 label of its own/],
        ["an unknown collector", { collector: "otel" as never }, /collector: got "otel"; allowed: "prometheus" or "managed"/],
        ["an unknown identity", { identity: "keys" as never }, /identity: got "keys"/],
        ["an interval too short", { scrapeIntervalSeconds: 5 }, /scrapeIntervalSeconds: got 5; allowed: a whole number of seconds from 10 to 300/],
        ["a bad extra metric", { keep: undefined, extraKeepMetrics: ["ok_total", "not ok"] }, /extraKeepMetrics\[1\]: got "not ok"/],
        ["an empty keep-list", { keep: [] }, /keep: got \[\].*empty list/],
        ["a retention CloudWatch does not accept", { logRetentionDays: 42 }, /logRetentionDays: got 42; allowed: one of 1, 3, 5/],
        ["no log key while logging is on", { logKeyArn: undefined }, /logKeyArn: got undefined; allowed: the ARN of a KMS key/],
    ];
    for (const [what, args, message] of invalid) {
        it(`rejects ${what}`, () => {
            assert.throws(() => resolve(args), message);
        });
    }

    it("accepts every retention the stack configuration accepts", () => {
        assert.deepEqual([...mod.CLOUDWATCH_RETENTION_DAYS], [...LOG_RETENTION_DAYS]);
    });

    it("names what keeps the managed collector from a cluster", () => {
        const ok = { clusterName: "c", authenticationMode: "API", endpointPrivateAccess: true, subnetIds: ["a", "b"] };
        assert.deepEqual(mod.managedCollectorProblems(ok), []);
        assert.deepEqual(mod.managedCollectorProblems({ ...ok, authenticationMode: "API_AND_CONFIG_MAP" }), []);
        const problems = mod.managedCollectorProblems({ clusterName: "c", authenticationMode: "CONFIG_MAP", endpointPrivateAccess: false, subnetIds: ["a"] });
        assert.equal(problems.length, 3);
        assert.match(problems[0], /no private endpoint access/);
        assert.match(problems[1], /1 subnet\(s\); the managed collector needs at least two/);
        assert.match(problems[2], /authentication mode CONFIG_MAP; the managed collector needs API or API_AND_CONFIG_MAP/);
    });
});

import * as assert from "node:assert/strict";
import * as yaml from "js-yaml";
import { collectorClusterLabel } from "../../policies/collector/clusterLabel";
import { collectorKeepList } from "../../policies/collector/keepList";
import { kubernetesOperatorAccessRole } from "../../policies/kubernetes/operatorAccessRole";
import { kubernetesOperatorNamespace } from "../../policies/kubernetes/operatorNamespace";
import { kubernetesRbacBindingScoped } from "../../policies/kubernetes/rbacBindingScoped";
import { kubernetesRbacNoWildcards } from "../../policies/kubernetes/rbacNoWildcards";
import { kubernetesRbacReadOnly } from "../../policies/kubernetes/rbacReadOnly";
import { customerStack, operatorStack, prometheusYaml } from "./fixtures";
import { assertClean, assertNotApplicable, assertViolations } from "./harness";

const customer = { party: "customer" } as const;
const ROLE = 'kubernetes:rbac.authorization.k8s.io/v1:ClusterRole "payments-prod-prometheus"';
const BINDING = 'kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding "payments-prod-prometheus"';
const OPERATOR_ROLE = 'kubernetes:rbac.authorization.k8s.io/v1:ClusterRole "vigil-access-operator"';

describe("vigil-kubernetes-operator-namespace", () => {
    it("accepts the compliant stacks", async () => {
        await assertClean(kubernetesOperatorNamespace, operatorStack());
        await assertClean(kubernetesOperatorNamespace, customerStack(), customer);
    });

    it("reports an object in another namespace, and one without a namespace", async () => {
        const s = operatorStack();
        const config = s.get("payments-prod-prometheus-config");
        config.inputs.metadata.namespace = "kube-system";
        await assertViolations(kubernetesOperatorNamespace, s, [
            {
                on: config,
                message: 'The Kubernetes object kubernetes:core/v1:ConfigMap "payments-prod-prometheus-config" lives in "kube-system"; set metadata.namespace to the operator namespace vigil-monitoring.',
            },
        ]);
        delete config.inputs.metadata.namespace;
        await assertViolations(kubernetesOperatorNamespace, s, [
            {
                on: config,
                message:
                    "The Kubernetes object kubernetes:core/v1:ConfigMap \"payments-prod-prometheus-config\" lives in the provider's default namespace; set metadata.namespace to the operator namespace vigil-monitoring.",
            },
        ]);
    });

    it("reports a Helm release outside the namespace", async () => {
        const s = operatorStack();
        const release = s.get("payments-prod-node-exporter");
        release.inputs.namespace = "default";
        await assertViolations(kubernetesOperatorNamespace, s, [
            { on: release, message: 'The Helm release kubernetes:helm.sh/v3:Release "payments-prod-node-exporter" installs into "default"; set namespace to the operator namespace vigil-monitoring.' },
        ]);
    });

    it("reports another namespace, and cluster-scoped kinds beyond Vigil's", async () => {
        const s = operatorStack(["payments-prod"]);
        const cluster = s.get("payments-prod", "vigil:cluster:ClusterMonitoring");
        const extra = s.add("kubernetes:core/v1:Namespace", "payments-prod-extra", { metadata: { name: "monitoring" } }, {}, cluster);
        const webhook = s.add("kubernetes:admissionregistration.k8s.io/v1:ValidatingWebhookConfiguration", "payments-prod-webhook", { metadata: { name: "vigil" } }, {}, cluster);
        await assertViolations(kubernetesOperatorNamespace, s, [
            { on: extra, message: 'The namespace kubernetes:core/v1:Namespace "payments-prod-extra" is named "monitoring"; Vigil creates only the operator namespace vigil-monitoring.' },
            {
                on: webhook,
                message:
                    'The kubernetes:admissionregistration.k8s.io/v1:ValidatingWebhookConfiguration "payments-prod-webhook" is a cluster-scoped ValidatingWebhookConfiguration; Vigil creates no cluster-scoped objects other than Namespace, ClusterRole, ClusterRoleBinding.',
            },
        ]);
    });

    it("follows operatorNamespace", async () => {
        const s = operatorStack(["payments-prod"]);
        await assertViolations(
            kubernetesOperatorNamespace,
            s,
            [
                { on: s.get("payments-prod-namespace"), message: 'The namespace kubernetes:core/v1:Namespace "payments-prod-namespace" is named "vigil-monitoring"; Vigil creates only the operator namespace observability.' },
                {
                    on: s.get("payments-prod-prometheus-config"),
                    message: 'The Kubernetes object kubernetes:core/v1:ConfigMap "payments-prod-prometheus-config" lives in "vigil-monitoring"; set metadata.namespace to the operator namespace observability.',
                },
                ...["prometheus", "node-exporter", "kube-state-metrics"].map((r) => ({
                    on: s.get(`payments-prod-${r}`, "kubernetes:helm.sh/v3:Release"),
                    message: `The Helm release kubernetes:helm.sh/v3:Release "payments-prod-${r}" installs into "vigil-monitoring"; set namespace to the operator namespace observability.`,
                })),
            ],
            { config: { "vigil-kubernetes-operator-namespace": { operatorNamespace: "observability" } } },
        );
    });

    it("is not applicable to AWS resources nor to the customer's own Kubernetes objects", async () => {
        const c = customerStack();
        const own = c.add("kubernetes:apps/v1:Deployment", "shop-web", { metadata: { name: "web", namespace: "default" } });
        await assertNotApplicable(kubernetesOperatorNamespace, c, own, customer);
        await assertNotApplicable(kubernetesOperatorNamespace, c, c.get("shop"), customer);
    });
});

describe("vigil-kubernetes-rbac-no-wildcards", () => {
    it("accepts named rules", async () => {
        await assertClean(kubernetesRbacNoWildcards, operatorStack());
        await assertClean(kubernetesRbacNoWildcards, customerStack(), customer);
    });

    it("reports wildcards in any field", async () => {
        const s = operatorStack(["payments-prod"]);
        const role = s.get("payments-prod-prometheus", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole");
        role.inputs.rules[0].verbs = ["*"];
        role.inputs.rules[1].apiGroups = ["*"];
        role.inputs.rules[1].resources = ["pods/*"];
        await assertViolations(kubernetesRbacNoWildcards, s, [
            { on: role, message: `The ${ROLE} uses "*" in verbs of rule 0; name what it needs.` },
            { on: role, message: `The ${ROLE} uses "*" in apiGroups, resources of rule 1; name what it needs.` },
        ]);
    });

    it("is not applicable to bindings", async () => {
        const s = operatorStack(["payments-prod"]);
        await assertNotApplicable(kubernetesRbacNoWildcards, s, s.get("payments-prod-prometheus", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"));
    });
});

describe("vigil-kubernetes-rbac-read-only", () => {
    it("accepts read-only component roles", async () => {
        await assertClean(kubernetesRbacReadOnly, operatorStack());
    });

    it("reports write verbs and Secrets", async () => {
        const s = operatorStack(["payments-prod"]);
        const role = s.get("payments-prod-prometheus", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole");
        role.inputs.rules[0].verbs = ["get", "list", "watch", "create", "escalate"];
        role.inputs.rules[0].resources = ["pods", "secrets"];
        await assertViolations(kubernetesRbacReadOnly, s, [
            { on: role, message: `The ${ROLE} grants create, escalate in rule 0; Vigil's component roles only get, list, watch.` },
            { on: role, message: `The ${ROLE} can read Secrets in rule 0; Vigil does not need them. Remove secrets from the resources.` },
        ]);
    });

    it("follows allowedVerbs and allowSecretsRead", async () => {
        const s = operatorStack(["payments-prod"]);
        const role = s.get("payments-prod-prometheus", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole");
        role.inputs.rules[0].resources = ["secrets"];
        await assertClean(kubernetesRbacReadOnly, s, { config: { "vigil-kubernetes-rbac-read-only": { allowSecretsRead: true } } });
        await assertViolations(
            kubernetesRbacReadOnly,
            s,
            [
                { on: role, message: `The ${ROLE} grants list, watch in rule 0; Vigil's component roles only get.` },
                { on: role, message: `The ${ROLE} grants list, watch in rule 1; Vigil's component roles only get.` },
            ],
            { config: { "vigil-kubernetes-rbac-read-only": { allowedVerbs: ["get"], allowSecretsRead: true } } },
        );
    });

    it("reports exec, attach, port-forward and proxy subresources, and nodes/proxy outside the collector role", async () => {
        const s = operatorStack(["payments-prod"]);
        const role = s.get("payments-prod-prometheus", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole");
        assert.ok(role.inputs.rules[0].resources.includes("nodes/proxy"), "the compliant collector role holds nodes/proxy");
        role.inputs.rules[0].resources = [...role.inputs.rules[0].resources, "pods/exec", "services/proxy"];
        await assertViolations(kubernetesRbacReadOnly, s, [
            {
                on: role,
                message: `The ${ROLE} holds pods/exec, services/proxy in rule 0: more than a read (exec into pods, or the API behind the proxy). Remove it; only the roles named in nodeProxyRoles (vigil-prometheus) may hold nodes/proxy.`,
            },
        ]);
        role.inputs.rules[0].resources = role.inputs.rules[0].resources.filter((r: string) => r !== "pods/exec" && r !== "services/proxy");
        role.inputs.metadata.name = "vigil-kube-state-metrics";
        await assertViolations(kubernetesRbacReadOnly, s, [
            {
                on: role,
                message: `The ${ROLE} holds nodes/proxy in rule 0: more than a read (exec into pods, or the API behind the proxy). Remove it; only the roles named in nodeProxyRoles (vigil-prometheus) may hold nodes/proxy.`,
            },
        ]);
    });

    it("follows nodeProxyRoles: an empty list forbids nodes/proxy everywhere", async () => {
        const s = operatorStack(["payments-prod"]);
        const role = s.get("payments-prod-prometheus", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole");
        await assertViolations(
            kubernetesRbacReadOnly,
            s,
            [{ on: role, message: `The ${ROLE} holds nodes/proxy in rule 0: more than a read (exec into pods, or the API behind the proxy). Remove it; only the roles named in nodeProxyRoles (none) may hold nodes/proxy.` }],
            { config: { "vigil-kubernetes-rbac-read-only": { nodeProxyRoles: [] } } },
        );
    });

    it("leaves the customer's grant to the operator to its own policy", async () => {
        const c = customerStack();
        await assertNotApplicable(kubernetesRbacReadOnly, c, c.get("vigil-access-operator", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"), customer);
    });
});

describe("vigil-kubernetes-operator-access-role", () => {
    it("accepts CustomerAccess's operator role", async () => {
        await assertClean(kubernetesOperatorAccessRole, customerStack(), customer);
    });

    it("reports escalation, Secrets, writes beyond namespaces and RBAC, and unnamed changes", async () => {
        const c = customerStack();
        const role = c.get("vigil-access-operator", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole");
        role.inputs.rules = [
            { apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], verbs: ["bind", "escalate"] },
            { apiGroups: [""], resources: ["secrets"], verbs: ["get"] },
            { apiGroups: ["apps"], resources: ["deployments"], verbs: ["create", "delete"], resourceNames: ["web"] },
            { apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterrolebindings"], verbs: ["update", "delete"] },
        ];
        await assertViolations(
            kubernetesOperatorAccessRole,
            c,
            [
                { on: role, message: `The operator's role ${OPERATOR_ROLE} grants bind, escalate in rule 0; it must never let the operator raise its own permissions.` },
                { on: role, message: `The operator's role ${OPERATOR_ROLE} reaches Secrets in rule 1; the operator must not read or change the customer's Secrets.` },
                { on: role, message: `The operator's role ${OPERATOR_ROLE} may create, delete deployments in rule 2; it may write only namespaces, clusterroles, clusterrolebindings.` },
                { on: role, message: `The operator's role ${OPERATOR_ROLE} may update, delete any clusterrolebindings in rule 3; limit it with resourceNames to Vigil's own objects.` },
            ],
            customer,
        );
    });

    it("follows writableResources", async () => {
        const c = customerStack();
        const role = c.get("vigil-access-operator", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole");
        await assertViolations(
            kubernetesOperatorAccessRole,
            c,
            [
                { on: role, message: `The operator's role ${OPERATOR_ROLE} may create clusterroles, clusterrolebindings in rule 2; it may write only namespaces.` },
                { on: role, message: `The operator's role ${OPERATOR_ROLE} may update, patch, delete clusterroles, clusterrolebindings in rule 3; it may write only namespaces.` },
            ],
            { ...customer, config: { "vigil-kubernetes-operator-access-role": { writableResources: ["namespaces"] } } },
        );
    });

    it("is not applicable to Vigil's component roles", async () => {
        const s = operatorStack(["payments-prod"]);
        await assertNotApplicable(kubernetesOperatorAccessRole, s, s.get("payments-prod-prometheus", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"));
    });
});

describe("vigil-kubernetes-rbac-binding-scoped", () => {
    it("accepts component bindings and the customer's grant to the operator group", async () => {
        await assertClean(kubernetesRbacBindingScoped, operatorStack());
        await assertClean(kubernetesRbacBindingScoped, customerStack(), customer);
    });

    it("reports built-in roles, foreign service accounts, users and broad groups", async () => {
        const s = operatorStack(["payments-prod"]);
        const binding = s.get("payments-prod-prometheus", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding");
        binding.inputs.roleRef.name = "cluster-admin";
        binding.inputs.subjects = [
            { kind: "ServiceAccount", name: "default", namespace: "default" },
            { kind: "User", name: "alice" },
            { kind: "Group", name: "system:authenticated" },
            { kind: "Group", name: "vigil-operators" },
        ];
        await assertViolations(kubernetesRbacBindingScoped, s, [
            { on: binding, message: `The ${BINDING} binds the built-in role "cluster-admin"; bind a role of Vigil's own.` },
            { on: binding, message: `The ${BINDING} binds the service account "default" of namespace "default"; Vigil binds only service accounts of vigil-monitoring.` },
            { on: binding, message: `The ${BINDING} binds the User "alice"; Vigil binds only service accounts of vigil-monitoring.` },
            { on: binding, message: `The ${BINDING} binds the Group "system:authenticated", a group that reaches far beyond Vigil; Vigil binds only service accounts of vigil-monitoring.` },
            { on: binding, message: `The ${BINDING} binds the Group "vigil-operators"; Vigil binds only service accounts of vigil-monitoring.` },
        ]);
    });

    it("reports a binding without subjects, and a grant to a group other than the operator's", async () => {
        const c = customerStack();
        const binding = c.get("vigil-access-operator", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding");
        const what = 'kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding "vigil-access-operator"';
        binding.inputs.subjects = [{ kind: "Group", name: "system:masters" }];
        await assertViolations(
            kubernetesRbacBindingScoped,
            c,
            [{ on: binding, message: `The ${what} binds the Group "system:masters", a group that reaches far beyond Vigil; Vigil binds only service accounts of vigil-monitoring and the operator's group (vigil-operators).` }],
            customer,
        );
        binding.inputs.subjects = [];
        await assertViolations(kubernetesRbacBindingScoped, c, [{ on: binding, message: `The ${what} has no subjects; bind the component's service account.` }], customer);
    });
});

describe("vigil-collector-cluster-label", () => {
    const CONFIG = 'kubernetes:core/v1:ConfigMap "payments-prod-prometheus-config"';

    it("accepts the external cluster label, and a relabelling that sets it on every job", async () => {
        const s = operatorStack(["payments-prod"]);
        await assertClean(collectorClusterLabel, s);
        const config = prometheusYaml("payments-prod");
        delete config.global.external_labels;
        for (const job of config.scrape_configs) {
            job.relabel_configs = [{ target_label: "cluster", replacement: "payments-prod" }];
        }
        s.get("payments-prod-prometheus-config").inputs.data["prometheus.yml"] = yaml.dump(config);
        await assertClean(collectorClusterLabel, s);
    });

    it("reports a configuration without the cluster label", async () => {
        const s = operatorStack(["payments-prod"]);
        const config = prometheusYaml("payments-prod");
        delete config.global.external_labels;
        config.scrape_configs[0].relabel_configs = [{ target_label: "cluster", replacement: "payments-prod" }];
        s.get("payments-prod-prometheus-config").inputs.data["prometheus.yml"] = yaml.dump(config);
        await assertViolations(collectorClusterLabel, s, [
            { on: s.get("payments-prod-prometheus-config"), message: `The collector configuration of ${CONFIG} must label every series with cluster: set global.external_labels.cluster (jobs without it: node-exporter).` },
        ]);
    });

    it("reports an unreadable configuration and checks a managed scraper's", async () => {
        const s = operatorStack(["payments-prod"]);
        s.get("payments-prod-prometheus-config").inputs.data["prometheus.yml"] = "global: [";
        const scraper = s.add(
            "aws:amp/scraper:Scraper",
            "payments-prod-scraper",
            { scrapeConfiguration: yaml.dump({ global: { scrape_interval: "30s" }, scrape_configs: [{ job_name: "kubelet", metric_relabel_configs: [{ source_labels: ["__name__"], action: "keep", regex: "up" }] }] }) },
            {},
            s.get("payments-prod", "vigil:cluster:ClusterMonitoring"),
        );
        await assertViolations(collectorClusterLabel, s, [
            { on: s.get("payments-prod-prometheus-config"), message: `The collector configuration of ${CONFIG} cannot be read: it is not valid YAML (unexpected end of the stream within a flow collection (1:10)).` },
            { on: scraper, message: 'The collector configuration of aws:amp/scraper:Scraper "payments-prod-scraper" must label every series with cluster: set global.external_labels.cluster (jobs without it: kubelet).' },
        ]);
    });

    it("is not applicable to ConfigMaps without a collector configuration", async () => {
        const s = operatorStack(["payments-prod"]);
        const other = s.add("kubernetes:core/v1:ConfigMap", "payments-prod-dashboards", { metadata: { namespace: "vigil-monitoring" }, data: { "a.json": "{}" } }, {}, s.get("payments-prod", "vigil:cluster:ClusterMonitoring"));
        await assertNotApplicable(collectorClusterLabel, s, other);
    });
});

describe("vigil-collector-keep-list (advisory)", () => {
    it("accepts a remote write with a keep rule on __name__", async () => {
        await assertClean(collectorKeepList, operatorStack());
    });

    it("reports a remote write that keeps everything", async () => {
        const s = operatorStack(["payments-prod"]);
        const config = prometheusYaml("payments-prod");
        config.remote_write[0].write_relabel_configs = [{ source_labels: ["__name__"], action: "drop", regex: "go_.*" }];
        s.get("payments-prod-prometheus-config").inputs.data["prometheus.yml"] = yaml.dump(config);
        await assertViolations(collectorKeepList, s, [
            {
                on: s.get("payments-prod-prometheus-config"),
                message: `The collector configuration of kubernetes:core/v1:ConfigMap "payments-prod-prometheus-config" remote-writes every metric to ${config.remote_write[0].url}; add a write_relabel_configs keep rule on __name__ with Vigil's keep-list.`,
            },
        ]);
    });

    it("reports a managed scraper job without a keep rule", async () => {
        const s = operatorStack(["payments-prod"]);
        const scraper = s.add(
            "aws:amp/scraper:Scraper",
            "payments-prod-scraper",
            { scrapeConfiguration: yaml.dump({ global: { external_labels: { cluster: "payments-prod" } }, scrape_configs: [{ job_name: "kubelet" }] }) },
            {},
            s.get("payments-prod", "vigil:cluster:ClusterMonitoring"),
        );
        await assertViolations(collectorKeepList, s, [
            { on: scraper, message: 'The managed scraper aws:amp/scraper:Scraper "payments-prod-scraper" ingests every metric of kubelet; add a metric_relabel_configs keep rule on __name__ with Vigil\'s keep-list to each job.' },
        ]);
    });
});

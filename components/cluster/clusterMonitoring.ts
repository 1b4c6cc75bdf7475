// ClusterMonitoring (contract C5): everything Vigil does for one EKS cluster. The collector
// (Prometheus in agent mode, or the AMP managed collector) with node-exporter and
// kube-state-metrics in Vigil's namespace, remote write through an IAM role only that collector can
// assume, and control-plane logging into an encrypted log group with retention, created before
// logging is enabled or, when EKS created it already, adopted.
//
// The class wires resources; the configuration comes from the pure functions in ./scrape, ./values
// and ./iam, which the tests call directly.

import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ContentError, keepList } from "../metrics";
import { Activity, vigilLabels, vigilTags } from "../tags";
import { AdoptableLogGroup } from "./adoptableLogGroup";
import { ControlPlaneLogging } from "./controlPlaneLogging";
import { irsaTrustPolicy, oidcProviderArn, podIdentityTrustPolicy, remoteWritePolicy } from "./iam";
import { CLOUDWATCH_RETENTION_DAYS } from "./logGroup";
import { CONTROL_PLANE_LOG_TYPES } from "./logging";
import {
    Collector,
    kubeStateMetricsAllowlist,
    managedScrapeConfiguration,
    MANAGED_MIN_SCRAPE_INTERVAL_SECONDS,
    normaliseKeepList,
    prometheusConfig,
    ScrapeConfigError,
    scrapeJobs,
} from "./scrape";
import {
    CHART_REPOSITORY,
    CHARTS,
    CLUSTER_ROLE_NAMES,
    controlPlaneMetricsRules,
    IRSA_ANNOTATION,
    kubeconfig,
    kubeStateMetricsClusterRules,
    kubeStateMetricsValues,
    namespaceLabels,
    nodeExporterValues,
    PolicyRule,
    PROMETHEUS_CONFIG_KEY,
    PROMETHEUS_CONFIGMAP,
    prometheusClusterRules,
    prometheusValues,
    RELEASES,
    Resources,
    SERVICE_ACCOUNTS,
} from "./values";

export type CollectorIdentity = "irsa" | "pod-identity";

export { CLOUDWATCH_RETENTION_DAYS };

export const DEFAULT_NAMESPACE = "vigil-monitoring";

/** The part of a `@pulumi/eks` Cluster that ClusterMonitoring reads (an `eks.Cluster` satisfies it). */
export interface ClusterLike {
    readonly eksCluster: pulumi.Output<aws.eks.Cluster>;
}

export interface ClusterMonitoringArgs {
    /** Name of an existing EKS cluster in the provider's account and region. Give this or `cluster`. */
    readonly clusterName?: pulumi.Input<string>;
    /**
     * A cluster this program creates (an `eks.Cluster` of @pulumi/eks). Give this or `clusterName`.
     * Its owner sets `enabledClusterLogTypes` to `CONTROL_PLANE_LOG_TYPES` on it.
     */
    readonly cluster?: ClusterLike;
    /** ARN of the AMP workspace the collector writes to. */
    readonly workspaceArn: pulumi.Input<string>;
    /** The workspace's remote-write URL (`<prometheusEndpoint>api/v1/remote_write`). */
    readonly remoteWriteUrl: pulumi.Input<string>;
    /** Region of the cluster and the workspace (SigV4 signing, `aws eks get-token`). */
    readonly region: pulumi.Input<string>;
    /** Namespace for everything Vigil runs in the cluster. Defaults to `vigil-monitoring`. */
    readonly namespace?: string;
    /** `prometheus` (agent mode in the namespace) or `managed` (the AMP managed collector). Defaults to `prometheus`. */
    readonly collector?: Collector;
    /** How the in-cluster collector gets AWS credentials: `irsa` or `pod-identity`. Defaults to `irsa`; unused for `managed`. */
    readonly identity?: CollectorIdentity;
    /** Scrape interval in seconds, 10 to 300 (30 to 300 for `managed`). Defaults to 30. */
    readonly scrapeIntervalSeconds?: number;
    /** Metric names kept in addition to those the shipped rules and dashboards use. Defaults to none. */
    readonly extraKeepMetrics?: readonly string[];
    /**
     * The complete remote-write keep-list. Defaults to `keepList(extraKeepMetrics)`: the metrics the
     * shipped rules and dashboards read, plus `extraKeepMetrics`, minus recorded series.
     */
    readonly keep?: readonly string[];
    /** Retention of the control-plane log group, a value CloudWatch Logs accepts. Defaults to 365. */
    readonly logRetentionDays?: number;
    /** CMK for the control-plane log group (must admit logs.<region>.amazonaws.com). Required with `controlPlaneLogging`. */
    readonly logKeyArn?: pulumi.Input<string>;
    /**
     * Enable all five control-plane log types and give their log group retention and the log key
     * (created before logging is enabled, or adopted when it exists). Defaults to true.
     */
    readonly controlPlaneLogging?: boolean;
    /** Requests and limits per component. Defaults to `DEFAULT_RESOURCES` (./values). */
    readonly resources?: {
        readonly prometheus?: Resources;
        readonly nodeExporter?: Resources;
        readonly kubeStateMetrics?: Resources;
    };
}

/** What ClusterMonitoring reads about the cluster, from a lookup or from an eks.Cluster. */
interface ClusterFacts {
    readonly name: pulumi.Output<string>;
    readonly arn: pulumi.Output<string>;
    readonly version: pulumi.Output<string>;
    readonly endpoint: pulumi.Output<string>;
    readonly certificateAuthority: pulumi.Output<string>;
    readonly oidcIssuer: pulumi.Output<string>;
    readonly subnetIds: pulumi.Output<string[]>;
    readonly securityGroupId: pulumi.Output<string>;
    readonly authenticationMode: pulumi.Output<string>;
    readonly endpointPrivateAccess: pulumi.Output<boolean>;
    readonly enabledLogTypes: pulumi.Output<string[]>;
}

export interface ManagedCollectorFacts {
    readonly clusterName: string;
    readonly authenticationMode: string;
    readonly endpointPrivateAccess: boolean;
    readonly subnetIds: readonly string[];
}

/**
 * What keeps the AMP managed collector from working on a cluster (AMP user guide): private endpoint
 * access, at least two subnets (in two AZs), and access entries, through which AMP grants the
 * scraper its in-cluster RBAC itself. Vigil does not edit a customer's aws-auth ConfigMap.
 */
export function managedCollectorProblems(facts: ManagedCollectorFacts): string[] {
    const problems: string[] = [];
    if (!facts.endpointPrivateAccess) {
        problems.push(`cluster ${facts.clusterName} has no private endpoint access; the managed collector reaches the API server only privately`);
    }
    if (facts.subnetIds.length < 2) {
        problems.push(`cluster ${facts.clusterName} has ${facts.subnetIds.length} subnet(s); the managed collector needs at least two, in two Availability Zones`);
    }
    if (facts.authenticationMode !== "API" && facts.authenticationMode !== "API_AND_CONFIG_MAP") {
        problems.push(
            `cluster ${facts.clusterName} uses authentication mode ${facts.authenticationMode}; the managed collector needs API or API_AND_CONFIG_MAP, so AMP can create the scraper's access entry`,
        );
    }
    return problems;
}

const NAMESPACE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const RESERVED_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** Arguments with their defaults applied, checked. */
export interface ResolvedClusterMonitoringArgs {
    readonly namespace: string;
    readonly collector: Collector;
    readonly identity: CollectorIdentity;
    readonly scrapeIntervalSeconds: number;
    readonly keep: string[];
    readonly logRetentionDays: number;
    readonly controlPlaneLogging: boolean;
}

/**
 * Applies defaults and validates the plain arguments. Every error names the argument, the value
 * given and what is allowed.
 */
export function resolveClusterMonitoringArgs(args: ClusterMonitoringArgs): ResolvedClusterMonitoringArgs {
    const fail = (argument: string, given: unknown, allowed: string): never => {
        throw new Error(`ClusterMonitoring argument ${argument}: got ${JSON.stringify(given)}; allowed: ${allowed}`);
    };
    if ((args.clusterName === undefined) === (args.cluster === undefined)) {
        fail("clusterName/cluster", args.clusterName === undefined ? "neither" : "both", "exactly one of clusterName (an existing cluster) or cluster (an eks.Cluster)");
    }
    if (typeof args.clusterName === "string" && !/^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/.test(args.clusterName)) {
        fail("clusterName", args.clusterName, "an EKS cluster name (1-100 letters, digits, - and _, starting with a letter or digit)");
    }
    const namespace = args.namespace ?? DEFAULT_NAMESPACE;
    if (!NAMESPACE.test(namespace) || RESERVED_NAMESPACES.includes(namespace)) {
        fail("namespace", namespace, "a DNS-1123 label of its own (not default or a kube-* namespace)");
    }
    const collector = args.collector ?? "prometheus";
    if (collector !== "prometheus" && collector !== "managed") {
        fail("collector", collector, '"prometheus" or "managed"');
    }
    const identity = args.identity ?? "irsa";
    if (identity !== "irsa" && identity !== "pod-identity") {
        fail("identity", identity, '"irsa" or "pod-identity"');
    }
    const scrapeIntervalSeconds = args.scrapeIntervalSeconds ?? 30;
    const minimum = collector === "managed" ? MANAGED_MIN_SCRAPE_INTERVAL_SECONDS : 10;
    if (!Number.isInteger(scrapeIntervalSeconds) || scrapeIntervalSeconds < minimum || scrapeIntervalSeconds > 300) {
        fail("scrapeIntervalSeconds", scrapeIntervalSeconds, `a whole number of seconds from ${minimum} to 300${collector === "managed" ? " (the AMP managed collector's minimum is 30)" : ""}`);
    }
    (args.extraKeepMetrics ?? []).forEach((name, index) => {
        if (!METRIC_NAME.test(name)) {
            fail(`extraKeepMetrics[${index}]`, name, `a metric name matching ${METRIC_NAME}`);
        }
    });
    let keep: string[] = [];
    try {
        keep = normaliseKeepList(args.keep ?? keepList(args.extraKeepMetrics ?? []));
    } catch (err) {
        if (err instanceof ScrapeConfigError || err instanceof ContentError) {
            fail(args.keep ? "keep" : "extraKeepMetrics (keep-list from rules/ and dashboards/)", args.keep ?? args.extraKeepMetrics ?? [], err.message);
        }
        throw err;
    }
    const logRetentionDays = args.logRetentionDays ?? 365;
    if (!CLOUDWATCH_RETENTION_DAYS.includes(logRetentionDays)) {
        fail("logRetentionDays", logRetentionDays, `one of ${CLOUDWATCH_RETENTION_DAYS.join(", ")}`);
    }
    const controlPlaneLogging = args.controlPlaneLogging ?? true;
    if (controlPlaneLogging && args.logKeyArn === undefined) {
        fail("logKeyArn", undefined, "the ARN of a KMS key for the control-plane log group (required while controlPlaneLogging is true)");
    }
    return { namespace, collector, identity, scrapeIntervalSeconds, keep, logRetentionDays, controlPlaneLogging };
}

/** Monitoring of one EKS cluster (contract C5). */
export class ClusterMonitoring extends pulumi.ComponentResource {
    /** The namespace everything runs in. */
    readonly namespace: pulumi.Output<string>;
    /** The role the collector writes to AMP with: Vigil's IRSA/Pod Identity role, or the managed scraper's service-linked role. */
    readonly collectorRoleArn: pulumi.Output<string>;
    /** `/aws/eks/<cluster>/cluster`, or undefined when control-plane logging is off. */
    readonly logGroupName: pulumi.Output<string | undefined>;

    /**
     * @param name The _unique_ name of this component; children's names derive from it.
     * @param args The cluster and how to monitor it.
     * @param opts A bag of options that control this component's behavior.
     */
    constructor(name: string, args: ClusterMonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
        super("vigil:cluster:ClusterMonitoring", name, {}, opts);
        let resolved: ResolvedClusterMonitoringArgs;
        try {
            resolved = resolveClusterMonitoringArgs(args);
        } catch (err) {
            throw new pulumi.ResourceError((err as Error).message, this);
        }
        const { namespace, collector, identity, scrapeIntervalSeconds, keep } = resolved;
        const facts = args.cluster ? factsFromCluster(args.cluster) : factsFromLookup(args.clusterName as pulumi.Input<string>, this);

        const provider = new k8s.Provider(
            `${name}-k8s`,
            {
                kubeconfig: pulumi
                    .all([facts.name, facts.endpoint, facts.certificateAuthority, args.region])
                    .apply(([clusterName, endpoint, certificateAuthority, region]) => kubeconfig({ clusterName, endpoint, certificateAuthority, region })),
            },
            { parent: this },
        );
        const k8sOpts = { parent: this, provider };

        const ns = new k8s.core.v1.Namespace(`${name}-namespace`, { metadata: { name: namespace, labels: namespaceLabels() } }, k8sOpts);
        const nsName = ns.metadata.name;

        // A ClusterRole and its binding to one service account of the namespace, both named roleName.
        const binding = (id: string, roleName: string, rules: readonly PolicyRule[], serviceAccount: string, activity: Activity, component: string) => {
            const labels = vigilLabels(activity, component);
            const role = new k8s.rbac.v1.ClusterRole(`${name}-${id}`, { metadata: { name: roleName, labels }, rules: k8sRules(rules) }, k8sOpts);
            return new k8s.rbac.v1.ClusterRoleBinding(
                `${name}-${id}`,
                {
                    metadata: { name: roleName, labels },
                    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role.metadata.name },
                    subjects: [{ kind: "ServiceAccount", name: serviceAccount, namespace: nsName }],
                },
                k8sOpts,
            );
        };

        const jobs = pulumi.output(facts.version).apply((kubernetesVersion) => scrapeJobs({ kubernetesVersion, namespace, collector }));
        let collectorRoleArn: pulumi.Output<string>;

        if (collector === "prometheus") {
            const identityInfo = pulumi.all([aws.getCallerIdentityOutput({}, { parent: this }), aws.getPartitionOutput({}, { parent: this })]);
            const assumeRolePolicy =
                identity === "irsa"
                    ? pulumi.all([identityInfo, facts.oidcIssuer]).apply(([[caller, partition], issuerUrl]) =>
                          JSON.stringify(
                              irsaTrustPolicy({
                                  oidcProviderArn: oidcProviderArn(partition.partition, caller.accountId, issuerUrl),
                                  issuerUrl,
                                  namespace,
                                  serviceAccount: SERVICE_ACCOUNTS.prometheus,
                              }),
                          ),
                      )
                    : pulumi.all([identityInfo, facts.arn]).apply(([[caller], clusterArn]) =>
                          JSON.stringify(podIdentityTrustPolicy({ accountId: caller.accountId, clusterArn, namespace, serviceAccount: SERVICE_ACCOUNTS.prometheus })),
                      );
            const role = new aws.iam.Role(
                `${name}-collector`,
                {
                    description: pulumi.interpolate`Vigil: the Prometheus agent in ${facts.name}/${namespace} writes to AMP`,
                    assumeRolePolicy,
                    maxSessionDuration: 3600,
                    tags: vigilTags("on-cluster-components"),
                },
                { parent: this },
            );
            const rolePolicy = new aws.iam.RolePolicy(
                `${name}-remote-write`,
                { role: role.name, policy: pulumi.output(args.workspaceArn).apply((arn) => JSON.stringify(remoteWritePolicy(arn))) },
                { parent: this },
            );
            const credentialsReady: pulumi.Resource[] = [rolePolicy];
            if (identity === "pod-identity") {
                credentialsReady.push(
                    new aws.eks.PodIdentityAssociation(
                        `${name}-collector`,
                        { clusterName: facts.name, namespace: nsName, serviceAccount: SERVICE_ACCOUNTS.prometheus, roleArn: role.arn, tags: vigilTags("on-cluster-components") },
                        { parent: this },
                    ),
                );
            }
            const prometheusBinding = binding("prometheus", CLUSTER_ROLE_NAMES.prometheus, prometheusClusterRules(), SERVICE_ACCOUNTS.prometheus, "on-cluster-components", "prometheus");
            const controlPlaneBinding = binding(
                "control-plane-metrics",
                CLUSTER_ROLE_NAMES.controlPlaneMetrics,
                controlPlaneMetricsRules(),
                SERVICE_ACCOUNTS.prometheus,
                "control-plane-monitoring",
                "prometheus",
            );
            const config = new k8s.core.v1.ConfigMap(
                `${name}-prometheus-config`,
                {
                    metadata: { name: PROMETHEUS_CONFIGMAP, namespace: nsName, labels: vigilLabels("on-cluster-components", "prometheus") },
                    data: {
                        [PROMETHEUS_CONFIG_KEY]: pulumi
                            .all([facts.name, jobs, args.remoteWriteUrl, args.region])
                            .apply(([cluster, scrape, url, region]) => prometheusConfig({ cluster, scrapeIntervalSeconds, jobs: scrape, remoteWrite: { url, region }, keep })),
                    },
                },
                k8sOpts,
            );
            new k8s.helm.v3.Release(
                `${name}-prometheus`,
                {
                    name: RELEASES.prometheus,
                    namespace: nsName,
                    chart: CHARTS.prometheus.chart,
                    version: CHARTS.prometheus.version,
                    repositoryOpts: { repo: CHART_REPOSITORY },
                    values: prometheusValues({
                        serviceAccountAnnotations: identity === "irsa" ? { [IRSA_ANNOTATION]: role.arn } : {},
                        resources: args.resources?.prometheus,
                    }),
                    atomic: true,
                    cleanupOnFail: true,
                },
                // The pod must start with its configuration, its RBAC and (Pod Identity injects
                // credentials only into pods created after the association) its credentials.
                { ...k8sOpts, dependsOn: [config, prometheusBinding, controlPlaneBinding, ...credentialsReady] },
            );
            collectorRoleArn = role.arn;
        } else {
            const scrapeConfiguration = pulumi
                .all([facts.name, jobs, facts.authenticationMode, facts.endpointPrivateAccess, facts.subnetIds])
                .apply(([clusterName, scrape, authenticationMode, endpointPrivateAccess, subnetIds]) => {
                    const problems = managedCollectorProblems({ clusterName, authenticationMode, endpointPrivateAccess, subnetIds });
                    if (problems.length > 0) {
                        throw new pulumi.ResourceError(`ClusterMonitoring ${name} (collector "managed"): ${problems.join("; ")}`, this);
                    }
                    return managedScrapeConfiguration({ cluster: clusterName, scrapeIntervalSeconds, jobs: scrape, keep });
                });
            const scraper = new aws.amp.Scraper(
                `${name}-scraper`,
                {
                    alias: pulumi.interpolate`vigil-${facts.name}`,
                    source: { eks: { clusterArn: facts.arn, subnetIds: facts.subnetIds, securityGroupIds: [facts.securityGroupId] } },
                    destination: { amp: { workspaceArn: args.workspaceArn } },
                    scrapeConfiguration,
                    tags: vigilTags("cluster-health-monitoring"),
                },
                { parent: this },
            );
            collectorRoleArn = scraper.roleArn;
        }

        new k8s.helm.v3.Release(
            `${name}-node-exporter`,
            {
                name: RELEASES.nodeExporter,
                namespace: nsName,
                chart: CHARTS.nodeExporter.chart,
                version: CHARTS.nodeExporter.version,
                repositoryOpts: { repo: CHART_REPOSITORY },
                values: nodeExporterValues(args.resources?.nodeExporter),
                atomic: true,
                cleanupOnFail: true,
            },
            k8sOpts,
        );
        const ksmBinding = binding("kube-state-metrics", CLUSTER_ROLE_NAMES.kubeStateMetrics, kubeStateMetricsClusterRules(), SERVICE_ACCOUNTS.kubeStateMetrics, "on-cluster-components", "kube-state-metrics");
        new k8s.helm.v3.Release(
            `${name}-kube-state-metrics`,
            {
                name: RELEASES.kubeStateMetrics,
                namespace: nsName,
                chart: CHARTS.kubeStateMetrics.chart,
                version: CHARTS.kubeStateMetrics.version,
                repositoryOpts: { repo: CHART_REPOSITORY },
                values: kubeStateMetricsValues(kubeStateMetricsAllowlist(keep), args.resources?.kubeStateMetrics),
                atomic: true,
                cleanupOnFail: true,
            },
            // kube-state-metrics fails its list/watch calls until its ClusterRole is bound.
            { ...k8sOpts, dependsOn: [ksmBinding] },
        );

        let logGroupName: pulumi.Output<string | undefined> = pulumi.output(undefined);
        if (resolved.controlPlaneLogging) {
            // EKS creates this group itself whenever a log type is enabled and it is missing: for
            // an existing cluster it often exists already, and an eks.Cluster that enables logging
            // at creation has it before this program can read the cluster's name. So the group is
            // created when missing and adopted when present; either way it gets retention, the log
            // key and the tags, and it outlives Vigil (delete leaves it and its logs in place).
            const logGroup = new AdoptableLogGroup(
                `${name}-control-plane-logs`,
                {
                    logGroupName: pulumi.interpolate`/aws/eks/${facts.name}/cluster`,
                    region: args.region,
                    retentionInDays: resolved.logRetentionDays,
                    // Required while logging is on (resolveClusterMonitoringArgs).
                    kmsKeyId: args.logKeyArn as pulumi.Input<string>,
                    tags: vigilTags("control-plane-logging"),
                },
                { parent: this },
            );
            if (args.cluster) {
                // The cluster's owner enables the log types on the eks.Cluster itself (README).
                pulumi.all([facts.name, facts.enabledLogTypes]).apply(([clusterName, enabled]) => {
                    const missing = CONTROL_PLANE_LOG_TYPES.filter((t) => !(enabled ?? []).includes(t));
                    if (missing.length > 0) {
                        pulumi.log.warn(`cluster ${clusterName} does not enable control-plane log types ${missing.join(", ")}; set enabledClusterLogTypes to CONTROL_PLANE_LOG_TYPES on the eks.Cluster`, this);
                    }
                });
            } else {
                new ControlPlaneLogging(
                    `${name}-control-plane-logging`,
                    { clusterName: facts.name, region: args.region, enabledLogTypes: [...CONTROL_PLANE_LOG_TYPES] },
                    // The group must have its retention and key before EKS writes to it; enabled
                    // first, EKS would create the group without either.
                    { parent: this, dependsOn: [logGroup] },
                );
            }
            logGroupName = logGroup.logGroupName;
        }

        this.namespace = nsName;
        this.collectorRoleArn = collectorRoleArn;
        this.logGroupName = logGroupName;
        this.registerOutputs({ namespace: this.namespace, collectorRoleArn: this.collectorRoleArn, logGroupName: this.logGroupName });
    }
}

/** RBAC rules as the Kubernetes provider's input type (mutable copies). */
export function k8sRules(rules: readonly PolicyRule[]): k8s.types.input.rbac.v1.PolicyRule[] {
    return rules.map((r) => ({
        ...(r.apiGroups ? { apiGroups: [...r.apiGroups] } : {}),
        ...(r.resources ? { resources: [...r.resources] } : {}),
        ...(r.resourceNames ? { resourceNames: [...r.resourceNames] } : {}),
        ...(r.nonResourceURLs ? { nonResourceURLs: [...r.nonResourceURLs] } : {}),
        verbs: [...r.verbs],
    }));
}

function factsFromLookup(clusterName: pulumi.Input<string>, parent: pulumi.Resource): ClusterFacts {
    const c = aws.eks.getClusterOutput({ name: clusterName }, { parent });
    return {
        name: c.name,
        arn: c.arn,
        version: c.version,
        endpoint: c.endpoint,
        certificateAuthority: c.certificateAuthorities.apply((cas) => cas[0]?.data ?? ""),
        oidcIssuer: c.identities.apply((ids) => ids[0]?.oidcs[0]?.issuer ?? ""),
        subnetIds: c.vpcConfig.subnetIds,
        securityGroupId: c.vpcConfig.clusterSecurityGroupId,
        authenticationMode: c.accessConfigs.apply((a) => a[0]?.authenticationMode ?? "CONFIG_MAP"),
        endpointPrivateAccess: c.vpcConfig.endpointPrivateAccess,
        enabledLogTypes: c.enabledClusterLogTypes,
    };
}

function factsFromCluster(cluster: ClusterLike): ClusterFacts {
    const ek = cluster.eksCluster;
    return {
        name: ek.apply((c) => c.name),
        arn: ek.apply((c) => c.arn),
        version: ek.apply((c) => c.version),
        endpoint: ek.apply((c) => c.endpoint),
        certificateAuthority: ek.apply((c) => c.certificateAuthority.data),
        oidcIssuer: ek.apply((c) => c.identities.apply((ids) => ids[0]?.oidcs?.[0]?.issuer ?? "")),
        subnetIds: ek.apply((c) => c.vpcConfig.subnetIds),
        securityGroupId: ek.apply((c) => c.vpcConfig.clusterSecurityGroupId),
        authenticationMode: ek.apply((c) => c.accessConfig.apply((a) => a?.authenticationMode ?? "CONFIG_MAP")),
        endpointPrivateAccess: ek.apply((c) => c.vpcConfig.apply((v) => v.endpointPrivateAccess ?? false)),
        enabledLogTypes: ek.apply((c) => c.enabledClusterLogTypes.apply((t) => t ?? [])),
    };
}

// Generates docs/ALERTS.md from the rule files in rules/, and checks that every alert follows the
// label and annotation vocabulary the triage engine and the policies rely on (contract C3).
//
//   npm run docs                         rewrite docs/ALERTS.md
//   npm run docs -- --check              exit 1 when docs/ALERTS.md is out of date (CI)
//   npm run docs -- [--check] --out FILE  write or check FILE instead
//
// Exits 2 with one line per problem when a rule breaks the vocabulary or links a runbook that
// does not exist, so a broken rule never reaches the reference.

import * as fs from "node:fs";
import * as path from "node:path";
import { allRules, loadRuleFiles, Rule, RuleFile } from "../components/metrics";

const REPO_ROOT = path.join(__dirname, "..");

/** Alert labels (contract C3). `long`/`short` name the windows of the error-budget burn alerts. */
export const SEVERITIES = ["critical", "warning", "info"] as const;
export const IMPACTS = ["known", "uncertain", "none"] as const;
/** Levels in the order the reference lists them. */
export const LEVELS = ["cluster", "node", "workload", "pod", "apiserver", "coredns", "control-plane", "network", "pipeline"] as const;
export const ALERT_LABELS = ["severity", "impact", "level", "long", "short"] as const;
export const REQUIRED_ANNOTATIONS = ["summary", "description", "runbook_url"] as const;
export const ALERT_ANNOTATIONS = [...REQUIRED_ANNOTATIONS, "mitigation"] as const;

/** The repository's web address, from package.json (`https://github.com/<owner>/<repo>`). */
export function repositoryUrl(packageJson: { repository?: { url?: string } | string } = readPackageJson()): string {
    const raw = typeof packageJson.repository === "string" ? packageJson.repository : packageJson.repository?.url;
    const match = raw ? /^(?:git\+)?(https:\/\/github\.com\/[\w.-]+\/[\w.-]+?)(?:\.git)?$/.exec(raw) : null;
    if (!match) {
        throw new Error(`package.json: repository.url ${JSON.stringify(raw)} is not a https://github.com/<owner>/<repo>(.git) address`);
    }
    return match[1];
}

function readPackageJson(): { repository?: { url?: string } | string } {
    return JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8"));
}

/** Where Vigil's own runbooks live; an alert links `${OWN_RUNBOOKS}#<anchor of its section>`. */
export const RUNBOOKS_FILE = path.join(REPO_ROOT, "docs", "runbooks.md");
export const ALERTS_FILE = path.join(REPO_ROOT, "docs", "ALERTS.md");
export function ownRunbooksUrl(): string {
    return `${repositoryUrl()}/blob/main/docs/runbooks.md`;
}

/** The prometheus-operator runbook site; pages are `<base>/<group>/<alert name in lower case>`. */
export const UPSTREAM_RUNBOOKS_BASE = "https://runbooks.prometheus-operator.dev/runbooks";

/**
 * Alerts that have a runbook at runbooks.prometheus-operator.dev, by group (the content/runbooks/
 * folders of github.com/prometheus-operator/runbooks, checked when these rules were written).
 * Only these names may link there; every other alert links its section in docs/runbooks.md.
 */
export const UPSTREAM_RUNBOOKS: Readonly<Record<string, readonly string[]>> = {
    general: ["TargetDown", "Watchdog"],
    "kube-state-metrics": ["KubeStateMetricsListErrors", "KubeStateMetricsWatchErrors"],
    kubernetes: [
        "KubeAggregatedAPIDown",
        "KubeAggregatedAPIErrors",
        "KubeAPIDown",
        "KubeAPITerminatedRequests",
        "KubeClientCertificateExpiration",
        "KubeClientErrors",
        "KubeContainerWaiting",
        "KubeCPUOvercommit",
        "KubeCPUQuotaOvercommit",
        "KubeDaemonSetMisScheduled",
        "KubeDaemonSetNotScheduled",
        "KubeDaemonSetRolloutStuck",
        "KubeDeploymentGenerationMismatch",
        "KubeDeploymentReplicasMismatch",
        "KubeHpaMaxedOut",
        "KubeHpaReplicasMismatch",
        "KubeJobFailed",
        "KubeJobNotCompleted",
        "KubeletDown",
        "KubeletPlegDurationHigh",
        "KubeletPodStartUpLatencyHigh",
        "KubeletServerCertificateExpiration",
        "KubeletServerCertificateRenewalErrors",
        "KubeletTooManyPods",
        "KubeMemoryOvercommit",
        "KubeMemoryQuotaOvercommit",
        "KubeNodeEviction",
        "KubeNodeNotReady",
        "KubeNodePressure",
        "KubeNodeReadinessFlapping",
        "KubePersistentVolumeErrors",
        "KubePersistentVolumeFillingUp",
        "KubePersistentVolumeInodesFillingUp",
        "KubePodCrashLooping",
        "KubePodNotReady",
        "KubeQuotaAlmostFull",
        "KubeQuotaExceeded",
        "KubeQuotaFullyUsed",
        "KubeStatefulSetGenerationMismatch",
        "KubeStatefulSetReplicasMismatch",
        "KubeStatefulSetUpdateNotRolledOut",
        "KubeVersionMismatch",
    ],
    node: [
        "NodeClockNotSynchronising",
        "NodeClockSkewDetected",
        "NodeDiskIOSaturation",
        "NodeFileDescriptorLimit",
        "NodeFilesystemAlmostOutOfFiles",
        "NodeFilesystemAlmostOutOfSpace",
        "NodeFilesystemFilesFillingUp",
        "NodeFilesystemSpaceFillingUp",
        "NodeHighNumberConntrackEntriesUsed",
        "NodeMemoryMajorPagesFaults",
        "NodeNetworkInterfaceFlapping",
        "NodeNetworkReceiveErrs",
        "NodeNetworkTransmitErrs",
        "NodeSystemSaturation",
    ],
    prometheus: [
        "PrometheusBadConfig",
        "PrometheusRemoteStorageFailures",
        "PrometheusRemoteWriteBehind",
        "PrometheusRemoteWriteDesiredShards",
        "PrometheusTargetSyncFailure",
    ],
};

/** The anchor GitHub gives a Markdown heading: lower case, punctuation dropped, spaces to dashes. */
export function githubAnchor(heading: string): string {
    return heading
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, "")
        .replace(/\s/g, "-");
}

/** Anchors of the level-2 sections (`## Title`) of a Markdown document, in order. */
export function sectionAnchors(markdown: string): string[] {
    return markdown
        .split("\n")
        .filter((line) => /^## /.test(line))
        .map((line) => githubAnchor(line.slice(3)));
}

const DURATION = /^(\d+(ms|s|m|h|d|w|y))+$/;

export interface AlertRule {
    readonly file: RuleFile;
    readonly group: string;
    readonly rule: Rule & { alert: string };
}

/** Every alerting rule of the files, in file and group order. */
export function alertRules(files: readonly RuleFile[]): AlertRule[] {
    return allRules(files).flatMap(({ file, group, rule }) => (rule.alert ? [{ file, group: group.name, rule: rule as Rule & { alert: string } }] : []));
}

function isOneOf<T extends string>(values: readonly T[], value: unknown): value is T {
    return typeof value === "string" && (values as readonly string[]).includes(value);
}

/**
 * What is wrong with the alerting rules, one message per problem naming the file and alert:
 * missing or unknown labels and annotations, values outside the vocabulary, duplicate names,
 * malformed `for` windows, and runbook links that point to no runbook.
 */
export function alertProblems(files: readonly RuleFile[], runbooksMarkdown: string, ownRunbooks: string = ownRunbooksUrl()): string[] {
    const problems: string[] = [];
    const seen = new Map<string, string>();
    const anchors = new Set(sectionAnchors(runbooksMarkdown));
    const upstream = new Map(Object.entries(UPSTREAM_RUNBOOKS).flatMap(([group, names]) => names.map((name) => [name, group] as const)));
    for (const { file, rule } of alertRules(files)) {
        const where = `${path.basename(file.path)}: alert ${rule.alert}`;
        const previous = seen.get(rule.alert);
        if (previous) {
            problems.push(`${where}: the name is already used in ${previous}; every alert needs its own name`);
        }
        seen.set(rule.alert, path.basename(file.path));
        const labels = rule.labels ?? {};
        const annotations = rule.annotations ?? {};
        for (const key of Object.keys(labels)) {
            if (!isOneOf(ALERT_LABELS, key)) {
                problems.push(`${where}: label ${key} is not one of ${ALERT_LABELS.join(", ")}`);
            }
        }
        const allowed: [string, readonly string[]][] = [
            ["severity", SEVERITIES],
            ["impact", IMPACTS],
            ["level", LEVELS],
        ];
        for (const [key, values] of allowed) {
            if (!isOneOf(values, labels[key])) {
                problems.push(`${where}: label ${key} is ${JSON.stringify(labels[key])}; allowed: ${values.join(", ")}`);
            }
        }
        for (const key of Object.keys(annotations)) {
            if (!isOneOf(ALERT_ANNOTATIONS, key)) {
                problems.push(`${where}: annotation ${key} is not one of ${ALERT_ANNOTATIONS.join(", ")}`);
            }
        }
        for (const key of ALERT_ANNOTATIONS) {
            const value = annotations[key];
            const required = isOneOf(REQUIRED_ANNOTATIONS, key);
            if ((required || value !== undefined) && (typeof value !== "string" || value.trim() === "")) {
                problems.push(`${where}: annotation ${key} ${value === undefined ? "is missing" : "is empty"}`);
            }
        }
        if (rule.for !== undefined && !DURATION.test(String(rule.for))) {
            problems.push(`${where}: for ${JSON.stringify(rule.for)} is not a Prometheus duration such as 5m or 1h`);
        }
        const url = annotations.runbook_url;
        if (typeof url === "string" && url !== "") {
            const group = upstream.get(rule.alert);
            const expectedUpstream = group ? `${UPSTREAM_RUNBOOKS_BASE}/${group}/${rule.alert.toLowerCase()}` : undefined;
            if (url.startsWith(`${UPSTREAM_RUNBOOKS_BASE}/`)) {
                if (url !== expectedUpstream) {
                    problems.push(
                        `${where}: runbook_url ${url} is not an upstream runbook; ${expectedUpstream ? `use ${expectedUpstream}` : `write a section in docs/runbooks.md and link ${ownRunbooks}#${githubAnchor(rule.alert)}`}`,
                    );
                }
            } else if (url.startsWith(`${ownRunbooks}#`)) {
                const anchor = url.slice(ownRunbooks.length + 1);
                if (expectedUpstream) {
                    problems.push(`${where}: has an upstream runbook; link ${expectedUpstream}`);
                } else if (anchor !== githubAnchor(rule.alert)) {
                    problems.push(`${where}: runbook_url anchor #${anchor} should be #${githubAnchor(rule.alert)}, the section named after the alert`);
                } else if (!anchors.has(anchor)) {
                    problems.push(`${where}: docs/runbooks.md has no section "## ${rule.alert}" (anchor #${anchor})`);
                }
            } else {
                problems.push(`${where}: runbook_url ${url} is neither ${UPSTREAM_RUNBOOKS_BASE}/... nor ${ownRunbooks}#...`);
            }
        }
    }
    return problems;
}

/** Sections of docs/runbooks.md that no alert links (a renamed or removed alert left them behind). */
export function orphanRunbookSections(files: readonly RuleFile[], runbooksMarkdown: string, ownRunbooks: string = ownRunbooksUrl()): string[] {
    const linked = new Set(
        alertRules(files)
            .map(({ rule }) => rule.annotations?.runbook_url ?? "")
            .filter((url) => url.startsWith(`${ownRunbooks}#`))
            .map((url) => url.slice(ownRunbooks.length + 1)),
    );
    return sectionAnchors(runbooksMarkdown).filter((anchor) => !linked.has(anchor));
}

export interface AlertRow {
    readonly alert: string;
    readonly level: string;
    readonly severity: string;
    readonly impact: string;
    readonly for: string;
    readonly summary: string;
    readonly runbook: string;
    readonly file: string;
}

export function alertRows(files: readonly RuleFile[]): AlertRow[] {
    return alertRules(files).map(({ file, rule }) => ({
        alert: rule.alert,
        level: rule.labels?.level ?? "",
        severity: rule.labels?.severity ?? "",
        impact: rule.labels?.impact ?? "",
        for: rule.for ?? "0s",
        summary: rule.annotations?.summary ?? "",
        runbook: rule.annotations?.runbook_url ?? "",
        file: path.basename(file.path),
    }));
}

/**
 * An annotation template as a reader sees it: `{{ $labels.node }}` becomes `{node}`, anything
 * that prints `$value` becomes `{value}`; Markdown table pipes are escaped.
 */
export function readableTemplate(text: string): string {
    return text
        .replace(/\{\{\s*\$labels\.(\w+)\s*\}\}/g, "{$1}")
        .replace(/\{\{[^}]*\$value[^}]*\}\}/g, "{value}")
        .replace(/\|/g, "\\|")
        .replace(/\s+/g, " ")
        .trim();
}

const SEVERITY_ORDER: readonly string[] = SEVERITIES;

/** Text shown under a level's heading, before its table. */
export const LEVEL_NOTES: Readonly<Partial<Record<(typeof LEVELS)[number], string>>> = {
    pipeline: `AMP rule-evaluation failures are watched by the CloudWatch alarm \`amp-rule-evaluation-failures\`
(full name \`<name>-pipeline-amp-rule-evaluation-failures\`), not by a Prometheus rule: the rules run in
the workspace's ruler, whose failures AMP reports to CloudWatch, not as series in the workspace. The
other pipeline alarms watch notification delivery (alert manager, SNS, EventBridge), ingestion and
the heartbeat (README, "Account-level monitoring").`,
};

const INTRO = `Vigil ships these alerts for every monitored EKS cluster. They are evaluated by the Amazon
Managed Service for Prometheus (AMP) workspace's ruler, one rule group namespace per file in
\`rules/\`, and every one of them has promtool tests in \`rules/tests/\` that show it silent before
its \`for\` window (or on healthy input) and firing with exact labels and annotations after it.

**Labels.** Every alert carries \`cluster\` (the collector's external label; every expression keeps
it, so one workspace serves many clusters), \`severity\`, \`impact\` and \`level\`:

- \`severity\`: \`critical\` wants a response now, \`warning\` within working hours, \`info\` is a
  record.
- \`impact\`: \`known\` - customers are affected now (an incident is opened at once); \`uncertain\` -
  they may be (the customer is asked to confirm); \`none\` - hygiene, capacity planning or the
  pipeline itself (the triage engine closes the alert).
- \`level\`: the part of the system the alert is about, the headings below.

**Scrape jobs** the expressions select, as the collector names them: \`kubelet\` (its own metrics,
and cAdvisor with \`metrics_path="/metrics/cadvisor"\`), \`apiserver\`, \`kube-dns\` (CoreDNS),
\`aws-node\` (VPC CNI), \`node-exporter\`, \`kube-state-metrics\`, \`prometheus\` (the collector),
\`kube-scheduler\` and \`kube-controller-manager\` (the EKS 1.28+ metrics endpoints).

**Tuned for EKS and for quiet nights** - what differs from the kubernetes-mixin, node-mixin and
coredns-mixin alerts these started from:

- *Dropped:* \`CPUThrottlingHigh\` (fires for healthy bursty containers with CPU limits and nobody can
  act on it at night; throttling is on the dashboards); the etcd alerts and the
  \`KubeSchedulerDown\`/\`KubeControllerManagerDown\` target checks (EKS runs those components; they
  fire falsely on every EKS cluster); \`KubeletClientCertificateExpiration\` and
  \`KubeletClientCertificateRenewalErrors\` (EKS kubelets authenticate with IAM tokens);
  \`KubeNodeUnreachable\` (folded into the two NotReady alerts); \`KubeAPIInstanceUnreachable\` (the
  collector scrapes each API server endpoint, but the instances are EKS's to run and replace, so one
  failing is nothing an operator can act on - \`KubeAPIDown\`, \`KubeAPIErrorsHigh\` and the burn
  alerts report what clients feel); \`KubeSchedulerInstanceUnreachable\` and
  \`KubeControllerManagerInstanceUnreachable\` (one EKS metrics endpoint per cluster, watched by the
  \`...MetricsUnavailable\` alerts); \`KubeProxyDown\` and \`KubeProxyInstanceUnreachable\` (the EKS
  kube-proxy serves its metrics on 127.0.0.1 by default, so the collector has no kube-proxy job);
  \`KubeStateMetricsShardingMismatch\` and \`KubeStateMetricsShardsMissing\` (Vigil runs one unsharded
  kube-state-metrics); \`NodeTextFileCollectorScrapeError\` (Vigil puts no files in node-exporter's
  textfile directory); \`NodeSystemdServiceFailed\` and \`NodeSystemdServiceCrashlooping\` (node-exporter's
  systemd collector is off by default and not enabled here); \`NodeRAIDDegraded\` and
  \`NodeRAIDDiskFailure\` (EBS volumes are redundant underneath, and the only software RAID EKS nodes
  build is RAID0 over instance-store disks, with no redundancy to lose); \`NodeBondingDegraded\` (EC2
  network interfaces are not bonded); \`InfoInhibitor\` (it exists to mute \`info\` alerts through an
  inhibition rule; Vigil's \`info\` alerts all have impact \`none\`, which the triage engine closes).
- *Replaced for EKS:* scheduler and controller-manager alerts read the EKS metrics endpoints and stay
  silent on clusters older than 1.28, where those jobs do not exist. The kube-prometheus
  \`AwsVpcCniWarmIPsLow\` (fires for every full node of a small instance type) is judged per cluster,
  next to alerts for actual address failures: a node that cannot give pods addresses, a subnet with
  none left, EC2 API throttling. EC2 network allowance alerts read the ENA counters.
- *Tamed:* the overcommit alerts are \`info\` (Karpenter and Cluster Autoscaler keep clusters tight by
  design); \`NodeCPUHighUsage\` is \`info\`; \`NodeMemoryHighUtilization\` fires at 95%, not 90%.
  Filesystem alerts only watch writable ext2/3/4, XFS and btrfs filesystems (not pod tmpfs volumes
  or Bottlerocket's read-only root); interface flapping ignores pod interfaces (\`eni*\`, \`vlan*\`,
  \`veth*\`). Nodes being removed by Karpenter, Cluster Autoscaler or the node termination handler
  are not reported NotReady. \`KubeJobFailed\` clears once the CronJob that owns the Job has
  succeeded since; \`KubeHpaMaxedOut\` ignores HPAs pinned at minimum = maximum. kube-state-metrics series are aggregated per object, so a restart of
  kube-state-metrics never splits one problem into two alerts.
- *One problem, one alert:* tiers that upstream gives one name (and leaves to inhibition rules) are
  separate alerts with exclusive ranges (\`CoreDNSErrorsHigh\` above 3%, \`CoreDNSErrorsElevated\`
  1-3%); a NotReady node is \`KubeNodeNotReadyWithPods\` (known impact) or \`KubeNodeNotReady\`,
  never both; \`KubePodNotReady\` covers running pods, \`KubePodPending\` pending ones;
  \`KubeContainerWaiting\` leaves crash loops and image pulls to their own, faster alerts; replica
  mismatches leave fully unavailable Deployments and not-ready StatefulSet pods to
  \`KubeDeploymentUnavailable\` and \`KubeStatefulSetDown\`. \`KubeletInstanceUnreachable\` (one kubelet
  not scraped; upstream's \`up == 0\`) stays silent while its node is NotReady (the NotReady alerts
  report it) and while no kubelet of the cluster is scraped (\`KubeletDown\` reports that once).
- *API server objective:* 99% of requests neither fail nor exceed their latency objective, burned
  over four windows (1h, 6h, 1d, 3d): upstream's one \`KubeAPIErrorBudgetBurn\` is four alerts here,
  \`KubeAPIErrorBudgetBurn1h\`, \`KubeAPIErrorBudgetBurn6h\`, \`KubeAPIErrorBudgetBurn1d\` and
  \`KubeAPIErrorBudgetBurn3d\` (each still labelled \`long\` and \`short\`); the long windows are
  computed from recorded 5-minute rates, which keeps the workspace's query cost low.
- *The managed-service baseline* (\`KubeContainerOOMKilled\`, \`KubeJobFailed\`, \`KubeStatefulSetDown\`)
  keeps the documented thresholds; \`KubeStatefulSetDown\` therefore also fires during a rolling
  update whose pods take more than a minute to become ready.

**Collector requirements** these rules rely on: a \`cluster\` external label; kube-state-metrics'
own \`namespace\`/\`pod\`/\`container\`/\`node\` labels kept (\`honor_labels\`), and its telemetry
port scraped under the same job (\`kube_state_metrics_list_total\`, \`..._watch_total\`); node-exporter
started with \`--collector.ethtool\` for the network allowance alerts; the kube-state-metrics label
allowlist \`persistentvolumeclaims=[excluded_from_alerts]\` for the volume alert opt-out. Without
them the alerts that need them stay silent.

Runbooks: alerts that exist upstream link the prometheus-operator runbooks; Vigil's own alerts
link [runbooks.md](runbooks.md). To add or tune an alert, see "Alert rules" in the
[README](../README.md#alert-rules).`;

/** docs/ALERTS.md for the given rule files. */
export function renderAlertsDoc(files: readonly RuleFile[]): string {
    const rows = alertRows(files);
    const recording = allRules(files).filter(({ rule }) => rule.record).length;
    const out: string[] = [
        "# Alert reference",
        "",
        "<!-- Generated by `npm run docs` (tools/docs.ts) from rules/*.yaml. Edit the rule files, not this page. -->",
        "",
        INTRO,
        "",
        `${rows.length} alerts and ${recording} recording rules in ${files.length} rule files.`,
        "",
        "| level | alerts | critical | warning | info | known impact | uncertain impact | no impact |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ];
    for (const level of LEVELS) {
        const of = rows.filter((r) => r.level === level);
        const count = (pick: (r: AlertRow) => boolean) => of.filter(pick).length;
        out.push(
            `| [${level}](#${githubAnchor(level)}) | ${of.length} | ${count((r) => r.severity === "critical")} | ${count((r) => r.severity === "warning")} | ${count((r) => r.severity === "info")} | ${count((r) => r.impact === "known")} | ${count((r) => r.impact === "uncertain")} | ${count((r) => r.impact === "none")} |`,
        );
    }
    for (const level of LEVELS) {
        const of = rows
            .filter((r) => r.level === level)
            .sort((a, b) => SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity) || a.alert.localeCompare(b.alert));
        if (of.length === 0) {
            continue;
        }
        const note = LEVEL_NOTES[level];
        out.push("", `## ${level}`, "", ...(note ? [note, ""] : []), "| alert | severity | impact | for | summary | file |", "| --- | --- | --- | --- | --- | --- |");
        for (const r of of) {
            out.push(`| [${r.alert}](${r.runbook}) | ${r.severity} | ${r.impact} | ${r.for} | ${readableTemplate(r.summary)} | \`rules/${r.file}\` |`);
        }
    }
    return `${out.join("\n")}\n`;
}

interface Options {
    readonly check: boolean;
    readonly out: string;
}

/** Parses `[--check] [--out FILE]`; returns an error message for anything else. */
export function parseArgs(argv: readonly string[]): Options | string {
    let check = false;
    let out = ALERTS_FILE;
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--check") {
            check = true;
        } else if (argv[i] === "--out") {
            const value = argv[++i];
            if (!value || value.startsWith("--")) {
                return "--out needs a file path";
            }
            out = path.resolve(value);
        } else {
            return `unknown argument ${argv[i]}`;
        }
    }
    return { check, out };
}

function main(argv: readonly string[]): number {
    const options = parseArgs(argv);
    if (typeof options === "string") {
        process.stderr.write(`docs: ${options}; usage: npm run docs [-- --check] [--out FILE]\n`);
        return 2;
    }
    const files = loadRuleFiles();
    const runbooks = fs.readFileSync(RUNBOOKS_FILE, "utf8");
    const problems = [...alertProblems(files, runbooks), ...orphanRunbookSections(files, runbooks).map((a) => `docs/runbooks.md: section #${a} belongs to no alert`)];
    if (problems.length > 0) {
        process.stderr.write(`docs: the rules need fixing first:\n${problems.map((p) => `  ${p}`).join("\n")}\n`);
        return 2;
    }
    const text = renderAlertsDoc(files);
    const shown = path.relative(process.cwd(), options.out) || options.out;
    if (options.check) {
        const current = fs.existsSync(options.out) ? fs.readFileSync(options.out, "utf8") : "";
        if (current !== text) {
            process.stderr.write(`docs: ${shown} is out of date; run npm run docs\n`);
            return 1;
        }
        process.stdout.write(`docs: ${shown} is up to date\n`);
        return 0;
    }
    fs.writeFileSync(options.out, text);
    process.stdout.write(`docs: wrote ${shown} (${alertRows(files).length} alerts)\n`);
    return 0;
}

if (require.main === module) {
    process.exitCode = main(process.argv.slice(2));
}

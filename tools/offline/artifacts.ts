// The artifacts a reviewer reads in a plan, rendered from the recorded resource inputs: rule
// namespaces, the alert manager definition, EventBridge patterns, IAM and resource policy
// documents, Helm values per cluster, and the collector's scrape configuration.

import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { DIAGNOSTICS_CLUSTER_ROLE, DIAGNOSTICS_GROUP, diagnosticsClusterRules } from "../../components/customer/customerAccess";
import type { PlannedResource } from "./engine";

export interface Artifact {
    /** Path relative to the artifacts directory. */
    readonly path: string;
    readonly content: string;
}

/** Resource names become file names: keep them readable and safe. */
function fileName(name: string): string {
    return name.replace(/[^A-Za-z0-9._-]+/g, "_");
}

function parseJson(value: unknown): unknown {
    if (typeof value !== "string") {
        return value;
    }
    try {
        return JSON.parse(value);
    } catch {
        return value;
    }
}

function json(value: unknown): string {
    return `${JSON.stringify(parseJson(value), null, 2)}\n`;
}

function yamlText(value: unknown): string {
    return yaml.dump(value, { noRefs: true, lineWidth: 120 });
}

/** Resource types whose inputs hold policy documents, and the input keys that hold them. */
const POLICY_DOCUMENTS: Readonly<Record<string, readonly string[]>> = {
    "aws:iam/role:Role": ["assumeRolePolicy"],
    "aws:iam/policy:Policy": ["policy"],
    "aws:iam/rolePolicy:RolePolicy": ["policy"],
    "aws:sns/topicPolicy:TopicPolicy": ["policy"],
    "aws:sns/topic:Topic": ["policy"],
    "aws:sqs/queuePolicy:QueuePolicy": ["policy"],
    "aws:sqs/queue:Queue": ["policy"],
    "aws:kms/key:Key": ["policy"],
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": ["policyDocument"],
    "aws:aps/resourcePolicy:ResourcePolicy": ["policyDocument"],
};

/** Renders every artifact the resources carry. */
export function renderArtifacts(resources: readonly PlannedResource[]): Artifact[] {
    const out: Artifact[] = [];
    for (const r of resources) {
        const i = r.inputs;
        const base = fileName(r.name);
        switch (r.type) {
            case "aws:amp/ruleGroupNamespace:RuleGroupNamespace":
                out.push({ path: `rules/${fileName(String(i.name ?? r.name))}.yaml`, content: String(i.data ?? "") });
                break;
            case "aws:amp/alertManagerDefinition:AlertManagerDefinition": {
                const definition = String(i.definition ?? "");
                out.push({ path: `alertmanager/${base}.definition.yaml`, content: definition });
                // The same definition split the way amtool and a plain Alertmanager read it.
                const doc = yaml.load(definition) as { alertmanager_config?: string; template_files?: Record<string, string> } | undefined;
                if (doc?.alertmanager_config) {
                    out.push({ path: `alertmanager/${base}/alertmanager.yml`, content: doc.alertmanager_config });
                }
                for (const [templateName, text] of Object.entries(doc?.template_files ?? {})) {
                    out.push({ path: `alertmanager/${base}/${fileName(templateName)}`, content: text });
                }
                break;
            }
            case "aws:cloudwatch/eventRule:EventRule":
                if (i.eventPattern !== undefined) {
                    out.push({ path: `eventbridge/${base}.json`, content: json(i.eventPattern) });
                }
                break;
            case "kubernetes:helm.sh/v3:Release":
                out.push({ path: `helm/${base}.yaml`, content: yamlText(i.values ?? {}) });
                break;
            case "kubernetes:core/v1:ConfigMap": {
                const data = (i.data ?? {}) as Record<string, string>;
                if (typeof data["prometheus.yml"] === "string") {
                    out.push({ path: `prometheus/${base}.yml`, content: data["prometheus.yml"] });
                }
                break;
            }
            case "aws:lambda/function:Function": {
                // The diagnostics function: what its role reaches in each cluster, granted by the cluster's owner.
                if (i.handler === "index.diagnosticsHandler") {
                    const env = (i.environment as { variables?: Record<string, string> } | undefined)?.variables ?? {};
                    const access = {
                        role: i.role,
                        clusters: String(env.DIAGNOSTICS_CLUSTERS ?? "").split(",").filter(Boolean),
                        budgetSeconds: Number(env.DIAGNOSTICS_BUDGET_SECONDS),
                        // TriageService names the role's policy after the function.
                        iam: `iam/${base}-permissions.policy.json`,
                        kubernetes: {
                            grantedBy: "CustomerAccess diagnosticsRoleArn, in each cluster owner's project",
                            withKubernetesProvider: { group: DIAGNOSTICS_GROUP, clusterRole: DIAGNOSTICS_CLUSTER_ROLE, rules: diagnosticsClusterRules() },
                            withoutKubernetesProvider: { accessPolicy: "AmazonEKSViewPolicy", accessScope: "cluster" },
                        },
                    };
                    out.push({ path: `diagnostics/${base}.access.yaml`, content: yamlText(access) });
                }
                break;
            }
            case "aws:amp/scraper:Scraper":
                if (typeof i.scrapeConfiguration === "string") {
                    out.push({ path: `prometheus/${base}.yml`, content: i.scrapeConfiguration });
                }
                break;
            default:
                break;
        }
        for (const key of POLICY_DOCUMENTS[r.type] ?? []) {
            if (i[key] !== undefined && i[key] !== "") {
                out.push({ path: `iam/${base}.${key}.json`, content: json(i[key]) });
            }
        }
        if (r.type === "aws:iam/role:Role" && Array.isArray(i.inlinePolicies)) {
            for (const inline of i.inlinePolicies as { name?: string; policy?: string }[]) {
                if (inline.policy) {
                    out.push({ path: `iam/${base}.inline.${fileName(inline.name ?? "policy")}.json`, content: json(inline.policy) });
                }
            }
        }
    }
    const seen = new Set<string>();
    for (const a of out) {
        if (seen.has(a.path)) {
            throw new Error(`two artifacts render to ${a.path}; give the resources distinct names`);
        }
        seen.add(a.path);
    }
    return out;
}

/** Writes artifacts under `dir`, creating folders as needed. */
export function writeArtifacts(dir: string, artifacts: readonly Artifact[]): void {
    fs.mkdirSync(dir, { recursive: true });
    for (const a of artifacts) {
        const file = path.join(dir, a.path);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, a.content);
    }
}

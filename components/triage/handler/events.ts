// EventBridge events (bare, or as the JSON body of an SNS notification) → normalized alerts.
// Shapes: the EventBridge events reference for aws.guardduty, aws.health, aws.eks, aws.ec2 and
// aws.cloudwatch; the legacy CloudWatch alarm action body is accepted too.

import { Alert, Severity } from "./model";
import { parseSourceTime } from "./time";
import { clip, isObject, JsonObject, obj, str } from "./text";

/** What an event became: an alert, deliberately nothing (with why), or not understood. */
export type EventResult =
    | { readonly kind: "alert"; readonly alert: Alert }
    | { readonly kind: "ignored"; readonly reason: string }
    | { readonly kind: "unknown"; readonly reason: string };

/** True when `value` is an EventBridge event envelope. */
export function looksLikeEvent(value: unknown): value is JsonObject {
    return isObject(value) && typeof value.source === "string" && typeof value["detail-type"] === "string" && "detail" in value;
}

/** True when `value` is the body a CloudWatch alarm action publishes to SNS. */
export function looksLikeAlarmAction(value: unknown): value is JsonObject {
    return isObject(value) && typeof value.AlarmName === "string" && typeof value.NewStateValue === "string";
}

// Tags that name an instance's EKS cluster: managed node groups, Karpenter, self-managed nodes.
const CLUSTER_TAG_KEYS = ["eks:cluster-name", "aws:eks:cluster-name", "eks:eks-cluster-name"];
const CLUSTER_OWNERSHIP_TAG = /^kubernetes\.io\/cluster\/(.+)$/;

/** The EKS cluster named by EC2-style tags (`[{key, value}]` or `{key: value}`), or "". */
export function clusterFromTags(tags: unknown): string {
    const pairs: [string, string][] = Array.isArray(tags)
        ? tags.filter(isObject).map((t) => [String(t.key ?? t.Key ?? ""), String(t.value ?? t.Value ?? "")])
        : Object.entries(obj(tags)).map(([k, v]) => [k, String(v)]);
    for (const key of CLUSTER_TAG_KEYS) {
        const hit = pairs.find(([k, v]) => k === key && v !== "");
        if (hit) {
            return hit[1];
        }
    }
    for (const [k] of pairs) {
        const m = CLUSTER_OWNERSHIP_TAG.exec(k);
        if (m) {
            return m[1];
        }
    }
    return "";
}

/** The cluster an EKS ARN (cluster, nodegroup, addon, fargateprofile, podidentityassociation) belongs to. */
export function clusterFromEksArn(arn: string): string {
    const m = /^arn:aws[a-z-]*:eks:[^:]*:\d*:(cluster|nodegroup|addon|fargateprofile|podidentityassociation|identityproviderconfig|access-entry)\/([^/]+)/.exec(arn);
    return m ? m[2] : "";
}

function required(value: string | undefined, what: string): string {
    if (value === undefined) {
        throw new Error(`${what} is missing`);
    }
    return value;
}

function time(value: unknown, what: string): string {
    const parsed = parseSourceTime(value);
    if (!parsed) {
        throw new Error(`${what} ${JSON.stringify(value)} is not a time`);
    }
    return parsed;
}

function strings(value: unknown): string[] {
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string" && v !== "") : [];
}

// ---- runbooks and links -------------------------------------------------------------------------
//
// Every event gets a runbook link and first actions. Vigil's own runbooks (docs/runbooks.md) are
// one section per Prometheus alert, each linked from its rule (tools/docs.ts reports a section no
// alert links); the AWS events are documented by AWS, per event type. So an event's runbook is
// the AWS page that explains its kind (documented, stable pages; no deep link that could not be
// checked), or, where the event carries its own explanation (AWS Health) or its owner's (a
// CloudWatch alarm), the console page of that event. Console links are the documented URL forms
// the consoles use; AWS Health's is the form AWS's own notifications link to.

const GUARDDUTY_DOCS = "https://docs.aws.amazon.com/guardduty/latest/ug";
const EKS_DOCS = "https://docs.aws.amazon.com/eks/latest/userguide";
const EC2_DOCS = "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide";

/** GuardDuty finding types AWS retired (documented on their own page, not the family's). */
const RETIRED_FINDING_TYPES = new Set(["PrivilegeEscalation:Kubernetes/PrivilegedContainer", "Persistence:Kubernetes/ContainerWithSensitiveMount"]);

/** The GuardDuty page of each finding type resource (`ThreatPurpose:ResourceType/…`) that has its own. */
const GUARDDUTY_RESOURCE_DOCS: ReadonlyMap<string, string> = new Map([
    ["Kubernetes", "guardduty-finding-types-eks-audit-logs.html"],
    ["Runtime", "findings-runtime-monitoring.html"],
    ["EC2", "guardduty_finding-types-ec2.html"],
    ["IAMUser", "guardduty_finding-types-iam.html"],
    ["S3", "guardduty_finding-types-s3.html"],
]);

/**
 * The GuardDuty page that documents a finding type's family: `ThreatPurpose:ResourceType/Family…`
 * by the resource type (EKS Protection, Runtime Monitoring, EC2, IAM, S3, Malware Protection),
 * attack sequences by their purpose; anything else the list of all active finding types.
 */
export function guardDutyFindingTypeDocs(type: string): string {
    const m = /^([^:]+):([^/]+)\/(.*)$/.exec(type);
    const [purpose, resource, family] = m ? [m[1], m[2], m[3]] : ["", "", ""];
    let page = GUARDDUTY_RESOURCE_DOCS.get(resource) ?? "guardduty_finding-types-active.html";
    if (RETIRED_FINDING_TYPES.has(type)) {
        page = "guardduty_finding-types-retired.html";
    } else if (purpose === "AttackSequence") {
        page = "guardduty-attack-sequence-finding-types.html";
    } else if (resource === "EC2" && family.startsWith("MaliciousFile")) {
        page = "findings-malware-protection.html";
    }
    return `${GUARDDUTY_DOCS}/${page}`;
}

/** The AWS Health Dashboard page of one event (the link AWS's own notifications carry). */
export function healthEventUrl(eventArn: string): string {
    // ARNs need no escaping there but ':' and '/'; anything else unusual is escaped.
    return `https://health.aws.amazon.com/health/home?region=us-east-1#/event-log?eventID=${encodeURIComponent(eventArn).replace(/%3A/g, ":").replace(/%2F/g, "/")}&eventTab=details`;
}

/** The EKS console page of a cluster (its Add-ons tab lists the add-ons and their health issues). */
function eksClusterConsoleUrl(region: string, cluster: string): string {
    return `https://${region}.console.aws.amazon.com/eks/home?region=${region}#/clusters/${encodeURIComponent(cluster)}`;
}

function ec2InstanceConsoleUrl(region: string, instanceId: string): string {
    return `https://${region}.console.aws.amazon.com/ec2/home?region=${region}#InstanceDetails:instanceId=${encodeURIComponent(instanceId)}`;
}

// Maps, not object literals: the keys come from the event, and a name such as "constructor" must
// find nothing rather than Object.prototype's.

/** EKS user guide pages of the add-ons that have one; others are covered by the add-ons page. */
const EKS_ADDON_DOCS: ReadonlyMap<string, string> = new Map([
    ["vpc-cni", "managing-vpc-cni.html"],
    ["coredns", "managing-coredns.html"],
    ["kube-proxy", "managing-kube-proxy.html"],
    ["aws-ebs-csi-driver", "ebs-csi.html"],
]);

/** First action per add-on health issue code (API AddonIssue.code), where the code says what to look at. */
const ADDON_ISSUE_ACTIONS: ReadonlyMap<string, string> = new Map([
    ["InsufficientNumberOfReplicas", "Find why the add-on's pods are not running: kubectl -n kube-system get pods, then describe the pending or crashing ones (capacity, image pulls, crash loops)."],
    ["AccessDenied", "Check the add-on's IAM role (IRSA or Pod Identity association) and the permissions its policy grants."],
    ["AddonPermissionFailure", "Check the add-on's IAM role (IRSA or Pod Identity association) and the permissions its policy grants."],
    ["ConfigurationConflict", "Fields of the add-on's objects were changed outside EKS: update it again choosing --resolve-conflicts PRESERVE (keep them) or OVERWRITE."],
    ["AdmissionRequestDenied", "An admission webhook or policy rejected the add-on's objects: find it (kubectl get validatingwebhookconfigurations) and allow the add-on."],
    ["ClusterUnreachable", "EKS cannot reach the cluster's API server: check the cluster's status and its control-plane logs."],
    ["K8sResourceNotFound", "A Kubernetes object the add-on needs was deleted: update the add-on again so EKS recreates it."],
]);

// ---- GuardDuty --------------------------------------------------------------------------------

/** GuardDuty's severity bands (Low 1.0–3.9, Medium 4.0–6.9, High 7.0–8.9, Critical 9.0–10.0). */
export function guardDutyBand(score: number): "low" | "medium" | "high" | "critical" {
    if (score >= 9) {
        return "critical";
    }
    if (score >= 7) {
        return "high";
    }
    if (score >= 4) {
        return "medium";
    }
    return "low";
}

function guardDuty(event: JsonObject): EventResult {
    const d = obj(event.detail);
    const id = required(str(d.id), "detail.id");
    const account = str(d.accountId) ?? required(str(event.account), "account");
    const region = str(d.region) ?? required(str(event.region), "region");
    const score = typeof d.severity === "number" ? d.severity : Number(d.severity);
    if (!Number.isFinite(score)) {
        throw new Error(`detail.severity ${JSON.stringify(d.severity)} is not a number`);
    }
    const band = guardDutyBand(score);
    const resource = obj(d.resource);
    const service = obj(d.service);
    const eks = obj(resource.eksClusterDetails);
    const instance = obj(resource.instanceDetails);
    const cluster = str(eks.name) ?? (clusterFromTags(instance.tags) || clusterFromTags(eks.tags));
    const createdAt = time(d.createdAt, "detail.createdAt");
    const updatedAt = parseSourceTime(d.updatedAt) ?? createdAt;
    const count = typeof service.count === "number" ? service.count : 1;
    const type = str(d.type) ?? "";
    const resourceType = str(resource.resourceType) ?? "";
    const user = obj(obj(resource.kubernetesDetails).kubernetesUserDetails);
    const workload = obj(obj(resource.kubernetesDetails).kubernetesWorkloadDetails);
    const archived = service.archived === true;
    const severity: Severity = band === "high" || band === "critical" ? "critical" : band === "medium" ? "warning" : "info";
    const mitigations = [
        "Review the finding in the GuardDuty console, with the cluster's Kubernetes audit log around the time it was seen.",
        str(user.username)
            ? `If the activity of Kubernetes user ${user.username} is not expected, remove its RBAC bindings and rotate its credentials.`
            : "If the activity is not expected, revoke the credentials involved.",
        str(workload.name)
            ? `Isolate workload ${str(workload.namespace) ?? "default"}/${workload.name} (scale it to zero or apply a deny-all NetworkPolicy) while you investigate.`
            : "Isolate the affected workload or node while you investigate.",
        "If the activity is expected, archive the finding or add a suppression rule so it stops alerting.",
    ];
    const kubernetesFinding = /^[^:]+:(Kubernetes|Runtime)\//.test(type);
    return {
        kind: "alert",
        alert: {
            source: "guardduty",
            key: `guardduty:${account}:${region}:${id}`,
            // GuardDuty sends no resolve; an archived finding is done.
            status: archived ? "resolved" : "firing",
            startsAt: createdAt,
            endsAt: archived ? updatedAt : undefined,
            observedAt: updatedAt,
            // The same finding repeats with a later updatedAt and a higher count.
            order: `${updatedAt}|${String(count).padStart(12, "0")}|${archived ? 1 : 0}`,
            cluster,
            title: clip(str(d.title) ?? type, 300),
            summary: clip(`GuardDuty ${band}-severity finding ${type} (seen ${count} time${count === 1 ? "" : "s"})`, 1000),
            description: clip(str(d.description) ?? "", 4000),
            severity,
            level: resourceType === "EKSCluster" ? "cluster" : resourceType === "Instance" ? "node" : "workload",
            runbookUrl: guardDutyFindingTypeDocs(type),
            mitigations,
            attributes: { type, severity: band, resourceType, cluster, archived: String(archived) },
            resources: [...new Set([...strings(event.resources), ...(str(eks.arn) ? [eks.arn as string] : [])])],
            links: [
                {
                    label: "GuardDuty finding",
                    url: `https://${region}.console.aws.amazon.com/guardduty/home?region=${region}#/findings?macros=current&fId=${encodeURIComponent(id)}`,
                },
                {
                    label: "GuardDuty remediation",
                    url: `${GUARDDUTY_DOCS}/${kubernetesFinding ? "guardduty-remediate-kubernetes.html" : "guardduty_remediate.html"}`,
                },
            ],
            count,
        },
    };
}

// ---- AWS Health -------------------------------------------------------------------------------

function health(event: JsonObject): EventResult {
    const d = obj(event.detail);
    const eventArn = required(str(d.eventArn), "detail.eventArn");
    const account = str(d.affectedAccount) ?? required(str(event.account), "account");
    const eventTime = time(event.time, "time");
    const startsAt = parseSourceTime(d.startTime) ?? eventTime;
    const lastUpdated = parseSourceTime(d.lastUpdatedTime) ?? eventTime;
    const statusCode = str(d.statusCode) ?? "open";
    const closed = statusCode === "closed";
    const category = str(d.eventTypeCategory) ?? "";
    const service = str(d.service) ?? "";
    const code = str(d.eventTypeCode) ?? "";
    const descriptions = Array.isArray(d.eventDescription) ? d.eventDescription.filter(isObject) : [];
    const english = descriptions.find((x) => typeof x.language === "string" && x.language.startsWith("en")) ?? descriptions[0];
    const text = str(english?.latestDescription) ?? "";
    const entities = (Array.isArray(d.affectedEntities) ? d.affectedEntities.filter(isObject) : []).map((e) => str(e.entityValue) ?? "");
    const candidates = [...strings(event.resources), ...entities];
    const clusters = candidates.map((c) => clusterFromEksArn(c)).filter((c) => c !== "");
    // EKS events name clusters by name as well as by ARN.
    const cluster = clusters[0] ?? (service === "EKS" ? (entities.find((e) => /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/.test(e)) ?? "") : "");
    const severity: Severity = category === "issue" || category === "investigation" ? "warning" : "info";
    const firstSentence = text.split(/(?<=\.)\s/)[0] ?? "";
    return {
        kind: "alert",
        alert: {
            source: "health",
            key: `health:${account}:${eventArn}`,
            status: closed ? "resolved" : "firing",
            startsAt,
            endsAt: closed ? (parseSourceTime(d.endTime) ?? lastUpdated) : undefined,
            observedAt: lastUpdated,
            // Backup and page events repeat lastUpdatedTime: they are duplicates of one observation.
            order: `${lastUpdated}|${closed ? 1 : 0}`,
            cluster,
            title: clip(`AWS Health ${category || "event"}: ${code || service}`, 300),
            summary: clip(firstSentence || `${service} ${category} (${statusCode})`, 1000),
            description: clip(text, 4000),
            severity,
            level: "cluster",
            // The event is its own runbook: AWS writes what happens and what to do into it.
            runbookUrl: healthEventUrl(eventArn),
            mitigations: healthMitigations(category, entities.filter((e) => e !== "")),
            attributes: {
                service,
                eventTypeCode: code,
                eventTypeCategory: category,
                eventScopeCode: str(d.eventScopeCode) ?? "",
                statusCode,
                actionability: str(d.actionability) ?? "",
                cluster,
            },
            resources: candidates.filter((c) => c.startsWith("arn:")),
            links: [],
        },
    };
}

function healthMitigations(category: string, entities: readonly string[]): string[] {
    const affected = entities.length > 0 ? ` (${clip(entities.slice(0, 5).join(", "), 300)}${entities.length > 5 ? ", …" : ""})` : "";
    switch (category) {
        case "scheduledChange":
            return [
                `Plan the change the event describes before its start time for the affected resources${affected}.`,
                "Where the event lets you act earlier (an upgrade, a restart, a replacement), do it in a maintenance window of your choice.",
            ];
        case "accountNotification":
            return [`Read the notification in the AWS Health Dashboard and take the action it asks for${affected}, before any date it gives.`];
        default:
            return [
                `Check whether the affected resources${affected} carry the customer's workloads, and watch their alerts.`,
                "Follow the event in the AWS Health Dashboard for AWS's updates and recommended actions; the case resolves when AWS closes it.",
            ];
    }
}

// ---- Amazon EKS service events ------------------------------------------------------------------

const EKS_ADDON = /^EKS Addon (Creation|Update|Deletion) (Failed|Succeeded)$|^EKS Addon Health (Degraded|Restored)$/;

function eksEvent(event: JsonObject, detailType: string): EventResult {
    const d = obj(event.detail);
    const account = required(str(event.account), "account");
    const region = required(str(event.region), "region");
    const at = time(event.time, "time");
    const resources = strings(event.resources);
    // The detail schema of these events is not documented; read what is commonly present.
    const cluster = str(d.clusterName) ?? str(d.cluster) ?? resources.map(clusterFromEksArn).find((c) => c !== "") ?? "";
    const m = EKS_ADDON.exec(detailType);
    if (m) {
        const addonFromArn = resources.map((r) => /:addon\/[^/]+\/([^/]+)/.exec(r)?.[1]).find((a) => a !== undefined);
        const addon = str(d.addonName) ?? str(d.name) ?? addonFromArn ?? "";
        const family = m[1] ? m[1].toLowerCase() : "health";
        const bad = m[2] === "Failed" || m[3] === "Degraded";
        const issues = Array.isArray(d.issues) ? d.issues.filter(isObject) : [];
        const issueText = issues.map((i) => `${str(i.code) ?? "issue"}: ${str(i.message) ?? ""}`.trim()).join("; ");
        return {
            kind: "alert",
            alert: {
                source: "eks",
                key: `eks:${account}:${region}:${cluster || "-"}/${addon || "-"}:addon-${family}`,
                status: bad ? "firing" : "resolved",
                startsAt: bad ? at : undefined,
                endsAt: bad ? undefined : at,
                observedAt: at,
                order: `${at}|${bad ? 0 : 1}`,
                cluster,
                title: clip(`${detailType}: ${addon || "add-on"}`, 300),
                summary: clip(`EKS add-on ${addon || "(unnamed)"} on cluster ${cluster || "(unknown)"}: ${detailType.replace(/^EKS Addon /, "").toLowerCase()}`, 1000),
                description: clip(issueText || str(d.message) || str(d.description) || "", 4000),
                severity: bad ? "warning" : "info",
                level: "cluster",
                runbookUrl: `${EKS_DOCS}/${EKS_ADDON_DOCS.get(addon) ?? "eks-add-ons.html"}`,
                // The same options on the resolve: the case keeps the latest observation, and a late
                // confirmation's incident notification shows its options.
                mitigations: [
                    ...new Set([
                        ...issues.map((i) => ADDON_ISSUE_ACTIONS.get(str(i.code) ?? "")).filter((a): a is string => a !== undefined),
                        `Inspect the add-on's health issues: aws eks describe-addon --cluster-name ${cluster || "<cluster>"} --addon-name ${addon || "<addon>"}.`,
                        "Check the add-on's pods in kube-system (events, restarts, pending pods) and its IAM role.",
                        `Roll back to the previous add-on version if the problem started with an update (${EKS_DOCS}/updating-an-add-on.html).`,
                    ]),
                ],
                attributes: { detailType, cluster, addonName: addon },
                resources,
                links: cluster ? [{ label: "EKS cluster (Add-ons tab)", url: eksClusterConsoleUrl(region, cluster) }] : [],
            },
        };
    }
    if (detailType === "EKS Fargate Pod Scheduled Termination") {
        const pod = str(d.podName) ?? str(d.name) ?? "";
        const namespace = str(d.namespace) ?? "";
        const id = pod ? `${namespace}/${pod}` : required(str(event.id), "id");
        return {
            kind: "alert",
            alert: {
                source: "eks",
                key: `eks:${account}:${region}:${cluster || "-"}:fargate-termination:${id}`,
                status: "firing",
                startsAt: at,
                observedAt: at,
                order: `${at}|0`,
                cluster,
                title: clip(`EKS Fargate pod scheduled termination${pod ? `: ${id}` : ""}`, 300),
                summary: "A Fargate pod is scheduled to be terminated for a platform update.",
                description: clip(str(d.message) ?? "", 4000),
                severity: "info",
                level: "pod",
                runbookUrl: `${EKS_DOCS}/fargate-pod-patching.html`,
                mitigations: [
                    "Restart the pod (through its Deployment) before the scheduled time to control when it moves.",
                    "Give the workload a PodDisruptionBudget and more than one replica, so the eviction keeps it serving.",
                ],
                attributes: { detailType, cluster, addonName: "" },
                resources,
                links: cluster ? [{ label: "EKS cluster", url: eksClusterConsoleUrl(region, cluster) }] : [],
            },
        };
    }
    return { kind: "unknown", reason: `aws.eks event ${JSON.stringify(detailType)} is not one Vigil triages` };
}

// ---- Amazon EC2 -------------------------------------------------------------------------------

const DOWN_STATES = new Set(["stopping", "stopped", "shutting-down", "terminated"]);

function ec2Event(event: JsonObject, detailType: string): EventResult {
    const d = obj(event.detail);
    const account = required(str(event.account), "account");
    const region = required(str(event.region), "region");
    const at = time(event.time, "time");
    const instanceId = required(str(d["instance-id"]), "detail.instance-id");
    const resources = strings(event.resources);
    const base = { source: "ec2" as const, cluster: "", level: "node" as const, resources, links: [{ label: "EC2 instance", url: ec2InstanceConsoleUrl(region, instanceId) }] };
    if (detailType === "EC2 Spot Instance Interruption Warning") {
        const action = str(d["instance-action"]) ?? "terminate";
        return {
            kind: "alert",
            alert: {
                ...base,
                key: `ec2:${account}:${region}:${instanceId}:spot-interruption`,
                status: "firing",
                startsAt: at,
                observedAt: at,
                order: `${at}|0`,
                title: `Spot interruption: node ${instanceId} (${action})`,
                summary: `EC2 will ${action} spot instance ${instanceId} in two minutes.`,
                description: "",
                severity: "warning",
                runbookUrl: `${EC2_DOCS}/spot-instance-termination-notices.html`,
                mitigations: [
                    "Confirm the node is cordoned and drained (node termination handler or Karpenter interruption handling).",
                    "Check that the node's pods were rescheduled and PodDisruptionBudgets allowed it.",
                ],
                attributes: { detailType, state: "", instanceAction: action, cluster: "" },
            },
        };
    }
    if (detailType === "EC2 Instance State-change Notification") {
        const state = required(str(d.state), "detail.state");
        if (!DOWN_STATES.has(state)) {
            return { kind: "ignored", reason: `EC2 instance ${instanceId} is ${state}` };
        }
        return {
            kind: "alert",
            alert: {
                ...base,
                key: `ec2:${account}:${region}:${instanceId}:state`,
                status: "firing",
                startsAt: at,
                observedAt: at,
                order: `${at}|0`,
                title: `Node ${instanceId} ${state}`,
                summary: `EC2 instance ${instanceId} changed state to ${state}.`,
                description: "",
                severity: "warning",
                runbookUrl: `${EC2_DOCS}/ec2-instance-lifecycle.html`,
                mitigations: [
                    "Check whether the instance was stopped or terminated on purpose (Auto Scaling activity, Karpenter consolidation, CloudTrail).",
                    "Check that the node's pods were rescheduled and the node group is back at its desired size.",
                ],
                attributes: { detailType, state, instanceAction: "", cluster: "" },
            },
        };
    }
    return { kind: "unknown", reason: `aws.ec2 event ${JSON.stringify(detailType)} is not one Vigil triages` };
}

// ---- CloudWatch alarms ------------------------------------------------------------------------

interface AlarmFacts {
    readonly alarmArn: string;
    readonly alarmName: string;
    readonly region: string;
    readonly state: string;
    readonly stateAt: string;
    readonly previousState: string;
    readonly previousAt?: string;
    readonly reason: string;
    readonly description: string;
    readonly namespace: string;
    readonly metricName: string;
    readonly dimensions: Record<string, string>;
}

const CLUSTER_DIMENSIONS = ["ClusterName", "clusterName", "cluster", "Cluster", "cluster_name"];

function alarmAlert(f: AlarmFacts): EventResult {
    if (f.state !== "ALARM" && f.state !== "OK") {
        // INSUFFICIENT_DATA says nothing about the customer; it neither fires nor resolves.
        return { kind: "ignored", reason: `alarm ${f.alarmName} is ${f.state}` };
    }
    const firing = f.state === "ALARM";
    // An alarm that stays in ALARM keeps the start of that ALARM period.
    const startsAt = f.previousState === "ALARM" ? f.previousAt : firing ? f.stateAt : undefined;
    const cluster = CLUSTER_DIMENSIONS.map((k) => f.dimensions[k]).find((v) => v) ?? "";
    const consoleUrl = `https://${f.region}.console.aws.amazon.com/cloudwatch/home?region=${f.region}#alarmsV2:alarm/${encodeURIComponent(f.alarmName)}`;
    const described = alarmDescription(f.description);
    const metric = f.namespace && f.metricName ? `${f.namespace}/${f.metricName}` : "its metrics";
    return {
        kind: "alert",
        alert: {
            source: "cloudwatch",
            key: `cloudwatch:${f.alarmArn}`,
            status: firing ? "firing" : "resolved",
            startsAt: startsAt ?? (firing ? f.stateAt : undefined),
            endsAt: firing ? undefined : f.stateAt,
            observedAt: f.stateAt,
            order: `${f.stateAt}|${firing ? 0 : 1}`,
            cluster,
            title: clip(`CloudWatch alarm ${f.alarmName}`, 300),
            summary: clip(described.summary || f.reason, 1000),
            description: clip(f.reason, 4000),
            severity: "warning",
            level: "cluster",
            // The alarm's owner may name a runbook in its description; else the alarm itself (its
            // description, metric and history) is what to read first.
            runbookUrl: described.runbookUrl ?? consoleUrl,
            mitigations:
                described.mitigations.length > 0
                    ? described.mitigations
                    : [
                          `Open the alarm and its metric ${metric} in the CloudWatch console and compare the recent datapoints with the threshold.`,
                          "Find what changed when the alarm fired: deployments, scaling activity, configuration changes (CloudTrail).",
                          "If it fires without a real problem, adjust its threshold or evaluation periods; first actions written in the alarm description (one per line) appear here.",
                      ],
            attributes: { alarmName: f.alarmName, namespace: f.namespace, metricName: f.metricName, state: f.state, cluster },
            resources: [f.alarmArn],
            links: described.runbookUrl ? [{ label: "CloudWatch alarm", url: consoleUrl }] : [],
        },
    };
}

/**
 * What an alarm's description says: its first line (or sentence) is the summary, a URL in it the
 * runbook, and the rest (later lines, list items, or further sentences of a one-line description)
 * the first actions, in order.
 */
export function alarmDescription(text: string): { summary: string; runbookUrl?: string; mitigations: string[] } {
    const url = /https:\/\/[^\s<>"')]+/.exec(text)?.[0];
    // A line that only names the runbook ("Runbook: https://…") is not an action.
    const namesRunbook = (line: string): boolean => url !== undefined && line.includes(url) && line.replace(url, "").replace(/[:.]/g, " ").trim().split(/\s+/).filter((w) => w !== "").length <= 2;
    const lines = text
        .split(/\r?\n/)
        .map((line) => line.trim())
        .filter((line) => line !== "" && !namesRunbook(line));
    if (lines.length === 0) {
        return { summary: "", runbookUrl: url, mitigations: [] };
    }
    const listItem = /^(?:[-*•]|\d+[.)])\s+/;
    let [summary, ...rest] = lines;
    if (listItem.test(summary)) {
        rest = lines;
        summary = "";
    }
    if (rest.length === 0) {
        // One line: its first sentence is the summary, the sentences after it the actions.
        const sentences = summary.split(/(?<=[.!?])\s+(?=[A-Z])/);
        [summary, ...rest] = sentences;
    }
    return { summary, runbookUrl: url, mitigations: rest.map((line) => line.replace(listItem, "").trim()).filter((line) => line !== "") };
}

function cloudWatchEvent(event: JsonObject, detailType: string): EventResult {
    if (detailType === "CloudWatch Alarm Configuration Change") {
        return { kind: "ignored", reason: "alarm configuration change" };
    }
    if (detailType !== "CloudWatch Alarm State Change") {
        return { kind: "unknown", reason: `aws.cloudwatch event ${JSON.stringify(detailType)} is not one Vigil triages` };
    }
    const d = obj(event.detail);
    const account = required(str(event.account), "account");
    const region = required(str(event.region), "region");
    const alarmName = required(str(d.alarmName), "detail.alarmName");
    const state = obj(d.state);
    const previous = obj(d.previousState);
    const configuration = obj(d.configuration);
    const metrics = Array.isArray(configuration.metrics) ? configuration.metrics.filter(isObject) : [];
    const metric = obj(obj(metrics.find((m) => isObject(m.metricStat)) ?? metrics[0]).metricStat).metric;
    const m = obj(metric);
    return alarmAlert({
        alarmArn: strings(event.resources)[0] ?? `arn:aws:cloudwatch:${region}:${account}:alarm:${alarmName}`,
        alarmName,
        region,
        state: required(str(state.value), "detail.state.value"),
        stateAt: time(state.timestamp, "detail.state.timestamp"),
        previousState: str(previous.value) ?? "",
        previousAt: parseSourceTime(previous.timestamp),
        reason: str(state.reason) ?? "",
        description: str(configuration.description) ?? "",
        namespace: str(m.namespace) ?? "",
        metricName: str(m.name) ?? "",
        dimensions: Object.fromEntries(Object.entries(obj(m.dimensions)).map(([k, v]) => [k, String(v)])),
    });
}

/** The body a CloudWatch alarm action publishes to SNS (the older path; both are accepted). */
export function parseAlarmAction(body: JsonObject): EventResult {
    const trigger = obj(body.Trigger);
    const region = str(body.AlarmArn)?.split(":")[3] ?? "";
    const dims = Array.isArray(trigger.Dimensions) ? trigger.Dimensions.filter(isObject) : [];
    return alarmAlert({
        alarmArn: required(str(body.AlarmArn), "AlarmArn"),
        alarmName: required(str(body.AlarmName), "AlarmName"),
        region,
        state: required(str(body.NewStateValue), "NewStateValue"),
        stateAt: time(body.StateChangeTime, "StateChangeTime"),
        previousState: str(body.OldStateValue) ?? "",
        // The action body does not say when the previous state began.
        previousAt: undefined,
        reason: str(body.NewStateReason) ?? "",
        description: str(body.AlarmDescription) ?? "",
        namespace: str(trigger.Namespace) ?? "",
        metricName: str(trigger.MetricName) ?? "",
        dimensions: Object.fromEntries(dims.map((x) => [String(x.name ?? ""), String(x.value ?? "")])),
    });
}

/**
 * Normalizes one EventBridge event. Throws (with what is wrong) when an event of a known type is
 * malformed; returns `unknown` for sources and types Vigil does not triage.
 */
export function parseEvent(event: JsonObject): EventResult {
    const source = String(event.source);
    const detailType = String(event["detail-type"]);
    switch (source) {
        case "aws.guardduty":
            return detailType === "GuardDuty Finding"
                ? guardDuty(event)
                : { kind: "unknown", reason: `aws.guardduty event ${JSON.stringify(detailType)} is not one Vigil triages` };
        case "aws.health":
            return detailType === "AWS Health Event" || detailType === "AWS Health Abuse Event"
                ? health(event)
                : { kind: "unknown", reason: `aws.health event ${JSON.stringify(detailType)} is not one Vigil triages` };
        case "aws.eks":
            return eksEvent(event, detailType);
        case "aws.ec2":
            return ec2Event(event, detailType);
        case "aws.cloudwatch":
            return cloudWatchEvent(event, detailType);
        default:
            return { kind: "unknown", reason: `event source ${JSON.stringify(source)} (${JSON.stringify(detailType)}) is not one Vigil triages` };
    }
}

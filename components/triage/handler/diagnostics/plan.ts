// Which read-only Kubernetes checks an alert gets, and which values its log queries may use,
// chosen by the alert's level and labels. Pure: the runner carries the plan out.

import type { Alert, Level } from "../model";
import { QUERY_PARAMETERS, QueryParameters } from "./queries";

/** Workload kinds the checks read, by the alert label that names them (kube-state-metrics' labels). */
export const WORKLOAD_LABELS = [
    { label: "deployment", resource: "deployments" },
    { label: "statefulset", resource: "statefulsets" },
    { label: "daemonset", resource: "daemonsets" },
    { label: "job_name", resource: "jobs" },
    { label: "cronjob", resource: "cronjobs" },
    { label: "horizontalpodautoscaler", resource: "horizontalpodautoscalers" },
    { label: "persistentvolumeclaim", resource: "persistentvolumeclaims" },
] as const;

export type WorkloadResource = (typeof WORKLOAD_LABELS)[number]["resource"];

/** How a node is named by an alert: its Kubernetes name, its EC2 instance, or its IP address. */
export type NodeRef = { readonly name: string } | { readonly instanceId: string } | { readonly ip: string };

/** EKS add-ons whose pods the checks can find, by add-on name (label selector in kube-system). */
export const ADDON_SELECTORS: Readonly<Record<string, string>> = {
    "vpc-cni": "k8s-app=aws-node",
    "coredns": "k8s-app=kube-dns",
    "kube-proxy": "k8s-app=kube-proxy",
    "aws-ebs-csi-driver": "app.kubernetes.io/name=aws-ebs-csi-driver",
    "aws-efs-csi-driver": "app.kubernetes.io/name=aws-efs-csi-driver",
    "eks-pod-identity-agent": "app.kubernetes.io/name=eks-pod-identity-agent",
    "aws-mountpoint-s3-csi-driver": "app.kubernetes.io/name=aws-mountpoint-s3-csi-driver",
    "snapshot-controller": "app=snapshot-controller",
    "amazon-cloudwatch-observability": "app.kubernetes.io/name=cloudwatch-agent",
};

export type KubernetesCheck =
    | { readonly kind: "pod"; readonly namespace: string; readonly pod: string; readonly container?: string }
    | { readonly kind: "workload"; readonly namespace: string; readonly resource: WorkloadResource; readonly name: string }
    | { readonly kind: "namespace"; readonly namespace: string }
    | { readonly kind: "node"; readonly node: NodeRef }
    | { readonly kind: "coredns" }
    | { readonly kind: "apiserver"; readonly apiService?: string }
    | { readonly kind: "control-plane" }
    | { readonly kind: "cluster" }
    | { readonly kind: "addon"; readonly addon: string; readonly selector: string }
    | { readonly kind: "network"; readonly node?: NodeRef }
    | { readonly kind: "pipeline"; readonly namespace: string };

export interface DiagnosticsPlan {
    readonly level: Level;
    readonly kubernetes: readonly KubernetesCheck[];
    /** Values the level's log queries may use. */
    readonly parameters: QueryParameters;
    /** What the plan had to leave out, and why (reported as skipped checks). */
    readonly skipped: readonly { readonly id: string; readonly title: string; readonly reason: string }[];
}

const valid = (name: keyof typeof QUERY_PARAMETERS, value: string | undefined): value is string => value !== undefined && QUERY_PARAMETERS[name].test(value);
const IPV4 = /^(\d{1,3}(?:\.\d{1,3}){3})(?::\d+)?$/;
const INSTANCE_IN_KEY = /:(i-[0-9a-f]{8,17}):/;

/** The node an alert is about, from its labels (node, instance) or an EC2 event's instance. */
export function nodeRefOf(alert: Alert): NodeRef | undefined {
    const a = alert.attributes;
    if (valid("node", a.node)) {
        return { name: a.node };
    }
    const instance = a.instance ?? "";
    const ip = IPV4.exec(instance);
    if (ip) {
        return { ip: ip[1] };
    }
    if (valid("node", instance)) {
        return { name: instance };
    }
    const id = alert.source === "ec2" ? INSTANCE_IN_KEY.exec(alert.key)?.[1] : undefined;
    return id ? { instanceId: id } : undefined;
}

export function describeNodeRef(ref: NodeRef): string {
    return "name" in ref ? ref.name : "instanceId" in ref ? `the node of EC2 instance ${ref.instanceId}` : `the node with address ${ref.ip}`;
}

/** The checks and query values for an alert; `vigilNamespace` is where Vigil's collectors run. */
export function planDiagnostics(alert: Alert, vigilNamespace: string): DiagnosticsPlan {
    const a = alert.attributes;
    const skipped: { id: string; title: string; reason: string }[] = [];
    const kubernetes: KubernetesCheck[] = [];
    const parameters: Partial<Record<keyof typeof QUERY_PARAMETERS, string>> = {};
    const namespace = valid("namespace", a.namespace) ? a.namespace : undefined;
    if (a.namespace !== undefined && namespace === undefined) {
        skipped.push({ id: "labels", title: "Alert labels", reason: `the namespace label ${JSON.stringify(a.namespace)} is not a valid namespace name; checks that need it are left out` });
    }
    if (namespace) {
        parameters.namespace = namespace;
    }
    /** The whole cluster is checked instead of what the alert does not name. */
    const clusterInstead = (id: string, title: string, reason: string) => {
        kubernetes.push({ kind: "cluster" });
        skipped.push({ id, title, reason });
    };
    switch (alert.level) {
        case "pod": {
            const pod = valid("pod", a.pod) ? a.pod : undefined;
            if (namespace && pod) {
                const container = valid("container", a.container) ? a.container : undefined;
                kubernetes.push({ kind: "pod", namespace, pod, ...(container ? { container } : {}) });
                parameters.pod = pod;
                if (container) {
                    parameters.container = container;
                }
            } else if (namespace) {
                kubernetes.push({ kind: "namespace", namespace });
                skipped.push({ id: "pod-status", title: "Pod status", reason: "the alert names no valid pod (label pod)" });
            } else {
                clusterInstead("pod-status", "Pod status", "the alert names no namespace and pod (labels namespace, pod)");
            }
            break;
        }
        case "workload": {
            const workload = WORKLOAD_LABELS.map((w) => ({ ...w, name: a[w.label] })).find((w) => w.name !== undefined);
            if (namespace && workload && valid("workload", workload.name)) {
                kubernetes.push({ kind: "workload", namespace, resource: workload.resource, name: workload.name });
                parameters.workload = workload.name;
                parameters.workloadResource = workload.resource;
            } else if (namespace) {
                kubernetes.push({ kind: "namespace", namespace });
                if (workload) {
                    skipped.push({ id: "workload-status", title: "Workload status", reason: `the ${workload.label} label ${JSON.stringify(workload.name)} is not a valid object name` });
                }
            } else {
                clusterInstead("workload-status", "Workload status", "the alert names no namespace (label namespace)");
            }
            break;
        }
        case "node": {
            const node = nodeRefOf(alert);
            if (node) {
                kubernetes.push({ kind: "node", node });
                if ("name" in node) {
                    parameters.node = node.name;
                }
            } else {
                clusterInstead("node-status", "Node status", "the alert names no node (labels node or instance, or an EC2 instance)");
            }
            break;
        }
        case "network": {
            const node = nodeRefOf(alert);
            kubernetes.push(node ? { kind: "network", node } : { kind: "network" });
            if (node && "name" in node) {
                parameters.node = node.name;
            }
            break;
        }
        case "coredns":
            kubernetes.push({ kind: "coredns" });
            break;
        case "apiserver":
            kubernetes.push(valid("workload", a.name) && /^KubeAggregatedAPI/.test(alert.alertname ?? "") ? { kind: "apiserver", apiService: a.name } : { kind: "apiserver" });
            break;
        case "control-plane":
            kubernetes.push({ kind: "control-plane" });
            break;
        case "pipeline":
            kubernetes.push({ kind: "pipeline", namespace: vigilNamespace });
            parameters.vigilNamespace = vigilNamespace;
            break;
        case "cluster": {
            const addon = a.addonName;
            if (alert.source === "eks" && addon && ADDON_SELECTORS[addon]) {
                kubernetes.push({ kind: "addon", addon, selector: ADDON_SELECTORS[addon] });
            } else {
                kubernetes.push({ kind: "cluster" });
            }
            break;
        }
    }
    return { level: alert.level, kubernetes, parameters, skipped };
}

// Runs `promtool check config` on a rendered collector configuration.
//
// Debian's Prometheus 2.42 (the promtool these tests run) is built without Kubernetes service
// discovery: it rejects `kubernetes_sd_configs` ("field kubernetes_sd_configs not found"). When the
// installed promtool lacks it, each `kubernetes_sd_configs` block is first checked here against the
// Prometheus documentation's schema and then replaced by a static target, so promtool still checks
// everything else (relabeling, authorization, TLS, remote write, SigV4, queue settings). Credential
// and CA paths are pointed at real files, because promtool checks that they exist.

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { runTool } from "../support/tools";

const SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";
const KUBERNETES_SD_ROLES = ["node", "service", "pod", "endpoints", "endpointslice", "ingress"];
const KUBERNETES_SD_KEYS = ["role", "namespaces", "selectors", "api_server", "attach_metadata", "kubeconfig_file"];

let kubernetesSdSupported: boolean | undefined;

/** Whether the installed promtool knows `kubernetes_sd_configs`. */
export function promtoolHasKubernetesSd(): boolean {
    if (kubernetesSdSupported === undefined) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-promtool-"));
        const file = path.join(dir, "sd.yml");
        fs.writeFileSync(file, "scrape_configs:\n  - job_name: probe\n    kubernetes_sd_configs:\n      - role: pod\n");
        kubernetesSdSupported = runTool("promtool", ["check", "config", file]).status === 0;
    }
    return kubernetesSdSupported;
}

/** Checks one kubernetes_sd_configs entry against Prometheus's documented schema. */
function checkKubernetesSd(job: string, sd: Record<string, unknown>): void {
    for (const key of Object.keys(sd)) {
        assert.ok(KUBERNETES_SD_KEYS.includes(key), `job ${job}: kubernetes_sd_configs has unknown key ${key}`);
    }
    assert.ok(KUBERNETES_SD_ROLES.includes(String(sd.role)), `job ${job}: kubernetes_sd_configs role ${String(sd.role)}`);
    if (sd.namespaces !== undefined) {
        const ns = sd.namespaces as { names?: unknown };
        assert.deepEqual(Object.keys(ns), ["names"], `job ${job}: namespaces holds only names`);
        assert.ok(Array.isArray(ns.names) && ns.names.every((n) => typeof n === "string"), `job ${job}: namespaces.names is a list of strings`);
    }
}

export interface PromtoolResult {
    readonly status: number;
    readonly output: string;
    /** The file promtool checked. */
    readonly file: string;
}

/** Writes the configuration (adapted as described above) to a temp dir and runs promtool on it. */
export function checkConfig(text: string, options: { agent?: boolean } = {}): PromtoolResult {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-promtool-"));
    const sa = path.join(dir, "serviceaccount");
    fs.mkdirSync(sa);
    fs.writeFileSync(path.join(sa, "token"), "token\n");
    fs.writeFileSync(path.join(sa, "ca.crt"), "ca\n");
    let adapted = text.split(SA_DIR).join(sa);
    if (!promtoolHasKubernetesSd()) {
        const doc = yaml.load(adapted) as { scrape_configs?: Record<string, unknown>[] };
        for (const job of doc.scrape_configs ?? []) {
            const sds = job.kubernetes_sd_configs as Record<string, unknown>[] | undefined;
            if (sds) {
                sds.forEach((sd) => checkKubernetesSd(String(job.job_name), sd));
                delete job.kubernetes_sd_configs;
                job.static_configs = [...((job.static_configs as unknown[]) ?? []), { targets: ["10.0.0.1:443"] }];
            }
        }
        adapted = yaml.dump(doc, { noRefs: true, lineWidth: -1 });
    }
    const file = path.join(dir, "prometheus.yml");
    fs.writeFileSync(file, adapted);
    const result = runTool("promtool", ["check", "config", ...(options.agent ? ["--agent"] : []), file]);
    return { status: result.status, output: `${result.stdout}\n${result.stderr}`, file };
}

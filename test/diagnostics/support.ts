// Test support for the incident diagnostics: the recorded-answer scenarios under
// test/fixtures/diagnostics (and variants of them written to a temporary directory), alerts from
// the message fixtures, runner ports, and a certificate authority made with openssl for a real
// HTTPS API server on loopback.

import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { TriageEngine } from "../../components/triage/handler/engine";
import { caseIdFor, DEFAULT_SETTINGS } from "../../components/triage/handler/lifecycle";
import { MemoryStore } from "../../components/triage/handler/memoryStore";
import { Alert, CaseRecord } from "../../components/triage/handler/model";
import { ManualClock, RecordingIncidents, RecordingNotifier, RecordingTimers } from "../../components/triage/handler/recording";
import { CheckOutcome, CheckResult, DiagnosticsReport, makeReport } from "../../components/triage/handler/diagnostics/report";
import { parseMessage } from "../../components/triage/handler/normalize";
import { parseQueryFiles } from "../../components/triage/handler/diagnostics/queries";
import { queryTexts } from "../../components/triage/handler/diagnostics/querySource";
import { loadRecordedDiagnostics, RecordedDiagnostics } from "../../components/triage/handler/diagnostics/recorded";
import { RunnerDeps } from "../../components/triage/handler/diagnostics/runner";
import { IMPACT_TABLE, message } from "../triage/support";

export const SCENARIOS = path.join(__dirname, "..", "fixtures", "diagnostics");
export const NOW = "2024-05-01T12:00:00.000Z";
export const QUERIES = parseQueryFiles(queryTexts());

/** The first alert of a message fixture (path relative to test/fixtures/messages). */
export function alertOf(relative: string, index = 0): Alert {
    const parsed = parseMessage(message(relative));
    if (parsed.kind !== "alerts" || !parsed.alerts[index]) {
        throw new Error(`${relative} holds no alert ${index}`);
    }
    return parsed.alerts[index];
}

/** An alert with other labels (attributes), level or source. */
export function withAttributes(alert: Alert, attributes: Record<string, string | undefined>, extra: Partial<Alert> = {}): Alert {
    const merged = { ...alert.attributes, ...attributes };
    for (const [k, v] of Object.entries(merged)) {
        if (v === undefined) {
            delete merged[k];
        }
    }
    return { ...alert, ...extra, attributes: merged as Record<string, string> };
}

export interface ScenarioFiles {
    clusters: Record<string, any>;
    kubernetes: any[];
    logs: any[];
}

const temporary: string[] = [];

/** A scenario's recorded answers, changed by `edit`, written to a temporary directory. */
export function variant(base: string, edit: (files: ScenarioFiles) => void): string {
    const read = (file: string, fallback: unknown) => {
        const p = path.join(SCENARIOS, base, file);
        return fs.existsSync(p) ? JSON.parse(fs.readFileSync(p, "utf8")) : fallback;
    };
    const files: ScenarioFiles = { clusters: read("clusters.json", {}), kubernetes: read("kubernetes.json", []), logs: read("logs.json", []) };
    edit(files);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `vigil-diag-${base}-`));
    temporary.push(dir);
    fs.writeFileSync(path.join(dir, "clusters.json"), JSON.stringify(files.clusters));
    fs.writeFileSync(path.join(dir, "kubernetes.json"), JSON.stringify(files.kubernetes));
    fs.writeFileSync(path.join(dir, "logs.json"), JSON.stringify(files.logs));
    return dir;
}

/** Removes the variants written so far. */
export function removeVariants(): void {
    while (temporary.length > 0) {
        fs.rmSync(temporary.pop() as string, { recursive: true, force: true });
    }
}

export function scenario(nameOrDir: string): RecordedDiagnostics {
    return loadRecordedDiagnostics(path.isAbsolute(nameOrDir) ? nameOrDir : path.join(SCENARIOS, nameOrDir));
}

/** Runner ports over recorded answers. */
export function runnerDeps(recorded: RecordedDiagnostics, overrides: Partial<RunnerDeps> = {}): RunnerDeps {
    return {
        clusters: recorded.clusters,
        kubernetes: (c) => recorded.kubernetes(c),
        logs: recorded.logs,
        queries: QUERIES,
        allowedClusters: new Set(["payments-prod", "platform-staging"]),
        vigilNamespace: "vigil-monitoring",
        budgetMs: 10_000,
        pollMs: 5,
        now: () => NOW,
        ...overrides,
    };
}

/** The checks of a report by id. */
export function byId<T extends { id: string }>(checks: readonly T[]): Record<string, T> {
    return Object.fromEntries(checks.map((c) => [c.id, c]));
}

export interface Pki {
    readonly dir: string;
    readonly caPem: string;
    readonly serverKey: string;
    readonly serverCert: string;
}

/** A CA and a server certificate for 127.0.0.1 signed by it (openssl), in a temporary directory. */
export function makePki(): Pki {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-diag-pki-"));
    const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=kubernetes");
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=kube-apiserver");
    fs.writeFileSync(path.join(dir, "ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf");
    return {
        dir,
        caPem: fs.readFileSync(path.join(dir, "ca.pem"), "utf8"),
        serverKey: fs.readFileSync(path.join(dir, "server.key"), "utf8"),
        serverCert: fs.readFileSync(path.join(dir, "server.pem"), "utf8"),
    };
}

/** A case as the engine leaves it after one message fixture (in-memory store, recording ports, no diagnostics). */
export async function caseAfter(relative: string, now: string = NOW): Promise<CaseRecord> {
    const store = new MemoryStore();
    const engine = new TriageEngine({
        store,
        notifier: new RecordingNotifier(),
        operatorNotifier: new RecordingNotifier(),
        incidents: new RecordingIncidents(),
        timers: new RecordingTimers(),
        clock: new ManualClock(now),
        impactTable: IMPACT_TABLE,
        settings: DEFAULT_SETTINGS,
    });
    const report = await engine.ingest(message(relative));
    const record = await store.load(caseIdFor(report.alerts[0].key));
    if (!record) {
        throw new Error(`${relative} left no case`);
    }
    return record;
}

/** A check result (defaults: a Kubernetes check that found something). */
export function check(id: string, outcome: CheckOutcome, summary: string, lines: string[] = [], extra: Partial<CheckResult> = {}): CheckResult {
    return { id, title: `Check ${id}`, source: "kubernetes", outcome, summary, lines, ...extra };
}

/** A report for `record` with these checks. */
export function reportOf(record: CaseRecord, checks: CheckResult[], extra: Partial<DiagnosticsReport> = {}): DiagnosticsReport {
    const request = { episode: record.episode, reason: record.state === "INCIDENT_OPEN" ? ("incident" as const) : ("notification" as const), requestedAt: NOW };
    return { ...makeReport(request, { startedAt: NOW, finishedAt: "2024-05-01T12:00:07.000Z", budgetMs: 60_000, cluster: record.cluster }, record.alert, checks), ...extra };
}

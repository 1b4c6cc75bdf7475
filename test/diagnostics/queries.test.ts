// The Logs Insights query files (rules/diagnostics/<level>.yaml), reviewed like the rules: every
// level has a file, every query is scoped to a control-plane log stream, bounded by a limit,
// uses only declared placeholders, and renders with quoted, checked values; the loader refuses
// each way a file could go wrong, naming the file, the query and what is allowed.

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { LEVELS } from "../../components/triage/handler/model";
import {
    CONTROL_PLANE_STREAMS,
    MAX_WINDOW_SECONDS,
    parseQueryFile,
    parseQueryFiles,
    QUERY_PARAMETER_NAMES,
    queriesFor,
    queryWindow,
    renderQuery,
} from "../../components/triage/handler/diagnostics/queries";
import { QUERY_FILES_DIR, queryTexts } from "../../components/triage/handler/diagnostics/querySource";
import { logTypesOf } from "../../components/triage/handler/diagnostics/insights";
import { QUERIES } from "./support";

const SAMPLE = { namespace: "shop", pod: "cart-7d9c6b5f4-x2lkq", container: "cart", node: "ip-10-0-1-23.eu-west-1.compute.internal", workload: "cart", workloadResource: "deployments", vigilNamespace: "vigil-monitoring" };

const VALID = `level: pod
description: test queries
queries:
  - id: pod-writes
    title: Changes
    description: who changed the pod
    parameters: [namespace, pod]
    query: |
      fields @timestamp, verb
      | filter @logStream like /^kube-apiserver-audit/
      | filter objectRef.namespace = {{namespace}} and objectRef.name = {{pod}}
      | limit 10
`;

/** VALID with one line replaced. */
const edit = (from: string | RegExp, to: string) => VALID.replace(from, to);

describe("diagnostics: Logs Insights query files (rules/diagnostics)", () => {
    it("has exactly one file per alert level, each named after its level", () => {
        const files = fs.readdirSync(QUERY_FILES_DIR).filter((f) => f.endsWith(".yaml")).sort();
        assert.deepEqual(files, [...LEVELS].map((l) => `${l}.yaml`).sort());
        assert.deepEqual([...QUERIES.keys()].sort(), [...LEVELS].sort());
        assert.deepEqual(Object.keys(queryTexts()).sort(), files, "the function reads the same files");
    });

    it("covers the issue's analyses: API errors, slow verbs and callers; object changes for pods and workloads; authenticator failures", () => {
        const ids = (level: (typeof LEVELS)[number]) => (QUERIES.get(level)?.queries ?? []).map((q) => q.id);
        assert.deepEqual(ids("apiserver"), ["error-codes", "slow-requests", "top-callers", "authenticator-failures"]);
        assert.deepEqual(ids("pod"), ["pod-writes", "namespace-changes"]);
        assert.deepEqual(ids("workload"), ["workload-writes", "pod-deletions", "namespace-config-changes"]);
        assert.ok(ids("cluster").includes("authenticator-failures"));
        const pod = QUERIES.get("pod")?.queries[0];
        assert.match(pod?.query ?? "", /objectRef\.subresource in \["eviction", "binding", "ephemeralcontainers"\]/, "evictions and bindings of the pod");
        assert.match(QUERIES.get("workload")?.queries[0].query ?? "", /objectRef\.subresource = "scale"/, "scale changes");
        assert.match(QUERIES.get("apiserver")?.queries[1].query ?? "", /ispresent\(`annotations\.apiserver\.latency\.k8s\.io\/total`\)/, "slow requests by the API server's own latency annotation");
    });

    it("every shipped query reads one control-plane stream, is bounded, and renders with sample values", () => {
        let count = 0;
        for (const file of QUERIES.values()) {
            for (const q of file.queries) {
                count++;
                assert.ok(logTypesOf(q.query).length >= 1, `${file.origin} ${q.id} names a log type`);
                assert.ok(q.limit >= 1 && q.limit <= 100);
                assert.ok(q.lookbackSeconds >= 1800 && q.lookbackSeconds <= 6 * 3600, `${q.id} looks back ${q.lookbackSeconds} s`);
                const rendered = renderQuery(q, SAMPLE);
                assert.ok(rendered.ok, `${file.origin} ${q.id}: ${rendered.ok ? "" : rendered.reason}`);
                if (rendered.ok) {
                    assert.doesNotMatch(rendered.queryString, /\{\{|\}\}/);
                    for (const p of q.parameters) {
                        assert.ok(rendered.queryString.includes(JSON.stringify((SAMPLE as Record<string, string>)[p])), `${q.id} quotes ${p}`);
                    }
                }
            }
        }
        assert.ok(count >= 20, `${count} queries`);
    });

    it("quotes checked values and refuses values that are not Kubernetes names (no query injection)", () => {
        const def = parseQueryFile(VALID, "rules/diagnostics/pod.yaml").queries[0];
        const ok = renderQuery(def, { namespace: "shop", pod: "cart-1" });
        assert.deepEqual(ok.ok && ok.queryString.split("\n")[2], '| filter objectRef.namespace = "shop" and objectRef.name = "cart-1"');
        for (const pod of ['cart" or objectRef.name like /./', "cart\n| display @message", "Cart", "-cart", "cart/../x", "x".repeat(254)]) {
            const bad = renderQuery(def, { namespace: "shop", pod });
            assert.equal(bad.ok, false, JSON.stringify(pod));
            assert.match(bad.ok ? "" : bad.reason, /is not a valid Kubernetes name, so it is not put into a query/);
        }
        const missing = renderQuery(def, { namespace: "shop" });
        assert.deepEqual(missing, { ok: false, reason: "the alert does not name the pod the query needs" });
    });

    it("refuses each kind of bad file, naming the file, the query and what is allowed", () => {
        const cases: [string, string, RegExp][] = [
            ["unknown top-level key", VALID + "extra: 1\n", /pod\.yaml: unknown key "extra"; allowed: level, description, queries/],
            ["unknown level", edit("level: pod", "level: pods"), /level is "pods"; allowed: cluster, node/],
            ["file not named after its level", VALID, /level pod belongs in pod\.yaml/],
            ["no description", edit("description: test queries\n", ""), /description must say what the queries look for/],
            ["bad id", edit("id: pod-writes", "id: Pod_Writes"), /queries\[0\]: id is "Pod_Writes"/],
            ["unknown query key", edit("    title: Changes", "    title: Changes\n    cost: high"), /unknown key "cost"; allowed: id, title/],
            ["undeclared placeholder", edit("parameters: [namespace, pod]", "parameters: [namespace]"), /parameters must list exactly the placeholders the query uses \(namespace, pod\); declared namespace/],
            ["unused parameter", edit("parameters: [namespace, pod]", "parameters: [namespace, pod, node]"), /declared namespace, node, pod/],
            ["unknown placeholder", edit("{{pod}}", "{{podName}}"), /placeholder \{\{podName\}\} is not a parameter; allowed: namespace, pod/],
            ["malformed placeholder", edit("{{pod}}", "{{pod}"), /malformed placeholder/],
            ["no stream filter", edit("      | filter @logStream like /^kube-apiserver-audit/\n", ""), /must filter the log stream with "filter @logStream like \/\^<stream>\/"/],
            ["another log group", edit("      fields @timestamp, verb", "      SOURCE logGroups(namePrefix: ['/']) | fields @timestamp"), /must not select log groups \(SOURCE\)/],
            ["no limit", edit("      | limit 10\n", ""), /one "\| limit N" where N is 1 to 100; found none/],
            ["limit too high", edit("limit 10", "limit 500"), /found 500/],
            ["bad lookback", edit("    parameters: [namespace, pod]", "    parameters: [namespace, pod]\n    lookback: 2d"), /lookback is "2d"; allowed: hours and\/or minutes/],
            ["lookback too long", edit("    parameters: [namespace, pod]", "    parameters: [namespace, pod]\n    lookback: 25h"), /up to 24h/],
            ["bad alertname pattern", edit("    parameters: [namespace, pod]", "    parameters: [namespace, pod]\n    alertname: \"(\""), /alertname "\(" is not a valid regular expression/],
            ["duplicate id", VALID + VALID.slice(VALID.indexOf("  - id:")), /id pod-writes is used twice/],
            ["not YAML", "level: [pod", /not valid YAML/],
        ];
        for (const [what, text, message] of cases) {
            const origin = what === "file not named after its level" ? "rules/diagnostics/node.yaml" : "rules/diagnostics/pod.yaml";
            assert.throws(() => parseQueryFile(text, origin), (err: Error) => err.name === "QueryFileError" && message.test(err.message), what);
        }
        assert.equal(parseQueryFile(VALID, "rules/diagnostics/pod.yaml").queries.length, 1, "the unchanged file is accepted");
    });

    it("needs a file for every level, and selects queries by alert name when a query says so", () => {
        const texts = queryTexts();
        const { ["network.yaml"]: _dropped, ...fewer } = texts;
        assert.throws(() => parseQueryFiles(fewer), /every alert level needs a query file \(it may have no queries\); missing network\.yaml/);
        const withFilter = { ...texts, "pod.yaml": edit("    parameters: [namespace, pod]", "    parameters: [namespace, pod]\n    alertname: KubePod.*") };
        const files = parseQueryFiles(withFilter);
        assert.equal(queriesFor(files, "pod", "KubePodCrashLooping").length, 1);
        assert.equal(queriesFor(files, "pod", "KubeContainerWaiting").length, 0);
        assert.equal(queriesFor(files, "pod", undefined).length, 0, "a query for some alerts skips alerts without a name");
    });

    it("maps @logStream prefixes to the control-plane log types they come from", () => {
        assert.deepEqual(logTypesOf("filter @logStream like /^kube-apiserver-audit/"), ["audit"]);
        assert.deepEqual(logTypesOf("filter @logStream like /^kube-apiserver-/ and @logStream not like /^kube-apiserver-audit/"), ["api"]);
        assert.deepEqual(logTypesOf("filter @logStream like /^authenticator/"), ["authenticator"]);
        assert.deepEqual(logTypesOf("filter @logStream like /^kube-scheduler/ or @logStream like /^kube-controller-manager/").sort(), ["controllerManager", "scheduler"]);
        assert.equal(CONTROL_PLANE_STREAMS.length, 6);
        assert.deepEqual([...QUERY_PARAMETER_NAMES].sort(), Object.keys(SAMPLE).sort());
    });

    it("queries the alert's window: from the lookback before it started to now, or five minutes after it resolved, at most six hours", () => {
        const hour = { lookbackSeconds: 3600 };
        const s = (iso: string) => Date.parse(iso) / 1000;
        assert.deepEqual(queryWindow(hour, { startsAt: "2024-05-01T11:55:00.000Z" }, "2024-05-01T12:00:00.000Z"), { startTime: s("2024-05-01T10:55:00Z"), endTime: s("2024-05-01T12:00:00Z") });
        assert.deepEqual(queryWindow(hour, { startsAt: "2024-05-01T11:00:00.000Z", endsAt: "2024-05-01T11:20:00.000Z" }, "2024-05-01T12:00:00.000Z"), { startTime: s("2024-05-01T10:00:00Z"), endTime: s("2024-05-01T11:25:00Z") });
        const old = queryWindow(hour, { startsAt: "2024-04-28T12:00:00.000Z" }, "2024-05-01T12:00:00.000Z");
        assert.equal(old.endTime - old.startTime, MAX_WINDOW_SECONDS, "an alert firing for days is queried for its last six hours");
        const fresh = queryWindow(hour, {}, "2024-05-01T12:00:00.000Z");
        assert.deepEqual(fresh, { startTime: s("2024-05-01T11:00:00Z"), endTime: s("2024-05-01T12:00:00Z") }, "no start: the last lookback");
    });

    it("the folder's README documents the format the loader checks", () => {
        const readme = fs.readFileSync(path.join(QUERY_FILES_DIR, "README.md"), "utf8");
        for (const word of ["level", "description", "queries", "id", "title", "parameters", "lookback", "alertname", "query", "@logStream", "limit", ...QUERY_PARAMETER_NAMES]) {
            assert.ok(readme.includes(`\`${word}\``), `README names ${word}`);
        }
    });
});

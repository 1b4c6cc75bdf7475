// Logs Insights through the real adapter (CloudWatchLogsInsights) with the SDK client answering
// recorded-shape responses (aws-sdk-client-mock): StartQuery, GetQueryResults polled through
// Scheduled/Running to Complete, Failed, Cancelled, Timeout, queries still running when the
// budget ends (stopped with StopQuery), and the service errors a missing permission or log group
// gives.

import * as assert from "node:assert/strict";
import {
    AccessDeniedException,
    CloudWatchLogsClient,
    GetQueryResultsCommand,
    GetQueryResultsCommandOutput,
    LimitExceededException,
    MalformedQueryException,
    ResourceNotFoundException,
    StartQueryCommand,
    StopQueryCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { mockClient } from "aws-sdk-client-mock";
import { Deadline } from "../../components/triage/handler/diagnostics/budget";
import { CloudWatchLogsInsights, MAX_ROWS, QueryContext, QueryRun, runQueries } from "../../components/triage/handler/diagnostics/insights";
import { controlPlaneLogGroup, QueryDefinition } from "../../components/triage/handler/diagnostics/queries";
import { CheckResult } from "../../components/triage/handler/diagnostics/report";
import { byId, NOW } from "./support";

const LOCAL = { region: "eu-west-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } };
const GROUP = controlPlaneLogGroup("payments-prod");
const STARTS_AT = "2024-05-01T11:55:00.000Z";

function def(id: string, extra: Partial<QueryDefinition> = {}): QueryDefinition {
    return {
        id,
        title: `Query ${id}`,
        description: "test query",
        parameters: [],
        lookbackSeconds: 3600,
        query: 'fields @timestamp, verb\n| filter @logStream like /^kube-apiserver-audit/ and verb = "delete"\n| limit 30',
        limit: 30,
        ...extra,
    };
}

const row = (verb: string, name: string) => [
    { field: "@timestamp", value: "2024-05-01 11:39:57.660" },
    { field: "verb", value: verb },
    { field: "objectRef.name", value: name },
    { field: "@ptr", value: "CmAKJwojMTExMTIyMjIzMzMzOi9hd3MvZWtzL3BheW1lbnRzLXByb2QvY2x1c3RlchAH" },
];

const denied = (action: string) =>
    new AccessDeniedException({
        message: `User: arn:aws:sts::111122223333:assumed-role/vigil-triage-diagnostics-role/fn is not authorized to perform: ${action} on resource: arn:aws:logs:eu-west-1:111122223333:log-group:${GROUP}:* because no identity-based policy allows the ${action} action`,
        $metadata: { httpStatusCode: 400 },
    });

describe("diagnostics: Logs Insights queries (SDK client with recorded answers)", function () {
    this.timeout(10_000);
    // Installed in `before`: a client mock is process-wide and would catch other files' clients.
    const mockLogs = () => mockClient(CloudWatchLogsClient);
    let logs: ReturnType<typeof mockLogs>;
    /** GetQueryResults answers by query id, in order (the last repeats). */
    let scripts: Map<string, Partial<GetQueryResultsCommandOutput>[]>;
    let polls: string[];

    before(() => {
        logs = mockLogs();
    });

    beforeEach(() => {
        logs.reset();
        scripts = new Map();
        polls = [];
        let next = 0;
        logs.on(StartQueryCommand).callsFake(() => ({ queryId: `q-${++next}` }));
        logs.on(GetQueryResultsCommand).callsFake((input: { queryId: string }) => {
            polls.push(input.queryId);
            const script = scripts.get(input.queryId) ?? [{ status: "Complete", results: [] }];
            return script.length > 1 ? script.shift() : script[0];
        });
        logs.on(StopQueryCommand).resolves({ success: true });
    });

    after(() => {
        logs.restore();
    });

    function context(extra: Partial<QueryContext> = {}): QueryContext {
        return {
            logs: new CloudWatchLogsInsights(new CloudWatchLogsClient(LOCAL)),
            deadline: Deadline.in(5000),
            logGroup: GROUP,
            enabledLogTypes: ["api", "audit", "authenticator", "controllerManager", "scheduler"],
            alert: { startsAt: STARTS_AT },
            parameters: { namespace: "shop", pod: "cart-7d9c6b5f4-x2lkq" },
            now: NOW,
            pollMs: 5,
            ...extra,
        };
    }

    const runs = (...defs: QueryDefinition[]): QueryRun[] => defs.map((d) => ({ level: "pod", def: d }));

    it("starts the query on the cluster's log group for the alert's window and polls Scheduled and Running until Complete", async () => {
        scripts.set("q-1", [
            { status: "Scheduled", results: [] },
            { status: "Running", results: [] },
            { status: "Complete", results: [row("delete", "cart-redis"), row("patch", "cart")], statistics: { recordsMatched: 2, recordsScanned: 402113, bytesScanned: 96 * 1024 * 1024 } },
        ]);
        const [result] = await runQueries(context(), runs(def("writes")));
        const started = logs.commandCalls(StartQueryCommand).map((c) => c.args[0].input);
        assert.deepEqual(started, [
            {
                logGroupName: "/aws/eks/payments-prod/cluster",
                startTime: Date.parse(STARTS_AT) / 1000 - 3600,
                endTime: Date.parse(NOW) / 1000,
                queryString: def("writes").query,
                limit: 30,
            },
        ]);
        assert.deepEqual(polls, ["q-1", "q-1", "q-1"]);
        assert.deepEqual(result, {
            id: "logs:pod/writes",
            title: "Query writes",
            source: "logs-insights",
            outcome: "found",
            summary: "2 row(s) from 2024-05-01T10:55:00.000Z to 2024-05-01T12:00:00.000Z; 2 of 402113 log events matched, 98304 KiB scanned",
            lines: ["@timestamp | verb | objectRef.name", "2024-05-01 11:39:57.660 | delete | cart-redis", "2024-05-01 11:39:57.660 | patch | cart"],
        });
        assert.equal(logs.commandCalls(StopQueryCommand).length, 0, "a finished query is not stopped");
    });

    it("an empty result is 'ok, nothing found'; more rows than shown are counted in a note; lines are one line each", async () => {
        scripts.set("q-1", [{ status: "Complete", results: [] }]);
        const many = Array.from({ length: MAX_ROWS + 7 }, (_, i) => row("delete", `pod-${i}\nwith a line break`));
        scripts.set("q-2", [{ status: "Complete", results: many }]);
        const c = byId(await runQueries(context(), runs(def("nothing"), def("many"))));
        assert.equal(c["logs:pod/nothing"].outcome, "ok");
        assert.equal(c["logs:pod/nothing"].summary, "nothing found from 2024-05-01T10:55:00.000Z to 2024-05-01T12:00:00.000Z");
        assert.deepEqual(c["logs:pod/nothing"].lines, []);
        assert.equal(c["logs:pod/many"].outcome, "found");
        assert.equal(c["logs:pod/many"].lines.length, MAX_ROWS + 1, "a header and MAX_ROWS rows");
        assert.equal(c["logs:pod/many"].truncated, "7 more row(s) not shown");
        assert.equal(c["logs:pod/many"].lines[1], "2024-05-01 11:39:57.660 | delete | pod-0 with a line break");
    });

    it("Failed and Cancelled queries fail, a Timeout is 'timed out', each with the window", async () => {
        scripts.set("q-1", [{ status: "Running" }, { status: "Failed" }]);
        scripts.set("q-2", [{ status: "Cancelled" }]);
        scripts.set("q-3", [{ status: "Timeout" }]);
        scripts.set("q-4", [{ status: "Unknown" }]);
        const c = byId(await runQueries(context(), runs(def("failed"), def("cancelled"), def("timeout"), def("unknown"))));
        const window = "(window 2024-05-01T10:55:00.000Z to 2024-05-01T12:00:00.000Z)";
        assert.deepEqual(
            Object.values(c).map((r) => [r.id, r.outcome, r.summary]),
            [
                ["logs:pod/failed", "failed", `the query ended Failed ${window}`],
                ["logs:pod/cancelled", "failed", `the query ended Cancelled ${window}`],
                ["logs:pod/timeout", "timed-out", `the query ended Timeout ${window}`],
                ["logs:pod/unknown", "failed", `the query ended Unknown ${window}`],
            ],
        );
    });

    it("a query still running when the budget ends is stopped and reported 'timed out'; what finished is kept; the run ends on time", async () => {
        scripts.set("q-1", [{ status: "Running" }]);
        scripts.set("q-2", [{ status: "Running" }, { status: "Complete", results: [row("delete", "cart")] }]);
        const started = Date.now();
        const results = await runQueries(context({ deadline: Deadline.in(300), pollMs: 20 }), runs(def("slow"), def("quick")));
        const elapsed = Date.now() - started;
        // Without the budget the query would poll for ever; the upper bound leaves room for a loaded CI machine.
        assert.ok(elapsed >= 250 && elapsed < 3000, `took ${elapsed} ms with a 300 ms budget`);
        const c = byId(results);
        assert.equal(c["logs:pod/slow"].outcome, "timed-out");
        assert.match(c["logs:pod/slow"].summary, /^the query was still running when the diagnostics budget ran out \(window .*\); it was stopped$/);
        assert.equal(c["logs:pod/quick"].outcome, "found");
        assert.deepEqual(logs.commandCalls(StopQueryCommand).map((call) => call.args[0].input), [{ queryId: "q-1" }]);
    });

    it("a StartQuery that does not answer within the budget is 'timed out' (and nothing is left to stop)", async () => {
        logs.on(StartQueryCommand).callsFake(() => new Promise((resolve) => setTimeout(() => resolve({ queryId: "late" }), 1000)));
        const [result] = await runQueries(context({ deadline: Deadline.in(150) }), runs(def("stuck")));
        assert.equal(result.outcome, "timed-out");
        assert.equal(result.summary, "StartQuery logs:pod/stuck: no answer within the diagnostics time budget");
        assert.equal(logs.commandCalls(StopQueryCommand).length, 0);
    });

    it("missing permission (AccessDeniedException) on StartQuery or GetQueryResults is 'no permission', naming the log group and the action", async () => {
        logs.on(StartQueryCommand).rejectsOnce(denied("logs:StartQuery")).resolves({ queryId: "q-ok" });
        logs.on(GetQueryResultsCommand).rejects(denied("logs:GetQueryResults"));
        const c = byId(await runQueries(context(), runs(def("start-denied"), def("results-denied"))));
        assert.equal(c["logs:pod/start-denied"].outcome, "denied");
        assert.match(c["logs:pod/start-denied"].summary, /^not allowed to query \/aws\/eks\/payments-prod\/cluster \(AccessDeniedException\): User: .* is not authorized to perform: logs:StartQuery/);
        assert.equal(c["logs:pod/results-denied"].outcome, "denied");
        assert.match(c["logs:pod/results-denied"].summary, /is not authorized to perform: logs:GetQueryResults/);
    });

    it("a missing log group, the account's query limit, a malformed query and other errors fail with what to do", async () => {
        logs.on(StartQueryCommand)
            .rejectsOnce(new ResourceNotFoundException({ message: "The specified log group does not exist.", $metadata: {} }))
            .rejectsOnce(new LimitExceededException({ message: "Account maximum query concurrency limit of [30] reached.", $metadata: {} }))
            .rejectsOnce(new MalformedQueryException({ message: "unexpected symbol found", $metadata: {}, queryCompileError: undefined }))
            .rejectsOnce(Object.assign(new Error("socket hang up"), { name: "TimeoutError" }))
            .resolves({});
        const results = await runQueries(context(), runs(def("gone"), def("limit"), def("malformed"), def("network"), def("no-id")));
        assert.deepEqual(
            results.map((r: CheckResult) => [r.outcome, r.summary]),
            [
                ["failed", "the log group /aws/eks/payments-prod/cluster does not exist: control-plane logging is off for the cluster, or the group was deleted"],
                ["failed", "the account runs as many Logs Insights queries as it may at once; try again later (Account maximum query concurrency limit of [30] reached.)"],
                ["failed", "CloudWatch Logs refused the query as malformed; fix it in rules/diagnostics (unexpected symbol found)"],
                ["failed", "TimeoutError: socket hang up"],
                ["failed", "Error: StartQuery returned no queryId"],
            ],
        );
        assert.equal(logs.commandCalls(GetQueryResultsCommand).length, 0);
    });

    it("skips, without calling AWS, a query whose log type is off or whose parameters the alert does not give", async () => {
        const podQuery = def("pod", { parameters: ["namespace", "pod"], query: 'filter @logStream like /^kube-apiserver-audit/ and objectRef.name = {{pod}} and objectRef.namespace = {{namespace}}' });
        const off = byId(await runQueries(context({ enabledLogTypes: ["api", "authenticator"] }), runs(def("audit-off"))));
        assert.equal(off["logs:pod/audit-off"].outcome, "skipped");
        assert.equal(off["logs:pod/audit-off"].summary, "the cluster's control-plane log type audit is off, so there is nothing to query");
        const missing = byId(await runQueries(context({ parameters: { namespace: "shop" } }), runs(podQuery)));
        assert.equal(missing["logs:pod/pod"].outcome, "skipped");
        assert.equal(missing["logs:pod/pod"].summary, "the alert does not name the pod the query needs");
        const hostile = byId(await runQueries(context({ parameters: { namespace: "shop", pod: 'x" or 1=1' } }), runs(podQuery)));
        assert.match(hostile["logs:pod/pod"].summary, /^the alert's pod "x\\" or 1=1" is not a valid Kubernetes name, so it is not put into a query$/);
        assert.equal(logs.commandCalls(StartQueryCommand).length, 0);
        // With the parameters given, the values go in quoted.
        await runQueries(context(), runs(podQuery));
        assert.equal(logs.commandCalls(StartQueryCommand)[0].args[0].input.queryString, 'filter @logStream like /^kube-apiserver-audit/ and objectRef.name = "cart-7d9c6b5f4-x2lkq" and objectRef.namespace = "shop"');
    });
});

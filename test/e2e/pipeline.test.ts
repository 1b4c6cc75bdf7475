// End to end: real node-exporter, Prometheus (collector and ruler) and Alertmanager drive the
// triage Lambda's bundle (harness/pipeline.ts). Each scenario asserts on what the pipeline
// produced: the messages published to SNS, the cases in DynamoDB, the notifications, OpsItems and
// reply timers the Lambda created, and the series remote write carried.
//
// The alert manager runs its route timers exactly as rendered (a run takes about seven minutes,
// because a resolve waits for the next five-minute group interval);
// VIGIL_E2E_ALERTMANAGER_TIMERS=fast shortens the root route's for quick local iterations (about
// a minute and a half; npm test and CI never set it). VIGIL_E2E_KEEP=1 keeps the run's
// directory (configurations, data, logs) even when every scenario passed.

import * as assert from "node:assert/strict";
import * as yaml from "js-yaml";
import { loadRuleFiles } from "../../components/metrics";
import { REPLY_CLAIM_LEASE_SECONDS } from "../../components/triage/args";
import { atExpression } from "../../components/triage/handler/aws";
import { CaseRecord } from "../../components/triage/handler/model";
import { requireTool } from "../support/tools";
import { AlertmanagerTimers, CLUSTER, durationMs, E2E_ALERTS, HARD_TEXT, missingComponentAlerts, NODE_NAME, TOPICS } from "./harness/config";
import { PublishedMessage } from "./harness/localAws";
import { FUNCTIONS, Pipeline, SCHEDULE_GROUP, SCHEDULER_ROLE_ARN, SWEEP_PERIOD_MS } from "./harness/pipeline";
import { processExists } from "./harness/processes";

const TIMERS = (process.env.VIGIL_E2E_ALERTMANAGER_TIMERS ?? "rendered") as AlertmanagerTimers;
const KEEP = process.env.VIGIL_E2E_KEEP === "1";

/** Labels and impact of a shipped alert rule, as the rule file says. */
function shippedRule(alert: string): { labels: Record<string, string>; impact: string } {
    for (const file of loadRuleFiles()) {
        for (const group of file.groups) {
            const rule = group.rules.find((r) => r.alert === alert);
            if (rule) {
                const labels = { ...(rule.labels ?? {}) };
                return { labels, impact: labels.impact };
            }
        }
    }
    throw new Error(`no shipped rule named ${alert}`);
}

/** Where a case of each impact class ends up after triage (DESIGN.md, impact classes). */
const STATE_AFTER_TRIAGE: Record<string, CaseRecord["state"]> = { none: "RESOLVED", known: "INCIDENT_OPEN", uncertain: "AWAITING_CUSTOMER" };

/** The metric names a Prometheus text exposition holds. */
async function exposedNames(url: string): Promise<Set<string>> {
    const text = await (await fetch(url)).text();
    const names = new Set<string>();
    for (const line of text.split("\n")) {
        const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line);
        if (m) {
            names.add(m[1]);
        }
    }
    return names;
}

/** Series Prometheus adds for every scrape target itself. */
const SYNTHETIC = ["up", "scrape_duration_seconds", "scrape_samples_scraped", "scrape_samples_post_metric_relabeling", "scrape_series_added"];

describe("end to end: Prometheus, Alertmanager and node-exporter drive the triage engine", function () {
    // Bounded: startup, then each scenario waits with its own limit (see `limits`).
    this.timeout(TIMERS === "rendered" ? 15 * 60_000 : 5 * 60_000);
    let pipeline: Pipeline;
    let failed = false;
    let stopped = false;
    /** When the reply scenario confirmed the backstop case (the sweep scenario waits for its incident). */
    let backstopConfirmedAt = 0;
    // How long a change takes to reach the handler: a scrape, a remote-write batch, rule evaluation
    // and the `for` override, then the alert manager's group timer; plus margin for two busy cores.
    const limits = { start: 60_000, firing: 0, resolve: 0, sweep: REPLY_CLAIM_LEASE_SECONDS * 1000 + 2 * SWEEP_PERIOD_MS + 30_000 };

    before(async function () {
        requireTool("prometheus");
        requireTool("prometheus-alertmanager");
        requireTool("prometheus-node-exporter");
        try {
            pipeline = await Pipeline.start({ timers: TIMERS, startTimeoutMs: 30_000 });
        } catch (err) {
            failed = true;
            throw err;
        }
        const route = (yaml.load(pipeline.alertmanagerConfig) as { route: { group_wait: string; group_interval: string } }).route;
        limits.firing = 60_000 + durationMs(route.group_wait);
        limits.resolve = 60_000 + durationMs(route.group_interval);
    });

    afterEach(function () {
        if (this.currentTest?.state !== "passed") {
            failed = true;
        }
    });

    after(async function () {
        this.timeout(60_000);
        if (pipeline && !stopped) {
            await pipeline.stop({ keepFiles: failed || KEEP });
        }
        if (pipeline && (failed || KEEP)) {
            // Shown after mocha's report: where to read every process's log and configuration.
            process.stderr.write(`\nend-to-end run kept in ${pipeline.dir} (logs in ${pipeline.dir}/logs)\n`);
        }
    });

    /** Polls `probe` until it yields a value; on timeout fails with the pipeline's state. */
    async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
            const value = await probe();
            if (value !== undefined) {
                return value;
            }
            if (Date.now() > deadline) {
                throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${await pipeline.describe()}`);
            }
            await new Promise((resolve) => setTimeout(resolve, 500));
        }
    }

    async function caseOf(alertname: string, where: (c: CaseRecord) => boolean = () => true): Promise<CaseRecord | undefined> {
        return (await pipeline.store.allCases()).find((c) => c.alertname === alertname && where(c));
    }

    function alertMessages(alertname: string, status?: "firing" | "resolved"): { message: PublishedMessage; body: any }[] {
        return pipeline.aws
            .to(TOPICS.alerts)
            .map((message) => ({ message, body: JSON.parse(message.message) }))
            .filter(({ body }) => body.alerts.some((a: any) => a.labels.alertname === alertname && (status === undefined || a.status === status)));
    }

    it("records the Watchdog heartbeat per cluster and never opens a case for it", async () => {
        const heartbeat = await until("the Watchdog heartbeat delivered and recorded for the cluster", limits.firing, async () =>
            pipeline.queue.deliveries.some((d) => d.topicArn === TOPICS.heartbeat) ? (await pipeline.store.heartbeats()).find((h) => h.cluster === CLUSTER) : undefined,
        );
        const published = pipeline.aws.to(TOPICS.heartbeat);
        assert.ok(published.length >= 1, "the heartbeat went to the heartbeat topic");
        const bodies = published.map((p) => JSON.parse(p.message));
        for (const body of bodies) {
            assert.equal(body.receiver, "heartbeat");
            assert.deepEqual(
                body.alerts.map((a: any) => a.labels),
                [{ alertname: "Watchdog", cluster: CLUSTER, ...shippedRule("Watchdog").labels }],
            );
        }
        assert.equal(heartbeat.status, "firing");
        assert.ok(
            bodies.some((b) => b.alerts[0].startsAt === heartbeat.startsAt),
            `recorded startsAt ${heartbeat.startsAt} is a published heartbeat's`,
        );
        assert.ok(
            published.some((p) => p.at === heartbeat.at),
            "the heartbeat time is the SNS Timestamp of its delivery",
        );
        const deliveries = pipeline.queue.deliveries.filter((d) => d.topicArn === TOPICS.heartbeat);
        assert.ok(deliveries.length >= 1 && deliveries.every((d) => !d.failed), "the handler processed every heartbeat delivery");
        assert.equal(await caseOf("Watchdog"), undefined, "no case for the heartbeat");
        assert.equal(alertMessages("Watchdog").length, 0, "the heartbeat never goes to the alert topic");
        assert.ok(!pipeline.aws.to(TOPICS.notifications).some((n) => n.message.includes("Watchdog")), "no notification about the heartbeat");
        assert.ok(!pipeline.aws.opsItems.some((o) => JSON.stringify(o.input).includes("Watchdog")), "no incident for the heartbeat");
    });

    it("carries labels and annotations with quotes, backslashes, newlines and non-ASCII text through the template intact", async () => {
        const { alert, impact, namespace } = E2E_ALERTS.text;
        const expectedLabels = { alertname: alert, cluster: CLUSTER, severity: "warning", impact, level: "workload", namespace, ...HARD_TEXT.labels };
        const [{ message, body }] = await until(`${alert} on the alert topic`, limits.firing, () => {
            const found = alertMessages(alert);
            return found.length > 0 ? found : undefined;
        });
        // Valid JSON (C1), parsed above; HTML-sensitive characters escaped, other text as UTF-8.
        assert.doesNotThrow(() => JSON.parse(message.message));
        assert.doesNotMatch(message.message, /[<>&]/, "js escaping leaves no raw <, > or &");
        assert.match(message.message, /東京/, "non-ASCII text travels as UTF-8");
        assert.equal(body.alerts.length, 1);
        assert.deepEqual(body.alerts[0].labels, expectedLabels);
        assert.deepEqual(body.alerts[0].annotations, HARD_TEXT.annotations);
        assert.deepEqual(body.commonLabels, expectedLabels);
        assert.deepEqual(body.groupLabels, { alertname: alert, cluster: CLUSTER, namespace });
        assert.match(body.alerts[0].fingerprint, /^[0-9a-f]{16}$/);
        assert.equal(body.alerts[0].endsAt, "0001-01-01T00:00:00.000Z");

        const record = await until(`the ${alert} case with its incident`, limits.firing, () => caseOf(alert, (c) => c.opsItemId !== undefined && c.incidentNotifiedEpisode === 1));
        assert.equal(record.key, `prometheus:${body.alerts[0].fingerprint}`);
        assert.equal(record.impact, "known");
        assert.equal(record.impactReason, "label impact=known");
        assert.equal(record.state, "INCIDENT_OPEN");
        assert.deepEqual(record.alert?.attributes, expectedLabels, "the case keeps every label byte for byte");
        assert.equal(record.alert?.summary, HARD_TEXT.annotations.summary);
        assert.equal(record.alert?.description, HARD_TEXT.annotations.description);
        assert.equal(record.alert?.runbookUrl, HARD_TEXT.annotations.runbook_url);
        assert.deepEqual(record.alert?.mitigations, ['Check "the disk" on C:\\vol', "Then ring the owner: Zoë"]);

        const opsItem = pipeline.aws.opsItems.find((o) => o.opsItemId === record.opsItemId);
        assert.ok(opsItem?.created, "the OpsItem was created through CreateOpsItem");
        assert.deepEqual(JSON.parse(opsItem.input.OperationalData["vigil:alert"].Value).attributes, expectedLabels);
        assert.equal(JSON.parse(opsItem.input.OperationalData["/aws/dedup"].Value).dedupString, record.key);
        assert.ok(String(opsItem.input.Title).includes(HARD_TEXT.annotations.summary), opsItem.input.Title);
        const incident = pipeline.aws.to(TOPICS.notifications).find((n) => n.attributes.vigil_event === "incident" && n.message.includes(record.caseId));
        assert.ok(incident, "the incident notification went to the notifications topic");
        for (const line of HARD_TEXT.annotations.description.split("\n")) {
            assert.ok(incident.message.includes(`  ${line}`), `notification body holds ${JSON.stringify(line)}`);
        }
        assert.match(incident.subject ?? "", /^[\x20-\x7e]{1,99}$/);
    });

    it("asks about an uncertain alert; the reply links, followed with GET then POST, resolve one case and escalate another, whose incident the table's stream brings to the timer function at once", async function () {
        this.timeout(limits.firing * 2 + 60_000);
        const asked = async (alert: string) => {
            const record = await until(`the ${alert} case waiting for the customer`, limits.firing, () => caseOf(alert, (c) => c.state === "AWAITING_CUSTOMER" && c.scheduleName !== undefined));
            const ask = pipeline.aws.to(TOPICS.notifications).find((n) => n.attributes.vigil_event === "ask" && n.message.includes(record.caseId));
            assert.ok(ask, `the ${alert} question went to the notifications topic`);
            assert.equal(ask.attributes.impact, "uncertain");
            assert.equal(ask.attributes.cluster, CLUSTER);
            const links = [...ask.message.matchAll(/(http:\/\/127\.0\.0\.1:\d+\/r\/[A-Za-z0-9_.-]+)/g)].map((m) => m[1]);
            assert.equal(links.length, 2, ask.message);
            assert.ok(links.every((l) => l.startsWith(`${pipeline.urls.reply}/r/`)), "links point at the reply function");
            const schedule = pipeline.aws.scheduleCalls.find((s) => s.operation === "CreateSchedule" && s.name === record.scheduleName);
            assert.ok(schedule, `a reply timer ${record.scheduleName} was created`);
            assert.equal(schedule.outcome, "ok");
            assert.equal(schedule.groupName, SCHEDULE_GROUP);
            assert.equal(schedule.input?.Target.Arn, FUNCTIONS.timer);
            assert.equal(schedule.input?.Target.RoleArn, SCHEDULER_ROLE_ARN);
            assert.deepEqual(JSON.parse(schedule.input?.Target.Input), { kind: "reply-timeout", caseId: record.caseId, deadline: record.replyDeadline });
            assert.equal(schedule.input?.ScheduleExpression, atExpression(record.replyDeadline as string));
            return { record, links };
        };
        /** GET every link: each shows what it would do, and nothing changes. */
        const byAction = async (record: CaseRecord, links: string[]) => {
            const out: Record<string, string> = {};
            for (const link of links) {
                const page = await fetch(link, { headers: { "User-Agent": "vigil-e2e mail scanner" } });
                const html = await page.text();
                assert.equal(page.status, 200, html);
                assert.match(html, /<form method="post">/);
                const title = /<h1>([^<]+)<\/h1>/.exec(html)?.[1];
                out[title === "Confirm customer impact?" ? "confirm" : title === "Report no customer impact?" ? "no-impact" : `unknown: ${title}`] = link;
            }
            assert.deepEqual(Object.keys(out).sort(), ["confirm", "no-impact"]);
            const after = await caseOf(record.alertname as string);
            assert.equal(after?.version, record.version, "opening a link changes nothing");
            assert.equal(after?.state, "AWAITING_CUSTOMER");
            return out;
        };
        const post = (link: string) => fetch(link, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded", "User-Agent": "vigil-e2e customer" }, body: "" });

        const confirm = await asked(E2E_ALERTS.confirm.alert);
        const noImpact = await asked(E2E_ALERTS.noImpact.alert);
        const backstop = await asked(E2E_ALERTS.backstop.alert);
        const confirmLinks = await byAction(confirm.record, confirm.links);
        const noImpactLinks = await byAction(noImpact.record, noImpact.links);
        const backstopLinks = await byAction(backstop.record, backstop.links);

        // Confirm: the public reply function only records the answer and leaves the work claimed;
        // the table's stream brings it to the timer function, which opens the incident at once.
        const confirmed = await post(confirmLinks.confirm);
        const confirmedPage = await confirmed.text();
        const postedAt = Date.now();
        assert.equal(confirmed.status, 200, confirmedPage);
        assert.match(confirmedPage, /Answer recorded/);
        const escalated = await until("the timer function to follow the confirmed reply up from the table's stream", 20_000, () =>
            caseOf(E2E_ALERTS.confirm.alert, (c) => c.opsItemId !== undefined && c.incidentNotifiedEpisode === c.episode && Object.keys(c.claims).length === 0),
        );
        assert.equal(escalated.state, "INCIDENT_OPEN");
        assert.equal(escalated.impactReason, "customer confirmed impact");
        assert.ok(escalated.history.some((h) => h.by === "customer" && h.event === "customer-confirmed"), "the answer is in the case history");
        const opsItem = pipeline.aws.opsItems.find((o) => o.opsItemId === escalated.opsItemId);
        assert.ok(opsItem?.created);
        assert.ok(Date.parse(opsItem.at) < postedAt + REPLY_CLAIM_LEASE_SECONDS * 1000, "opened before the reply's claim lease ended: not by the sweep");
        assert.equal(JSON.parse(opsItem.input.OperationalData["/aws/dedup"].Value).dedupString, escalated.key);
        // The stand-in records a delivery when the invocation returns, which can be after the case's
        // last write (the handler still deletes the reply timer): wait for it rather than race it.
        await until("a stream record of the case to reach the timer function", 10_000, () =>
            pipeline.tableStream.deliveries.find((d) => d.key === `case#${escalated.caseId}|case` && !d.failed),
        );
        const incident = pipeline.aws.to(TOPICS.notifications).find((n) => n.attributes.vigil_event === "incident" && n.message.includes(escalated.caseId));
        assert.ok(incident, "the confirmed incident was notified");
        assert.match(incident.message, /Customer impact was confirmed/);
        assert.equal(incident.accessKeyId, pipeline.credentials.lambda.accessKeyId);
        await until("the follow-up to delete the confirmed case's reply timer", 10_000, () =>
            pipeline.aws.scheduleCalls.find((c) => c.operation === "DeleteSchedule" && c.name === confirm.record.scheduleName && c.groupName === SCHEDULE_GROUP && c.outcome === "ok"),
        );

        // No impact: resolved at once; the links are spent or show what they would do now.
        const answered = await post(noImpactLinks["no-impact"]);
        const answeredPage = await answered.text();
        assert.equal(answered.status, 200, answeredPage);
        assert.match(answeredPage, /resolved as having no customer impact/);
        const resolved = await caseOf(E2E_ALERTS.noImpact.alert);
        assert.equal(resolved?.state, "RESOLVED");
        assert.equal(resolved?.resolution, "CUSTOMER_NO_IMPACT");
        assert.ok(resolved?.history.some((h) => h.by === "customer" && h.event === "customer-no-impact"));
        assert.equal((await post(noImpactLinks["no-impact"])).status, 410, "a used link does nothing");
        // The other link stays usable: a customer who finds impact later can still confirm (GET only here).
        const late = await (await fetch(noImpactLinks.confirm)).text();
        assert.match(late, /This alert was already resolved\. Confirming reopens it as an incident\./);
        // The reply timer is left behind; when it fires it finds the case settled and does nothing.
        const timer = pipeline.aws.scheduleCalls.find((c) => c.operation === "CreateSchedule" && c.name === noImpact.record.scheduleName);
        const fired = await pipeline.invoke(pipeline.urls.timer, JSON.parse(timer?.input?.Target.Input));
        assert.equal(fired.functionError, undefined, JSON.stringify(fired.payload));
        assert.deepEqual(fired.payload, { kind: "reply-timeout", result: "not-due" });
        assert.equal((await caseOf(E2E_ALERTS.noImpact.alert))?.version, resolved?.version);

        // Backstop: with the stream's records lost (the mapping paused), a confirmation waits for
        // the sweep, which takes the work over once the reply's claim lease has ended (next scenario).
        pipeline.tableStream.pause();
        assert.equal((await post(backstopLinks.confirm)).status, 200);
        backstopConfirmedAt = Date.now();
        const waiting = await caseOf(E2E_ALERTS.backstop.alert);
        assert.equal(waiting?.state, "INCIDENT_OPEN");
        assert.equal(waiting?.opsItemId, undefined, "the public reply function opens no incident itself");
        assert.equal(Object.keys(waiting?.claims ?? {}).length, 1, "it leaves the work claimed");
        await until("the paused stream to drop the backstop case's record", 10_000, () =>
            pipeline.tableStream.dropped.some((r) => r.dynamodb?.Keys?.pk?.S === `case#${waiting?.caseId}`) ? true : undefined,
        );
        pipeline.tableStream.resume();
    });

    it("fires the scrape-target alerts when node-exporter stops, with the rules' impact, tells the operator, and resolves their cases when it is back", async function () {
        this.timeout(limits.firing + limits.resolve + 120_000);
        const alerts = ["TargetDown", "NodeExporterDown"];
        const matches = (alert: string) => (c: CaseRecord) => alert !== "TargetDown" || c.alert?.attributes.job === "node-exporter";
        assert.equal(await caseOf("TargetDown"), undefined, "no target is down before the stop");
        const stoppedAt = Date.now();
        await pipeline.stopNodeExporter();

        const cases: Record<string, CaseRecord> = {};
        for (const alert of alerts) {
            const rule = shippedRule(alert);
            const record = await until(`the ${alert} case`, limits.firing, () => caseOf(alert, matches(alert)));
            cases[alert] = record;
            assert.equal(record.cluster, CLUSTER);
            assert.equal(record.impact, rule.impact, `${alert} gets the impact its rule's label says`);
            assert.equal(record.impactReason, `label impact=${rule.impact}`);
            assert.equal(record.state, STATE_AFTER_TRIAGE[rule.impact]);
            // Fired (startsAt) only after the overridden `for` window had passed since the stop.
            assert.ok(Date.parse(record.episodeStart as string) >= stoppedAt + durationMs(pipeline.overridden.find((o) => o.alert === alert)?.to ?? "0s"), `${alert} fired at ${record.episodeStart}`);
            const [{ body }] = alertMessages(alert, "firing");
            const expected: Record<string, string> = { alertname: alert, cluster: CLUSTER, ...rule.labels };
            if (alert === "TargetDown") {
                expected.job = "node-exporter";
            }
            assert.deepEqual(body.alerts[0].labels, expected);
            assert.equal(record.key, `prometheus:${body.alerts[0].fingerprint}`);
        }
        // Pipeline alerts have no customer impact, but the operator runs the pipeline: an operator
        // notice (rules/impact.yaml operatorNotices) goes to the pipeline topic, once per episode.
        for (const alert of alerts) {
            const record = await until(`the operator notice of ${alert}`, 30_000, () => caseOf(alert, (c) => matches(alert)(c) && c.operatorNotifiedEpisode === c.episode));
            assert.ok(record.operatorNotice, "an operator notice rule selected the case");
            const notices = pipeline.aws.to(TOPICS.pipeline).filter((n) => n.message.includes(record.caseId));
            assert.deepEqual(
                notices.map((n) => [n.attributes.vigil_event, n.attributes.level, n.attributes.cluster]),
                [["operator-notice", "pipeline", CLUSTER]],
            );
            assert.match(notices[0].message, new RegExp(`operator notice rule ${record.operatorNotice}`));
        }
        assert.equal(alertMessages("TargetDown", "firing")[0].body.alerts[0].annotations.summary, `100% of the node-exporter targets in cluster ${CLUSTER} are down.`);
        if (shippedRule("TargetDown").impact === "none") {
            assert.ok(!pipeline.aws.to(TOPICS.notifications).some((n) => n.message.includes(cases.TargetDown.caseId)), "no notification for an alert without customer impact");
        }

        await pipeline.startNodeExporter();
        for (const alert of alerts) {
            const record = await until(`the resolve of ${alert} to reach its case`, limits.resolve, () => caseOf(alert, (c) => matches(alert)(c) && c.sourceStatus === "resolved"));
            assert.equal(record.caseId, cases[alert].caseId, "the resolve reached the same case");
            assert.ok(record.history.some((h) => h.event === "source-resolved" && h.by === "source:prometheus"), JSON.stringify(record.history));
            assert.ok(record.sourceResolvedAt && record.sourceResolvedAt >= (cases[alert].episodeStart as string), "resolved after it started");
            const resolvedMessage = alertMessages(alert, "resolved").find(({ body }) => `prometheus:${body.alerts[0].fingerprint}` === record.key);
            assert.ok(resolvedMessage, `the resolved ${alert} message came from Alertmanager (send_resolved)`);
            assert.equal(resolvedMessage.body.status, "resolved");
            assert.notEqual(resolvedMessage.body.alerts[0].endsAt, "0001-01-01T00:00:00.000Z");
            await until(`the operator's recovered notice of ${alert}`, 30_000, () => caseOf(alert, (c) => matches(alert)(c) && c.operatorRecoveredEpisode === c.episode));
            assert.deepEqual(
                pipeline.aws
                    .to(TOPICS.pipeline)
                    .filter((n) => n.message.includes(record.caseId))
                    .map((n) => n.attributes.vigil_event),
                ["operator-notice", "operator-recovered"],
            );
        }
    });

    it("the sweep opens the incident a confirmation left when its stream record was lost, once the reply's claim lease has ended", async function () {
        this.timeout(limits.sweep + 30_000);
        assert.ok(backstopConfirmedAt > 0, "the reply scenario confirmed the backstop case");
        const escalated = await until("the sweep to open the backstop case's incident", limits.sweep, () =>
            caseOf(E2E_ALERTS.backstop.alert, (c) => c.opsItemId !== undefined && c.incidentNotifiedEpisode === c.episode && Object.keys(c.claims).length === 0),
        );
        assert.equal(escalated.state, "INCIDENT_OPEN");
        const opsItem = pipeline.aws.opsItems.find((o) => o.opsItemId === escalated.opsItemId);
        assert.ok(opsItem?.created);
        assert.ok(Date.parse(opsItem.at) >= backstopConfirmedAt + REPLY_CLAIM_LEASE_SECONDS * 1000 - 1000, `opened at ${opsItem.at}, after the lease`);
        assert.ok(
            pipeline.sweeps.some((r) => (r.payload as { result?: { resumed?: number } }).result?.resumed === 1),
            "a sweep resumed the claimed work",
        );
        assert.ok(!pipeline.tableStream.deliveries.some((d) => d.key === `case#${escalated.caseId}|case`), "no stream record of it was delivered");
        const incident = pipeline.aws.to(TOPICS.notifications).find((n) => n.attributes.vigil_event === "incident" && n.message.includes(escalated.caseId));
        assert.ok(incident, "the confirmed incident was notified");
        assert.match(incident.message, /Customer impact was confirmed/);
    });

    it("sends upstream every kept metric the collector scrapes and none outside the keep-list", async () => {
        const keep = new Set(pipeline.keep);
        const exposedNow = async () => new Set([...(await exposedNames(`${pipeline.urls.nodeExporter}/metrics`)), ...(await exposedNames(`${pipeline.urls.collector}/metrics`)), ...SYNTHETIC]);
        const expected = [...(await exposedNow())].filter((n) => keep.has(n)).sort();
        assert.ok(expected.includes("up") && expected.includes("node_cpu_seconds_total") && expected.includes("prometheus_remote_storage_samples_total"), expected.join(" "));
        await until("every kept metric at the remote-write receiver", limits.firing, () => {
            const received = pipeline.remoteWrite.metricNames();
            return expected.every((n) => received.has(n)) ? true : undefined;
        });
        const received = pipeline.remoteWrite.metricNames();
        const outside = [...received].filter((n) => !keep.has(n));
        assert.deepEqual(outside, [], "nothing outside the keep-list leaves the cluster");
        const dropped = [...(await exposedNow())].filter((n) => !keep.has(n));
        assert.ok(dropped.length > 100, `node-exporter and Prometheus expose metrics nobody reads (${dropped.length})`);
        assert.deepEqual(
            dropped.filter((n) => received.has(n)),
            [],
        );
        for (const series of pipeline.remoteWrite.series) {
            assert.equal(series.labels.cluster, CLUSTER, JSON.stringify(series.labels));
            assert.ok(["node-exporter", "prometheus"].includes(series.labels.job), JSON.stringify(series.labels));
            assert.ok(!Object.keys(series.labels).some((l) => l.startsWith("__") && l !== "__name__"), JSON.stringify(series.labels));
            if (series.labels.job === "node-exporter") {
                // The pod role's node name, through the job's relabel rules.
                assert.equal(series.labels.instance, NODE_NAME, JSON.stringify(series.labels));
                assert.equal(series.labels.node, NODE_NAME, JSON.stringify(series.labels));
            }
        }
    });

    it("loses nothing on the way: every request signed, every message valid JSON and processed, nothing unparsed", async () => {
        await until("the intake queue to drain", 30_000, () => (pipeline.queue.idle ? true : undefined));
        assert.deepEqual(pipeline.aws.refused, [], "every AWS request was signed and valid");
        assert.deepEqual(pipeline.remoteWrite.refused, []);
        assert.ok(pipeline.remoteWrite.requests > 0);
        for (const message of [...pipeline.aws.to(TOPICS.alerts), ...pipeline.aws.to(TOPICS.heartbeat)]) {
            assert.equal(message.accessKeyId, pipeline.credentials.alertmanager.accessKeyId, "Alertmanager signs with the credentials it was given");
            assert.doesNotThrow(() => JSON.parse(message.message), message.message);
            assert.match(message.subject ?? "", /^Vigil (FIRING|RESOLVED): \d+ firing, \d+ resolved$/);
        }
        for (const message of [...pipeline.aws.to(TOPICS.notifications), ...pipeline.aws.to(TOPICS.pipeline)]) {
            assert.equal(message.accessKeyId, pipeline.credentials.lambda.accessKeyId);
        }
        const delivered = new Set(pipeline.queue.deliveries.filter((d) => !d.failed).map((d) => d.snsMessageId));
        const published = [...pipeline.aws.to(TOPICS.alerts), ...pipeline.aws.to(TOPICS.heartbeat)].map((m) => m.messageId);
        assert.deepEqual(
            published.filter((id) => !delivered.has(id)),
            [],
            "every message on the alert and heartbeat topics reached the handler",
        );
        assert.deepEqual(
            pipeline.queue.deliveries.filter((d) => d.failed),
            [],
        );
        assert.deepEqual(pipeline.queue.deadLetters, []);
        assert.deepEqual(
            pipeline.tableStream.deliveries.filter((d) => d.failed),
            [],
        );
        assert.deepEqual(pipeline.tableStream.failed, []);
        assert.ok(pipeline.sweeps.length > 0, "the sweep ran");
        assert.deepEqual(
            pipeline.sweeps.filter((r) => r.functionError),
            [],
        );
        assert.deepEqual(await pipeline.store.unparsed(), [], "no message was kept as unparsed");
        const expectedAlerts = new Set(["TargetDown", "NodeExporterDown", ...Object.values(E2E_ALERTS).map((a) => a.alert)]);
        const missing = missingComponentAlerts();
        const cases = await pipeline.store.allCases();
        // A long run (rendered timers) lasts past the `for` of the alerts about the components the
        // harness's cluster does not have; those fire rightly, and only after their window.
        for (const c of cases.filter((c) => missing.has(c.alertname ?? ""))) {
            const rule = missing.get(c.alertname as string) as { for: string };
            assert.deepEqual(c.alert?.attributes, { alertname: c.alertname, cluster: CLUSTER, ...shippedRule(c.alertname as string).labels });
            // startsAt is when the ruler found it firing, after `for` had passed since the ruler started.
            assert.ok(Date.parse(c.episodeStart as string) >= pipeline.rulerStartedAt + durationMs(rule.for), `${c.alertname} fired at ${c.episodeStart}, after its ${rule.for} window`);
        }
        assert.deepEqual(
            cases.filter((c) => !expectedAlerts.has(c.alertname ?? "") && !missing.has(c.alertname ?? "")).map((c) => `${c.alertname} ${JSON.stringify(c.alert?.attributes)}`),
            [],
            "no other alert fired",
        );
        assert.deepEqual(
            cases.filter((c) => Object.keys(c.claims).length > 0).map((c) => c.alertname),
            [],
            "no work left half done",
        );
    });

    it("stops every process it started; none outlives the run", async () => {
        const living = pipeline.livingProcesses();
        assert.ok(living.length >= 6, `collector, ruler, Alertmanager, node-exporter and the two Lambda hosts run (${living.join(", ")})`);
        stopped = true;
        await pipeline.stop({ keepFiles: failed || KEEP });
        assert.deepEqual(
            living.filter((pid) => processExists(pid)),
            [],
        );
        assert.deepEqual(pipeline.livingProcesses(), []);
    });
});

// The stack program (stacks/index.ts), run the way `npm run plan` runs it: its outputs, the warning
// about an unsubscribed pipeline topic, and what it wires between the components (the triage
// queues on the pipeline dashboard). Each run is a child process, as `tools/plan.ts` in-process cannot
// serve here: Pulumi's runtime state is global, and the warning goes to the process's stderr.

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { runScript } from "../support/cli";
import { writeStackVariant } from "./variant";

interface Planned {
    readonly type: string;
    readonly name: string;
    readonly inputs: Record<string, any>;
}

interface PlanRun {
    readonly stdout: string;
    readonly stderr: string;
    readonly outputs: Record<string, string>;
    readonly resources: Planned[];
}

/** Plans the example stack with `change` applied to its configuration. */
async function plan(name: string, change: (config: Record<string, unknown>) => void): Promise<PlanRun> {
    const file = writeStackVariant(name, change);
    const out = path.join(path.dirname(file), "out");
    const result = await runScript("plan.ts", ["--config", file, "--out", out]);
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    const section = result.stdout.split(/^Outputs:$/m)[1]?.split(/^\s*$/m)[0] ?? "";
    const outputs = Object.fromEntries(
        section
            .split("\n")
            .map((line) => /^ {2}(\w+) = (.*)$/.exec(line))
            .filter((m): m is RegExpExecArray => m !== null)
            .map((m) => [m[1], m[2]]),
    );
    const resources = JSON.parse(fs.readFileSync(path.join(out, "resources.json"), "utf8")) as Planned[];
    return { stdout: result.stdout, stderr: result.stderr, outputs, resources };
}

function one(run: PlanRun, name: string, type?: string): Planned {
    const found = run.resources.filter((r) => r.name === name && (type === undefined || r.type === type));
    assert.equal(found.length, 1, `one resource ${name}`);
    return found[0];
}

const WARNING = /vigil:operatorEmails is empty, so the pipeline topic has no subscriber.*Set vigil:operatorEmails, or subscribe an endpoint to the pipelineTopicArn stack output/s;

describe("stack program (stacks/index.ts)", function () {
    this.timeout(180_000);

    describe("the example stack", () => {
        let run: PlanRun;
        before(async () => {
            run = await plan("example", () => undefined);
        });

        it("exports the outputs of DESIGN.md, plus the pipeline topic and the topics' key", () => {
            for (const key of ["alertTopicArn", "notificationTopicArn", "ampWorkspaceId", "ampRemoteWriteUrl", "ampQueryUrl", "grafanaUrl", "replyUrl", "clusters", "pipelineTopicArn", "keyArn"]) {
                assert.ok(key in run.outputs, `output ${key}`);
            }
            // The pipeline topic is the one every pipeline alarm notifies; the key is the one that encrypts the topics.
            const alarm = one(run, "vigil-pipeline-heartbeat-missing", "aws:cloudwatch/metricAlarm:MetricAlarm");
            assert.deepEqual(alarm.inputs.alarmActions, [run.outputs.pipelineTopicArn]);
            assert.match(run.outputs.pipelineTopicArn, /^arn:aws:sns:eu-west-1:111122223333:vigil-pipeline-/);
            assert.equal(one(run, "vigil-alerts", "aws:sns/topic:Topic").inputs.kmsMasterKeyId, run.outputs.keyArn);
            assert.match(run.outputs.keyArn, /^arn:aws:kms:eu-west-1:111122223333:key\//);
        });

        it("does not warn: the operators are subscribed to the pipeline topic", () => {
            assert.doesNotMatch(run.stderr, WARNING);
            const subscriptions = run.resources.filter((r) => r.type === "aws:sns/topicSubscription:TopicSubscription" && r.inputs.topic === run.outputs.pipelineTopicArn);
            assert.deepEqual(
                subscriptions.map((s) => [s.inputs.protocol, s.inputs.endpoint]),
                [["email", "sre@operator.example.com"]],
            );
        });

        it("limits active series per cluster (the example sets vigil:maxSeriesPerCluster)", () => {
            const config = one(run, "vigil-workspace-config", "aws:amp/workspaceConfiguration:WorkspaceConfiguration");
            assert.deepEqual(config.inputs.limitsPerLabelSets, [
                { labelSet: { cluster: "payments-prod" }, limits: { maxSeries: 1_000_000 } },
                { labelSet: { cluster: "platform-staging" }, limits: { maxSeries: 1_000_000 } },
            ]);
            assert.match(run.stdout, /1 {2}aws:amp\/workspaceConfiguration:WorkspaceConfiguration/);
        });

        it("shows the triage service's intake and dead-letter queues on the pipeline dashboard", () => {
            const intake = one(run, "vigil-triage-intake", "aws:sqs/queue:Queue");
            const intakeArn = run.resources.find((r) => r.type === "aws:sns/topicSubscription:TopicSubscription" && r.inputs.protocol === "sqs")?.inputs.endpoint as string;
            const deadLetterArn = JSON.parse(intake.inputs.redrivePolicy).deadLetterTargetArn as string;
            const model = JSON.parse(one(run, "vigil-dashboard-pipeline").inputs.configJson);
            const value = (name: string) => model.templating.list.find((v: any) => v.name === name)?.current.value;
            assert.equal(value("triage_intake_queue"), intakeArn.split(":").pop());
            assert.equal(value("triage_dlq"), deadLetterArn.split(":").pop());
            assert.match(value("triage_intake_queue"), /^vigil-triage-intake-/);
            assert.match(value("triage_dlq"), /^vigil-triage-dlq-/);
        });
    });

    describe("without operator e-mail addresses", () => {
        let run: PlanRun;
        before(async () => {
            run = await plan("unsubscribed", (c) => delete c["vigil:operatorEmails"]);
        });

        it("warns that the pipeline topic has no subscriber, naming the config key and the output", () => {
            assert.match(run.stderr, WARNING);
            assert.equal(run.resources.filter((r) => r.type === "aws:sns/topicSubscription:TopicSubscription" && r.inputs.topic === run.outputs.pipelineTopicArn).length, 0);
            assert.ok(run.outputs.pipelineTopicArn, "the output to subscribe from another project is there");
        });
    });
});

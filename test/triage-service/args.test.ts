// TriageService's pure helpers: defaults, the sweep's schedule expression, the intake queue's
// visibility timeout, and the environments' shape.

import * as assert from "node:assert/strict";
import {
    ENGINE_ENV_VARS,
    functionEnvironment,
    intakeVisibilityTimeoutSeconds,
    rateExpression,
    resolveTriageArgs,
    triageAlarms,
} from "../../components/triage/args";
import { ENV_VARS } from "../../components/triage/handler/config";
import { DEFAULT_SETTINGS } from "../../components/triage/handler/lifecycle";

const ARGS = {
    alertTopicArn: "a",
    heartbeatTopicArn: "h",
    notificationTopicArn: "n",
    pipelineTopicArn: "p",
    keyArn: "k",
    logKeyArn: "l",
    alarmNamePrefix: "vigil-pipeline-",
};
const INPUTS = { tableName: "t", notificationTopicArn: "n", replyBaseUrl: "u", schedulerRoleArn: "r", scheduleGroup: "g", timerDeadLetterArn: "d" };

describe("TriageService helpers", () => {
    it("defaults follow the engine's own defaults", () => {
        const a = resolveTriageArgs(ARGS);
        assert.deepEqual(
            [a.replyWindowSeconds, a.replyGraceSeconds, a.flapCooldownSeconds, a.retryDelaySeconds, a.caseRetentionDays],
            [DEFAULT_SETTINGS.replyWindowSeconds, DEFAULT_SETTINGS.replyGraceSeconds, DEFAULT_SETTINGS.flapCooldownSeconds, DEFAULT_SETTINGS.retryDelaySeconds, DEFAULT_SETTINGS.retentionDays],
        );
        assert.deepEqual([a.sweepIntervalSeconds, a.logRetentionDays, a.opsItemSource, a.tableDeletionProtection], [900, 365, "Vigil", true]);
        assert.deepEqual(a.reservedConcurrency, { intake: 5, reply: 5, timer: 3 });
    });

    it("writes EventBridge rate expressions in the largest whole unit, singular for one", () => {
        assert.deepEqual([60, 900, 3600, 7200, 5400, 86400].map(rateExpression), [
            "rate(1 minute)",
            "rate(15 minutes)",
            "rate(1 hour)",
            "rate(2 hours)",
            "rate(90 minutes)",
            "rate(1 day)",
        ]);
        for (const bad of [0, 30, 90, 61.5]) {
            assert.throws(() => rateExpression(bad), RangeError, String(bad));
        }
    });

    it("sets the intake queue's visibility timeout to six function timeouts plus the batching window", () => {
        assert.equal(intakeVisibilityTimeoutSeconds(), 362);
        assert.equal(intakeVisibilityTimeoutSeconds(30, 0), 180);
    });

    it("names the timer function only in the intake function's environment, and refuses an intake environment without it", () => {
        const a = resolveTriageArgs(ARGS);
        assert.equal(functionEnvironment("intake", a, { ...INPUTS, timerFunctionArn: "x" }).TIMER_FUNCTION_ARN, "x");
        assert.equal(functionEnvironment("timer", a, { ...INPUTS, timerFunctionArn: "x" }).TIMER_FUNCTION_ARN, undefined);
        assert.throws(() => functionEnvironment("intake", a, INPUTS), /needs the timer function's ARN/);
    });

    it("knows every variable of the engine's list", () => {
        assert.deepEqual([...ENGINE_ENV_VARS].sort(), ENV_VARS.map((v) => v.name).sort());
        const requiredSomewhere = ENV_VARS.filter((v) => v.requiredBy.length > 0).map((v) => v.name);
        const a = resolveTriageArgs(ARGS);
        for (const name of requiredSomewhere) {
            const covered = (["intake", "reply", "timer"] as const).some((role) => name in functionEnvironment(role, a, { ...INPUTS, timerFunctionArn: "x" }));
            assert.ok(covered, `${name} is set on some function`);
        }
    });

    it("alarms once per failure mode, with ids the account's prefix turns into unique names", () => {
        const ids = triageAlarms({
            functionNames: { intake: "i", reply: "r", timer: "t" },
            intakeQueueName: "q",
            deadLetterQueueName: "d",
            timerDeadLetterQueueName: "td",
            queueAgeAlarmSeconds: 900,
            unparsedMetric: { namespace: "Vigil/Triage/x", metricName: "UnparsedMessages" },
        }).map((s) => s.id);
        assert.equal(new Set(ids).size, ids.length);
        assert.ok(ids.every((id) => id.startsWith("triage-")), "no clash with the account's own pipeline alarms");
    });
});

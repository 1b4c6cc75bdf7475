import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ConfigurationError, ENV_VAR_NAMES, ENV_VARS, readConfig } from "../../components/triage/handler/config";

const VALID = {
    TABLE_NAME: "vigil-triage",
    NOTIFICATION_TOPIC_ARN: "arn:aws:sns:eu-west-1:111122223333:vigil-notifications",
    OPERATOR_TOPIC_ARN: "arn:aws:sns:eu-west-1:111122223333:vigil-pipeline",
    REPLY_BASE_URL: "https://abcdefghij.lambda-url.eu-west-1.on.aws/",
    TIMER_FUNCTION_ARN: "arn:aws:lambda:eu-west-1:111122223333:function:vigil-triage-timer",
    SCHEDULER_ROLE_ARN: "arn:aws:iam::111122223333:role/vigil-triage-scheduler",
};

function rejects(env: Record<string, string | undefined>, entry: "handler" | "replyHandler" | "timerHandler", pattern: RegExp, variable: string): void {
    assert.throws(
        () => readConfig(entry, env),
        (err: unknown) => err instanceof ConfigurationError && err.variable === variable && pattern.test(err.message),
        `${variable}: ${pattern}`,
    );
}

describe("triage configuration (environment variables)", () => {
    it("reads a complete environment with the defaults", () => {
        const config = readConfig("handler", VALID);
        assert.equal(config.tableName, "vigil-triage");
        assert.equal(config.operatorTopicArn, "arn:aws:sns:eu-west-1:111122223333:vigil-pipeline");
        assert.equal(config.replyBaseUrl, "https://abcdefghij.lambda-url.eu-west-1.on.aws");
        assert.equal(config.scheduleGroup, "default");
        assert.equal(config.opsItemSource, "Vigil");
        assert.equal(config.timerDeadLetterArn, undefined);
        assert.deepEqual(
            [config.settings.replyWindowSeconds, config.settings.replyGraceSeconds, config.settings.flapCooldownSeconds, config.settings.claimLeaseSeconds, config.settings.retentionDays],
            [259200, 345600, 1800, 300, 90],
        );
        assert.equal(config.settings.scheduleNamePrefix, "vigil-reply-");
    });

    it("requires per entry point exactly what that function uses", () => {
        const required = (entry: "handler" | "replyHandler" | "timerHandler") => ENV_VARS.filter((v) => v.requiredBy.includes(entry)).map((v) => v.name);
        assert.deepEqual(required("handler"), ["TABLE_NAME", "NOTIFICATION_TOPIC_ARN", "OPERATOR_TOPIC_ARN", "REPLY_BASE_URL", "TIMER_FUNCTION_ARN", "SCHEDULER_ROLE_ARN"]);
        assert.deepEqual(required("replyHandler"), ["TABLE_NAME", "NOTIFICATION_TOPIC_ARN"]);
        assert.deepEqual(required("timerHandler"), ["TABLE_NAME", "NOTIFICATION_TOPIC_ARN", "OPERATOR_TOPIC_ARN", "REPLY_BASE_URL", "SCHEDULER_ROLE_ARN"]);
        for (const name of required("timerHandler")) {
            rejects({ ...VALID, [name]: undefined }, "timerHandler", new RegExp(`environment variable ${name} is not set; the timerHandler function requires it`), name);
        }
        for (const name of required("handler")) {
            rejects({ ...VALID, [name]: undefined }, "handler", new RegExp(`environment variable ${name} is not set; the handler function requires it`), name);
            rejects({ ...VALID, [name]: "  " }, "handler", /is not set/, name);
        }
        const reply = readConfig("replyHandler", { TABLE_NAME: "t-1", NOTIFICATION_TOPIC_ARN: VALID.NOTIFICATION_TOPIC_ARN });
        assert.equal(reply.replyBaseUrl, undefined);
        assert.equal(reply.operatorTopicArn, undefined, "the reply function sends no operator notices");
    });

    it("names the variable, the value and what is allowed for invalid values", () => {
        rejects({ ...VALID, NOTIFICATION_TOPIC_ARN: "vigil-notifications" }, "handler", /NOTIFICATION_TOPIC_ARN is "vigil-notifications"; expected an SNS topic ARN/, "NOTIFICATION_TOPIC_ARN");
        rejects({ ...VALID, OPERATOR_TOPIC_ARN: "vigil-pipeline" }, "handler", /OPERATOR_TOPIC_ARN is "vigil-pipeline"; expected an SNS topic ARN/, "OPERATOR_TOPIC_ARN");
        rejects({ ...VALID, REPLY_BASE_URL: "http://reply.example.com" }, "handler", /expected an https:\/\/ URL/, "REPLY_BASE_URL");
        rejects({ ...VALID, REPLY_BASE_URL: "https://reply.example.com/?a=b" }, "handler", /without query or fragment/, "REPLY_BASE_URL");
        rejects({ ...VALID, TIMER_FUNCTION_ARN: "arn:aws:sqs:eu-west-1:111122223333:q" }, "handler", /expected a Lambda function ARN/, "TIMER_FUNCTION_ARN");
        rejects({ ...VALID, SCHEDULER_ROLE_ARN: "role/scheduler" }, "handler", /expected an IAM role ARN/, "SCHEDULER_ROLE_ARN");
        rejects({ ...VALID, REPLY_WINDOW_SECONDS: "3d" }, "handler", /REPLY_WINDOW_SECONDS is "3d"; expected a whole number from 3600 to 1209600/, "REPLY_WINDOW_SECONDS");
        rejects({ ...VALID, REPLY_WINDOW_SECONDS: "60" }, "handler", /from 3600 to/, "REPLY_WINDOW_SECONDS");
        rejects({ ...VALID, CLAIM_LEASE_SECONDS: "10" }, "handler", /from 60 to 3600/, "CLAIM_LEASE_SECONDS");
        rejects({ ...VALID, SCHEDULE_NAME_PREFIX: "vigil reply" }, "handler", /1-24 of/, "SCHEDULE_NAME_PREFIX");
        rejects({ ...VALID, TIMER_DEAD_LETTER_ARN: "dlq" }, "handler", /expected an SQS queue ARN/, "TIMER_DEAD_LETTER_ARN");
        rejects({ ...VALID, TABLE_NAME: "a" }, "handler", /expected a DynamoDB table name/, "TABLE_NAME");
        rejects({ ...VALID, OPSITEM_SOURCE: "x".repeat(129) }, "handler", /at most 128/, "OPSITEM_SOURCE");
    });

    it("allows plain http only for a loopback reply endpoint (local tests)", () => {
        assert.equal(readConfig("handler", { ...VALID, REPLY_BASE_URL: "http://127.0.0.1:8080/reply" }).replyBaseUrl, "http://127.0.0.1:8080/reply");
    });

    it("every variable is documented in the README", () => {
        const readme = fs.readFileSync(path.join(__dirname, "..", "..", "README.md"), "utf8");
        for (const name of ENV_VAR_NAMES) {
            assert.match(readme, new RegExp(`\`${name}\``), `README mentions ${name}`);
        }
    });
});

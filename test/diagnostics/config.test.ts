// The diagnostics function's environment: what it reads, its defaults, and errors that name the
// variable, the value given and what is allowed.

import * as assert from "node:assert/strict";
import { ConfigurationError } from "../../components/triage/handler/config";
import { DEFAULT_BUDGET_SECONDS, DEFAULT_VIGIL_NAMESPACE, DIAGNOSTICS_ENV_VAR_NAMES, DIAGNOSTICS_ENV_VARS, readDiagnosticsConfig } from "../../components/triage/handler/diagnostics/config";

const ENV = {
    TABLE_NAME: "vigil-triage-cases",
    NOTIFICATION_TOPIC_ARN: "arn:aws:sns:eu-west-1:111122223333:vigil-notifications",
    DIAGNOSTICS_CLUSTERS: "payments-prod, platform-staging",
    AWS_REGION: "eu-west-1",
};

/** The ConfigurationError `env` causes, checked to name `variable` and to match `message`. */
function rejects(env: Record<string, string | undefined>, variable: string, message: RegExp): void {
    assert.throws(
        () => readDiagnosticsConfig(env),
        (err: unknown) => {
            assert.ok(err instanceof ConfigurationError, String(err));
            assert.equal(err.variable, variable);
            assert.match(err.message, message);
            return true;
        },
    );
}

describe("diagnostics: configuration (environment)", () => {
    it("reads the required variables and applies the documented defaults", () => {
        const config = readDiagnosticsConfig(ENV);
        assert.deepEqual({ ...config, clusters: [...config.clusters] }, {
            tableName: "vigil-triage-cases",
            notificationTopicArn: "arn:aws:sns:eu-west-1:111122223333:vigil-notifications",
            clusters: ["payments-prod", "platform-staging"],
            budgetSeconds: DEFAULT_BUDGET_SECONDS,
            leaseSeconds: DEFAULT_BUDGET_SECONDS + 120,
            vigilNamespace: DEFAULT_VIGIL_NAMESPACE,
            retentionDays: 90,
            region: "eu-west-1",
        });
        assert.deepEqual(
            DIAGNOSTICS_ENV_VARS.filter((v) => v.required).map((v) => v.name),
            ["TABLE_NAME", "NOTIFICATION_TOPIC_ARN", "DIAGNOSTICS_CLUSTERS", "AWS_REGION"],
        );
        assert.deepEqual(DIAGNOSTICS_ENV_VAR_NAMES, DIAGNOSTICS_ENV_VARS.map((v) => v.name));
    });

    it("takes the optional variables when set (whitespace around values ignored)", () => {
        const config = readDiagnosticsConfig({
            ...ENV,
            DIAGNOSTICS_BUDGET_SECONDS: " 120 ",
            DIAGNOSTICS_LEASE_SECONDS: "600",
            DIAGNOSTICS_NAMESPACE: "monitoring",
            RETENTION_DAYS: "30",
            AWS_REGION: "cn-north-1",
            NOTIFICATION_TOPIC_ARN: "arn:aws-cn:sns:cn-north-1:111122223333:vigil",
        });
        assert.equal(config.budgetSeconds, 120);
        assert.equal(config.leaseSeconds, 600);
        assert.equal(config.vigilNamespace, "monitoring");
        assert.equal(config.retentionDays, 30);
        assert.equal(config.region, "cn-north-1");
        // Without a lease, it follows the budget.
        assert.equal(readDiagnosticsConfig({ ...ENV, DIAGNOSTICS_BUDGET_SECONDS: "300" }).leaseSeconds, 420);
    });

    it("a missing required variable is named, with what it is for", () => {
        for (const name of ["TABLE_NAME", "NOTIFICATION_TOPIC_ARN", "DIAGNOSTICS_CLUSTERS", "AWS_REGION"]) {
            rejects({ ...ENV, [name]: undefined }, name, new RegExp(`environment variable ${name} is not set; the diagnostics function requires it \\(`));
            rejects({ ...ENV, [name]: "  " }, name, new RegExp(`${name} is not set`));
        }
    });

    it("an invalid value is named with the value given and what is allowed", () => {
        rejects({ ...ENV, TABLE_NAME: "a" }, "TABLE_NAME", /TABLE_NAME is "a"; expected a DynamoDB table name \(3-255 of A-Z a-z 0-9 _ \. -\)/);
        rejects({ ...ENV, NOTIFICATION_TOPIC_ARN: "vigil-notifications" }, "NOTIFICATION_TOPIC_ARN", /is "vigil-notifications"; expected an SNS topic ARN \(arn:aws:sns:<region>:<account>:<name>\)/);
        rejects({ ...ENV, NOTIFICATION_TOPIC_ARN: "arn:aws:sqs:eu-west-1:111122223333:q" }, "NOTIFICATION_TOPIC_ARN", /expected an SNS topic ARN/);
        rejects({ ...ENV, DIAGNOSTICS_CLUSTERS: "payments-prod,-bad,ok_2" }, "DIAGNOSTICS_CLUSTERS", /is "payments-prod,-bad,ok_2"; expected comma-separated EKS cluster names \(not names: -bad\)$/);
        rejects({ ...ENV, DIAGNOSTICS_CLUSTERS: " , " }, "DIAGNOSTICS_CLUSTERS", /is " , "; expected comma-separated EKS cluster names$/);
        rejects({ ...ENV, DIAGNOSTICS_CLUSTERS: "x".repeat(101) }, "DIAGNOSTICS_CLUSTERS", /not names: x{101}/);
        rejects({ ...ENV, DIAGNOSTICS_NAMESPACE: "Vigil_Monitoring" }, "DIAGNOSTICS_NAMESPACE", /is "Vigil_Monitoring"; expected a namespace name \(DNS-1123 label\)/);
        rejects({ ...ENV, AWS_REGION: "Ireland" }, "AWS_REGION", /is "Ireland"; expected an AWS region name/);
    });

    it("numbers must be whole and in range; the range is in the message", () => {
        rejects({ ...ENV, DIAGNOSTICS_BUDGET_SECONDS: "9" }, "DIAGNOSTICS_BUDGET_SECONDS", /is "9"; expected a whole number from 10 to 600$/);
        rejects({ ...ENV, DIAGNOSTICS_BUDGET_SECONDS: "601" }, "DIAGNOSTICS_BUDGET_SECONDS", /is "601"; expected a whole number from 10 to 600$/);
        rejects({ ...ENV, DIAGNOSTICS_BUDGET_SECONDS: "60s" }, "DIAGNOSTICS_BUDGET_SECONDS", /is "60s"; expected a whole number/);
        rejects({ ...ENV, DIAGNOSTICS_BUDGET_SECONDS: "1.5e2" }, "DIAGNOSTICS_BUDGET_SECONDS", /is "1\.5e2"/);
        rejects({ ...ENV, DIAGNOSTICS_LEASE_SECONDS: "59" }, "DIAGNOSTICS_LEASE_SECONDS", /is "59"; expected a whole number from 60 to 3600$/);
        rejects({ ...ENV, RETENTION_DAYS: "0" }, "RETENTION_DAYS", /is "0"; expected a whole number from 1 to 3650$/);
        rejects({ ...ENV, RETENTION_DAYS: "-5" }, "RETENTION_DAYS", /is "-5"/);
        assert.equal(readDiagnosticsConfig({ ...ENV, DIAGNOSTICS_BUDGET_SECONDS: "10", DIAGNOSTICS_LEASE_SECONDS: "60", RETENTION_DAYS: "3650" }).retentionDays, 3650);
    });

    it("a lease not above the budget is refused: another run would take over one still working", () => {
        rejects({ ...ENV, DIAGNOSTICS_BUDGET_SECONDS: "300", DIAGNOSTICS_LEASE_SECONDS: "300" }, "DIAGNOSTICS_LEASE_SECONDS", /is 300; it must be above the budget \(300\)/);
        assert.equal(readDiagnosticsConfig({ ...ENV, DIAGNOSTICS_BUDGET_SECONDS: "300", DIAGNOSTICS_LEASE_SECONDS: "301" }).leaseSeconds, 301);
    });
});

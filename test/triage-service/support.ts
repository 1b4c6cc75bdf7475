// Test support for TriageService under Pulumi mocks (test/triage-service, test/diagnostics): the
// service's arguments in the example account. Waiting for its registrations: `registered` in
// test/support/mocks.ts.

export const ACCOUNT = "111122223333";
export const REGION = "eu-west-1";

/** The account's topics, keys and alarm prefix, as AccountMonitoring hands them to the service. */
export const SERVICE_ARGS = {
    alertTopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:vigil-alerts-0328fb5`,
    heartbeatTopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:vigil-heartbeat-5d6e7f8`,
    notificationTopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:vigil-notifications-9b4162a`,
    pipelineTopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:vigil-pipeline-1c2d3e4`,
    keyArn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/0f1e2d3c-4b5a-6978-8091-a2b3c4d5e6f7`,
    logKeyArn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/9a8b7c6d-5e4f-3a2b-1c0d-e9f8a7b6c5d4`,
    alarmNamePrefix: "vigil-pipeline-",
};

// The SNS, SSM and Scheduler client mocks of the tests that exercise the AWS adapters.

import { SchedulerClient } from "@aws-sdk/client-scheduler";
import { SNSClient } from "@aws-sdk/client-sns";
import { SSMClient } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";

/**
 * Mocks the clients. A client mock is process-wide and other test files talk to real local
 * endpoints through the same SDK clients: call this in `before`, not while mocha loads the file,
 * and restore the mocks in `after`.
 */
export function mockAwsClients() {
    return { sns: mockClient(SNSClient), ssm: mockClient(SSMClient), scheduler: mockClient(SchedulerClient) };
}

export type AwsClientMocks = ReturnType<typeof mockAwsClients>;

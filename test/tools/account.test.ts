import * as assert from "node:assert/strict";
import { AccountDescriptionError, answerDataSource, parseAccountDescription } from "../../tools/offline/account";
import { exampleAccount } from "../support/mocks";

describe("account description", () => {
    it("answers the data sources the program reads", () => {
        const account = exampleAccount();
        assert.equal(answerDataSource("aws:index/getCallerIdentity:getCallerIdentity", {}, account).accountId, "111122223333");
        assert.equal(answerDataSource("aws:index/getRegion:getRegion", {}, account).region, "eu-west-1");
        const cluster = answerDataSource("aws:eks/getCluster:getCluster", { name: "payments-prod" }, account);
        assert.equal(cluster.arn, "arn:aws:eks:eu-west-1:111122223333:cluster/payments-prod");
        assert.equal(cluster.version, "1.31");
        assert.deepEqual((cluster.identities as { oidcs: { issuer: string }[] }[])[0].oidcs[0].issuer, "https://oidc.eks.eu-west-1.amazonaws.com/id/9F3B2A7C41D8E6F0A1B2C3D4E5F60718");
        assert.equal(answerDataSource("aws:guardduty/getDetector:getDetector", {}, account).id, "4ab2c1f0e9d8c7b6a5f4e3d2c1b0a9f8");
    });

    it("names a data source it does not answer", () => {
        assert.throws(
            () => answerDataSource("aws:ec2/getVpc:getVpc", {}, exampleAccount()),
            (err: Error) => err instanceof AccountDescriptionError && /data source aws:ec2\/getVpc:getVpc is not answered offline/.test(err.message),
        );
    });

    it("says when the account has no GuardDuty detector to adopt", () => {
        const account = parseAccountDescription('accountId: "111122223333"\nregion: eu-west-1\ncallerArn: arn:aws:iam::111122223333:role/x\n');
        assert.throws(() => answerDataSource("aws:guardduty/getDetector:getDetector", {}, account), /no guardDutyDetectorId/);
    });

    it("rejects an account id that is not 12 digits, naming the field", () => {
        assert.throws(() => parseAccountDescription("accountId: 1234\nregion: eu-west-1\ncallerArn: x\n", "f.yaml"), /f\.yaml: accountId must be a 12-digit string/);
    });

    it("names a cluster field that is missing", () => {
        const text = 'accountId: "111122223333"\nregion: eu-west-1\ncallerArn: x\nclusters:\n  c1:\n    version: "1.30"\n';
        assert.throws(() => parseAccountDescription(text, "f.yaml"), /clusters\.c1\.endpoint must be an https URL/);
    });
});

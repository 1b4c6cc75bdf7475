// The EC2 node directory the deployed intake function wires into the engine: DescribeInstances
// (a real SDK client against a loopback EC2 fake) → the cluster named by the instance's tags.

import * as assert from "node:assert/strict";
import { EC2Client } from "@aws-sdk/client-ec2";
import { Ec2NodeDirectory } from "../../components/triage/handler/ec2";
import { dynaliteForSuite, harness, LOCAL_AWS, message } from "../triage/support";
import { FakeAws, startFakeAws } from "./fakeAws";

const MANAGED = "i-0a1b2c3d4e5f67890";
const KARPENTER = "i-0f9e8d7c6b5a43210";
const OWNERSHIP = "i-0123456789abcdef1";
const PLAIN = "i-0123456789abcdef2";

describe("EC2 node directory (deployed intake function)", function () {
    this.timeout(30_000);
    let aws: FakeAws;
    let client: EC2Client;

    before(async () => {
        aws = await startFakeAws({
            [MANAGED]: { "eks:cluster-name": "payments-prod", "eks:nodegroup-name": "general" },
            [KARPENTER]: { "aws:eks:cluster-name": "platform-staging", "karpenter.sh/nodepool": "default" },
            [OWNERSHIP]: { "kubernetes.io/cluster/legacy-cluster": "owned", Name: "worker" },
            [PLAIN]: { Name: "bastion" },
        });
        client = new EC2Client({ ...LOCAL_AWS, endpoint: aws.endpoint, maxAttempts: 1 });
    });

    after(async () => {
        client.destroy();
        await aws.close();
    });

    beforeEach(() => aws.calls.splice(0));

    it("names the cluster from the managed node group, Karpenter and ownership tags", async () => {
        const nodes = new Ec2NodeDirectory(client);
        assert.equal(await nodes.clusterOfInstance(MANAGED), "payments-prod");
        assert.equal(await nodes.clusterOfInstance(KARPENTER), "platform-staging");
        assert.equal(await nodes.clusterOfInstance(OWNERSHIP), "legacy-cluster");
        assert.deepEqual(
            aws.calls.map((c) => [c.action, c.params["InstanceId.1"]]),
            [
                ["DescribeInstances", MANAGED],
                ["DescribeInstances", KARPENTER],
                ["DescribeInstances", OWNERSHIP],
            ],
        );
    });

    it("answers \"\" for an instance of no cluster and undefined for one EC2 does not know", async () => {
        const nodes = new Ec2NodeDirectory(client);
        assert.equal(await nodes.clusterOfInstance(PLAIN), "");
        assert.equal(await nodes.clusterOfInstance("i-00000000000000000"), undefined);
    });

    it("reuses an answer until it is older than the cache time, then asks again", async () => {
        let now = 1_000_000;
        const nodes = new Ec2NodeDirectory(client, { ttlMs: 60_000, now: () => now });
        await nodes.clusterOfInstance(MANAGED);
        now += 59_999;
        await nodes.clusterOfInstance(MANAGED);
        assert.equal(aws.calls.length, 1, "the second lookup within the cache time was served from the cache");
        now += 2;
        await nodes.clusterOfInstance(MANAGED);
        assert.equal(aws.calls.length, 2, "an expired answer is asked again");
    });

    it("keeps at most maxEntries answers, dropping the oldest", async () => {
        const nodes = new Ec2NodeDirectory(client, { maxEntries: 2 });
        await nodes.clusterOfInstance(MANAGED);
        await nodes.clusterOfInstance(KARPENTER);
        await nodes.clusterOfInstance(OWNERSHIP);
        await nodes.clusterOfInstance(KARPENTER);
        assert.equal(aws.calls.length, 3, "KARPENTER was still cached");
        await nodes.clusterOfInstance(MANAGED);
        assert.equal(aws.calls.length, 4, "MANAGED was dropped as the oldest");
    });

    it("fails on any other EC2 error (the engine then keeps the alert without a cluster)", async () => {
        const broken = new EC2Client({ ...LOCAL_AWS, endpoint: "http://127.0.0.1:9", maxAttempts: 1 });
        await assert.rejects(new Ec2NodeDirectory(broken).clusterOfInstance(MANAGED));
        broken.destroy();
    });

    describe("wired into the engine", () => {
        const dynamo = dynaliteForSuite();

        it("an EC2 Spot interruption warning becomes a case of the node's cluster; a non-node's event opens none", async () => {
            const h = await harness(dynamo.endpoint, { nodes: new Ec2NodeDirectory(client) });
            const spot = await h.engine.ingest(message("ec2/02-spot-interruption.json"));
            assert.equal(spot.alerts[0].result, "triaged");
            assert.deepEqual(
                (await h.store.allCases()).map((c) => [c.key, c.cluster]),
                [["ec2:111122223333:eu-west-1:i-0f9e8d7c6b5a43210:spot-interruption", "platform-staging"]],
            );
            const saved = aws.instances.get(MANAGED);
            aws.instances.set(MANAGED, { Name: "bastion" });
            try {
                const stopped = await h.engine.ingest(message("ec2/01-instance-stopped.json"));
                assert.equal(stopped.alerts[0].result, "not-a-node");
                assert.equal((await h.store.allCases()).length, 1, "no case for an instance of no cluster");
            } finally {
                aws.instances.set(MANAGED, saved as Record<string, string>);
            }
        });
    });
});

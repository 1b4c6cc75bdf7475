import * as assert from "node:assert/strict";
import {
    AssociateKmsKeyCommand,
    CloudWatchLogsClient,
    CreateLogGroupCommand,
    DescribeLogGroupsCommand,
    InvalidParameterException,
    ListTagsForResourceCommand,
    PutRetentionPolicyCommand,
    ResourceAlreadyExistsException,
    TagResourceCommand,
    UntagResourceCommand,
    type LogGroup,
} from "@aws-sdk/client-cloudwatch-logs";
import { mockClient } from "aws-sdk-client-mock";
import {
    findLogGroup,
    LOG_GROUP_KIND,
    LogGroupError,
    logGroupArn,
    logGroupInputProblems,
    LogGroupInputs,
    logGroupProvider,
    reconcileLogGroup,
    tagChanges,
} from "../../components/cluster/logGroup";
import { vigilTags } from "../../components/tags";
import { setupMocks } from "../support/mocks";
import { loadSerializedProvider } from "./serializedProvider";

const NAME = "/aws/eks/payments-prod/cluster";
const ARN = "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/eks/payments-prod/cluster";
const KEY = "arn:aws:kms:eu-west-1:111122223333:key/66666666-7777-8888-9999-000000000000";
const OTHER_KEY = "arn:aws:kms:eu-west-1:111122223333:key/12345678-aaaa-bbbb-cccc-1234567890ab";
const TAGS = vigilTags("control-plane-logging");
const desired = { logGroupName: NAME, retentionInDays: 365, kmsKeyId: KEY, tags: TAGS };
const inputs: LogGroupInputs = { kind: LOG_GROUP_KIND, region: "eu-west-1", ...desired };
/** A log group as DescribeLogGroups returns it. */
const group = (extra: Partial<LogGroup> = {}): LogGroup => ({ logGroupName: NAME, arn: `${ARN}:*`, logGroupArn: ARN, creationTime: 1, storedBytes: 0, ...extra });
/** The group as EKS creates it for payments-prod (api and audit logging on): no retention, no key, no tags. */
const eksCreated = () => group();
const compliant = () => group({ retentionInDays: 365, kmsKeyId: KEY });

/** Stubs CloudWatchLogsClient's send for every instance, including the serialized provider's. */
const mockLogs = () => mockClient(CloudWatchLogsClient);

describe("adoptable log group: pure logic", () => {
    it("sets only missing or different tags and removes only keys Vigil no longer wants", () => {
        assert.deepEqual(tagChanges({ team: "payments", "vigil:activity": "old" }, { "vigil:activity": "control-plane-logging", "managed-by": "vigil" }, ["vigil:activity", "legacy", "team-x"]), {
            set: { "vigil:activity": "control-plane-logging", "managed-by": "vigil" },
            remove: [],
        });
        assert.deepEqual(tagChanges({ team: "payments", legacy: "1" }, { team: "payments" }, ["legacy", "team"]), { set: {}, remove: ["legacy"] });
    });

    it("tags by the ARN without DescribeLogGroups' :* suffix", () => {
        assert.equal(logGroupArn({ logGroupName: NAME, logGroupArn: ARN, arn: `${ARN}:*` }), ARN);
        assert.equal(logGroupArn({ logGroupName: NAME, arn: `${ARN}:*` }), ARN);
        assert.throws(() => logGroupArn({ logGroupName: NAME }), /log group \/aws\/eks\/payments-prod\/cluster: DescribeLogGroups returned no ARN/);
    });

    it("names every bad input, and leaves inputs that are not known yet for later", () => {
        assert.deepEqual(logGroupInputProblems(inputs), []);
        const problems = logGroupInputProblems({ kind: "x", logGroupName: "bad name", region: "Ireland", retentionInDays: 42, kmsKeyId: "alias/vigil-logs", tags: { k: 1 } });
        assert.deepEqual(
            problems.map((p) => p.property),
            ["kind", "logGroupName", "region", "retentionInDays", "kmsKeyId", "tags"],
        );
        assert.match(problems[3].reason, /got 42; allowed: one of 1, 3, 5, 7/);
        assert.match(problems[4].reason, /got "alias\/vigil-logs"; allowed: the ARN of a KMS key/);
        const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
        assert.deepEqual(logGroupInputProblems({ ...inputs, kmsKeyId: unknown, logGroupName: unknown, tags: unknown }), []);
    });
});

describe("adoptable log group: reconciling with CloudWatch Logs (mocked SDK)", () => {
    let logs: ReturnType<typeof mockLogs>;
    const client = new CloudWatchLogsClient({ region: "eu-west-1" });
    before(() => (logs = mockLogs()));
    beforeEach(() => logs.reset());
    after(() => logs.restore());

    const calls = () => logs.calls().map((c) => (c.args[0] as { constructor: { name: string } }).constructor.name.replace(/Command$/, ""));

    it("creates a missing group with its key and tags, then sets its retention", async () => {
        logs.on(DescribeLogGroupsCommand).resolvesOnce({ logGroups: [] }).resolves({ logGroups: [group({ kmsKeyId: KEY })] });
        logs.on(ListTagsForResourceCommand).resolves({ tags: { ...TAGS } });
        const result = await reconcileLogGroup(client, desired);
        assert.deepEqual(result, { arn: ARN, created: true, changed: ["CreateLogGroup", "PutRetentionPolicy"] });
        assert.deepEqual(logs.commandCalls(CreateLogGroupCommand)[0].args[0].input, { logGroupName: NAME, kmsKeyId: KEY, tags: TAGS });
        assert.deepEqual(logs.commandCalls(PutRetentionPolicyCommand)[0].args[0].input, { logGroupName: NAME, retentionInDays: 365 });
        assert.deepEqual(logs.commandCalls(DescribeLogGroupsCommand)[0].args[0].input, { logGroupNamePrefix: NAME, nextToken: undefined });
    });

    it("adopts the group EKS created (payments-prod logs api and audit already): retention, key and tags, no create", async () => {
        logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [eksCreated()] });
        logs.on(ListTagsForResourceCommand).resolves({ tags: {} });
        const result = await reconcileLogGroup(client, desired);
        assert.deepEqual(result, { arn: ARN, created: false, changed: ["PutRetentionPolicy", "AssociateKmsKey", "TagResource"] });
        assert.equal(logs.commandCalls(CreateLogGroupCommand).length, 0);
        assert.deepEqual(logs.commandCalls(AssociateKmsKeyCommand)[0].args[0].input, { logGroupName: NAME, kmsKeyId: KEY });
        assert.deepEqual(logs.commandCalls(TagResourceCommand)[0].args[0].input, { resourceArn: ARN, tags: TAGS });
        assert.deepEqual(logs.commandCalls(ListTagsForResourceCommand)[0].args[0].input, { resourceArn: ARN });
    });

    it("changes nothing when the group already matches (idempotent)", async () => {
        logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [compliant()] });
        logs.on(ListTagsForResourceCommand).resolves({ tags: { ...TAGS, team: "payments" } });
        const result = await reconcileLogGroup(client, desired);
        assert.deepEqual(result.changed, []);
        assert.deepEqual(calls(), ["DescribeLogGroups", "ListTagsForResource"], "only reads");
    });

    it("replaces another key and retention, and keeps tags others set while removing Vigil's old ones", async () => {
        logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [group({ retentionInDays: 7, kmsKeyId: OTHER_KEY })] });
        logs.on(ListTagsForResourceCommand).resolves({ tags: { ...TAGS, team: "payments", "vigil:obsolete": "x" } });
        const result = await reconcileLogGroup(client, desired, ["vigil:obsolete", ...Object.keys(TAGS)]);
        assert.deepEqual(result.changed, ["PutRetentionPolicy", "AssociateKmsKey", "UntagResource"]);
        assert.deepEqual(logs.commandCalls(UntagResourceCommand)[0].args[0].input, { resourceArn: ARN, tagKeys: ["vigil:obsolete"] });
    });

    it("adopts a group EKS created between the lookup and the create", async () => {
        logs.on(DescribeLogGroupsCommand).resolvesOnce({ logGroups: [] }).resolves({ logGroups: [eksCreated()] });
        logs.on(CreateLogGroupCommand).rejects(new ResourceAlreadyExistsException({ message: "The specified log group already exists", $metadata: {} }));
        logs.on(ListTagsForResourceCommand).resolves({ tags: {} });
        const result = await reconcileLogGroup(client, desired);
        assert.deepEqual(result, { arn: ARN, created: false, changed: ["PutRetentionPolicy", "AssociateKmsKey", "TagResource"] });
    });

    it("finds the exact name across pages of a prefix search", async () => {
        logs.on(DescribeLogGroupsCommand)
            .resolvesOnce({ logGroups: [group({ logGroupName: `${NAME}-old` })], nextToken: "t1" })
            .resolves({ logGroups: [compliant()] });
        assert.equal((await findLogGroup(client, NAME))?.logGroupName, NAME);
        assert.deepEqual(logs.commandCalls(DescribeLogGroupsCommand)[1].args[0].input, { logGroupNamePrefix: NAME, nextToken: "t1" });
    });

    it("fails with the group, the call and what to check when the key is refused", async () => {
        logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [eksCreated()] });
        logs.on(AssociateKmsKeyCommand).rejects(new InvalidParameterException({ message: "Unable to validate if specified KMS key is valid.", $metadata: {} }));
        await assert.rejects(
            reconcileLogGroup(client, desired),
            (e: Error) =>
                e instanceof LogGroupError &&
                e.message ===
                    `CloudWatch Logs log group ${NAME}: AssociateKmsKey failed (InvalidParameterException: Unable to validate if specified KMS key is valid.); check that KMS key ${KEY} exists, is enabled and that its key policy allows the logs.<region>.amazonaws.com service principal (AccountMonitoring's log key does)`,
        );
        logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [] });
        logs.on(CreateLogGroupCommand).rejects(Object.assign(new Error("User is not authorized to perform: logs:CreateLogGroup"), { name: "AccessDeniedException" }));
        await assert.rejects(reconcileLogGroup(client, desired), /log group \/aws\/eks\/payments-prod\/cluster: CreateLogGroup failed \(AccessDeniedException: User is not authorized/);
    });

    it("provider: create adopts and reports it, read shows drift, a vanished group reads as gone, delete leaves the group", async () => {
        const provider = logGroupProvider(() => client);
        logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [eksCreated()] });
        logs.on(ListTagsForResourceCommand).resolves({ tags: {} });
        const created = await provider.create(inputs);
        assert.equal(created.id, ARN);
        assert.deepEqual(created.outs, { ...inputs, arn: ARN, created: false });

        logs.reset();
        logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [group({ retentionInDays: 30, kmsKeyId: KEY })] });
        logs.on(ListTagsForResourceCommand).resolves({ tags: { ...TAGS, "vigil:activity": "edited", team: "payments" } });
        const read = await provider.read?.(created.id, created.outs);
        assert.deepEqual(read?.props, { ...created.outs, retentionInDays: 30, tags: { ...TAGS, "vigil:activity": "edited" } });
        const drift = await provider.diff?.(created.id, read!.props!, inputs);
        assert.deepEqual(drift, { changes: true, replaces: [], deleteBeforeReplace: false });

        logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [] });
        assert.deepEqual(await provider.read?.(created.id, created.outs), {}, "read reports the resource gone");

        logs.reset();
        await provider.delete?.(created.id, created.outs!);
        assert.equal(logs.calls().length, 0, "delete makes no call: the group and its logs stay");
    });

    it("provider: check names bad inputs; diff replaces on another name or region and updates on settings", async () => {
        const provider = logGroupProvider(() => client);
        const bad = await provider.check?.({} as never, { ...inputs, retentionInDays: 0 });
        assert.deepEqual(bad?.failures?.map((f) => f.property), ["retentionInDays"]);
        const olds = { ...inputs, arn: ARN, created: true };
        assert.deepEqual(await provider.diff?.(ARN, olds, { ...inputs, tags: { ...TAGS } }), { changes: false, replaces: [], deleteBeforeReplace: false });
        assert.deepEqual(await provider.diff?.(ARN, olds, { ...inputs, retentionInDays: 731 }), { changes: true, replaces: [], deleteBeforeReplace: false });
        assert.deepEqual(await provider.diff?.(ARN, olds, { ...inputs, kmsKeyId: OTHER_KEY }), { changes: true, replaces: [], deleteBeforeReplace: false });
        assert.deepEqual(await provider.diff?.(ARN, olds, { ...inputs, logGroupName: "/aws/eks/other/cluster" }), { changes: true, replaces: ["logGroupName"], deleteBeforeReplace: false });
    });

    it("provider: update keeps whether Vigil created the group and untags keys it dropped", async () => {
        const provider = logGroupProvider(() => client);
        logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [compliant()] });
        logs.on(ListTagsForResourceCommand).resolves({ tags: { ...TAGS, "vigil:old": "1" } });
        const olds = { ...inputs, tags: { ...TAGS, "vigil:old": "1" }, arn: ARN, created: true };
        const updated = await provider.update?.(ARN, olds, inputs);
        assert.deepEqual(updated?.outs, { ...inputs, arn: ARN, created: true });
        assert.deepEqual(logs.commandCalls(UntagResourceCommand)[0].args[0].input, { resourceArn: ARN, tagKeys: ["vigil:old"] });
    });
});

describe("adoptable log group: the serialized dynamic provider", function () {
    this.timeout(60_000);
    let logs: ReturnType<typeof mockLogs>;
    before(() => (logs = mockLogs()));
    after(() => logs.restore());

    it("is what Pulumi ships to the provider process, and it adopts against CloudWatch Logs", async () => {
        const recorder = await setupMocks();
        const { AdoptableLogGroup } = await import("../../components/cluster/adoptableLogGroup");
        const resource = new AdoptableLogGroup("serialized-logs", { logGroupName: NAME, region: "eu-west-1", retentionInDays: 365, kmsKeyId: KEY, tags: TAGS });
        await new Promise<void>((resolve) => resource.urn.apply(() => resolve()));
        const registered = recorder.named("serialized-logs", "pulumi-nodejs:dynamic:Resource");
        assert.deepEqual(
            { kind: registered.inputs.kind, logGroupName: registered.inputs.logGroupName, region: registered.inputs.region, retentionInDays: registered.inputs.retentionInDays, kmsKeyId: registered.inputs.kmsKeyId, tags: registered.inputs.tags },
            { kind: "vigil:cloudwatch:LogGroup", ...desired, region: "eu-west-1" },
        );

        // Load the serialized text the way the dynamic provider host does, next to our node_modules.
        const provider = loadSerializedProvider<ReturnType<typeof logGroupProvider>>(registered.inputs.__provider, "__serialized_log_group_provider.js");

        const check = await provider.check?.({} as never, { ...inputs, retentionInDays: 42 });
        assert.deepEqual(check?.failures?.map((f) => f.property), ["retentionInDays"], "the serialized check carries the retention list and patterns");
        logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [eksCreated()] });
        logs.on(ListTagsForResourceCommand).resolves({ tags: {} });
        const created = await provider.create(inputs);
        assert.equal(created.id, ARN);
        assert.equal(created.outs?.created, false);
        assert.equal(logs.commandCalls(PutRetentionPolicyCommand).length, 1);
        assert.equal(await logs.commandCalls(PutRetentionPolicyCommand)[0].thisValue.config.region(), "eu-west-1");
        assert.deepEqual(logs.commandCalls(TagResourceCommand)[0].args[0].input, { resourceArn: ARN, tags: TAGS });
    });
});

import * as assert from "node:assert/strict";
import {
    DescribeClusterCommand,
    DescribeUpdateCommand,
    EKSClient,
    ResourceInUseException,
    ResourceNotFoundException,
    UpdateClusterConfigCommand,
    type Cluster,
} from "@aws-sdk/client-eks";
import { mockClient } from "aws-sdk-client-mock";
import {
    CONTROL_PLANE_LOG_TYPES,
    CONTROL_PLANE_LOGGING_KIND,
    controlPlaneLoggingProvider,
    ControlPlaneLoggingError,
    enabledLogTypes,
    loggingChange,
    reconcileLogging,
    waitForUpdate,
} from "../../components/cluster/logging";
import { setupMocks } from "../support/mocks";
import { loadSerializedProvider } from "./serializedProvider";

const ALL = [...CONTROL_PLANE_LOG_TYPES];
const cluster = (status: Cluster["status"], enabled: string[], disabled: string[] = []): Cluster => ({
    name: "payments-prod",
    status,
    logging: {
        clusterLogging: [
            ...(enabled.length ? [{ types: enabled as never[], enabled: true }] : []),
            ...(disabled.length ? [{ types: disabled as never[], enabled: false }] : []),
        ],
    },
});
const noSleep = { sleep: async () => undefined, pollIntervalMs: 1 };
/** Stubs EKSClient's send for every instance, including the serialized provider's. */
const mockEks = () => mockClient(EKSClient);

describe("control-plane logging: pure logic", () => {
    it("reads the enabled log types from DescribeCluster's groups", () => {
        assert.deepEqual(enabledLogTypes(cluster("ACTIVE", ["audit", "api"], ["scheduler"])), ["api", "audit"]);
        assert.deepEqual(enabledLogTypes({ logging: undefined }), []);
    });

    it("asks for no change when the cluster already has the wanted types", () => {
        assert.equal(loggingChange(["scheduler", "api", "audit", "authenticator", "controllerManager"], ALL), undefined);
        assert.equal(loggingChange([], []), undefined);
    });

    it("enables the wanted types and disables the others", () => {
        assert.deepEqual(loggingChange(["api", "audit"], ALL), { clusterLogging: [{ types: ALL, enabled: true }] });
        assert.deepEqual(loggingChange(ALL, ["api", "audit"]), {
            clusterLogging: [
                { types: ["api", "audit"], enabled: true },
                { types: ["authenticator", "controllerManager", "scheduler"], enabled: false },
            ],
        });
        assert.deepEqual(loggingChange(["api"], []), { clusterLogging: [{ types: ["api"], enabled: false }] });
    });
});

describe("control-plane logging: reconciling with EKS (mocked SDK)", () => {
    let eks: ReturnType<typeof mockEks>;
    const client = new EKSClient({ region: "eu-west-1" });
    before(() => (eks = mockEks()));
    beforeEach(() => eks.reset());
    after(() => eks.restore());

    it("does not call UpdateClusterConfig when logging is already as wanted", async () => {
        eks.on(DescribeClusterCommand).resolves({ cluster: cluster("ACTIVE", ALL) });
        const result = await reconcileLogging(client, "payments-prod", ALL, noSleep);
        assert.deepEqual(result, { before: ALL, after: ALL });
        assert.equal(eks.commandCalls(UpdateClusterConfigCommand).length, 0);
    });

    it("updates when it differs and waits until EKS reports the update Successful", async () => {
        eks.on(DescribeClusterCommand).resolves({ cluster: cluster("ACTIVE", ["api", "audit"]) });
        eks.on(UpdateClusterConfigCommand).resolves({ update: { id: "upd-1", status: "InProgress" } });
        eks.on(DescribeUpdateCommand)
            .resolvesOnce({ update: { id: "upd-1", status: "InProgress" } })
            .resolvesOnce({ update: { id: "upd-1", status: "InProgress" } })
            .resolves({ update: { id: "upd-1", status: "Successful" } });
        const slept: number[] = [];
        const result = await reconcileLogging(client, "payments-prod", ALL, { pollIntervalMs: 5, sleep: async (ms) => void slept.push(ms) });
        assert.deepEqual(result, { before: ["api", "audit"], after: ALL, updateId: "upd-1" });
        const updates = eks.commandCalls(UpdateClusterConfigCommand);
        assert.equal(updates.length, 1);
        assert.deepEqual(updates[0].args[0].input, { name: "payments-prod", logging: { clusterLogging: [{ types: ALL, enabled: true }] } });
        assert.equal(eks.commandCalls(DescribeUpdateCommand).length, 3);
        assert.deepEqual(eks.commandCalls(DescribeUpdateCommand)[0].args[0].input, { name: "payments-prod", updateId: "upd-1" });
        assert.deepEqual(slept, [5, 5]);
    });

    it("fails clearly when the cluster is mid-update (ResourceInUseException)", async () => {
        eks.on(DescribeClusterCommand).resolves({ cluster: cluster("ACTIVE", []) });
        eks.on(UpdateClusterConfigCommand).rejects(new ResourceInUseException({ message: "Cluster has an update in progress", $metadata: {} }));
        await assert.rejects(
            reconcileLogging(client, "payments-prod", ALL, noSleep),
            (e: Error) => e instanceof ControlPlaneLoggingError && /payments-prod is being changed \(ResourceInUseException: Cluster has an update in progress\).*run pulumi up again/.test(e.message),
        );
    });

    it("does not try while the cluster is UPDATING", async () => {
        eks.on(DescribeClusterCommand).resolves({ cluster: cluster("UPDATING", []) });
        await assert.rejects(reconcileLogging(client, "payments-prod", ALL, noSleep), /payments-prod is being changed \(status UPDATING\)/);
        assert.equal(eks.commandCalls(UpdateClusterConfigCommand).length, 0);
    });

    it("reports a failed update with EKS's errors", async () => {
        eks.on(DescribeUpdateCommand).resolves({ update: { id: "u", status: "Failed", errors: [{ errorCode: "AccessDenied", errorMessage: "no logs:CreateLogGroup" }] } });
        await assert.rejects(waitForUpdate(client, "c", "u", noSleep), /logging update u ended Failed \(AccessDenied: no logs:CreateLogGroup\)/);
    });

    it("gives up after the timeout", async () => {
        eks.on(DescribeUpdateCommand).resolves({ update: { id: "u", status: "InProgress" } });
        let clock = 0;
        await assert.rejects(
            waitForUpdate(client, "c", "u", { pollIntervalMs: 60_000, timeoutMs: 180_000, now: () => clock, sleep: async (ms) => void (clock += ms) }),
            /still InProgress after 3 minutes/,
        );
    });

    it("provider: create records what the cluster had; delete restores it; a vanished cluster is not an error", async () => {
        const provider = controlPlaneLoggingProvider(() => client, noSleep);
        eks.on(DescribeClusterCommand).resolvesOnce({ cluster: cluster("ACTIVE", ["audit"]) });
        eks.on(UpdateClusterConfigCommand).resolves({ update: { id: "u1" } });
        eks.on(DescribeUpdateCommand).resolves({ update: { status: "Successful" } });
        const inputs = { kind: CONTROL_PLANE_LOGGING_KIND, clusterName: "payments-prod", region: "eu-west-1", enabledLogTypes: ALL };
        const created = await provider.create(inputs);
        assert.equal(created.id, "eu-west-1/payments-prod");
        assert.deepEqual(created.outs?.previousLogTypes, ["audit"]);

        eks.on(DescribeClusterCommand).resolves({ cluster: cluster("ACTIVE", ALL) });
        await provider.delete?.(created.id, created.outs!);
        const updates = eks.commandCalls(UpdateClusterConfigCommand);
        assert.deepEqual(updates.at(-1)?.args[0].input.logging, {
            clusterLogging: [
                { types: ["audit"], enabled: true },
                { types: ["api", "authenticator", "controllerManager", "scheduler"], enabled: false },
            ],
        });

        eks.on(DescribeClusterCommand).rejects(new ResourceNotFoundException({ message: "No cluster found", $metadata: {} }));
        await provider.delete?.(created.id, created.outs!);
        assert.deepEqual(await provider.read?.(created.id, created.outs), {}, "read reports the resource gone");
    });

    it("provider: check names bad inputs; diff replaces on another cluster and updates on other types", async () => {
        const provider = controlPlaneLoggingProvider(() => client, noSleep);
        const bad = await provider.check?.({} as never, { kind: "x", clusterName: "", region: "Ireland", enabledLogTypes: ["api", "kubelet"] });
        assert.deepEqual(bad?.failures?.map((f) => f.property), ["kind", "clusterName", "region", "enabledLogTypes"]);
        assert.match(String(bad?.failures?.[3].reason), /got \["api","kubelet"\]; allowed: a list of api, audit, authenticator, controllerManager, scheduler/);
        const olds = { kind: CONTROL_PLANE_LOGGING_KIND, clusterName: "a", region: "eu-west-1", enabledLogTypes: ["api"], previousLogTypes: [] };
        assert.deepEqual(await provider.diff?.("id", olds, { ...olds, enabledLogTypes: ["api"] }), { changes: false, replaces: [], deleteBeforeReplace: false });
        assert.deepEqual(await provider.diff?.("id", olds, { ...olds, enabledLogTypes: ALL }), { changes: true, replaces: [], deleteBeforeReplace: false });
        assert.deepEqual(await provider.diff?.("id", olds, { ...olds, clusterName: "b" }), { changes: true, replaces: ["clusterName"], deleteBeforeReplace: true });
    });
});

describe("control-plane logging: the serialized dynamic provider", function () {
    this.timeout(60_000);
    let eks: ReturnType<typeof mockEks>;
    before(() => (eks = mockEks()));
    after(() => eks.restore());

    it("is what Pulumi ships to the provider process, and it reconciles against EKS", async () => {
        const recorder = await setupMocks();
        const { ControlPlaneLogging } = await import("../../components/cluster/controlPlaneLogging");
        const resource = new ControlPlaneLogging("serialized", { clusterName: "payments-prod", region: "eu-west-1" });
        await new Promise<void>((resolve) => resource.urn.apply(() => resolve()));
        const registered = recorder.named("serialized", "pulumi-nodejs:dynamic:Resource");
        assert.equal(registered.inputs.kind, "vigil:eks:ControlPlaneLogging");
        assert.deepEqual(registered.inputs.enabledLogTypes, ALL);

        // Load the serialized text the way the dynamic provider host does, next to our node_modules.
        const provider = loadSerializedProvider<ReturnType<typeof controlPlaneLoggingProvider>>(registered.inputs.__provider, "__serialized_provider.js");

        eks.on(DescribeClusterCommand).resolves({ cluster: cluster("ACTIVE", ["api"]) });
        eks.on(UpdateClusterConfigCommand).resolves({ update: { id: "u9" } });
        eks.on(DescribeUpdateCommand).resolves({ update: { status: "Successful" } });
        const created = await provider.create({ kind: CONTROL_PLANE_LOGGING_KIND, clusterName: "payments-prod", region: "eu-west-1", enabledLogTypes: ALL });
        assert.equal(created.id, "eu-west-1/payments-prod");
        assert.deepEqual(created.outs?.previousLogTypes, ["api"]);
        assert.equal(eks.commandCalls(UpdateClusterConfigCommand).length, 1);
        assert.equal(await eks.commandCalls(UpdateClusterConfigCommand)[0].thisValue.config.region(), "eu-west-1");
    });
});

import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import type { CustomerAccessArgs } from "../../components/customer/customerAccess";
import { MockRecorder, promiseOf, RecordedResource, setupMocks } from "../support/mocks";

type Module = typeof import("../../components/customer/customerAccess");

const OPERATOR_ROLE = "arn:aws:iam::444455556666:role/vigil-operator";
const drain = () => (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
const CUSTOMER_TAGS = { "vigil:activity": "cluster-access-rbac", "vigil:responsible": "customer", "managed-by": "vigil" };

describe("CustomerAccess", function () {
    this.timeout(60_000);
    let recorder: MockRecorder;
    let mod: Module;

    const build = async (name: string, args: CustomerAccessArgs) => {
        const access = new mod.CustomerAccess(name, args);
        const outputs = { ssmNodeRoles: await promiseOf(access.ssmNodeRoles), accessEntryArn: await promiseOf(access.accessEntryArn) };
        await drain();
        const rs = recorder.resources.filter((r) => r.name === name || r.name.startsWith(`${name}-`));
        return { rs, outputs, named: (n: string, type?: string) => recorder.named(n, type) };
    };

    before(async () => {
        recorder = await setupMocks();
        mod = await import("../../components/customer/customerAccess");
    });

    describe("the owner's project example", () => {
        let rs: RecordedResource[];
        let named: (n: string, type?: string) => RecordedResource;
        let outputs: { ssmNodeRoles: string[] };

        before(async () => {
            ({ rs, named, outputs } = await build("vigil-access", {
                clusterName: "payments-prod",
                operatorRoleArn: OPERATOR_ROLE,
                nodeRoles: { general: "payments-prod-general-node", spot: "payments-prod-spot-node" },
            }));
        });

        it("registers exactly these resources", () => {
            assert.deepEqual(rs.map((r) => `${r.type}::${r.name}`).sort(), [
                "aws:eks/accessEntry:AccessEntry::vigil-access-operator",
                "aws:eks/accessPolicyAssociation:AccessPolicyAssociation::vigil-access-operator-namespace-admin",
                "aws:eks/accessPolicyAssociation:AccessPolicyAssociation::vigil-access-operator-view",
                "aws:iam/rolePolicyAttachment:RolePolicyAttachment::vigil-access-ssm-general",
                "aws:iam/rolePolicyAttachment:RolePolicyAttachment::vigil-access-ssm-spot",
                "vigil:customer:CustomerAccess::vigil-access",
            ]);
        });

        it("creates a standard access entry for the operator's role, tagged as the customer's", () => {
            const entry = named("vigil-access-operator", "aws:eks/accessEntry:AccessEntry");
            assert.equal(entry.inputs.clusterName, "payments-prod");
            assert.equal(entry.inputs.principalArn, OPERATOR_ROLE);
            assert.equal(entry.inputs.type, "STANDARD");
            assert.equal(entry.inputs.kubernetesGroups, undefined, "no group without the in-cluster RBAC");
            assert.deepEqual(entry.inputs.tags, CUSTOMER_TAGS);
        });

        it("grants view on the cluster and admin only in the Vigil namespace; never cluster admin", () => {
            const associations = rs.filter((r) => r.type === "aws:eks/accessPolicyAssociation:AccessPolicyAssociation");
            const grants = associations.map((a) => ({ policyArn: a.inputs.policyArn, accessScope: a.inputs.accessScope, principalArn: a.inputs.principalArn })).sort((a, b) => a.policyArn.localeCompare(b.policyArn));
            assert.deepEqual(grants, [
                { policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy", accessScope: { type: "namespace", namespaces: ["vigil-monitoring"] }, principalArn: OPERATOR_ROLE },
                { policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", accessScope: { type: "cluster" }, principalArn: OPERATOR_ROLE },
            ]);
            for (const a of associations) {
                assert.doesNotMatch(a.inputs.policyArn, /AmazonEKSClusterAdminPolicy/);
                if (/AmazonEKS(Admin|Edit)Policy$/.test(a.inputs.policyArn)) {
                    assert.equal(a.inputs.accessScope.type, "namespace", `${a.name} is namespace-scoped`);
                }
            }
        });

        it("attaches AmazonSSMManagedInstanceCore to every node role", () => {
            const attachments = rs.filter((r) => r.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment");
            assert.deepEqual(
                attachments.map((a) => [a.inputs.role, a.inputs.policyArn]).sort(),
                [
                    ["payments-prod-general-node", "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"],
                    ["payments-prod-spot-node", "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"],
                ],
            );
            assert.deepEqual(outputs.ssmNodeRoles.sort(), ["payments-prod-general-node", "payments-prod-spot-node"]);
        });
    });

    it("with edit access and another namespace, scopes AmazonEKSEditPolicy to that namespace", async () => {
        const { rs } = await build("edit-access", { clusterName: "c", operatorRoleArn: OPERATOR_ROLE, namespace: "ops-monitoring", namespaceAccess: "edit" });
        const edit = rs.find((r) => r.name === "edit-access-operator-namespace-edit");
        assert.equal(edit?.inputs.policyArn, "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy");
        assert.deepEqual(edit?.inputs.accessScope, { type: "namespace", namespaces: ["ops-monitoring"] });
        assert.equal(rs.filter((r) => r.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment").length, 0);
    });

    it("with a Kubernetes provider, binds the operator's group to the cluster-scoped rights Vigil's deployment needs", async () => {
        const k8s = await import("@pulumi/kubernetes");
        const provider = new k8s.Provider("customer-k8s", { kubeconfig: "{}" });
        const { rs, named } = await build("rbac-access", { clusterName: "c", operatorRoleArn: OPERATOR_ROLE, kubernetesProvider: provider });
        assert.deepEqual(named("rbac-access-operator", "aws:eks/accessEntry:AccessEntry").inputs.kubernetesGroups, ["vigil-operators"]);
        const role = named("rbac-access-operator", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole");
        assert.equal(role.inputs.metadata.name, "vigil-operator");
        assert.equal(role.inputs.metadata.labels["vigil.dev/responsible"], "customer");
        assert.equal(role.inputs.metadata.labels["vigil.dev/activity"], "cluster-access-rbac");
        const rules = role.inputs.rules as { apiGroups?: string[]; resources?: string[]; resourceNames?: string[]; verbs: string[] }[];
        for (const rule of rules) {
            assert.ok(![...(rule.apiGroups ?? []), ...(rule.resources ?? []), ...rule.verbs].includes("*"), "no wildcards");
            assert.ok(!rule.verbs.some((v) => ["bind", "escalate", "impersonate"].includes(v)), "no escalation verbs");
            assert.ok(!(rule.resources ?? []).includes("secrets"), "no secrets");
            assert.ok(!((rule.resources ?? []).includes("pods") && rule.verbs.includes("create")), "no pod creation cluster-wide");
            if (rule.verbs.some((v) => ["update", "patch", "delete"].includes(v))) {
                assert.ok(rule.resourceNames && rule.resourceNames.length > 0, `changes are limited by name: ${JSON.stringify(rule)}`);
            }
        }
        assert.deepEqual(rules.find((r) => r.resources?.includes("namespaces") && r.resourceNames)?.resourceNames, ["vigil-monitoring"]);
        assert.deepEqual(rules.find((r) => r.resources?.includes("clusterroles") && r.resourceNames)?.resourceNames, ["vigil-prometheus", "vigil-prometheus-control-plane", "vigil-kube-state-metrics"]);
        const binding = named("rbac-access-operator", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding");
        assert.deepEqual(binding.inputs.subjects, [{ kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: "vigil-operators" }]);
        assert.equal(binding.inputs.roleRef.name, "vigil-operator");
        assert.ok(rs.every((r) => !r.type.startsWith("kubernetes:") || r.inputs.metadata.namespace === undefined), "only cluster-scoped objects");
    });

    it("holds every permission it lets the operator bind, so binding needs neither bind nor escalate", async () => {
        const values = await import("../../components/cluster/values");
        const granted = mod.operatorClusterRules("vigil-monitoring");
        const covers = (rule: { apiGroups?: readonly string[]; resources?: readonly string[]; nonResourceURLs?: readonly string[]; verbs: readonly string[] }) =>
            rule.verbs.every((verb) =>
                granted.some(
                    (g) =>
                        g.verbs.includes(verb) &&
                        g.resourceNames === undefined &&
                        (rule.nonResourceURLs
                            ? rule.nonResourceURLs.every((u) => g.nonResourceURLs?.includes(u))
                            : (rule.apiGroups ?? []).every((a) => g.apiGroups?.includes(a)) && (rule.resources ?? []).every((r) => g.resources?.includes(r))),
                ),
            );
        for (const rule of [...values.prometheusClusterRules(), ...values.controlPlaneMetricsRules(), ...values.kubeStateMetricsClusterRules()]) {
            assert.ok(covers(rule), `operator holds ${JSON.stringify(rule)}`);
        }
    });

    const invalid: [string, Partial<CustomerAccessArgs>, RegExp][] = [
        ["cluster admin in the namespace", { namespaceAccess: "cluster-admin" as never }, /namespaceAccess: got "cluster-admin"; allowed: "admin" or "edit" \(cluster admin is never granted\)/],
        ["a kube-* namespace", { namespace: "kube-system" }, /namespace: got "kube-system"/],
        ["a user instead of a role", { operatorRoleArn: "arn:aws:iam::444455556666:user/alice" }, /operatorRoleArn: got "arn:aws:iam::444455556666:user\/alice"; allowed: an IAM role ARN/],
        ["a node role key that cannot name a resource", { nodeRoles: { "my nodes": "r" } }, /nodeRoles key: got "my nodes"/],
    ];
    for (const [what, args, message] of invalid) {
        it(`rejects ${what}, naming the argument`, () => {
            assert.throws(() => mod.resolveCustomerAccessArgs({ clusterName: "c", operatorRoleArn: OPERATOR_ROLE, ...args }), message);
        });
    }
});

// CustomerAccess `diagnosticsRoleArn`, under Pulumi mocks: the cluster owner's read-only grant to
// Vigil's diagnostics function, in both modes (AmazonEKSViewPolicy on an access entry, or the
// `vigil-diagnostics` group bound to a get/list ClusterRole), what the grant may and may not do,
// that its subjects are exactly the diagnostics role, bad input named, and the policy pack's
// Kubernetes and EKS access policies run over what the component registers.

import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import type { Policy } from "@pulumi/policy";
import type { CustomerAccessArgs } from "../../components/customer/customerAccess";
import { DIAGNOSTICS_READ_RULES, permits, requiredPermission } from "../../components/triage/handler/diagnostics/access";
import { vigilLabels } from "../../components/tags";
import { eksOperatorAccessScoped } from "../../policies/eks/operatorAccessScoped";
import { kubernetesOperatorAccessRole } from "../../policies/kubernetes/operatorAccessRole";
import { kubernetesRbacBindingScoped } from "../../policies/kubernetes/rbacBindingScoped";
import { kubernetesRbacNoWildcards } from "../../policies/kubernetes/rbacNoWildcards";
import { kubernetesRbacReadOnly } from "../../policies/kubernetes/rbacReadOnly";
import { PolicySubject, runPolicies } from "../../tools/offline/policies";
import { MockRecorder, promiseOf, RecordedResource, setupMocks } from "../support/mocks";

type Module = typeof import("../../components/customer/customerAccess");

const OPERATOR_ROLE = "arn:aws:iam::111122223333:role/vigil-deployer";
const DIAGNOSTICS_ROLE = "arn:aws:iam::111122223333:role/vigil-triage-diagnostics-role-c3078c1";
const CUSTOMER_TAGS = { "vigil:activity": "cluster-access-rbac", "vigil:responsible": "customer", "managed-by": "vigil" };
const VIEW_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy";
const ENTRY = "aws:eks/accessEntry:AccessEntry";
const ASSOCIATION = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation";
const CLUSTER_ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole";
const BINDING = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding";
const WRITE_VERBS = ["create", "update", "patch", "delete", "deletecollection", "bind", "escalate", "impersonate", "watch", "*"];
const drain = () => (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();

interface Rule {
    apiGroups?: string[];
    resources?: string[];
    resourceNames?: string[];
    nonResourceURLs?: string[];
    verbs: string[];
}

/** The recorded resources as the plan hands them to the policy pack (URNs with the component chain). */
function subjects(rs: readonly RecordedResource[]): PolicySubject[] {
    const component = rs.find((r) => r.type === "vigil:customer:CustomerAccess");
    assert.ok(component);
    const stack = "urn:pulumi:test::vigil::pulumi:pulumi:Stack::vigil-test";
    const componentUrn = `urn:pulumi:test::vigil::vigil:customer:CustomerAccess::${component.name}`;
    return [
        { urn: stack, type: "pulumi:pulumi:Stack", name: "vigil-test", inputs: {} },
        { urn: componentUrn, type: component.type, name: component.name, parent: stack, inputs: {} },
        ...rs
            .filter((r) => r.custom)
            .map((r) => ({ urn: `urn:pulumi:test::vigil::vigil:customer:CustomerAccess$${r.type}::${r.name}`, type: r.type, name: r.name, parent: componentUrn, inputs: r.inputs, state: { ...r.inputs, ...r.state } })),
    ];
}

const PACK: readonly Policy[] = [kubernetesRbacReadOnly, kubernetesOperatorAccessRole, kubernetesRbacBindingScoped, kubernetesRbacNoWildcards, eksOperatorAccessScoped];

describe("CustomerAccess: the diagnostics role's read-only access", function () {
    this.timeout(60_000);
    let recorder: MockRecorder;
    let mod: Module;

    const build = async (name: string, args: CustomerAccessArgs) => {
        const access = new mod.CustomerAccess(name, args);
        // (The offline state has no accessEntryArn for access entries: the outputs resolve, unasserted.)
        await promiseOf(access.diagnosticsAccessEntryArn);
        await promiseOf(access.accessEntryArn);
        await drain();
        const rs = recorder.resources.filter((r) => r.name === name || r.name.startsWith(`${name}-`));
        const one = (n: string, type: string) => {
            const found = rs.filter((r) => r.name === n && r.type === type);
            assert.equal(found.length, 1, `${type} ${n}`);
            return found[0];
        };
        return { rs, one };
    };

    before(async () => {
        recorder = await setupMocks();
        mod = await import("../../components/customer/customerAccess");
    });

    describe("without a Kubernetes provider: AmazonEKSViewPolicy on the diagnostics role's own access entry", () => {
        let built: Awaited<ReturnType<typeof build>>;
        before(async () => {
            built = await build("view-access", { clusterName: "payments-prod", operatorRoleArn: OPERATOR_ROLE, diagnosticsRoleArn: DIAGNOSTICS_ROLE });
        });

        it("registers the operator's access and exactly one entry and one view association for the diagnostics role", () => {
            assert.deepEqual(built.rs.map((r) => `${r.type}::${r.name}`).sort(), [
                `${ENTRY}::view-access-diagnostics`,
                `${ENTRY}::view-access-operator`,
                `${ASSOCIATION}::view-access-diagnostics-view`,
                `${ASSOCIATION}::view-access-operator-namespace-admin`,
                `${ASSOCIATION}::view-access-operator-view`,
                "vigil:customer:CustomerAccess::view-access",
            ]);
        });

        it("makes a standard entry for exactly the diagnostics role, in no Kubernetes group, tagged as the customer's", () => {
            const entry = built.one("view-access-diagnostics", ENTRY);
            assert.deepEqual(
                [entry.inputs.clusterName, entry.inputs.principalArn, entry.inputs.type, entry.inputs.kubernetesGroups, entry.inputs.tags],
                ["payments-prod", DIAGNOSTICS_ROLE, "STANDARD", undefined, CUSTOMER_TAGS],
            );
        });

        it("associates only AmazonEKSViewPolicy, cluster-wide, with the diagnostics role (view has no Secrets and no writes)", () => {
            const grants = built.rs.filter((r) => r.type === ASSOCIATION && r.inputs.principalArn === DIAGNOSTICS_ROLE);
            assert.deepEqual(
                grants.map((g) => [g.name, g.inputs.clusterName, g.inputs.policyArn, g.inputs.accessScope]),
                [["view-access-diagnostics-view", "payments-prod", VIEW_POLICY, { type: "cluster" }]],
            );
            const operatorGrants = built.rs.filter((r) => r.type === ASSOCIATION && r.inputs.principalArn === OPERATOR_ROLE).map((r) => r.name);
            assert.deepEqual(operatorGrants.sort(), ["view-access-operator-namespace-admin", "view-access-operator-view"], "the operator's admin grant is not the diagnostics role's");
            assert.ok(!built.rs.some((r) => r.type.startsWith("kubernetes:")), "no Kubernetes objects without a provider");
        });

        it("passes the pack's EKS access and Kubernetes RBAC policies in the customer's stack", async () => {
            const result = await runPolicies(PACK, subjects(built.rs), { stackTags: new Map([["vigil:party", "customer"]]) });
            assert.deepEqual(result.violations, []);
        });
    });

    describe("with a Kubernetes provider: the vigil-diagnostics group bound to a get/list ClusterRole", () => {
        let built: Awaited<ReturnType<typeof build>>;
        let rules: Rule[];
        before(async () => {
            const k8s = await import("@pulumi/kubernetes");
            const provider = new k8s.Provider("diag-k8s", { kubeconfig: "{}" });
            built = await build("rbac-access", { clusterName: "payments-prod", operatorRoleArn: OPERATOR_ROLE, diagnosticsRoleArn: DIAGNOSTICS_ROLE, kubernetesProvider: provider });
            rules = built.one("rbac-access-diagnostics", CLUSTER_ROLE).inputs.rules;
        });

        it("registers the entry, the ClusterRole and its binding, and no access policy for the diagnostics role", () => {
            const diagnostics = built.rs.filter((r) => r.name.startsWith("rbac-access-diagnostics")).map((r) => `${r.type}::${r.name}`);
            assert.deepEqual(diagnostics.sort(), [`${ENTRY}::rbac-access-diagnostics`, `${BINDING}::rbac-access-diagnostics`, `${CLUSTER_ROLE}::rbac-access-diagnostics`].sort());
            assert.deepEqual(
                built.rs.filter((r) => r.type === ASSOCIATION && r.inputs.principalArn === DIAGNOSTICS_ROLE),
                [],
                "the group's ClusterRole is its only access (an access policy would add to it)",
            );
        });

        it("puts exactly the diagnostics role in the vigil-diagnostics group, and binds only that group", () => {
            const entry = built.one("rbac-access-diagnostics", ENTRY);
            assert.deepEqual([entry.inputs.principalArn, entry.inputs.type, entry.inputs.kubernetesGroups], [DIAGNOSTICS_ROLE, "STANDARD", ["vigil-diagnostics"]]);
            const inGroup = built.rs.filter((r) => r.type === ENTRY && (r.inputs.kubernetesGroups ?? []).includes("vigil-diagnostics"));
            assert.deepEqual(inGroup.map((r) => r.inputs.principalArn), [DIAGNOSTICS_ROLE], "the operator's entry is not in the diagnostics group");
            assert.deepEqual(built.one("rbac-access-operator", ENTRY).inputs.kubernetesGroups, ["vigil-operators"]);
            const binding = built.one("rbac-access-diagnostics", BINDING).inputs;
            assert.deepEqual(binding.subjects, [{ kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: "vigil-diagnostics" }]);
            assert.deepEqual(binding.roleRef, { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "vigil-diagnostics" });
            const operatorBinding = built.one("rbac-access-operator", BINDING).inputs;
            assert.ok(!operatorBinding.subjects.some((s: { name: string }) => s.name === "vigil-diagnostics"), "the operator's rights are not bound to the diagnostics group");
        });

        it("names and labels the cluster-scoped objects as the customer's diagnostics access", () => {
            for (const type of [CLUSTER_ROLE, BINDING]) {
                const metadata = built.one("rbac-access-diagnostics", type).inputs.metadata;
                assert.equal(metadata.name, "vigil-diagnostics");
                assert.equal(metadata.namespace, undefined, "cluster-scoped");
                assert.deepEqual(metadata.labels, vigilLabels("cluster-access-rbac", "diagnostics-access", "customer"));
            }
        });

        it("grants only get and list, never Secrets, no wildcards, no resource names to widen", () => {
            assert.ok(rules.length > 0);
            for (const rule of rules) {
                assert.ok(rule.verbs.length > 0 && rule.verbs.every((v) => v === "get" || v === "list"), `only get/list: ${JSON.stringify(rule)}`);
                assert.ok(!rule.verbs.some((v) => WRITE_VERBS.includes(v)));
                assert.ok(![...(rule.apiGroups ?? []), ...(rule.resources ?? []), ...(rule.nonResourceURLs ?? [])].some((x) => x.includes("*")), `no wildcards: ${JSON.stringify(rule)}`);
                assert.ok(!(rule.resources ?? []).some((r) => r === "secrets" || r.startsWith("secrets/") || r === "configmaps" || r === "serviceaccounts/token"), `nothing secret: ${JSON.stringify(rule)}`);
                assert.ok(!(rule.resources ?? []).some((r) => ["pods/exec", "pods/attach", "pods/portforward", "nodes/proxy", "pods/proxy", "services/proxy"].includes(r)), `no subresource that runs or proxies: ${JSON.stringify(rule)}`);
                assert.equal(rule.resourceNames, undefined);
            }
            assert.deepEqual(rules, mod.diagnosticsClusterRules());
            assert.deepEqual(mod.diagnosticsClusterRules(), DIAGNOSTICS_READ_RULES.map((r) => JSON.parse(JSON.stringify(r))), "exactly what the checks read");
        });

        it("lets the checks read what they read, and nothing that writes or reveals Secrets", () => {
            const asRead = rules.map((r) => ({ ...r, verbs: r.verbs }));
            for (const path of [
                "/api/v1/namespaces/shop/pods/cart-7d9c6b5f4-x2lkq",
                "/api/v1/namespaces/shop/pods/cart-7d9c6b5f4-x2lkq/log",
                "/api/v1/namespaces/shop/events",
                "/api/v1/nodes/ip-10-0-1-17.eu-west-1.compute.internal",
                "/apis/apps/v1/namespaces/shop/deployments/cart",
                "/readyz",
            ]) {
                assert.ok(permits(asRead, requiredPermission(path)), path);
            }
            for (const path of ["/api/v1/namespaces/shop/secrets", "/api/v1/namespaces/shop/secrets/db", "/api/v1/namespaces/shop/configmaps", "/api/v1/namespaces/kube-system/serviceaccounts"]) {
                assert.equal(permits(asRead, requiredPermission(path)), false, path);
            }
            for (const verb of ["create", "delete", "patch", "update"]) {
                assert.equal(permits(asRead, { verb, apiGroup: "", resource: "pods" } as never), false, `${verb} pods`);
            }
        });

        it("passes the pack's Kubernetes RBAC policies in the customer's stack", async () => {
            const result = await runPolicies(PACK, subjects(built.rs), { stackTags: new Map([["vigil:party", "customer"]]) });
            assert.deepEqual(result.violations, []);
        });

        it("is judged read-only by the pack: a write, a Secret or a foreign group in the grant is a violation", async () => {
            const mutate = (change: (rs: RecordedResource[]) => void) => {
                const copy = built.rs.map((r) => ({ ...r, inputs: JSON.parse(JSON.stringify(r.inputs)) }));
                change(copy);
                return copy;
            };
            const cases: [string, (rs: RecordedResource[]) => void, string, RegExp][] = [
                [
                    "create namespaces",
                    (rs) => rs.find((r) => r.type === CLUSTER_ROLE && r.name === "rbac-access-diagnostics")?.inputs.rules.push({ apiGroups: [""], resources: ["namespaces"], verbs: ["create"] }),
                    "vigil-kubernetes-rbac-read-only",
                    /grants create in rule 6/,
                ],
                [
                    "update a named ClusterRole",
                    (rs) => rs.find((r) => r.type === CLUSTER_ROLE && r.name === "rbac-access-diagnostics")?.inputs.rules.push({ apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], resourceNames: ["vigil-diagnostics"], verbs: ["update"] }),
                    "vigil-kubernetes-rbac-read-only",
                    /grants update in rule 6/,
                ],
                [
                    "list Secrets",
                    (rs) => rs.find((r) => r.type === CLUSTER_ROLE && r.name === "rbac-access-diagnostics")?.inputs.rules[0].resources.push("secrets"),
                    "vigil-kubernetes-rbac-read-only",
                    /can read Secrets in rule 0/,
                ],
                [
                    "bind the diagnostics role to system:authenticated",
                    (rs) => rs.find((r) => r.type === BINDING && r.name === "rbac-access-diagnostics")?.inputs.subjects.push({ kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: "system:authenticated" }),
                    "vigil-kubernetes-rbac-binding-scoped",
                    /binds the Group "system:authenticated", a group that reaches far beyond Vigil/,
                ],
                [
                    "bind the diagnostics ClusterRole to the operator's group",
                    (rs) => {
                        const binding = rs.find((r) => r.type === BINDING && r.name === "rbac-access-diagnostics");
                        if (binding) binding.inputs.subjects = [{ kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: "vigil-operators" }];
                    },
                    "vigil-kubernetes-rbac-binding-scoped",
                    /binds the Group "vigil-operators"/,
                ],
            ];
            for (const [what, change, policy, message] of cases) {
                const result = await runPolicies(PACK, subjects(mutate(change)), { stackTags: new Map([["vigil:party", "customer"]]) });
                assert.deepEqual(
                    result.violations.map((v) => v.policy),
                    [policy],
                    `${what}: ${JSON.stringify(result.violations.map((v) => v.message))}`,
                );
                assert.match(result.violations[0].message, message, what);
            }
        });
    });

    it("without diagnosticsRoleArn, grants the diagnostics role nothing", async () => {
        const { rs } = await build("plain-access", { clusterName: "payments-prod", operatorRoleArn: OPERATOR_ROLE });
        assert.deepEqual(rs.filter((r) => r.name.includes("diagnostics")), []);
    });

    describe("refuses a diagnostics role it cannot grant, naming the argument", () => {
        const invalid: [string, Partial<CustomerAccessArgs>, RegExp][] = [
            ["a user instead of a role", { diagnosticsRoleArn: "arn:aws:iam::111122223333:user/diagnostics" }, /CustomerAccess argument diagnosticsRoleArn: got "arn:aws:iam::111122223333:user\/diagnostics"; allowed: an IAM role ARN \(the operator's stack output diagnosticsRoleArn\)$/],
            ["a role name without its ARN", { diagnosticsRoleArn: "vigil-triage-diagnostics-role" }, /CustomerAccess argument diagnosticsRoleArn: got "vigil-triage-diagnostics-role"/],
            ["the operator's own role", { diagnosticsRoleArn: OPERATOR_ROLE }, /CustomerAccess argument diagnosticsRoleArn: got "arn:aws:iam::111122223333:role\/vigil-deployer"; allowed: a role other than operatorRoleArn/],
        ];
        for (const [what, args, message] of invalid) {
            it(`refuses ${what}`, () => {
                assert.throws(() => mod.resolveCustomerAccessArgs({ clusterName: "c", operatorRoleArn: OPERATOR_ROLE, ...args }), message);
                assert.throws(
                    () => new mod.CustomerAccess(`bad-${what.length}`, { clusterName: "c", operatorRoleArn: OPERATOR_ROLE, ...args }),
                    (err: Error) => err.constructor.name === "ResourceError" && message.test(err.message),
                );
            });
        }
        it("accepts the role from another account's stack output (the operator's account)", () => {
            assert.doesNotThrow(() => mod.resolveCustomerAccessArgs({ clusterName: "c", operatorRoleArn: OPERATOR_ROLE, diagnosticsRoleArn: "arn:aws:iam::444455556666:role/vigil-triage-diagnostics-role-1a2b3c4" }));
        });
    });
});

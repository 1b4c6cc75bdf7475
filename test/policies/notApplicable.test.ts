// Every resource policy, table-driven: a resource of another type is not applicable (by type), a
// customer's own resource of the policy's type is not applicable (it is not Vigil's) unless the
// policy checks the customer's resources by design, and the same non-compliant inputs on a Vigil
// resource are reported — so a policy that reported the first two would fail here.

import * as assert from "node:assert/strict";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import * as yaml from "js-yaml";
import { POLICIES } from "../../policies/catalog";
import { vigilTags } from "../../components/tags";
import { customerStack, doc, operatorStack, prometheusYaml } from "./fixtures";
import { FixtureResource, FixtureStack, run } from "./harness";

type Party = "operator" | "customer";

interface Case {
    /** The stack the non-compliant Vigil resource comes from. */
    readonly party: Party;
    /** Picks the resource (from the fixture, or added to it). */
    readonly pick: (s: FixtureStack) => FixtureResource;
    /** Makes it non-compliant. */
    readonly spoil: (inputs: Record<string, any>) => void;
    /** A resource of another type in the same stack (Vigil's too, so only its type can make it not applicable). */
    readonly other: (s: FixtureStack) => FixtureResource;
    /** The policy checks the customer's own resources too (discovery, or what would undo an operator activity). */
    readonly checksCustomerResources?: boolean;
    /** Further not-applicable paths of the policy's own type: a change to the compliant resource and the reason. */
    readonly alsoNotApplicable?: readonly (readonly [string, (inputs: Record<string, any>) => void, RegExp])[];
}

const publicAllow = (action: string) => doc({ Effect: "Allow", Principal: "*", Action: action, Resource: "*" });

const byName = (name: string, type?: string) => (s: FixtureStack) => s.get(name, type);
const QUEUE = byName("vigil-triage-dlq");
const CONFIG_MAP = byName("payments-prod-prometheus-config");
const CLUSTER = byName("shop");
const CLUSTER_ROLE = byName("payments-prod-prometheus", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole");
const ACCESS_ROLE = byName("vigil-access-operator", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole");
const account = (s: FixtureStack) => s.get("vigil", "vigil:account:AccountMonitoring");

const CASES: Record<string, Case> = {
    "vigil-raci-ownership-tags": { party: "operator", pick: QUEUE, spoil: (i) => delete i.tags, other: CONFIG_MAP },
    "vigil-raci-kubernetes-labels": { party: "operator", pick: CONFIG_MAP, spoil: (i) => delete i.metadata.labels, other: QUEUE },
    "vigil-eks-control-plane-logging": { party: "customer", pick: CLUSTER, spoil: (i) => (i.enabledClusterLogTypes = ["api"]), other: byName("shop-api"), checksCustomerResources: true },
    "vigil-eks-authentication-mode": { party: "customer", pick: CLUSTER, spoil: (i) => (i.accessConfig = { authenticationMode: "CONFIG_MAP" }), other: byName("shop-api"), checksCustomerResources: true },
    "vigil-eks-access-entry-standard": { party: "customer", pick: byName("vigil-access-operator", "aws:eks/accessEntry:AccessEntry"), spoil: (i) => (i.type = "EC2_LINUX"), other: byName("shop") },
    "vigil-eks-operator-access-scoped": {
        party: "customer",
        pick: byName("vigil-access-operator-view"),
        spoil: (i) => (i.policyArn = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"),
        other: byName("shop"),
    },
    "vigil-eks-endpoint-restricted": { party: "customer", pick: CLUSTER, spoil: (i) => (i.vpcConfig = { subnetIds: ["subnet-1"], endpointPublicAccess: true }), other: byName("shop-api"), checksCustomerResources: true },
    "vigil-eks-secrets-encrypted": { party: "customer", pick: CLUSTER, spoil: (i) => delete i.encryptionConfig, other: byName("shop-api"), checksCustomerResources: true },
    "vigil-eks-supported-version": { party: "customer", pick: CLUSTER, spoil: (i) => (i.version = "1.20"), other: byName("shop-api"), checksCustomerResources: true },
    "vigil-kubernetes-operator-namespace": { party: "operator", pick: CONFIG_MAP, spoil: (i) => (i.metadata.namespace = "default"), other: QUEUE },
    "vigil-kubernetes-rbac-no-wildcards": { party: "operator", pick: CLUSTER_ROLE, spoil: (i) => i.rules.push({ apiGroups: ["*"], resources: ["*"], verbs: ["get"] }), other: QUEUE },
    "vigil-kubernetes-rbac-read-only": { party: "operator", pick: CLUSTER_ROLE, spoil: (i) => i.rules.push({ apiGroups: [""], resources: ["pods"], verbs: ["delete"] }), other: QUEUE },
    "vigil-kubernetes-rbac-binding-scoped": {
        party: "operator",
        pick: byName("payments-prod-prometheus", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"),
        spoil: (i) => (i.roleRef = { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" }),
        other: QUEUE,
    },
    "vigil-kubernetes-operator-access-role": { party: "customer", pick: ACCESS_ROLE, spoil: (i) => i.rules.push({ apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], verbs: ["bind"] }), other: byName("shop") },
    "vigil-collector-cluster-label": {
        party: "operator",
        pick: CONFIG_MAP,
        spoil: (i) => {
            const config = prometheusYaml("payments-prod");
            delete config.global.external_labels;
            i.data = { "prometheus.yml": yaml.dump(config) };
        },
        other: QUEUE,
        alsoNotApplicable: [["a ConfigMap without a collector configuration", (i) => (i.data = { "other.yml": "a: 1" }), /carries no collector configuration/]],
    },
    "vigil-collector-keep-list": {
        party: "operator",
        pick: CONFIG_MAP,
        spoil: (i) => {
            const config = prometheusYaml("payments-prod");
            delete config.remote_write[0].write_relabel_configs;
            i.data = { "prometheus.yml": yaml.dump(config) };
        },
        other: QUEUE,
        alsoNotApplicable: [
            ["a ConfigMap without a collector configuration", (i) => (i.data = { "other.yml": "a: 1" }), /carries no readable collector configuration/],
            [
                "a configuration that writes nowhere",
                (i) => {
                    const config = prometheusYaml("payments-prod");
                    delete config.remote_write;
                    i.data = { "prometheus.yml": yaml.dump(config) };
                },
                /writes nowhere/,
            ],
        ],
    },
    "vigil-amp-workspace-logging": { party: "operator", pick: byName("vigil-workspace"), spoil: (i) => delete i.loggingConfiguration, other: QUEUE },
    "vigil-amp-rule-labels": {
        party: "operator",
        pick: byName("vigil-rules-cluster"),
        spoil: (i) => (i.data = yaml.dump({ groups: [{ name: "g", rules: [{ alert: "Bare", expr: "up == 0" }] }] })),
        other: QUEUE,
    },
    "vigil-amp-alert-manager-valid": { party: "operator", pick: byName("vigil-alert-manager"), spoil: (i) => (i.definition = "alertmanager_config: ["), other: QUEUE },
    "vigil-sns-topic-encrypted": { party: "operator", pick: byName("vigil-alerts"), spoil: (i) => delete i.kmsMasterKeyId, other: QUEUE },
    "vigil-sns-topic-policy-restricted": {
        party: "operator",
        pick: byName("vigil-alerts-policy"),
        spoil: (i) => (i.policy = publicAllow("sns:Publish")),
        other: QUEUE,
        alsoNotApplicable: [["a topic without a policy of its own", (i) => delete i.policy, /no access policy of its own/]],
    },
    "vigil-sns-topic-tls-only": {
        party: "operator",
        pick: byName("vigil-alerts-policy"),
        spoil: (i) => (i.policy = doc({ Effect: "Allow", Principal: { Service: "aps.amazonaws.com" }, Action: "sns:Publish", Resource: "*" })),
        other: QUEUE,
        alsoNotApplicable: [["a topic without a policy of its own", (i) => delete i.policy, /no access policy of its own/]],
    },
    "vigil-sns-intake-redrive": {
        party: "operator",
        pick: byName("vigil-triage-alerts"),
        spoil: (i) => delete i.redrivePolicy,
        other: QUEUE,
        alsoNotApplicable: [["an e-mail subscription", (i) => Object.assign(i, { protocol: "email", endpoint: "sre@operator.example.com" }), /delivers to people/]],
    },
    "vigil-events-target-dead-letter": { party: "operator", pick: byName("vigil-guardduty-eks-findings-target"), spoil: (i) => delete i.deadLetterConfig, other: QUEUE },
    "vigil-sqs-queue-encrypted": { party: "operator", pick: QUEUE, spoil: (i) => delete i.kmsMasterKeyId, other: CONFIG_MAP },
    "vigil-sqs-queue-policy-restricted": {
        party: "operator",
        pick: byName("vigil-triage-intake-policy"),
        spoil: (i) => (i.policy = publicAllow("sqs:SendMessage")),
        other: byName("vigil-alerts"),
        alsoNotApplicable: [["a queue without a policy of its own", (i) => delete i.policy, /no access policy of its own/]],
    },
    "vigil-cloudwatch-alarm-actions": { party: "operator", pick: byName("vigil-triage-handler-errors"), spoil: (i) => (i.alarmActions = []), other: QUEUE },
    "vigil-cloudwatch-log-retention": { party: "operator", pick: byName("vigil-amp-logs"), spoil: (i) => (i.retentionInDays = 7), other: QUEUE },
    "vigil-cloudwatch-log-encrypted": { party: "operator", pick: byName("vigil-amp-logs"), spoil: (i) => delete i.kmsKeyId, other: QUEUE },
    "vigil-guardduty-eks-audit-logs": {
        party: "operator",
        pick: byName("vigil-eks-audit-logs"),
        spoil: (i) => (i.status = "DISABLED"),
        other: QUEUE,
        checksCustomerResources: true,
        alsoNotApplicable: [["another detector feature", (i) => (i.name = "S3_DATA_EVENTS"), /is not EKS_AUDIT_LOGS/]],
    },
    "vigil-guardduty-detector-enabled": {
        party: "operator",
        pick: (s) => s.add("aws:guardduty/detector:Detector", "vigil-detector", { enable: true, tags: vigilTags("guardduty-eks-audit-logs") }, {}, account(s)),
        spoil: (i) => (i.enable = false),
        other: QUEUE,
    },
    "vigil-lambda-runtime": {
        party: "operator",
        pick: byName("vigil-triage-timer"),
        spoil: (i) => (i.runtime = "nodejs16.x"),
        other: QUEUE,
        alsoNotApplicable: [["a container image function", (i) => Object.assign(i, { packageType: "Image", runtime: undefined, imageUri: "111122223333.dkr.ecr.eu-west-1.amazonaws.com/x:1" }), /container image/]],
    },
    "vigil-lambda-reserved-concurrency": { party: "operator", pick: byName("vigil-triage-timer"), spoil: (i) => delete i.reservedConcurrentExecutions, other: QUEUE },
    "vigil-lambda-sqs-partial-batch": {
        party: "operator",
        pick: byName("vigil-triage-intake-mapping"),
        spoil: (i) => delete i.functionResponseTypes,
        other: QUEUE,
        alsoNotApplicable: [["a mapping of a DynamoDB stream", (i) => (i.eventSourceArn = "arn:aws:dynamodb:eu-west-1:111122223333:table/t/stream/1"), /does not read from SQS/]],
    },
    "vigil-lambda-permission-scoped": { party: "operator", pick: byName("vigil-triage-sweep-invoke"), spoil: (i) => (i.action = "lambda:*"), other: QUEUE },
    "vigil-lambda-tracing": { party: "operator", pick: byName("vigil-triage-timer"), spoil: (i) => (i.tracingConfig = { mode: "PassThrough" }), other: QUEUE },
    "vigil-lambda-arm64": { party: "operator", pick: byName("vigil-triage-timer"), spoil: (i) => (i.architectures = ["x86_64"]), other: QUEUE },
    "vigil-dynamodb-table-protected": { party: "operator", pick: byName("vigil-triage-cases"), spoil: (i) => (i.pointInTimeRecovery = { enabled: false }), other: QUEUE },
    "vigil-dynamodb-on-demand": { party: "operator", pick: byName("vigil-triage-cases"), spoil: (i) => (i.billingMode = "PROVISIONED"), other: QUEUE },
    "vigil-grafana-workspace-hardened": { party: "operator", pick: byName("vigil-grafana"), spoil: (i) => (i.accountAccessType = "ORGANIZATION"), other: QUEUE },
    "vigil-grafana-no-api-keys": {
        party: "operator",
        pick: (s) => s.add("aws:grafana/workspaceApiKey:WorkspaceApiKey", "vigil-grafana-key", { keyName: "vigil", keyRole: "ADMIN", secondsToLive: 3600, workspaceId: "g-1" }, {}, account(s)),
        spoil: () => undefined,
        other: QUEUE,
    },
    "vigil-kms-key-rotation": {
        party: "operator",
        pick: byName("vigil-key"),
        spoil: (i) => (i.enableKeyRotation = false),
        other: QUEUE,
        alsoNotApplicable: [["an asymmetric key", (i) => Object.assign(i, { customerMasterKeySpec: "RSA_2048", keyUsage: "SIGN_VERIFY" }), /only symmetric encryption keys/]],
    },
    "vigil-kms-key-policy": { party: "operator", pick: byName("vigil-key"), spoil: (i) => (i.bypassPolicyLockoutSafetyCheck = true), other: QUEUE },
    "vigil-iam-least-privilege": { party: "operator", pick: byName("vigil-grafana-amp-query"), spoil: (i) => (i.policy = doc({ Effect: "Allow", Action: "*", Resource: "*" })), other: QUEUE },
    "vigil-iam-role-trust-scoped": {
        party: "operator",
        pick: byName("vigil-grafana-role"),
        spoil: (i) => (i.assumeRolePolicy = doc({ Effect: "Allow", Principal: "*", Action: "sts:AssumeRole" })),
        other: QUEUE,
    },
};

const fixture = (party: Party) => (party === "operator" ? operatorStack(["payments-prod"]) : customerStack());

/** The inputs without Vigil's ownership tags and labels: what a customer's own resource looks like. */
function ownedByCustomer(inputs: Record<string, any>): Record<string, any> {
    const copy = structuredClone(inputs);
    if (copy.tags !== undefined) {
        copy.tags = { team: "shop" };
    }
    if (copy.metadata?.labels !== undefined) {
        copy.metadata.labels = { app: "shop" };
    }
    return copy;
}

const NOT_VIGIL = /not part of Vigil/;

describe("not applicable: every resource policy, over other types and the customer's own resources", () => {
    const resourcePolicies = POLICIES.filter((p): p is ResourceValidationPolicy => "validateResource" in p);

    it("covers every resource policy of the catalog", () => {
        assert.deepEqual(Object.keys(CASES).sort(), resourcePolicies.map((p) => p.name).sort());
    });

    for (const policy of resourcePolicies) {
        const c = CASES[policy.name];
        if (!c) {
            continue;
        }
        describe(policy.name, () => {
            it("reports the non-compliant Vigil resource (the inputs the other cases reuse)", async () => {
                const s = fixture(c.party);
                const target = c.pick(s);
                c.spoil(target.inputs);
                const result = await run(policy, s, { party: c.party });
                const on = result.violations.filter((v) => v.urn === target.urn && !v.message.startsWith("can't run"));
                assert.ok(on.length > 0, `${policy.name} should report ${target.urn}; violations: ${JSON.stringify(result.violations)}`);
            });

            it("finds a resource of another type not applicable, by its type", async () => {
                const s = fixture(c.party);
                const other = c.other(s);
                const result = await run(policy, s, { party: c.party });
                const found = result.notApplicable.find((n) => n.urn === other.urn);
                assert.ok(found, `${policy.name} should find ${other.urn} not applicable`);
                assert.match(found.reason, /applies to/);
                assert.deepEqual(
                    result.violations.filter((v) => v.urn === other.urn),
                    [],
                );
            });

            it(c.checksCustomerResources ? "checks the customer's own resource of its type" : "finds the customer's own resource of its type not applicable", async () => {
                const source = fixture(c.party);
                const target = c.pick(source);
                c.spoil(target.inputs);
                const s = new FixtureStack("shop", "prod");
                const own = s.add(target.type, `shop-${target.name}`, ownedByCustomer(target.inputs), structuredClone(target.outputs));
                const result = await run(policy, s, { party: "customer" });
                const reported = result.violations.filter((v) => v.urn === own.urn);
                if (c.checksCustomerResources) {
                    assert.ok(reported.length > 0, `${policy.name} should report the customer's ${own.urn}`);
                } else {
                    assert.deepEqual(reported, []);
                    const found = result.notApplicable.find((n) => n.urn === own.urn);
                    assert.ok(found, `${policy.name} should find the customer's ${own.urn} not applicable`);
                    assert.match(found.reason, NOT_VIGIL);
                }
            });

            for (const [what, change, reason] of c.alsoNotApplicable ?? []) {
                it(`finds ${what} not applicable`, async () => {
                    const s = fixture(c.party);
                    const target = c.pick(s);
                    change(target.inputs);
                    const result = await run(policy, s, { party: c.party });
                    const found = result.notApplicable.find((n) => n.urn === target.urn);
                    assert.ok(found, `${policy.name} should find ${target.urn} not applicable`);
                    assert.match(found.reason, reason);
                    assert.deepEqual(
                        result.violations.filter((v) => v.urn === target.urn),
                        [],
                    );
                });
            }
        });
    }
});

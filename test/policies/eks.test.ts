import * as assert from "node:assert/strict";
import { vigilTags } from "../../components/tags";
import { eksAccessEntryStandard } from "../../policies/eks/accessEntryStandard";
import { eksAuthenticationMode } from "../../policies/eks/authenticationMode";
import { eksControlPlaneLogging } from "../../policies/eks/controlPlaneLogging";
import { eksEndpointRestricted } from "../../policies/eks/endpointRestricted";
import { eksLogGroupPrecreated } from "../../policies/eks/logGroupPrecreated";
import { eksOperatorAccessScoped } from "../../policies/eks/operatorAccessScoped";
import { eksSecretsEncrypted } from "../../policies/eks/secretsEncrypted";
import { eksSupportedVersion } from "../../policies/eks/supportedVersion";
import { customerStack, operatorStack } from "./fixtures";
import { assertClean, assertNotApplicable, assertStackNotApplicable, assertViolations, run } from "./harness";

const CLUSTER = 'aws:eks/cluster:Cluster "shop"';
const customer = { party: "customer" } as const;

describe("vigil-eks-control-plane-logging", () => {
    it("accepts the dynamic resource with all five types and a defined cluster with all five", async () => {
        await assertClean(eksControlPlaneLogging, operatorStack());
        await assertClean(eksControlPlaneLogging, customerStack(), customer);
    });

    it("reports log types left out of the dynamic resource", async () => {
        const s = operatorStack();
        const logging = s.get("payments-prod-control-plane-logging");
        logging.inputs.enabledLogTypes = ["api", "audit"];
        await assertViolations(eksControlPlaneLogging, s, [
            {
                on: logging,
                message:
                    'The control-plane logging resource pulumi-nodejs:dynamic:Resource "payments-prod-control-plane-logging" must enable all five log types (api, audit, authenticator, controllerManager, scheduler); it leaves out authenticator, controllerManager and scheduler. Set vigil:controlPlaneLogging to true.',
            },
        ]);
    });

    it("reports a dynamic resource without its cluster", async () => {
        const s = operatorStack();
        const logging = s.get("payments-prod-control-plane-logging");
        delete logging.inputs.clusterName;
        await assertViolations(eksControlPlaneLogging, s, [
            { on: logging, message: 'The control-plane logging resource pulumi-nodejs:dynamic:Resource "payments-prod-control-plane-logging" must name the cluster (clusterName).' },
        ]);
    });

    it("reports a defined cluster that would switch logging off", async () => {
        const c = customerStack();
        c.get("shop").inputs.enabledClusterLogTypes = ["audit"];
        await assertViolations(
            eksControlPlaneLogging,
            c,
            [
                {
                    on: c.get("shop"),
                    message: `The EKS cluster ${CLUSTER} must enable all five control-plane log types (api, audit, authenticator, controllerManager, scheduler); it leaves out api, authenticator, controllerManager and scheduler. Set enabledClusterLogTypes to all five, or ignore changes to enabledClusterLogTypes when the operator's stack manages logging, so that this program does not undo it.`,
                },
            ],
            customer,
        );
    });

    it("accepts a defined cluster that ignores changes to its log types", async () => {
        const c = customerStack();
        const cluster = c.get("shop");
        delete cluster.inputs.enabledClusterLogTypes;
        cluster.ignoreChanges = ["enabledClusterLogTypes"];
        await assertClean(eksControlPlaneLogging, c, customer);
        cluster.ignoreChanges = ["tags"];
        const result = await run(eksControlPlaneLogging, c, customer);
        assert.deepEqual(
            result.violations.map((v) => v.urn),
            [cluster.urn],
        );
    });

    it("is not applicable to other dynamic resources and other types", async () => {
        const s = operatorStack();
        const other = s.add("pulumi-nodejs:dynamic:Resource", "something-else", { kind: "vigil:other:Thing" });
        await assertNotApplicable(eksControlPlaneLogging, s, other);
        await assertNotApplicable(eksControlPlaneLogging, s, s.get("vigil-alerts"));
    });
});

describe("vigil-eks-log-group-precreated", () => {
    it("accepts clusters whose log groups the stack creates or adopts", async () => {
        // The fixture's clusters have the dynamic resource that creates or adopts the group.
        await assertClean(eksLogGroupPrecreated, operatorStack());
        // A LogGroup counts the same.
        const s = operatorStack(["payments-prod"]);
        s.remove("payments-prod-control-plane-logs");
        s.add("aws:cloudwatch/logGroup:LogGroup", "payments-prod-logs", { name: "/aws/eks/payments-prod/cluster", retentionInDays: 365, kmsKeyId: "k", tags: vigilTags("control-plane-logging") });
        await assertClean(eksLogGroupPrecreated, s);
    });

    it("reports a cluster whose adopted log group is another group, or whose resource is of another kind", async () => {
        const message =
            'The stack enables control-plane logging for cluster "payments-prod" (pulumi-nodejs:dynamic:Resource "payments-prod-control-plane-logging") but creates no log group /aws/eks/payments-prod/cluster; EKS would create it without retention or encryption. Create (or adopt) the log group with retentionInDays and kmsKeyId before enabling logging.';
        const s = operatorStack(["payments-prod"]);
        s.get("payments-prod-control-plane-logs").inputs.logGroupName = "/aws/eks/payments/cluster";
        await assertViolations(eksLogGroupPrecreated, s, [{ on: s.get("payments-prod-control-plane-logging"), message }]);
        s.get("payments-prod-control-plane-logs").inputs.logGroupName = "/aws/eks/payments-prod/cluster";
        s.get("payments-prod-control-plane-logs").inputs.kind = "vigil:cloudwatch:Something";
        await assertViolations(eksLogGroupPrecreated, s, [{ on: s.get("payments-prod-control-plane-logging"), message }]);
    });

    it("reports a cluster whose log group is missing", async () => {
        const s = operatorStack();
        s.remove("platform-staging-control-plane-logs");
        await assertViolations(eksLogGroupPrecreated, s, [
            {
                on: s.get("platform-staging-control-plane-logging"),
                message:
                    'The stack enables control-plane logging for cluster "platform-staging" (pulumi-nodejs:dynamic:Resource "platform-staging-control-plane-logging") but creates no log group /aws/eks/platform-staging/cluster; EKS would create it without retention or encryption. Create (or adopt) the log group with retentionInDays and kmsKeyId before enabling logging.',
            },
        ]);
    });

    it("reports a cluster the program defines with logging but no log group", async () => {
        const s = operatorStack(["payments-prod"]);
        const eks = s.add("aws:eks/cluster:Cluster", "staging", { name: "staging", enabledClusterLogTypes: ["audit"] });
        await assertViolations(eksLogGroupPrecreated, s, [
            {
                on: eks,
                message:
                    'The stack enables control-plane logging for cluster "staging" (aws:eks/cluster:Cluster "staging") but creates no log group /aws/eks/staging/cluster; EKS would create it without retention or encryption. Create (or adopt) the log group with retentionInDays and kmsKeyId before enabling logging.',
            },
        ]);
    });

    it("is not applicable in a customer's stack or where nothing enables logging", async () => {
        await assertStackNotApplicable(eksLogGroupPrecreated, customerStack(), /operator's stack pre-creates/, customer);
        await assertStackNotApplicable(eksLogGroupPrecreated, operatorStack([]), /enables control-plane logging for no cluster/);
    });
});

describe("vigil-eks-endpoint-restricted (advisory)", () => {
    it("accepts a private endpoint and a public one limited to named ranges", async () => {
        const c = customerStack();
        await assertClean(eksEndpointRestricted, c, customer);
        c.get("shop").inputs.vpcConfig = { endpointPublicAccess: true, publicAccessCidrs: ["203.0.113.0/24"] };
        await assertClean(eksEndpointRestricted, c, customer);
    });

    it("reports an endpoint open to the internet, with or without CIDRs", async () => {
        const c = customerStack();
        c.get("shop").inputs.vpcConfig = { endpointPublicAccess: true, publicAccessCidrs: ["0.0.0.0/0"] };
        await assertViolations(
            eksEndpointRestricted,
            c,
            [{ on: c.get("shop"), message: `The EKS cluster ${CLUSTER} must not expose its API endpoint to the whole internet (publicAccessCidrs includes 0.0.0.0/0); set vpcConfig.endpointPublicAccess to false or restrict vpcConfig.publicAccessCidrs.` }],
            customer,
        );
        c.get("shop").inputs.vpcConfig = { subnetIds: ["subnet-1"] };
        await assertViolations(
            eksEndpointRestricted,
            c,
            [{ on: c.get("shop"), message: `The EKS cluster ${CLUSTER} must not expose its API endpoint to the whole internet (public access is on with no CIDR restriction); set vpcConfig.endpointPublicAccess to false or restrict vpcConfig.publicAccessCidrs.` }],
            customer,
        );
    });

    it("is not applicable to other types", async () => {
        const c = customerStack();
        await assertNotApplicable(eksEndpointRestricted, c, c.get("shop-nodes"), customer);
    });
});

describe("vigil-eks-secrets-encrypted (advisory)", () => {
    it("reports a cluster without secrets encryption", async () => {
        const c = customerStack();
        await assertClean(eksSecretsEncrypted, c, customer);
        c.get("shop").inputs.encryptionConfig = { resources: ["configmaps"], provider: { keyArn: "arn:aws:kms:eu-west-1:111122223333:key/k" } };
        await assertViolations(
            eksSecretsEncrypted,
            c,
            [{ on: c.get("shop"), message: `The EKS cluster ${CLUSTER} must encrypt Kubernetes secrets with a KMS key: set encryptionConfig with resources ["secrets"] and provider.keyArn.` }],
            customer,
        );
    });
});

describe("vigil-eks-supported-version (advisory)", () => {
    it("accepts a supported version and an unset one (EKS's default)", async () => {
        const c = customerStack();
        await assertClean(eksSupportedVersion, c, customer);
        delete c.get("shop").inputs.version;
        await assertClean(eksSupportedVersion, c, customer);
    });

    it("reports an old version, and follows minKubernetesVersion", async () => {
        const c = customerStack();
        c.get("shop").inputs.version = "1.27";
        await assertViolations(eksSupportedVersion, c, [{ on: c.get("shop"), message: `The EKS cluster ${CLUSTER} runs Kubernetes 1.27, older than the oldest supported version 1.29; upgrade it.` }], customer);
        c.get("shop").inputs.version = "1.31";
        await assertViolations(
            eksSupportedVersion,
            c,
            [{ on: c.get("shop"), message: `The EKS cluster ${CLUSTER} runs Kubernetes 1.31, older than the oldest supported version 1.32; upgrade it.` }],
            { ...customer, config: { "vigil-eks-supported-version": { minKubernetesVersion: "1.32" } } },
        );
    });

    it("reports a malformed version and a malformed configuration", async () => {
        const c = customerStack();
        c.get("shop").inputs.version = "latest";
        await assertViolations(eksSupportedVersion, c, [{ on: c.get("shop"), message: `The EKS cluster ${CLUSTER} has version "latest"; it must be a major.minor version such as 1.29.` }], customer);
        await assertViolations(
            eksSupportedVersion,
            customerStack(),
            [{ on: c.get("shop"), message: 'The policy configuration minKubernetesVersion is "one"; it must be a major.minor version such as 1.29.' }],
            { ...customer, config: { "vigil-eks-supported-version": { minKubernetesVersion: "one" } } },
        );
    });
});

describe("vigil-eks-authentication-mode", () => {
    it("accepts API and API_AND_CONFIG_MAP", async () => {
        const c = customerStack();
        await assertClean(eksAuthenticationMode, c, customer);
        c.get("shop").inputs.accessConfig = { authenticationMode: "API_AND_CONFIG_MAP" };
        await assertClean(eksAuthenticationMode, c, customer);
    });

    it("reports CONFIG_MAP, given or by default", async () => {
        const c = customerStack();
        c.get("shop").inputs.accessConfig = { authenticationMode: "CONFIG_MAP" };
        await assertViolations(
            eksAuthenticationMode,
            c,
            [{ on: c.get("shop"), message: `The EKS cluster ${CLUSTER} must accept access entries: its authentication mode is "CONFIG_MAP"; set accessConfig.authenticationMode to API or API_AND_CONFIG_MAP.` }],
            customer,
        );
        delete c.get("shop").inputs.accessConfig;
        await assertViolations(
            eksAuthenticationMode,
            c,
            [{ on: c.get("shop"), message: `The EKS cluster ${CLUSTER} must accept access entries: its authentication mode is CONFIG_MAP (the default); set accessConfig.authenticationMode to API or API_AND_CONFIG_MAP.` }],
            customer,
        );
    });
});

describe("vigil-eks-access-entry-standard", () => {
    const ENTRY = 'aws:eks/accessEntry:AccessEntry "vigil-access-operator"';

    it("accepts CustomerAccess's entry, with and without the operator group", async () => {
        const c = customerStack();
        await assertClean(eksAccessEntryStandard, c, customer);
        delete c.get("vigil-access-operator", "aws:eks/accessEntry:AccessEntry").inputs.kubernetesGroups;
        await assertClean(eksAccessEntryStandard, c, customer);
    });

    it("reports another entry type, a principal that is no role, and a foreign group", async () => {
        const c = customerStack();
        const entry = c.get("vigil-access-operator", "aws:eks/accessEntry:AccessEntry");
        entry.inputs.type = "EC2_LINUX";
        entry.inputs.principalArn = "arn:aws:iam::444455556666:user/alice";
        entry.inputs.kubernetesGroups = ["vigil-operators", "system:masters"];
        await assertViolations(
            eksAccessEntryStandard,
            c,
            [
                { on: entry, message: `The access entry ${ENTRY} has type "EC2_LINUX"; it must be STANDARD.` },
                { on: entry, message: `The access entry ${ENTRY} must be for an IAM role; principalArn is "arn:aws:iam::444455556666:user/alice".` },
                { on: entry, message: `The access entry ${ENTRY} puts the operator in the Kubernetes group system:masters; only vigil-operators (bound to the role the customer grants) is allowed.` },
            ],
            customer,
        );
    });

    it("follows operatorGroups and ignores the customer's own entries", async () => {
        const c = customerStack();
        await assertViolations(
            eksAccessEntryStandard,
            c,
            [
                {
                    on: c.get("vigil-access-operator", "aws:eks/accessEntry:AccessEntry"),
                    message: `The access entry ${ENTRY} puts the operator in the Kubernetes group vigil-operators; only msp-operators (bound to the role the customer grants) is allowed.`,
                },
            ],
            { ...customer, config: { "vigil-eks-access-entry-standard": { operatorGroups: ["msp-operators"] } } },
        );
        const own = c.add("aws:eks/accessEntry:AccessEntry", "shop-admins", { clusterName: "shop", principalArn: "arn:aws:iam::111122223333:user/root-ish", kubernetesGroups: ["system:masters"] });
        await assertNotApplicable(eksAccessEntryStandard, c, own, customer);
    });
});

describe("vigil-eks-operator-access-scoped", () => {
    const association = (name: string) => `aws:eks/accessPolicyAssociation:AccessPolicyAssociation "${name}"`;
    const arn = (p: string) => `arn:aws:eks::aws:cluster-access-policy/${p}`;

    it("accepts cluster-wide view and namespace admin in the operator namespace", async () => {
        await assertClean(eksOperatorAccessScoped, customerStack(), customer);
    });

    it("reports cluster admin anywhere", async () => {
        const c = customerStack();
        const view = c.get("vigil-access-operator-view");
        view.inputs.policyArn = arn("AmazonEKSClusterAdminPolicy");
        await assertViolations(
            eksOperatorAccessScoped,
            c,
            [
                {
                    on: view,
                    message: `The access policy association ${association("vigil-access-operator-view")} grants AmazonEKSClusterAdminPolicy; the operator must never hold cluster admin. Grant AmazonEKSViewPolicy cluster-wide and edit or admin only in vigil-monitoring.`,
                },
            ],
            customer,
        );
    });

    it("reports edit across the whole cluster", async () => {
        const c = customerStack();
        const view = c.get("vigil-access-operator-view");
        view.inputs.policyArn = arn("AmazonEKSEditPolicy");
        await assertViolations(
            eksOperatorAccessScoped,
            c,
            [
                {
                    on: view,
                    message: `The access policy association ${association("vigil-access-operator-view")} grants AmazonEKSEditPolicy across the whole cluster; cluster-wide the operator may hold only AmazonEKSViewPolicy. Scope it to the namespace vigil-monitoring.`,
                },
            ],
            customer,
        );
    });

    it("reports namespaces other than the operator's, and a policy not allowed there", async () => {
        const c = customerStack();
        const admin = c.get("vigil-access-operator-namespace-admin");
        admin.inputs.accessScope = { type: "namespace", namespaces: ["vigil-monitoring", "kube-system"] };
        admin.inputs.policyArn = arn("AmazonEKSAdminViewPolicy");
        await assertViolations(
            eksOperatorAccessScoped,
            c,
            [
                { on: admin, message: `The access policy association ${association("vigil-access-operator-namespace-admin")} must be scoped to the operator's namespace vigil-monitoring only; it names kube-system.` },
                {
                    on: admin,
                    message: `The access policy association ${association("vigil-access-operator-namespace-admin")} grants AmazonEKSAdminViewPolicy; in its namespace the operator may hold only AmazonEKSViewPolicy, AmazonEKSEditPolicy, AmazonEKSAdminPolicy.`,
                },
            ],
            customer,
        );
    });

    it("reports a scope that is neither cluster nor namespace, and follows operatorNamespace", async () => {
        const c = customerStack();
        const admin = c.get("vigil-access-operator-namespace-admin");
        await assertViolations(
            eksOperatorAccessScoped,
            c,
            [{ on: admin, message: `The access policy association ${association("vigil-access-operator-namespace-admin")} must be scoped to the operator's namespace monitoring only; it names vigil-monitoring.` }],
            { ...customer, config: { "vigil-eks-operator-access-scoped": { operatorNamespace: "monitoring" } } },
        );
        admin.inputs.accessScope = {};
        await assertViolations(eksOperatorAccessScoped, c, [{ on: admin, message: `The access policy association ${association("vigil-access-operator-namespace-admin")} has access scope type undefined; it must be cluster or namespace.` }], customer);
    });

    it("is not applicable to the customer's own associations", async () => {
        const c = customerStack();
        const own = c.add("aws:eks/accessPolicyAssociation:AccessPolicyAssociation", "shop-admins", { policyArn: arn("AmazonEKSClusterAdminPolicy"), accessScope: { type: "cluster" } });
        await assertNotApplicable(eksOperatorAccessScoped, c, own, customer);
    });
});

import * as assert from "node:assert/strict";
import { vigilTags } from "../../components/tags";
import { raciCompleteness } from "../../policies/raci/completeness";
import { raciKubernetesLabels } from "../../policies/raci/kubernetesLabels";
import { raciOwnershipTags } from "../../policies/raci/ownershipTags";
import { raciPartyBoundary } from "../../policies/raci/partyBoundary";
import { raciPartyTag } from "../../policies/raci/partyTag";
import { customerStack, operatorStack } from "./fixtures";
import { assertClean, assertNotApplicable, assertStackNotApplicable, assertViolations, run } from "./harness";

const TOPIC = 'aws:sns/topic:Topic "vigil-alerts"';
const ACTIVITY_IDS =
    "discovery, cluster-access-rbac, node-ssm-agent, on-cluster-components, amp-workspace, alert-manager, grafana, guardduty-eks-audit-logs, control-plane-logging, control-plane-monitoring, cluster-health-monitoring, triage-incident-response, diagnostic-commands, log-analysis, network-incident-response, guardduty-finding-response, remediation-guidance";

describe("vigil-raci-party-tag", () => {
    it("accepts operator and customer stacks", async () => {
        await assertClean(raciPartyTag, operatorStack(), { party: "operator" });
        await assertClean(raciPartyTag, customerStack(), { party: "customer" });
    });

    it("reports a stack without the tag", async () => {
        await assertViolations(
            raciPartyTag,
            operatorStack(),
            [
                {
                    message:
                        "The stack must carry the stack tag vigil:party set to operator or customer: run `pulumi stack tag set vigil:party operator` in the operator's stack, or `pulumi stack tag set vigil:party customer` in the cluster owner's project.",
                },
            ],
            { party: null },
        );
    });

    it("reports a party the matrix does not know", async () => {
        await assertViolations(
            raciPartyTag,
            operatorStack(),
            [{ message: 'The stack tag vigil:party is "vendor"; it must be operator or customer: run `pulumi stack tag set vigil:party operator` (or customer).' }],
            { party: "vendor" },
        );
    });
});

describe("vigil-raci-ownership-tags", () => {
    it("accepts the compliant stacks (the customer's own resources are not Vigil's)", async () => {
        await assertClean(raciOwnershipTags, operatorStack());
        await assertClean(raciOwnershipTags, customerStack(), { party: "customer" });
    });

    it("reports a resource without the tags", async () => {
        const s = operatorStack();
        delete s.get("vigil-alerts").inputs.tags;
        await assertViolations(raciOwnershipTags, s, [
            {
                on: s.get("vigil-alerts"),
                message: `The ${TOPIC} must carry the ownership tags vigil:activity, vigil:responsible and managed-by=vigil; it lacks vigil:activity, vigil:responsible and managed-by. Tag it with vigilTags(activity) from components/tags.ts.`,
            },
        ]);
    });

    it("reports a missing tag among others", async () => {
        const s = operatorStack();
        delete s.get("vigil-alerts").inputs.tags["vigil:responsible"];
        await assertViolations(raciOwnershipTags, s, [
            {
                on: s.get("vigil-alerts"),
                message: `The ${TOPIC} must carry the ownership tags vigil:activity, vigil:responsible and managed-by=vigil; it lacks vigil:responsible. Tag it with vigilTags(activity) from components/tags.ts.`,
            },
        ]);
    });

    it("reports managed-by other than vigil", async () => {
        const s = operatorStack();
        s.get("vigil-alerts").inputs.tags["managed-by"] = "terraform";
        await assertViolations(raciOwnershipTags, s, [{ on: s.get("vigil-alerts"), message: `The ${TOPIC} has managed-by="terraform"; Vigil's resources must have managed-by=vigil.` }]);
    });

    it("reports an activity the matrix does not have", async () => {
        const s = operatorStack();
        s.get("vigil-alerts").inputs.tags["vigil:activity"] = "alerting";
        await assertViolations(raciOwnershipTags, s, [
            { on: s.get("vigil-alerts"), message: `The ${TOPIC} has vigil:activity="alerting", which is not an activity of the matrix (policies/raci.yaml); use one of: ${ACTIVITY_IDS}.` },
        ]);
    });

    it("reports a responsible party the matrix contradicts", async () => {
        const s = operatorStack();
        s.get("vigil-alerts").inputs.tags = vigilTags("alert-manager", "customer");
        await assertViolations(raciOwnershipTags, s, [
            {
                on: s.get("vigil-alerts"),
                message: `The ${TOPIC} has vigil:responsible=customer, but the matrix makes the operator responsible (R) for activity alert-manager (Configure the Prometheus alert manager in the operator's control plane); set vigil:responsible=operator.`,
            },
        ]);
    });

    it("reports a responsible value that is no party", async () => {
        const s = operatorStack();
        s.get("vigil-alerts").inputs.tags["vigil:responsible"] = "sre";
        await assertViolations(raciOwnershipTags, s, [{ on: s.get("vigil-alerts"), message: `The ${TOPIC} has vigil:responsible="sre"; it must be operator or customer.` }]);
    });

    it("checks tags given on a type outside the taggable list, and skips that type without them", async () => {
        const s = operatorStack();
        const subscription = s.get("vigil-pipeline-email-sre");
        await assertNotApplicable(raciOwnershipTags, s, subscription);
        subscription.inputs.tags = { "vigil:activity": "paging" };
        const result = await run(raciOwnershipTags, s);
        assert.equal(result.violations.filter((v) => v.urn === subscription.urn).length, 2);
    });

    it("holds the log group a cluster creates or adopts (a dynamic resource) to the same tags", async () => {
        const s = operatorStack(["payments-prod"]);
        const group = s.get("payments-prod-control-plane-logs");
        const what = 'pulumi-nodejs:dynamic:Resource "payments-prod-control-plane-logs"';
        delete group.inputs.tags;
        await assertViolations(raciOwnershipTags, s, [
            {
                on: group,
                message: `The ${what} must carry the ownership tags vigil:activity, vigil:responsible and managed-by=vigil; it lacks vigil:activity, vigil:responsible and managed-by. Tag it with vigilTags(activity) from components/tags.ts.`,
            },
        ]);
        group.inputs.tags = vigilTags("control-plane-logging", "customer");
        await assertViolations(raciOwnershipTags, s, [
            {
                on: group,
                message: `The ${what} has vigil:responsible=customer, but the matrix makes the operator responsible (R) for activity control-plane-logging (Enable EKS control plane logging); set vigil:responsible=operator.`,
            },
        ]);
        await assertNotApplicable(raciOwnershipTags, s, s.get("payments-prod-control-plane-logging"));
    });

    it("is not applicable to Kubernetes objects, nor to a customer's own resources", async () => {
        const s = operatorStack();
        await assertNotApplicable(raciOwnershipTags, s, s.get("payments-prod-namespace"));
        const c = customerStack();
        await assertNotApplicable(raciOwnershipTags, c, c.get("shop", "aws:eks/cluster:Cluster"), { party: "customer" });
    });

    it("treats a tagged resource outside any Vigil component as Vigil's", async () => {
        const c = customerStack();
        c.get("shop-api").inputs.tags = { "managed-by": "vigil" };
        await assertViolations(
            raciOwnershipTags,
            c,
            [
                {
                    on: c.get("shop-api"),
                    message:
                        'The aws:lambda/function:Function "shop-api" must carry the ownership tags vigil:activity, vigil:responsible and managed-by=vigil; it lacks vigil:activity and vigil:responsible. Tag it with vigilTags(activity) from components/tags.ts.',
                },
            ],
            { party: "customer" },
        );
    });
});

describe("vigil-raci-kubernetes-labels", () => {
    const NS = 'kubernetes:core/v1:Namespace "payments-prod-namespace"';

    it("accepts the compliant stacks", async () => {
        await assertClean(raciKubernetesLabels, operatorStack());
        await assertClean(raciKubernetesLabels, customerStack(), { party: "customer" });
    });

    it("reports missing labels", async () => {
        const s = operatorStack();
        s.get("payments-prod-namespace").inputs.metadata.labels = { "pod-security.kubernetes.io/enforce": "privileged" };
        await assertViolations(raciKubernetesLabels, s, [
            {
                on: s.get("payments-prod-namespace"),
                message: `The Kubernetes object ${NS} must carry the labels app.kubernetes.io/managed-by, app.kubernetes.io/part-of, vigil.dev/activity and vigil.dev/responsible; it lacks app.kubernetes.io/managed-by, app.kubernetes.io/part-of, vigil.dev/activity and vigil.dev/responsible. Label it with vigilLabels(activity, component) from components/tags.ts.`,
            },
        ]);
    });

    it("reports a wrong part-of, an unknown activity and a contradicted party", async () => {
        const s = operatorStack();
        const labels = s.get("payments-prod-namespace").inputs.metadata.labels;
        labels["app.kubernetes.io/part-of"] = "monitoring";
        await assertViolations(raciKubernetesLabels, s, [{ on: s.get("payments-prod-namespace"), message: `The Kubernetes object ${NS} has app.kubernetes.io/part-of="monitoring"; it must be vigil.` }]);
        labels["app.kubernetes.io/part-of"] = "vigil";
        labels["vigil.dev/activity"] = "scraping";
        await assertViolations(raciKubernetesLabels, s, [
            { on: s.get("payments-prod-namespace"), message: `The Kubernetes object ${NS} has vigil.dev/activity="scraping", which is not an activity of the matrix (policies/raci.yaml); use one of: ${ACTIVITY_IDS}.` },
        ]);
        labels["vigil.dev/activity"] = "on-cluster-components";
        labels["vigil.dev/responsible"] = "customer";
        await assertViolations(raciKubernetesLabels, s, [
            {
                on: s.get("payments-prod-namespace"),
                message: `The Kubernetes object ${NS} has vigil.dev/responsible=customer, but the matrix makes the operator responsible (R) for activity on-cluster-components (Deploy the on-cluster components (Prometheus, node exporter, kube-state-metrics) in the operator's namespace); set vigil.dev/responsible=operator.`,
            },
        ]);
    });

    it("is not applicable to Helm releases and AWS resources", async () => {
        const s = operatorStack();
        await assertNotApplicable(raciKubernetesLabels, s, s.get("payments-prod-prometheus", "kubernetes:helm.sh/v3:Release"));
        await assertNotApplicable(raciKubernetesLabels, s, s.get("vigil-alerts"));
    });
});

describe("vigil-raci-party-boundary", () => {
    it("accepts each party's compliant stack", async () => {
        await assertClean(raciPartyBoundary, operatorStack());
        await assertClean(raciPartyBoundary, customerStack(), { party: "customer" });
    });

    it("reports CustomerAccess in the operator's stack once, at the component", async () => {
        const s = operatorStack();
        const access = s.add("vigil:customer:CustomerAccess", "acme", {});
        s.add("aws:eks/accessEntry:AccessEntry", "acme-operator", { clusterName: "payments-prod", principalArn: "arn:aws:iam::111122223333:role/vigil", tags: vigilTags("cluster-access-rbac", "customer") }, {}, access);
        await assertViolations(raciPartyBoundary, s, [
            {
                on: access,
                message:
                    'The operator stack must not create the component vigil:customer:CustomerAccess "acme": Vigil\'s customer components belong in the customer\'s project (policies/raci.yaml componentModules).',
            },
        ]);
    });

    it("reports a resource of a customer activity inside the operator's components", async () => {
        const s = operatorStack();
        const attachment = s.add(
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            "payments-prod-ssm",
            { role: "payments-nodes", policyArn: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" },
            {},
            s.get("payments-prod", "vigil:cluster:ClusterMonitoring"),
        );
        await assertViolations(raciPartyBoundary, s, [
            {
                on: attachment,
                message:
                    'The operator stack must not create aws:iam/rolePolicyAttachment:RolePolicyAttachment "payments-prod-ssm": it carries out activity node-ssm-agent (Install the EC2 Systems Manager agent on worker nodes if not present), for which the customer is responsible (R); it belongs in the customer\'s project.',
            },
        ]);
    });

    it("reports a resource tagged as the other party's", async () => {
        const s = operatorStack();
        s.get("vigil-grafana").inputs.tags["vigil:responsible"] = "customer";
        await assertViolations(raciPartyBoundary, s, [
            {
                on: s.get("vigil-grafana"),
                message: 'The operator stack must not create aws:grafana/workspace:Workspace "vigil-grafana": it is tagged vigil:responsible=customer; it belongs in the customer\'s project.',
            },
        ]);
    });

    it("reports operator resources and components in the customer's project", async () => {
        const c = customerStack();
        const workspace = c.add("aws:amp/workspace:Workspace", "vigil-access-workspace", { tags: vigilTags("amp-workspace") }, {}, c.get("vigil-access"));
        const account = c.add("vigil:account:AccountMonitoring", "vigil", {});
        await assertViolations(
            raciPartyBoundary,
            c,
            [
                { on: account, message: 'The customer stack must not create the component vigil:account:AccountMonitoring "vigil": Vigil\'s account components belong in the operator\'s project (policies/raci.yaml componentModules).' },
                { on: workspace, message: 'The customer stack must not create aws:amp/workspace:Workspace "vigil-access-workspace": it is tagged vigil:responsible=operator; it belongs in the operator\'s project.' },
            ],
            { party: "customer" },
        );
    });

    it("leaves the customer's own resources alone", async () => {
        const c = customerStack();
        c.add("aws:amp/workspace:Workspace", "shop-metrics", { alias: "shop" });
        await assertClean(raciPartyBoundary, c, { party: "customer" });
    });

    it("is not applicable without a valid party tag", async () => {
        await assertStackNotApplicable(raciPartyBoundary, operatorStack(), /no valid vigil:party tag/, { party: null });
        await assertStackNotApplicable(raciPartyBoundary, operatorStack(), /no valid vigil:party tag/, { party: "vendor" });
    });
});

describe("vigil-raci-completeness", () => {
    it("accepts each party's complete stack", async () => {
        await assertClean(raciCompleteness, operatorStack());
        await assertClean(raciCompleteness, customerStack(), { party: "customer" });
    });

    it("reports an account-wide activity without its resources (Grafana switched off)", async () => {
        const s = operatorStack();
        s.remove("vigil-grafana");
        const message =
            "Activity grafana (Provide the Amazon Managed Grafana template and assist with configuration) is the operator's responsibility (R), but the stack has no aws:grafana/workspace:Workspace. Set vigil:grafana to true, or exempt the activity in this policy's configuration if the customer declined Grafana.";
        await assertViolations(raciCompleteness, s, [{ message }]);
        await assertClean(raciCompleteness, s, { config: { "vigil-raci-completeness": { exemptActivities: ["grafana"] } } });
    });

    it("reports an evidence condition that does not hold (GuardDuty EKS audit logs disabled)", async () => {
        const s = operatorStack();
        s.get("vigil-eks-audit-logs").inputs.status = "DISABLED";
        await assertViolations(raciCompleteness, s, [
            {
                message:
                    "Activity guardduty-eks-audit-logs (Enable GuardDuty EKS Audit Log Monitoring) is the operator's responsibility (R), but the stack has no aws:guardduty/detectorFeature:DetectorFeature with name matching ^EKS_AUDIT_LOGS$ and status matching ^ENABLED$. Set vigil:guardDuty to create or adopt, so that AccountMonitoring enables the EKS_AUDIT_LOGS detector feature.",
            },
        ]);
    });

    it("reports a cluster without control-plane logging, at that cluster's component", async () => {
        const s = operatorStack();
        s.remove("platform-staging-control-plane-logging");
        await assertViolations(raciCompleteness, s, [
            {
                on: s.get("platform-staging", "vigil:cluster:ClusterMonitoring"),
                message:
                    'Activity control-plane-logging (Enable EKS control plane logging) is the operator\'s responsibility (R), but vigil:cluster:ClusterMonitoring "platform-staging" has no pulumi-nodejs:dynamic:Resource with kind matching ^vigil:eks:ControlPlaneLogging$ or aws:eks/cluster:Cluster with enabledClusterLogTypes matching ^audit$. Set vigil:controlPlaneLogging to true, so that ClusterMonitoring enables all five log types.',
            },
        ]);
    });

    it("accepts a cluster the program defines with its log types, handed to ClusterMonitoring", async () => {
        const s = operatorStack(["payments-prod"]);
        s.remove("payments-prod-control-plane-logging");
        s.add("aws:eks/cluster:Cluster", "payments-prod-eks", { name: "payments-prod", enabledClusterLogTypes: ["api", "audit", "authenticator", "controllerManager", "scheduler"], tags: vigilTags("discovery") });
        await assertClean(raciCompleteness, s);
    });

    it("reports a cluster without its control-plane log group, and accepts either form of it", async () => {
        const s = operatorStack(["payments-prod"]);
        const cluster = s.get("payments-prod", "vigil:cluster:ClusterMonitoring");
        s.remove("payments-prod-control-plane-logs");
        await assertViolations(raciCompleteness, s, [
            {
                on: cluster,
                message:
                    'Activity log-analysis (Analyze logs during incidents (control plane and pod logs)) is the operator\'s responsibility (R), but vigil:cluster:ClusterMonitoring "payments-prod" has no aws:cloudwatch/logGroup:LogGroup with name matching ^/aws/eks/[^/]+/cluster$ or pulumi-nodejs:dynamic:Resource with kind matching ^vigil:cloudwatch:LogGroup$ and logGroupName matching ^/aws/eks/[^/]+/cluster$. Monitor the cluster with ClusterMonitoring, which creates (or adopts) the control-plane log group with retention and encryption.',
            },
        ]);
        s.add("pulumi-nodejs:dynamic:Resource", "payments-prod-control-plane-logs", { kind: "vigil:cloudwatch:LogGroup", logGroupName: "/aws/eks/payments-prod/cluster", tags: vigilTags("control-plane-logging") }, {}, cluster);
        await assertClean(raciCompleteness, s);
        s.remove("payments-prod-control-plane-logs");
        s.add("aws:cloudwatch/logGroup:LogGroup", "payments-prod-control-plane-logs", { name: "/aws/eks/payments-prod/cluster", tags: vigilTags("control-plane-logging") }, {}, cluster);
        await assertClean(raciCompleteness, s);
    });

    it("reports every cluster-scoped activity when no cluster is monitored", async () => {
        const s = operatorStack([]);
        const result = await run(raciCompleteness, s);
        assert.deepEqual(
            result.violations.map((v) => v.message.split(" is the ")[0]),
            ["Activity on-cluster-components (Deploy the on-cluster components (Prometheus, node exporter, kube-state-metrics) in the operator's namespace)", "Activity control-plane-logging (Enable EKS control plane logging)", "Activity log-analysis (Analyze logs during incidents (control plane and pod logs))"],
        );
        assert.match(result.violations[0].message, /in every monitored cluster, but the stack monitors no cluster \(it has no vigil:cluster:ClusterMonitoring\)\./);
    });

    it("reports several missing resources of one activity together", async () => {
        const s = operatorStack();
        s.remove("vigil-triage");
        await assertViolations(raciCompleteness, s, [
            {
                message:
                    "Activity triage-incident-response (Triage alerts and provide incident response) is the operator's responsibility (R), but the stack has no aws:lambda/function:Function, aws:lambda/eventSourceMapping:EventSourceMapping and aws:dynamodb/table:Table. Deploy the triage service with TriageService.",
            },
        ]);
    });

    it("holds the customer to the customer's activities", async () => {
        const c = customerStack();
        c.remove("vigil-access-ssm-general");
        await assertViolations(
            raciCompleteness,
            c,
            [
                {
                    message:
                        "Activity node-ssm-agent (Install the EC2 Systems Manager agent on worker nodes if not present) is the customer's responsibility (R), but the stack has no aws:iam/rolePolicyAttachment:RolePolicyAttachment with policyArn matching ^arn:aws[a-z-]*:iam::aws:policy/AmazonSSMManagedInstanceCore$. Attach AmazonSSMManagedInstanceCore to the worker nodes' roles with CustomerAccess in the cluster owner's project.",
                },
            ],
            { party: "customer" },
        );
    });

    it("does not count the customer's own resources as evidence", async () => {
        const c = customerStack();
        c.remove("vigil-access");
        c.add("aws:eks/accessEntry:AccessEntry", "shop-admins", { clusterName: "shop", principalArn: "arn:aws:iam::111122223333:role/admins" });
        const result = await run(raciCompleteness, c, { party: "customer" });
        assert.deepEqual(
            result.violations.map((v) => v.message.split(" (")[0]),
            ["Activity cluster-access-rbac", "Activity node-ssm-agent"],
        );
    });

    it("reports an exemption that names no activity", async () => {
        await assertViolations(
            raciCompleteness,
            operatorStack(),
            [{ message: `The policy configuration exempts "grafna", which is not an activity of the matrix (policies/raci.yaml); use one of: ${ACTIVITY_IDS}.` }],
            { config: { "vigil-raci-completeness": { exemptActivities: ["grafna"] } } },
        );
    });

    it("is not applicable without a valid party tag", async () => {
        await assertStackNotApplicable(raciCompleteness, operatorStack(), /no valid vigil:party tag/, { party: null });
    });
});

// Configuration keys no other test sets: each case shows the default verdict and the verdict the
// key changes, on the same resource.

import { eksOperatorAccessScoped } from "../../policies/eks/operatorAccessScoped";
import { iamLeastPrivilege } from "../../policies/iam/leastPrivilege";
import { kubernetesRbacBindingScoped } from "../../policies/kubernetes/rbacBindingScoped";
import { sqsQueuePolicyRestricted } from "../../policies/sqs/queuePolicyRestricted";
import { ACCOUNT, REGION, assertClean, assertViolations } from "./harness";
import { customerStack, INTAKE_QUEUE, NAMESPACE, operatorStack } from "./fixtures";

const policyArn = (name: string) => `arn:aws:eks::aws:cluster-access-policy/${name}`;

describe("vigil-iam-least-privilege: forbiddenManagedPolicies", () => {
    const ATTACHMENT = 'aws:iam/rolePolicyAttachment:RolePolicyAttachment "vigil-grafana-managed"';
    const ROLE = 'aws:iam/role:Role "vigil-grafana-role"';

    it("forbids the listed managed policies only, on attachments and on a role's managedPolicyArns", async () => {
        const s = operatorStack(["payments-prod"]);
        const attachment = s.add(
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            "vigil-grafana-managed",
            { role: "vigil-grafana-role", policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" },
            {},
            s.get("vigil", "vigil:account:AccountMonitoring"),
        );
        const role = s.get("vigil-grafana-role");
        role.inputs.managedPolicyArns = ["arn:aws:iam::aws:policy/AdministratorAccess"];
        // Default: AdministratorAccess, PowerUserAccess and IAMFullAccess.
        await assertViolations(iamLeastPrivilege, s, [
            { on: role, message: `The ${ROLE} must not have the managed policy arn:aws:iam::aws:policy/AdministratorAccess; grant the actions it needs in its own policy.` },
        ]);
        const config = { "vigil-iam-least-privilege": { forbiddenManagedPolicies: ["ReadOnlyAccess"] } };
        await assertViolations(iamLeastPrivilege, s, [{ on: attachment, message: `The ${ATTACHMENT} attaches arn:aws:iam::aws:policy/ReadOnlyAccess; Vigil's roles must not have it. Grant the actions it needs in its own policy.` }], { config });
    });
});

describe("vigil-eks-operator-access-scoped: clusterWidePolicies and namespacePolicies", () => {
    const VIEW = 'aws:eks/accessPolicyAssociation:AccessPolicyAssociation "vigil-access-operator-view"';
    const ADMIN = 'aws:eks/accessPolicyAssociation:AccessPolicyAssociation "vigil-access-operator-namespace-admin"';

    it("clusterWidePolicies decides what the operator may hold across the cluster", async () => {
        const s = customerStack();
        const view = s.get("vigil-access-operator-view");
        view.inputs.policyArn = policyArn("AmazonEKSAdminViewPolicy");
        await assertViolations(
            eksOperatorAccessScoped,
            s,
            [
                {
                    on: view,
                    message: `The access policy association ${VIEW} grants AmazonEKSAdminViewPolicy across the whole cluster; cluster-wide the operator may hold only AmazonEKSViewPolicy. Scope it to the namespace ${NAMESPACE}.`,
                },
            ],
            { party: "customer" },
        );
        await assertClean(eksOperatorAccessScoped, s, { party: "customer", config: { "vigil-eks-operator-access-scoped": { clusterWidePolicies: ["AmazonEKSViewPolicy", "AmazonEKSAdminViewPolicy"] } } });
    });

    it("namespacePolicies decides what the operator may hold in its namespace", async () => {
        const s = customerStack();
        await assertClean(eksOperatorAccessScoped, s, { party: "customer" });
        const config = { "vigil-eks-operator-access-scoped": { namespacePolicies: ["AmazonEKSViewPolicy", "AmazonEKSEditPolicy"] } };
        await assertViolations(
            eksOperatorAccessScoped,
            s,
            [{ on: s.get("vigil-access-operator-namespace-admin"), message: `The access policy association ${ADMIN} grants AmazonEKSAdminPolicy; in its namespace the operator may hold only AmazonEKSViewPolicy, AmazonEKSEditPolicy.` }],
            { party: "customer", config },
        );
    });
});

describe("vigil-kubernetes-rbac-binding-scoped: operatorGroups", () => {
    const BINDING = 'kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding "vigil-access-operator"';

    it("admits only the configured groups in the customer's grant", async () => {
        const s = customerStack();
        const binding = s.get("vigil-access-operator", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding");
        await assertClean(kubernetesRbacBindingScoped, s, { party: "customer" });
        const config = { "vigil-kubernetes-rbac-binding-scoped": { operatorGroups: ["msp-operators"] } };
        await assertViolations(
            kubernetesRbacBindingScoped,
            s,
            [{ on: binding, message: `The ${BINDING} binds the Group "vigil-operators"; Vigil binds only service accounts of ${NAMESPACE} and the operator's group (msp-operators).` }],
            { party: "customer", config },
        );
        binding.inputs.subjects = [{ kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: "msp-operators" }];
        await assertClean(kubernetesRbacBindingScoped, s, { party: "customer", config });
    });
});

describe("vigil-sqs-queue-policy-restricted: allowedServicePrincipals", () => {
    const POLICY = 'aws:sqs/queuePolicy:QueuePolicy "vigil-triage-intake-policy"';

    it("admits only the configured service principals", async () => {
        const s = operatorStack(["payments-prod"]);
        await assertClean(sqsQueuePolicyRestricted, s);
        const only = { "vigil-sqs-queue-policy-restricted": { allowedServicePrincipals: ["events.amazonaws.com"] } };
        await assertViolations(
            sqsQueuePolicyRestricted,
            s,
            [{ on: s.get("vigil-triage-intake-policy"), message: `The access policy of ${POLICY} grants the service sns.amazonaws.com in statement "AllowAlertTopics"; only events.amazonaws.com may be granted.` }],
            { config: only },
        );
        // A principal outside the default list, admitted by configuration (still tied to its source).
        const policy = JSON.parse(s.get("vigil-triage-intake-policy").inputs.policy);
        policy.Statement.push({
            Sid: "AllowS3Notifications",
            Effect: "Allow",
            Principal: { Service: "s3.amazonaws.com" },
            Action: "sqs:SendMessage",
            Resource: INTAKE_QUEUE,
            Condition: { ArnEquals: { "aws:SourceArn": `arn:aws:s3:::vigil-${ACCOUNT}-${REGION}` } },
        });
        s.get("vigil-triage-intake-policy").inputs.policy = JSON.stringify(policy);
        const denied = `The access policy of ${POLICY} grants the service s3.amazonaws.com in statement "AllowS3Notifications"; only sns.amazonaws.com, events.amazonaws.com may be granted.`;
        await assertViolations(sqsQueuePolicyRestricted, s, [{ on: s.get("vigil-triage-intake-policy"), message: denied }]);
        await assertClean(sqsQueuePolicyRestricted, s, { config: { "vigil-sqs-queue-policy-restricted": { allowedServicePrincipals: ["sns.amazonaws.com", "events.amazonaws.com", "s3.amazonaws.com"] } } });
    });
});

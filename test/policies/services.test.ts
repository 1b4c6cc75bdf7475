import { dynamodbOnDemand } from "../../policies/dynamodb/onDemand";
import { dynamodbTableProtected } from "../../policies/dynamodb/tableProtected";
import { grafanaNoApiKeys } from "../../policies/grafana/noApiKeys";
import { grafanaWorkspaceHardened } from "../../policies/grafana/workspaceHardened";
import { guarddutyDetectorEnabled } from "../../policies/guardduty/detectorEnabled";
import { guarddutyEksAuditLogs } from "../../policies/guardduty/eksAuditLogs";
import { iamLeastPrivilege } from "../../policies/iam/leastPrivilege";
import { iamRoleTrustScoped } from "../../policies/iam/roleTrustScoped";
import { kmsKeyPolicy } from "../../policies/kms/keyPolicy";
import { kmsKeyRotation } from "../../policies/kms/keyRotation";
import { customerStack, doc, operatorStack } from "./fixtures";
import { ACCOUNT, assertClean, assertNotApplicable, assertViolations, FixtureStack } from "./harness";

describe("vigil-dynamodb-table-protected", () => {
    const TABLE = 'aws:dynamodb/table:Table "vigil-triage-cases"';

    it("reports a table without point-in-time recovery or encryption", async () => {
        const s = operatorStack(["payments-prod"]);
        await assertClean(dynamodbTableProtected, s);
        const table = s.get("vigil-triage-cases");
        table.inputs.pointInTimeRecovery = { enabled: false };
        delete table.inputs.serverSideEncryption;
        await assertViolations(dynamodbTableProtected, s, [
            { on: table, message: `The DynamoDB table ${TABLE} must have point-in-time recovery: set pointInTimeRecovery.enabled to true.` },
            { on: table, message: `The DynamoDB table ${TABLE} must be encrypted with KMS: set serverSideEncryption.enabled to true.` },
        ]);
    });

    it("requires a customer-managed key only when configured to", async () => {
        const s = operatorStack(["payments-prod"]);
        const table = s.get("vigil-triage-cases");
        table.inputs.serverSideEncryption = { enabled: true };
        await assertClean(dynamodbTableProtected, s);
        await assertViolations(dynamodbTableProtected, s, [{ on: table, message: `The DynamoDB table ${TABLE} must be encrypted with a customer-managed KMS key: set serverSideEncryption.kmsKeyArn.` }], {
            config: { "vigil-dynamodb-table-protected": { requireCustomerManagedKey: true } },
        });
    });
});

describe("vigil-dynamodb-on-demand (advisory)", () => {
    it("reports provisioned capacity, given or by default", async () => {
        const s = operatorStack(["payments-prod"]);
        await assertClean(dynamodbOnDemand, s);
        const table = s.get("vigil-triage-cases");
        delete table.inputs.billingMode;
        await assertViolations(dynamodbOnDemand, s, [{ on: table, message: 'The DynamoDB table aws:dynamodb/table:Table "vigil-triage-cases" bills PROVISIONED (the default); set billingMode to PAY_PER_REQUEST.' }]);
    });
});

describe("vigil-grafana-workspace-hardened", () => {
    const WS = 'aws:grafana/workspace:Workspace "vigil-grafana"';

    it("accepts SSO, the current account, the AMP data source and a customer-managed role", async () => {
        const s = operatorStack(["payments-prod"]);
        await assertClean(grafanaWorkspaceHardened, s);
        Object.assign(s.get("vigil-grafana").inputs, { permissionType: "SERVICE_MANAGED", roleArn: undefined, authenticationProviders: ["SAML"] });
        await assertClean(grafanaWorkspaceHardened, s);
    });

    it("reports each weakened setting", async () => {
        const s = operatorStack(["payments-prod"]);
        const ws = s.get("vigil-grafana");
        Object.assign(ws.inputs, { authenticationProviders: ["AWS_SSO", "ANONYMOUS"], accountAccessType: "ORGANIZATION", dataSources: ["CLOUDWATCH"], roleArn: undefined });
        await assertViolations(grafanaWorkspaceHardened, s, [
            { on: ws, message: `The Grafana workspace ${WS} must sign users in with AWS_SSO or SAML; authenticationProviders is ["AWS_SSO","ANONYMOUS"].` },
            { on: ws, message: `The Grafana workspace ${WS} has accountAccessType "ORGANIZATION"; it must be CURRENT_ACCOUNT so that it reads only this account.` },
            { on: ws, message: `The Grafana workspace ${WS} must have the AMP data source: add PROMETHEUS to dataSources.` },
            { on: ws, message: `The Grafana workspace ${WS} uses CUSTOMER_MANAGED permissions without a role; set roleArn or use SERVICE_MANAGED.` },
        ]);
    });

    it("reports a permission type other than SERVICE_MANAGED or CUSTOMER_MANAGED, or none", async () => {
        const s = operatorStack(["payments-prod"]);
        const ws = s.get("vigil-grafana");
        ws.inputs.permissionType = "ADMIN_MANAGED";
        await assertViolations(grafanaWorkspaceHardened, s, [{ on: ws, message: `The Grafana workspace ${WS} has permissionType "ADMIN_MANAGED"; use SERVICE_MANAGED or CUSTOMER_MANAGED.` }]);
        delete ws.inputs.permissionType;
        await assertViolations(grafanaWorkspaceHardened, s, [{ on: ws, message: `The Grafana workspace ${WS} has permissionType null; use SERVICE_MANAGED or CUSTOMER_MANAGED.` }]);
    });
});

describe("vigil-grafana-no-api-keys", () => {
    it("reports a workspace API key and leaves service accounts alone", async () => {
        const s = operatorStack(["payments-prod"]);
        const account = s.get("vigil", "vigil:account:AccountMonitoring");
        const sa = s.add("aws:grafana/workspaceServiceAccount:WorkspaceServiceAccount", "vigil-grafana-provisioner", { grafanaRole: "ADMIN", name: "vigil" }, {}, account);
        await assertNotApplicable(grafanaNoApiKeys, s, sa);
        const key = s.add("aws:grafana/workspaceApiKey:WorkspaceApiKey", "vigil-grafana-key", { keyName: "vigil", keyRole: "ADMIN", secondsToLive: 3600 }, {}, account);
        await assertViolations(grafanaNoApiKeys, s, [
            { on: key, message: 'The Grafana API key aws:grafana/workspaceApiKey:WorkspaceApiKey "vigil-grafana-key" must be replaced by a service account token (aws.grafana.WorkspaceServiceAccount and WorkspaceServiceAccountToken).' },
        ]);
    });
});

describe("vigil-guardduty-eks-audit-logs", () => {
    it("reports the EKS audit log feature disabled, in any stack", async () => {
        const s = operatorStack(["payments-prod"]);
        await assertClean(guarddutyEksAuditLogs, s);
        const feature = s.get("vigil-eks-audit-logs");
        feature.inputs.status = "DISABLED";
        await assertViolations(guarddutyEksAuditLogs, s, [
            { on: feature, message: 'The GuardDuty detector feature aws:guardduty/detectorFeature:DetectorFeature "vigil-eks-audit-logs" (EKS_AUDIT_LOGS) has status "DISABLED"; set it to ENABLED.' },
        ]);
    });

    it("is not applicable to other features", async () => {
        const s = operatorStack(["payments-prod"]);
        const runtime = s.add("aws:guardduty/detectorFeature:DetectorFeature", "vigil-runtime", { detectorId: "d", name: "RUNTIME_MONITORING", status: "DISABLED" }, {}, s.get("vigil", "vigil:account:AccountMonitoring"));
        await assertNotApplicable(guarddutyEksAuditLogs, s, runtime);
    });
});

describe("vigil-guardduty-detector-enabled", () => {
    it("reports a disabled detector", async () => {
        const s = operatorStack(["payments-prod"]);
        const detector = s.add("aws:guardduty/detector:Detector", "vigil-detector", { enable: true, tags: {} }, {}, s.get("vigil", "vigil:account:AccountMonitoring"));
        await assertClean(guarddutyDetectorEnabled, s);
        detector.inputs.enable = false;
        await assertViolations(guarddutyDetectorEnabled, s, [{ on: detector, message: 'The GuardDuty detector aws:guardduty/detector:Detector "vigil-detector" is disabled (enable: false); enable it.' }]);
    });
});

describe("vigil-kms-key-rotation", () => {
    it("reports a key without rotation and skips asymmetric keys", async () => {
        const s = operatorStack(["payments-prod"]);
        await assertClean(kmsKeyRotation, s);
        const key = s.get("vigil-key");
        delete key.inputs.enableKeyRotation;
        await assertViolations(kmsKeyRotation, s, [{ on: key, message: 'The KMS key aws:kms/key:Key "vigil-key" must rotate its key material: set enableKeyRotation to true.' }]);
        key.inputs.keySpec = "RSA_2048";
        await assertNotApplicable(kmsKeyRotation, s, key);
    });
});

describe("vigil-kms-key-policy", () => {
    const KEY = 'aws:kms/key:Key "vigil-key"';
    const root = { Sid: "EnableIamPolicies", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "kms:*", Resource: "*" };

    it("accepts the root delegation and services limited to using the key", async () => {
        await assertClean(kmsKeyPolicy, operatorStack());
    });

    it("reports the lockout bypass, an untied public statement, and a service with administration", async () => {
        const s = operatorStack(["payments-prod"]);
        const key = s.get("vigil-key");
        key.inputs.bypassPolicyLockoutSafetyCheck = true;
        key.inputs.policy = doc(
            root,
            { Sid: "Anyone", Effect: "Allow", Principal: "*", Action: "kms:Decrypt", Resource: "*" },
            { Sid: "Events", Effect: "Allow", Principal: { Service: "events.amazonaws.com" }, Action: ["kms:GenerateDataKey*", "kms:PutKeyPolicy"], Resource: "*" },
            { Sid: "Others", Effect: "Allow", NotPrincipal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "kms:Decrypt", Resource: "*" },
        );
        await assertViolations(kmsKeyPolicy, s, [
            { on: key, message: `The KMS key ${KEY} bypasses the policy lockout safety check; remove bypassPolicyLockoutSafetyCheck.` },
            { on: key, message: `The key policy of ${KEY} lets any principal use the key in statement "Anyone" without a fixed kms:CallerAccount or aws:SourceAccount condition; tie it to this account.` },
            { on: key, message: `The key policy of ${KEY} grants events.amazonaws.com kms:PutKeyPolicy in statement "Events"; services may only encrypt, decrypt, generate data keys and describe the key.` },
            { on: key, message: `The key policy of ${KEY} allows with NotPrincipal in statement "Others"; name the principals and actions instead.` },
        ]);
    });

    it("accepts an any-principal statement tied to the account by kms:CallerAccount", async () => {
        const s = operatorStack(["payments-prod"]);
        s.get("vigil-key").inputs.policy = doc(root, { Effect: "Allow", Principal: { AWS: "*" }, Action: "kms:Decrypt", Resource: "*", Condition: { StringEquals: { "kms:CallerAccount": ACCOUNT, "kms:ViaService": "sns.eu-west-1.amazonaws.com" } } });
        await assertClean(kmsKeyPolicy, s);
    });
});

describe("vigil-iam-least-privilege", () => {
    const policyOf = (s: FixtureStack) => s.get("vigil-triage-handler-policy");
    const WHAT = 'aws:iam/rolePolicy:RolePolicy "vigil-triage-handler-policy"';

    it("accepts named actions", async () => {
        await assertClean(iamLeastPrivilege, operatorStack());
    });

    it("reports wildcard actions, NotAction and PassRole on every role", async () => {
        const s = operatorStack(["payments-prod"]);
        policyOf(s).inputs.policy = doc(
            { Effect: "Allow", Action: ["dynamodb:*", "sns:Publish"], Resource: "*" },
            { Sid: "Rest", Effect: "Allow", NotAction: "iam:*", Resource: "*" },
            { Effect: "Allow", Action: "iam:PassRole", Resource: "*" },
            { Effect: "Deny", Action: "*", Resource: "*" },
        );
        await assertViolations(iamLeastPrivilege, s, [
            { on: policyOf(s), message: `The policy of ${WHAT} allows dynamodb:* in statement 0; list the actions it needs instead of a whole service.` },
            { on: policyOf(s), message: `The policy of ${WHAT} allows NotAction in statement "Rest", which grants every other action; list the actions it needs instead.` },
            { on: policyOf(s), message: `The policy of ${WHAT} allows iam:PassRole on every role in statement 2; name the roles it passes.` },
        ]);
    });

    it("checks inline policies and managed policies of roles and attachments", async () => {
        const s = operatorStack(["payments-prod"]);
        const role = s.get("vigil-triage-handler-role");
        role.inputs.inlinePolicies = [{ name: "all", policy: doc({ Effect: "Allow", Action: "*", Resource: "*" }) }];
        role.inputs.managedPolicyArns = ["arn:aws:iam::aws:policy/AdministratorAccess", "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"];
        const attachment = s.add(
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            "vigil-triage-handler-power",
            { role: "vigil-triage-handler-role", policyArn: "arn:aws:iam::aws:policy/PowerUserAccess" },
            {},
            s.get("vigil-triage", "vigil:triage:TriageService"),
        );
        const roleName = 'aws:iam/role:Role "vigil-triage-handler-role"';
        await assertViolations(iamLeastPrivilege, s, [
            { on: role, message: `The inline policy "all" of ${roleName} allows * in statement 0; list the actions it needs instead of a whole service.` },
            { on: role, message: `The ${roleName} must not have the managed policy arn:aws:iam::aws:policy/AdministratorAccess; grant the actions it needs in its own policy.` },
            {
                on: attachment,
                message: 'The aws:iam/rolePolicyAttachment:RolePolicyAttachment "vigil-triage-handler-power" attaches arn:aws:iam::aws:policy/PowerUserAccess; Vigil\'s roles must not have it. Grant the actions it needs in its own policy.',
            },
        ]);
    });

    it("reports a document that cannot be read, and leaves the customer's own roles alone", async () => {
        const s = operatorStack(["payments-prod"]);
        policyOf(s).inputs.policy = JSON.stringify({ Version: "2012-10-17" });
        await assertViolations(iamLeastPrivilege, s, [{ on: policyOf(s), message: `The policy of ${WHAT} cannot be read: the policy document has no Statement.` }]);
        const c = customerStack();
        await assertNotApplicable(iamLeastPrivilege, c, c.get("shop-nodes"), { party: "customer" });
    });
});

describe("vigil-iam-role-trust-scoped", () => {
    const COLLECTOR = 'aws:iam/role:Role "payments-prod-collector"';
    const issuer = "oidc.eks.eu-west-1.amazonaws.com/id/9F3B2A7C41D8E6F0A1B2C3D4E5F60718";
    const irsa = (condition: object) =>
        doc({ Effect: "Allow", Principal: { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/${issuer}` }, Action: "sts:AssumeRoleWithWebIdentity", Condition: condition });

    it("accepts the IRSA trust of the collector and service trusts", async () => {
        await assertClean(iamRoleTrustScoped, operatorStack());
    });

    it("reports a trust for anyone", async () => {
        const s = operatorStack(["payments-prod"]);
        const role = s.get("vigil-triage-timer-role");
        role.inputs.assumeRolePolicy = doc({ Effect: "Allow", Principal: { AWS: "*" }, Action: "sts:AssumeRole" });
        await assertViolations(iamRoleTrustScoped, s, [
            { on: role, message: 'The trust policy of aws:iam/role:Role "vigil-triage-timer-role" lets any principal assume the role in statement 0; name the service, role or OIDC provider that uses it.' },
        ]);
    });

    it("reports an IRSA trust with a wildcard subject, a foreign namespace, or no audience", async () => {
        const s = operatorStack(["payments-prod"]);
        const role = s.get("payments-prod-collector");
        role.inputs.assumeRolePolicy = irsa({ StringLike: { [`${issuer}:sub`]: "system:serviceaccount:*:*" }, StringEquals: { [`${issuer}:aud`]: "sts.amazonaws.com" } });
        await assertViolations(iamRoleTrustScoped, s, [
            { on: role, message: `The trust policy of ${COLLECTOR} must pin the OIDC subject in statement 0 with StringEquals on <issuer>:sub to exact service accounts.` },
        ]);
        role.inputs.assumeRolePolicy = irsa({ StringEquals: { [`${issuer}:sub`]: "system:serviceaccount:kube-system:aws-node" } });
        await assertViolations(iamRoleTrustScoped, s, [
            { on: role, message: `The trust policy of ${COLLECTOR} admits system:serviceaccount:kube-system:aws-node in statement 0; only service accounts of the operator's namespace vigil-monitoring may assume Vigil's roles.` },
            { on: role, message: `The trust policy of ${COLLECTOR} must pin the OIDC audience in statement 0 with StringEquals on <issuer>:aud = sts.amazonaws.com.` },
        ]);
    });

    it("follows operatorNamespace", async () => {
        const s = operatorStack(["payments-prod"]);
        await assertViolations(
            iamRoleTrustScoped,
            s,
            [
                {
                    on: s.get("payments-prod-collector"),
                    message: `The trust policy of ${COLLECTOR} admits system:serviceaccount:vigil-monitoring:vigil-prometheus in statement 0; only service accounts of the operator's namespace observability may assume Vigil's roles.`,
                },
            ],
            { config: { "vigil-iam-role-trust-scoped": { operatorNamespace: "observability" } } },
        );
    });
});

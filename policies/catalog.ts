// Every policy of the pack, in one list. `index.ts` builds the PolicyPack from it; the offline plan
// and the tests run the same list without starting a policy server. policies/raci.yaml says which
// activity of the responsibility matrix each policy checks (a test keeps the two in step).

import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { ampAlertManagerTopics } from "./amp/alertManagerTopics";
import { ampAlertManagerValid } from "./amp/alertManagerValid";
import { ampPipelineAlerts } from "./amp/pipelineAlerts";
import { ampRuleCoverage } from "./amp/ruleCoverage";
import { ampRuleLabels } from "./amp/ruleLabels";
import { ampWorkspaceLogging } from "./amp/workspaceLogging";
import { cloudwatchAlarmActions } from "./cloudwatch/alarmActions";
import { cloudwatchHeartbeatAlarm } from "./cloudwatch/heartbeatAlarm";
import { cloudwatchLogEncrypted } from "./cloudwatch/logEncrypted";
import { cloudwatchLogRetention } from "./cloudwatch/logRetention";
import { cloudwatchPipelineAlarms } from "./cloudwatch/pipelineAlarms";
import { collectorClusterLabel } from "./collector/clusterLabel";
import { collectorKeepList } from "./collector/keepList";
import { dynamodbOnDemand } from "./dynamodb/onDemand";
import { dynamodbTableProtected } from "./dynamodb/tableProtected";
import { eksAccessEntryStandard } from "./eks/accessEntryStandard";
import { eksAuthenticationMode } from "./eks/authenticationMode";
import { eksControlPlaneLogging } from "./eks/controlPlaneLogging";
import { eksEndpointRestricted } from "./eks/endpointRestricted";
import { eksLogGroupPrecreated } from "./eks/logGroupPrecreated";
import { eksOperatorAccessScoped } from "./eks/operatorAccessScoped";
import { eksSecretsEncrypted } from "./eks/secretsEncrypted";
import { eksSupportedVersion } from "./eks/supportedVersion";
import { eventsAlertRouting } from "./events/alertRouting";
import { eventsTargetDeadLetter } from "./events/targetDeadLetter";
import { grafanaNoApiKeys } from "./grafana/noApiKeys";
import { grafanaWorkspaceHardened } from "./grafana/workspaceHardened";
import { guarddutyDetectorEnabled } from "./guardduty/detectorEnabled";
import { guarddutyEksAuditLogs } from "./guardduty/eksAuditLogs";
import { iamLeastPrivilege } from "./iam/leastPrivilege";
import { iamRoleTrustScoped } from "./iam/roleTrustScoped";
import { kmsKeyPolicy } from "./kms/keyPolicy";
import { kmsKeyRotation } from "./kms/keyRotation";
import { kubernetesOperatorAccessRole } from "./kubernetes/operatorAccessRole";
import { kubernetesOperatorNamespace } from "./kubernetes/operatorNamespace";
import { kubernetesRbacBindingScoped } from "./kubernetes/rbacBindingScoped";
import { kubernetesRbacNoWildcards } from "./kubernetes/rbacNoWildcards";
import { kubernetesRbacReadOnly } from "./kubernetes/rbacReadOnly";
import { lambdaArm64 } from "./lambda/arm64";
import { lambdaFailureDestination } from "./lambda/failureDestination";
import { lambdaPermissionScoped } from "./lambda/permissionScoped";
import { lambdaPublicEndpoint } from "./lambda/publicEndpoint";
import { lambdaReservedConcurrency } from "./lambda/reservedConcurrency";
import { lambdaRuntime } from "./lambda/runtime";
import { lambdaSqsPartialBatch } from "./lambda/sqsPartialBatch";
import { lambdaTracing } from "./lambda/tracing";
import { raciCompleteness } from "./raci/completeness";
import { raciKubernetesLabels } from "./raci/kubernetesLabels";
import { raciOwnershipTags } from "./raci/ownershipTags";
import { raciPartyBoundary } from "./raci/partyBoundary";
import { raciPartyTag } from "./raci/partyTag";
import { snsIntakeRedrive } from "./sns/intakeRedrive";
import { snsPipelineTopicSubscribed } from "./sns/pipelineTopicSubscribed";
import { snsTopicEncrypted } from "./sns/topicEncrypted";
import { snsTopicPolicyRestricted } from "./sns/topicPolicyRestricted";
import { snsTopicTlsOnly } from "./sns/topicTlsOnly";
import { sqsQueueEncrypted } from "./sqs/queueEncrypted";
import { sqsQueuePolicyRestricted } from "./sqs/queuePolicyRestricted";
import { sqsRedrive } from "./sqs/redrive";

export type VigilPolicy = ResourceValidationPolicy | StackValidationPolicy;

export const POLICIES: readonly VigilPolicy[] = [
    // The matrix itself: who the stack belongs to, who owns each resource, what each party must and must not create.
    raciPartyTag,
    raciOwnershipTags,
    raciKubernetesLabels,
    raciPartyBoundary,
    raciCompleteness,
    // EKS: the monitored clusters and the customer's grant of access.
    eksControlPlaneLogging,
    eksLogGroupPrecreated,
    eksAuthenticationMode,
    eksAccessEntryStandard,
    eksOperatorAccessScoped,
    eksEndpointRestricted,
    eksSecretsEncrypted,
    eksSupportedVersion,
    // In-cluster components.
    kubernetesOperatorNamespace,
    kubernetesRbacNoWildcards,
    kubernetesRbacReadOnly,
    kubernetesRbacBindingScoped,
    kubernetesOperatorAccessRole,
    collectorClusterLabel,
    collectorKeepList,
    // AMP: workspace, rules, alert manager.
    ampWorkspaceLogging,
    ampRuleLabels,
    ampPipelineAlerts,
    ampRuleCoverage,
    ampAlertManagerValid,
    ampAlertManagerTopics,
    // The alert path: topics, events, queues, alarms.
    snsTopicEncrypted,
    snsTopicPolicyRestricted,
    snsTopicTlsOnly,
    snsIntakeRedrive,
    snsPipelineTopicSubscribed,
    eventsAlertRouting,
    eventsTargetDeadLetter,
    sqsQueueEncrypted,
    sqsQueuePolicyRestricted,
    sqsRedrive,
    cloudwatchAlarmActions,
    cloudwatchHeartbeatAlarm,
    cloudwatchPipelineAlarms,
    cloudwatchLogRetention,
    cloudwatchLogEncrypted,
    // GuardDuty.
    guarddutyEksAuditLogs,
    guarddutyDetectorEnabled,
    // Triage service.
    lambdaRuntime,
    lambdaReservedConcurrency,
    lambdaFailureDestination,
    lambdaSqsPartialBatch,
    lambdaPublicEndpoint,
    lambdaPermissionScoped,
    lambdaTracing,
    lambdaArm64,
    dynamodbTableProtected,
    dynamodbOnDemand,
    // Grafana.
    grafanaWorkspaceHardened,
    grafanaNoApiKeys,
    // Keys and identities.
    kmsKeyRotation,
    kmsKeyPolicy,
    iamLeastPrivilege,
    iamRoleTrustScoped,
];

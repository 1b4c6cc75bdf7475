// The component a cluster's owner uses in their own project (contract C6).

export {
    ACCESS_POLICIES,
    accessPolicyArn,
    CustomerAccess,
    DIAGNOSTICS_CLUSTER_ROLE,
    DIAGNOSTICS_GROUP,
    diagnosticsClusterRules,
    OPERATOR_CLUSTER_ROLE,
    OPERATOR_GROUP,
    operatorClusterRules,
    resolveCustomerAccessArgs,
    SSM_MANAGED_POLICY,
} from "./customerAccess";
export type { CustomerAccessArgs, NamespaceAccess } from "./customerAccess";

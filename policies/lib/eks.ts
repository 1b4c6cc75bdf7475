// EKS facts the policies share.

/** The control-plane log types EKS offers; CIS EKS 2.1.1 and Checkov CKV_AWS_37 want all five. */
export const CONTROL_PLANE_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"] as const;

/** The dynamic resource kind ClusterMonitoring uses for clusters the program does not own (contract C5). */
export const CONTROL_PLANE_LOGGING_KIND = "vigil:eks:ControlPlaneLogging";
export const DYNAMIC_RESOURCE = "pulumi-nodejs:dynamic:Resource";
export const EKS_CLUSTER = "aws:eks/cluster:Cluster";

/** The log group EKS writes a cluster's control-plane logs to. */
export const controlPlaneLogGroup = (cluster: string) => `/aws/eks/${cluster}/cluster`;

/** The managed policy name of an EKS access policy ARN (`arn:aws:eks::aws:cluster-access-policy/X` → `X`). */
export const accessPolicyName = (arn: string) => arn.split("/").pop() ?? arn;

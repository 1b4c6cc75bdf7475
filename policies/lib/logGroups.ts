// CloudWatch log groups as the policies see them: the provider's LogGroup, or the dynamic resource
// ClusterMonitoring uses for a control-plane log group that EKS may have created already (it
// creates the group when missing and adopts it when present; same retention, key and tag inputs).

import { DYNAMIC_RESOURCE } from "./eks";

export const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";

/** The `kind` of Vigil's dynamic log group resource. */
export const LOG_GROUP_KIND = "vigil:cloudwatch:LogGroup";

/** Whether a resource is Vigil's dynamic log group (a dynamic resource of kind LOG_GROUP_KIND). */
export function isDynamicLogGroup(type: string, props: Record<string, unknown>): boolean {
    return type === DYNAMIC_RESOURCE && props.kind === LOG_GROUP_KIND;
}

/** Whether a resource is a CloudWatch log group, of either form. */
export function isLogGroup(type: string, props: Record<string, unknown>): boolean {
    return type === LOG_GROUP || isDynamicLogGroup(type, props);
}

/** The group's name: `name` of a LogGroup, `logGroupName` of the dynamic resource. */
export function logGroupName(type: string, props: Record<string, unknown>): unknown {
    return type === LOG_GROUP ? props.name : props.logGroupName;
}

/** What `notApplicable` says for other resources. */
export const LOG_GROUPS = `${LOG_GROUP} and ${DYNAMIC_RESOURCE} resources of kind ${LOG_GROUP_KIND}`;

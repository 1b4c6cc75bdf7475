// The alert pipeline as the stack declares it: the alert manager definition's receiver topics,
// shared by the stack policies that follow alerts from AMP to SNS, SQS and CloudWatch.

import type { PolicyResource } from "@pulumi/policy";
import { ALERTS_RECEIVER, Definition, DefinitionError, HEARTBEAT_ALERT, HEARTBEAT_RECEIVER, parseDefinition, receiverTopics, route } from "./alertmanager";
import { str, vigilResources } from "./resources";

export const ALERT_MANAGER_DEFINITION = "aws:amp/alertManagerDefinition:AlertManagerDefinition";
export const SNS_TOPIC = "aws:sns/topic:Topic";
export const SNS_SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription";

export interface Pipeline {
    readonly definitionResource: PolicyResource;
    readonly definition: Definition;
    /** Topic ARNs of the `alerts` receiver. */
    readonly alertTopics: readonly string[];
    /** Topic ARNs of the `heartbeat` receiver. */
    readonly heartbeatTopics: readonly string[];
    /** The heartbeat route's repeat and group intervals. */
    readonly heartbeatRepeatInterval?: string;
    readonly heartbeatGroupInterval?: string;
}

/**
 * The pipelines of the stack's readable alert manager definitions (an unreadable one is
 * vigil-amp-alert-manager-valid's to report).
 */
export function pipelines(resources: readonly PolicyResource[]): Pipeline[] {
    const out: Pipeline[] = [];
    for (const r of vigilResources(resources).filter((x) => x.type === ALERT_MANAGER_DEFINITION)) {
        const text = str(r.props.definition);
        if (text === undefined) {
            continue;
        }
        let definition: Definition;
        try {
            definition = parseDefinition(text);
        } catch (err) {
            if (err instanceof DefinitionError) {
                continue;
            }
            throw err;
        }
        const topics = receiverTopics(definition.config);
        let heartbeat: ReturnType<typeof route> = [];
        try {
            heartbeat = definition.config.route ? route(definition.config.route, { alertname: HEARTBEAT_ALERT }) : [];
        } catch {
            heartbeat = [];
        }
        const hb = heartbeat.find((h) => h.receiver === HEARTBEAT_RECEIVER);
        out.push({
            definitionResource: r,
            definition,
            alertTopics: topics.get(ALERTS_RECEIVER) ?? [],
            heartbeatTopics: topics.get(HEARTBEAT_RECEIVER) ?? [],
            heartbeatRepeatInterval: hb?.repeatInterval,
            heartbeatGroupInterval: hb?.groupInterval,
        });
    }
    return out;
}

/** The SNS topics of the stack by ARN (their state carries the ARN). */
export function topicsByArn(resources: readonly PolicyResource[]): Map<string, PolicyResource> {
    const out = new Map<string, PolicyResource>();
    for (const r of resources.filter((x) => x.type === SNS_TOPIC)) {
        const arn = str(r.props.arn);
        if (arn) {
            out.set(arn, r);
        }
    }
    return out;
}

/** The SQS endpoints subscribed to a topic. */
export function queueSubscribers(resources: readonly PolicyResource[], topicArn: string): string[] {
    return resources
        .filter((r) => r.type === SNS_SUBSCRIPTION && r.props.protocol === "sqs" && r.props.topic === topicArn)
        .map((r) => str(r.props.endpoint))
        .filter((e): e is string => e !== undefined);
}

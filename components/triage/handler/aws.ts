// AWS adapters for the engine's ports: SNS (notifications), Systems Manager OpsCenter (incidents),
// EventBridge Scheduler (reply timers). Clients are passed in (created once at module scope in
// index.ts); the SDK honours the standard endpoint overrides (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>).

import { ConflictException, CreateScheduleCommand, DeleteScheduleCommand, ResourceNotFoundException, SchedulerClient } from "@aws-sdk/client-scheduler";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { CreateOpsItemCommand, OpsItemAlreadyExistsException, OpsItemDataType, SSMClient } from "@aws-sdk/client-ssm";
import { vigilTags } from "../../tags";
import { IncidentRequest, Incidents, Notification, Notifier, TimerPayload, Timers } from "./ports";
import { OPSITEM_DATA_VALUE_MAX, OPSITEM_DESCRIPTION_MAX, OPSITEM_TITLE_MAX } from "./render";
import { clip, clipBytes } from "./text";

export class SnsNotifier implements Notifier {
    constructor(
        private readonly client: SNSClient,
        private readonly topicArn: string,
    ) {}

    async publish(notification: Notification): Promise<string> {
        const out = await this.client.send(
            new PublishCommand({
                TopicArn: this.topicArn,
                Subject: notification.subject,
                // SNS messages are at most 256 KB; ours are a few KB, the bound is a guard.
                Message: clipBytes(notification.body, 250 * 1024),
                MessageAttributes: Object.fromEntries(Object.entries(notification.attributes).map(([k, v]) => [k, { DataType: "String", StringValue: v }])),
            }),
        );
        return out.MessageId ?? "";
    }
}

/** OpsItem severity ("1" critical … "4" low) and priority (1 highest … 5) per alert severity. */
const OPSITEM_SEVERITY = { critical: "1", warning: "3", info: "4" } as const;
const OPSITEM_PRIORITY = { critical: 1, warning: 3, info: 4 } as const;

/** The CreateOpsItem request for an incident (exported for tests). */
export function createOpsItemInput(request: IncidentRequest, source: string) {
    const alert = request.alert;
    const data: Record<string, { Value: string; Type: OpsItemDataType }> = {
        // OpsCenter rejects a second OpsItem with this string while the first is Open or InProgress.
        "/aws/dedup": { Type: "SearchableString", Value: JSON.stringify({ dedupString: request.dedupKey }) },
        "vigil:case": {
            Type: "SearchableString",
            Value: clipBytes(
                JSON.stringify({ caseId: request.caseId, key: request.dedupKey, source: alert.source, cluster: alert.cluster, alertname: alert.alertname, impact: request.impact, impactReason: request.impactReason, startsAt: alert.startsAt }),
                OPSITEM_DATA_VALUE_MAX,
            ),
        },
        "vigil:alert": {
            Type: "String",
            Value: clipBytes(JSON.stringify({ attributes: alert.attributes, summary: alert.summary, description: alert.description, runbookUrl: alert.runbookUrl, mitigations: alert.mitigations, links: alert.links }), OPSITEM_DATA_VALUE_MAX),
        },
    };
    const arns = alert.resources.filter((r) => r.startsWith("arn:")).slice(0, 10);
    if (arns.length > 0) {
        data["/aws/resources"] = { Type: "SearchableString", Value: JSON.stringify(arns.map((arn) => ({ arn }))) };
    }
    if (request.evidence.length > 0) {
        data["vigil:diagnostics"] = { Type: "String", Value: clipBytes(JSON.stringify(request.evidence), OPSITEM_DATA_VALUE_MAX) };
    }
    return {
        Title: clip(request.title, OPSITEM_TITLE_MAX),
        Description: clip(request.description, OPSITEM_DESCRIPTION_MAX),
        Source: clip(source, 128),
        OpsItemType: "/aws/issue",
        Category: alert.source === "guardduty" ? "Security" : "Availability",
        Severity: OPSITEM_SEVERITY[alert.severity],
        Priority: OPSITEM_PRIORITY[alert.severity],
        OperationalData: data,
        Tags: Object.entries(vigilTags("triage-incident-response")).map(([Key, Value]) => ({ Key, Value })),
    };
}

export class OpsCenterIncidents implements Incidents {
    constructor(
        private readonly client: SSMClient,
        private readonly source = "Vigil",
    ) {}

    async open(request: IncidentRequest): Promise<{ id: string; created: boolean }> {
        try {
            const out = await this.client.send(new CreateOpsItemCommand(createOpsItemInput(request, this.source)));
            if (!out.OpsItemId) {
                throw new Error("CreateOpsItem returned no OpsItemId");
            }
            return { id: out.OpsItemId, created: true };
        } catch (err) {
            if (err instanceof OpsItemAlreadyExistsException || (err as { name?: string }).name === "OpsItemAlreadyExistsException") {
                const id = (err as OpsItemAlreadyExistsException).OpsItemId;
                if (id) {
                    return { id, created: false };
                }
            }
            throw err;
        }
    }
}

export interface SchedulerTimersOptions {
    /** The timer function (target of the one-time schedules). */
    readonly targetArn: string;
    /** Role EventBridge Scheduler assumes to invoke it. */
    readonly roleArn: string;
    readonly groupName: string;
    /** Queue for invocations Scheduler could not deliver. */
    readonly deadLetterArn?: string;
}

/** `at(...)` wants `yyyy-mm-ddThh:mm:ss` (whole seconds) in the schedule's time zone (UTC here). */
export function atExpression(iso: string): string {
    const ms = Date.parse(iso);
    // Round up: firing a moment early would find the case not yet due.
    return `at(${new Date(Math.ceil(ms / 1000) * 1000).toISOString().slice(0, 19)})`;
}

export class SchedulerTimers implements Timers {
    constructor(
        private readonly client: SchedulerClient,
        private readonly options: SchedulerTimersOptions,
    ) {}

    async schedule(name: string, at: string, payload: TimerPayload): Promise<void> {
        try {
            await this.client.send(
                new CreateScheduleCommand({
                    Name: name,
                    GroupName: this.options.groupName,
                    ScheduleExpression: atExpression(at),
                    ScheduleExpressionTimezone: "UTC",
                    FlexibleTimeWindow: { Mode: "OFF" },
                    ActionAfterCompletion: "DELETE",
                    // Same name → same request: a retried create is idempotent.
                    ClientToken: name,
                    Description: "Vigil: resolve the case if the customer has not answered",
                    Target: {
                        Arn: this.options.targetArn,
                        RoleArn: this.options.roleArn,
                        Input: JSON.stringify(payload),
                        RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 },
                        ...(this.options.deadLetterArn ? { DeadLetterConfig: { Arn: this.options.deadLetterArn } } : {}),
                    },
                }),
            );
        } catch (err) {
            if (err instanceof ConflictException || (err as { name?: string }).name === "ConflictException") {
                return; // Already scheduled by an earlier attempt.
            }
            throw err;
        }
    }

    async cancel(name: string): Promise<void> {
        try {
            await this.client.send(new DeleteScheduleCommand({ Name: name, GroupName: this.options.groupName }));
        } catch (err) {
            if (err instanceof ResourceNotFoundException || (err as { name?: string }).name === "ResourceNotFoundException") {
                return;
            }
            throw err;
        }
    }
}

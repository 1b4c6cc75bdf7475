// Attaching a diagnostics report to the incident's OpsItem (ssm:UpdateOpsItem): a new description
// with the findings in brief, and the full text as the operational data key `vigil:diagnostics`.

import { SSMClient, UpdateOpsItemCommand } from "@aws-sdk/client-ssm";

/** The operational data key the report goes to (not searchable: it may quote logs). */
export const DIAGNOSTICS_DATA_KEY = "vigil:diagnostics";

export interface OpsItemUpdate {
    readonly description: string;
    readonly data: string;
}

export interface OpsItemUpdates {
    /** Throws when the OpsItem could not be updated. */
    attach(opsItemId: string, update: OpsItemUpdate): Promise<void>;
}

export class SsmOpsItemUpdates implements OpsItemUpdates {
    constructor(private readonly client: SSMClient) {}

    async attach(opsItemId: string, update: OpsItemUpdate): Promise<void> {
        await this.client.send(
            new UpdateOpsItemCommand({
                OpsItemId: opsItemId,
                Description: update.description,
                OperationalData: { [DIAGNOSTICS_DATA_KEY]: { Type: "String", Value: update.data } },
            }),
        );
    }
}

/** Keeps what it was asked to do (replay, tests). */
export class RecordingOpsItemUpdates implements OpsItemUpdates {
    readonly updates: (OpsItemUpdate & { readonly opsItemId: string })[] = [];
    /** When set, the next calls throw this many times. */
    failNext = 0;

    async attach(opsItemId: string, update: OpsItemUpdate): Promise<void> {
        if (this.failNext > 0) {
            this.failNext--;
            throw Object.assign(new Error("User is not authorized to perform: ssm:UpdateOpsItem (simulated)"), { name: "AccessDeniedException" });
        }
        this.updates.push({ opsItemId, ...update });
    }
}

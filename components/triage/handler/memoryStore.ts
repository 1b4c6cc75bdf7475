// An in-memory CaseStore with the same conditional semantics as the DynamoDB store (used by replay;
// the engine's tests run against dynalite). Records are copied in and out, as a real store would.

import { acceptObservation, isDuplicateObservation } from "./lifecycle";
import { CaseRecord, Heartbeat, UnparsedMessage } from "./model";
import { CaseStore, Observation, ObserveResult } from "./ports";

export class MemoryStore implements CaseStore {
    private readonly cases = new Map<string, CaseRecord>();
    private readonly heartbeatsByCluster = new Map<string, Heartbeat>();
    private readonly unparsedById = new Map<string, { message: UnparsedMessage; expiresAt: number }>();

    async observe(observation: Observation): Promise<ObserveResult> {
        const existing = this.cases.get(observation.caseId);
        if (isDuplicateObservation(existing, observation.alert)) {
            return { duplicate: true };
        }
        const record = acceptObservation(existing, observation.caseId, observation.alert, observation.now, observation.claimUntil);
        this.cases.set(observation.caseId, structuredClone(record));
        return { duplicate: false, created: existing === undefined, record: structuredClone(record) };
    }

    async load(caseId: string): Promise<CaseRecord | undefined> {
        const record = this.cases.get(caseId);
        return record ? structuredClone(record) : undefined;
    }

    async save(record: CaseRecord, expectedVersion: number): Promise<boolean> {
        const existing = this.cases.get(record.caseId);
        if (!existing || existing.version !== expectedVersion) {
            return false;
        }
        this.cases.set(record.caseId, structuredClone(record));
        return true;
    }

    async listDue(now: string, limit: number): Promise<string[]> {
        return [...this.cases.values()]
            .filter((c) => c.dueAt !== undefined && c.dueAt <= now)
            .sort((a, b) => ((a.dueAt as string) < (b.dueAt as string) ? -1 : 1))
            .slice(0, limit)
            .map((c) => c.caseId);
    }

    async recordHeartbeat(heartbeat: Heartbeat): Promise<void> {
        const existing = this.heartbeatsByCluster.get(heartbeat.cluster);
        if (!existing || existing.at < heartbeat.at) {
            this.heartbeatsByCluster.set(heartbeat.cluster, { ...heartbeat });
        }
    }

    async recordUnparsed(message: UnparsedMessage, expiresAt: number): Promise<boolean> {
        if (this.unparsedById.has(message.messageId)) {
            return false;
        }
        this.unparsedById.set(message.messageId, { message: structuredClone(message), expiresAt });
        return true;
    }

    /** Every case, in the order they were first seen. */
    allCases(): CaseRecord[] {
        return [...this.cases.values()].map((c) => structuredClone(c));
    }

    heartbeats(): Heartbeat[] {
        return [...this.heartbeatsByCluster.values()];
    }

    unparsed(): UnparsedMessage[] {
        return [...this.unparsedById.values()].map((u) => u.message);
    }
}

// Recording ports: a notifier, incident tracker and timer service that keep what they were asked
// to do, and a clock that moves only when told. Replay runs the engine with them; tests use them to
// assert side effects. The incident recorder deduplicates like OpsCenter: a dedup string with an
// open incident returns that incident.

import { Clock, IncidentRequest, Incidents, Notification, Notifier, TimerPayload, Timers } from "./ports";

export class ManualClock implements Clock {
    private current: number;

    constructor(start: Date | string) {
        this.current = new Date(start).getTime();
        if (Number.isNaN(this.current)) {
            throw new Error(`ManualClock: ${String(start)} is not a time`);
        }
    }

    now(): Date {
        return new Date(this.current);
    }

    set(time: Date | string): void {
        this.current = new Date(time).getTime();
    }

    advance(seconds: number): void {
        this.current += seconds * 1000;
    }
}

export class RecordingNotifier implements Notifier {
    readonly sent: (Notification & { readonly messageId: string })[] = [];
    /** When set, the next publish calls throw this error (and the count goes down). */
    failNext = 0;

    async publish(notification: Notification): Promise<string> {
        if (this.failNext > 0) {
            this.failNext--;
            throw new Error("SNS Publish failed (simulated)");
        }
        const messageId = `notification-${this.sent.length + 1}`;
        this.sent.push({ ...notification, messageId });
        return messageId;
    }
}

export class RecordingIncidents implements Incidents {
    readonly opened: (IncidentRequest & { readonly id: string })[] = [];
    /** Open incidents by dedup string (closing one lets the next request create a new one). */
    readonly openByKey = new Map<string, string>();
    failNext = 0;

    async open(request: IncidentRequest): Promise<{ id: string; created: boolean }> {
        if (this.failNext > 0) {
            this.failNext--;
            throw new Error("CreateOpsItem failed (simulated)");
        }
        const existing = this.openByKey.get(request.dedupKey);
        if (existing) {
            return { id: existing, created: false };
        }
        const id = `oi-${String(this.opened.length + 1).padStart(12, "0")}`;
        this.opened.push({ ...request, id });
        this.openByKey.set(request.dedupKey, id);
        return { id, created: true };
    }

    /** People resolved the incident (OpsCenter would then create a new one for the same dedup string). */
    close(dedupKey: string): void {
        this.openByKey.delete(dedupKey);
    }
}

export class RecordingTimers implements Timers {
    readonly schedules = new Map<string, { readonly at: string; readonly payload: TimerPayload }>();
    readonly created: string[] = [];
    readonly cancelled: string[] = [];

    async schedule(name: string, at: string, payload: TimerPayload): Promise<void> {
        if (!this.schedules.has(name)) {
            this.created.push(name);
        }
        this.schedules.set(name, { at, payload });
    }

    async cancel(name: string): Promise<void> {
        this.cancelled.push(name);
        this.schedules.delete(name);
    }

    /** Removes and returns the schedules due at or before `time`, earliest first (ActionAfterCompletion: DELETE). */
    takeDue(time: string): { name: string; at: string; payload: TimerPayload }[] {
        const due = [...this.schedules.entries()]
            .filter(([, s]) => s.at <= time)
            .map(([name, s]) => ({ name, ...s }))
            .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
        for (const d of due) {
            this.schedules.delete(d.name);
        }
        return due;
    }
}

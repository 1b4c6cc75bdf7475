// The diagnostics time budget: every call the checks make is raced against one deadline, so a
// slow API server or a long-running log query ends as a "timed out" result instead of holding
// the run (and the case's report) hostage. Wall-clock time: the engine's clock may be a replay's.

/** A call did not answer before the deadline. */
export class DeadlineExceeded extends Error {
    constructor(what: string) {
        super(`${what}: no answer within the diagnostics time budget`);
        this.name = "DeadlineExceeded";
    }
}

export class Deadline {
    /**
     * Set when a race's timer fired. Node's timers can fire a millisecond before Date.now() reaches
     * `at`; without this, a call started right after a timed-out one could still run and answer.
     */
    private passed = false;

    /** @param at epoch milliseconds (wall clock) */
    constructor(readonly at: number) {}

    static in(ms: number): Deadline {
        return new Deadline(Date.now() + ms);
    }

    remainingMs(): number {
        return this.passed ? 0 : Math.max(0, this.at - Date.now());
    }

    expired(): boolean {
        return this.remainingMs() === 0;
    }

    /** `promise`, or DeadlineExceeded when the deadline passes first. */
    async race<T>(promise: Promise<T>, what: string): Promise<T> {
        const remaining = this.remainingMs();
        if (remaining === 0) {
            // Keep the abandoned promise from surfacing as an unhandled rejection.
            promise.catch(() => undefined);
            throw new DeadlineExceeded(what);
        }
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
                this.passed = true;
                reject(new DeadlineExceeded(what));
            }, remaining);
        });
        try {
            return await Promise.race([promise, timeout]);
        } finally {
            clearTimeout(timer);
            promise.catch(() => undefined);
        }
    }

    /** Waits `ms` (or until the deadline, whichever is first). */
    async sleep(ms: number): Promise<void> {
        const remaining = this.remainingMs();
        const wait = Math.min(ms, remaining);
        if (wait > 0) {
            await new Promise((resolve) => setTimeout(resolve, wait));
        }
        if (wait === remaining) {
            // Slept until the deadline: it is over, whatever the clock reads (see `passed`).
            this.passed = true;
        }
    }
}

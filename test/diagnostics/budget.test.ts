// The diagnostics time budget: one deadline every call is raced against.

import * as assert from "node:assert/strict";
import { Deadline, DeadlineExceeded } from "../../components/triage/handler/diagnostics/budget";

describe("diagnostics: the time budget", () => {
    const realNow = Date.now;
    afterEach(() => {
        Date.now = realNow;
    });

    it("answers within the deadline pass through; a call still running at the deadline fails as DeadlineExceeded", async () => {
        const deadline = Deadline.in(100);
        assert.equal(await deadline.race(Promise.resolve("answer"), "GET /version"), "answer");
        await assert.rejects(deadline.race(new Promise(() => undefined), "GET /readyz"), (err: Error) => err instanceof DeadlineExceeded && /GET \/readyz: no answer within the diagnostics time budget/.test(err.message));
        await assert.rejects(deadline.race(Promise.resolve("late"), "GET /livez"), DeadlineExceeded, "nothing starts once the deadline has passed");
    });

    it("once a race's timer has fired, the deadline is over even when the clock reads a moment earlier (timers can fire early)", async () => {
        const deadline = Deadline.in(30);
        await assert.rejects(deadline.race(new Promise(() => undefined), "GET /readyz"), DeadlineExceeded);
        // As if the timer had fired a millisecond before Date.now() reached the deadline.
        Date.now = () => deadline.at - 1;
        assert.equal(deadline.remainingMs(), 0);
        assert.ok(deadline.expired());
        await assert.rejects(deadline.race(Promise.resolve("answer"), "GET /livez"), DeadlineExceeded, "the next call does not sneak in");
        // A deadline whose timer never fired still goes by the clock.
        const fresh = new Deadline(deadline.at);
        assert.equal(fresh.remainingMs(), 1);
    });

    it("sleeps at most until the deadline", async () => {
        const deadline = Deadline.in(40);
        const started = realNow();
        await deadline.sleep(10_000);
        assert.ok(realNow() - started < 5_000, "the sleep ended at the deadline, not after 10 s");
        assert.ok(deadline.expired());
    });
});

// The alarm on messages kept as unparsed: the intake log group's metric filter must match the line
// the engine really writes. The engine runs here with a Powertools Logger built as the deployed
// handler builds it (components/triage/handler/index.ts), its output captured, and the filter
// pattern is evaluated against that line by a strict reader of CloudWatch Logs JSON filter
// patterns (the subset the filter uses: `{ ($.field = "text") && ... }`; anything else is refused,
// so a pattern the reader cannot check fails the test instead of passing it).

import * as assert from "node:assert/strict";
import { Logger } from "@aws-lambda-powertools/logger";
import { UNPARSED_LOG_MESSAGE, unparsedMessagesFilter } from "../../components/triage/args";
import { TriageEngine } from "../../components/triage/handler/engine";
import { DEFAULT_SETTINGS } from "../../components/triage/handler/lifecycle";
import { MemoryStore } from "../../components/triage/handler/memoryStore";
import { ManualClock, RecordingIncidents, RecordingNotifier, RecordingTimers } from "../../components/triage/handler/recording";
import { IMPACT_TABLE, message } from "../triage/support";

type Condition = { readonly path: readonly string[]; readonly op: "=" | "!="; readonly value: string };

/**
 * Reads `{ cond && cond ... }` where cond is `$.a.b = "text"` or `$.a.b != "text"`, optionally in
 * parentheses; values without wildcards (CloudWatch then compares the whole string).
 */
function readJsonPattern(pattern: string): Condition[] {
    const body = /^\{\s*(.*?)\s*\}$/s.exec(pattern)?.[1];
    if (body === undefined) {
        throw new Error(`not a JSON filter pattern: ${pattern}`);
    }
    return body.split(/\s*&&\s*/).map((term) => {
        const m = /^\(?\s*\$\.([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*(=|!=)\s*"((?:[^"\\*]|\\.)*)"\s*\)?$/.exec(term);
        if (!m || term.startsWith("(") !== term.endsWith(")")) {
            throw new Error(`a condition this reader does not know: ${term}`);
        }
        return { path: m[1].split("."), op: m[2] as Condition["op"], value: m[3].replace(/\\(.)/g, "$1") };
    });
}

/** True when the log event (one line of text) matches the JSON filter pattern. */
function matches(pattern: string, line: string): boolean {
    const conditions = readJsonPattern(pattern);
    let event: unknown;
    try {
        event = JSON.parse(line);
    } catch {
        return false; // JSON patterns match JSON log events only.
    }
    return conditions.every((c) => {
        const value = c.path.reduce<unknown>((v, key) => (v !== null && typeof v === "object" ? (v as Record<string, unknown>)[key] : undefined), event);
        return c.op === "=" ? value === c.value : value !== undefined && value !== c.value;
    });
}

/** What `run` writes to stdout and stderr, line by line. */
async function captured(run: () => Promise<void>): Promise<string[]> {
    const lines: string[] = [];
    const streams = [process.stdout, process.stderr];
    const writes = streams.map((s) => s.write);
    for (const s of streams) {
        s.write = ((chunk: string | Uint8Array) => {
            lines.push(...String(chunk).split("\n").filter((l) => l !== ""));
            return true;
        }) as typeof s.write;
    }
    try {
        await run();
    } finally {
        streams.forEach((s, i) => (s.write = writes[i]));
    }
    return lines;
}

describe("TriageService: the unparsed-messages metric filter", () => {
    const filter = unparsedMessagesFilter("vigil-triage");

    it("is exactly the JSON pattern on level and message, counted in the service's own namespace", () => {
        assert.equal(UNPARSED_LOG_MESSAGE, "message kept as unparsed");
        assert.deepEqual(filter, {
            pattern: '{ ($.level = "ERROR") && ($.message = "message kept as unparsed") }',
            namespace: "Vigil/Triage/vigil-triage",
            metricName: "UnparsedMessages",
            value: "1",
            unit: "Count",
        });
        assert.deepEqual(readJsonPattern(filter.pattern), [
            { path: ["level"], op: "=", value: "ERROR" },
            { path: ["message"], op: "=", value: "message kept as unparsed" },
        ]);
    });

    it("matches the line the engine writes through Powertools Logger when it keeps a message, and none of its other lines", async () => {
        const previousLevel = process.env.POWERTOOLS_LOG_LEVEL;
        process.env.POWERTOOLS_LOG_LEVEL = "DEBUG";
        try {
            const logger = new Logger({ serviceName: "vigil-triage-intake" });
            const store = new MemoryStore();
            const engine = new TriageEngine({
                store,
                notifier: new RecordingNotifier(),
                operatorNotifier: new RecordingNotifier(),
                incidents: new RecordingIncidents(),
                timers: new RecordingTimers(),
                clock: new ManualClock("2024-05-01T12:00:00.000Z"),
                impactTable: IMPACT_TABLE,
                settings: DEFAULT_SETTINGS,
                log: logger,
            });
            const kept = message("other/01-unknown-source.sns.json");
            const lines = await captured(async () => {
                // A message the engine cannot use, then one it can (an alert, and a heartbeat at debug level).
                assert.equal((await engine.ingest(kept)).outcome, "unparsed");
                assert.equal((await engine.ingest(message("amp/01-crashloop-firing.sns.json"))).outcome, "alerts");
                await engine.ingest(message("amp/07-watchdog-heartbeat.sns.json"));
            });
            assert.ok(lines.length >= 2, `the engine logged: ${lines.join("\n")}`);
            const matched = lines.filter((l) => matches(filter.pattern, l));
            assert.equal(matched.length, 1, lines.join("\n"));
            const line = JSON.parse(matched[0]);
            // The Powertools format the filter relies on: top-level `level` and `message`, the extra keys beside them.
            assert.equal(line.level, "ERROR");
            assert.equal(line.message, UNPARSED_LOG_MESSAGE);
            assert.equal(line.service, "vigil-triage-intake");
            assert.equal(line.messageId, kept.messageId);
            assert.equal(line.kind, "unknown-source");
            assert.equal((await store.unparsed()).length, 1);
        } finally {
            if (previousLevel === undefined) {
                delete process.env.POWERTOOLS_LOG_LEVEL;
            } else {
                process.env.POWERTOOLS_LOG_LEVEL = previousLevel;
            }
        }
    });

    it("would catch a pattern that misses the line: another message text, another level, a text pattern", () => {
        const line = JSON.stringify({ level: "ERROR", message: UNPARSED_LOG_MESSAGE, service: "vigil-triage-intake", timestamp: "2024-05-01T12:00:00.000Z" });
        assert.equal(matches(filter.pattern, line), true);
        assert.equal(matches('{ ($.level = "ERROR") && ($.message = "message kept unparsed") }', line), false);
        assert.equal(matches('{ ($.level = "error") && ($.message = "message kept as unparsed") }', line), false);
        assert.equal(matches(filter.pattern, JSON.stringify({ level: "WARN", message: UNPARSED_LOG_MESSAGE })), false);
        assert.equal(matches(filter.pattern, `ERROR ${UNPARSED_LOG_MESSAGE}`), false);
        assert.throws(() => readJsonPattern('"message kept as unparsed"'), /not a JSON filter pattern/);
        assert.throws(() => readJsonPattern('{ $.message = "message kept *" }'), /does not know/);
    });
});

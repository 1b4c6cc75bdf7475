// The bench's reporting: goal verdicts, result lines, the PERFORMANCE.md block, the command line.

import * as assert from "node:assert/strict";
import * as path from "node:path";
import { formatLine, formatRatio, markdownResults, median, replaceResults, Result, RESULTS_END, RESULTS_START, Run, verdict } from "../../bench/lib/results";
import { BENCHMARKS, cli, HelpRequested, parseArgs, sizes, UsageError } from "../../bench/run";

const withGoal = (checked: number, op: "<=" | "<" = "<=", limit = 1.5): Result => ({
    benchmark: "storm",
    name: "new alerts",
    value: "3.00 s",
    baseline: "2.00 s for the floor",
    ratio: checked,
    checked,
    goal: { op, limit, text: "≤ 1.5× the floor" },
});

describe("bench results: verdicts", () => {
    it("meets a goal at or under its limit and misses it above", () => {
        assert.equal(verdict(withGoal(1.5)), "met");
        assert.equal(verdict(withGoal(1.49)), "met");
        assert.equal(verdict(withGoal(1.51)), "missed");
    });

    it("treats a strict goal strictly", () => {
        assert.equal(verdict(withGoal(1.5, "<")), "missed");
        assert.equal(verdict(withGoal(1.4, "<")), "met");
    });

    it("misses a goal whose number could not be computed, and leaves results without goals alone", () => {
        assert.equal(verdict(withGoal(Number.NaN)), "missed");
        assert.equal(verdict(withGoal(Number.POSITIVE_INFINITY)), "missed");
        assert.equal(verdict({ ...withGoal(1), checked: undefined }), "missed");
        assert.equal(verdict({ benchmark: "lambda", name: "archive", value: "1 KiB" }), "no goal");
    });
});

describe("bench results: formatting", () => {
    it("prints measurement, baseline, ratio, goal and verdict on one line", () => {
        assert.equal(formatLine(withGoal(1.5)), "[storm] new alerts: 3.00 s | baseline 2.00 s for the floor | ratio 1.5× | goal ≤ 1.5× the floor: MET");
        assert.match(formatLine(withGoal(3.25)), /ratio 3\.25× \| goal ≤ 1\.5× the floor: MISSED$/);
        assert.equal(formatLine({ benchmark: "lambda", name: "archive", value: "1 KiB" }), "[lambda] archive: 1 KiB | no goal (for information)");
    });

    it("rounds ratios to what a reader needs", () => {
        assert.equal(formatRatio(0.07341), "0.073×");
        assert.equal(formatRatio(1), "1×");
        assert.equal(formatRatio(12.54), "12.5×");
        assert.equal(formatRatio(150.4), "150×");
    });

    it("takes the median of odd and even lists and refuses an empty one", () => {
        assert.equal(median([5, 1, 3]), 3);
        assert.equal(median([4, 1, 3, 2]), 2.5);
        assert.throws(() => median([]), RangeError);
    });
});

const RUN: Run = {
    date: "2025-01-15T12:00:00Z",
    mode: "full",
    revision: "commit abc1234",
    machine: { cpu: "Test CPU", cores: 2, memoryBytes: 24 * 1024 ** 3, node: "v20.0.0", os: "Linux", tools: { prometheus: "2.42.0" } },
    durationSeconds: 321,
    load: { start: 0.5, end: 1.25 },
    results: [withGoal(1.2), withGoal(3), { benchmark: "lambda", name: "archive | zipped", value: "1 KiB", notes: ["two files"] }],
    failures: [{ benchmark: "ingestion", reason: "prometheus is not installed" }],
};

describe("bench results: PERFORMANCE.md", () => {
    it("writes the machine, the run and one table row per result and failure", () => {
        const block = markdownResults(RUN);
        assert.match(block, /^Run: 2025-01-15T12:00:00Z \(full, 321 s\) of commit abc1234\. Machine: Test CPU, 2 cores, 24\.0 GiB memory, Node\.js v20\.0\.0, Linux; prometheus 2\.42\.0\. Load average \(1 min\) 0\.50 at the start, 1\.25 at the end\./);
        const rows = block.split("\n").filter((l) => l.startsWith("| ") && !l.startsWith("| ---") && !l.startsWith("| benchmark"));
        assert.equal(rows.length, 4);
        assert.equal(rows[0], "| storm | new alerts | 3.00 s | 2.00 s for the floor | 1.2× | ≤ 1.5× the floor | met |");
        assert.equal(rows[1], "| storm | new alerts | 3.00 s | 2.00 s for the floor | 3× | ≤ 1.5× the floor | **missed** |");
        // A pipe in a cell must not open a column.
        assert.equal(rows[2], "| lambda | archive \\| zipped | 1 KiB | – | – | – | – |");
        assert.equal(rows[3], "| ingestion | not measured | prometheus is not installed | – | – | – | – |");
        assert.match(block, /- lambda, archive \| zipped: two files/);
    });

    it("replaces only the block between the markers", () => {
        const doc = `# Performance\n\nprose before\n\n${RESULTS_START}\nold table\n${RESULTS_END}\n\nprose after\n`;
        const out = replaceResults(doc, "new table");
        assert.equal(out, `# Performance\n\nprose before\n\n${RESULTS_START}\nnew table\n${RESULTS_END}\n\nprose after\n`);
        assert.equal(replaceResults(out, "new table"), out, "idempotent");
    });

    it("appends the block to a document without markers, and refuses a document with only one", () => {
        assert.equal(replaceResults("# Performance\n\n", "t"), `# Performance\n\n${RESULTS_START}\nt\n${RESULTS_END}\n`);
        assert.throws(() => replaceResults(`# P\n${RESULTS_START}\nt\n`, "x"), /only one of the bench result markers/);
    });
});

describe("bench command line", () => {
    it("runs everything, full size, by default", () => {
        assert.deepEqual(parseArgs([]), { quick: false, only: [...BENCHMARKS], out: undefined, revision: undefined });
    });

    it("takes --quick, --only (in the bench's order) and --out", () => {
        const args = parseArgs(["--quick", "--only", "plan,storm", "--out", "x.md"]);
        assert.equal(args.quick, true);
        assert.deepEqual(args.only, ["storm", "plan"]);
        assert.equal(args.out, path.resolve("x.md"));
        assert.equal(parseArgs(["--revision", "commit abc1234 (exported)"]).revision, "commit abc1234 (exported)");
    });

    it("names the argument and what is allowed when it is wrong", () => {
        assert.throws(() => parseArgs(["--only", "storm,disk"]), (err: Error) => err instanceof UsageError && err.message === '--only: got "disk"; allowed: ingestion, storm, lambda, plan');
        assert.throws(() => parseArgs(["--only"]), /--only needs a value/);
        assert.throws(() => parseArgs(["--fast"]), /unknown argument "--fast"/);
    });

    it("prints the usage on stdout and exits 0 for --help and -h, without running anything", async () => {
        for (const argv of [["--help"], ["-h"], ["--quick", "--help"]]) {
            assert.throws(() => parseArgs(argv), HelpRequested, argv.join(" "));
            let out = "";
            let err = "";
            const code = await cli(argv, { out: (t) => (out += t), err: (t) => (err += t) });
            assert.equal(code, 0, argv.join(" "));
            assert.match(out, /^usage: npm run bench -- /);
            assert.match(out, /-h, --help/);
            assert.doesNotMatch(out, /Vigil benchmarks/, "no benchmark ran");
            assert.equal(err, "");
        }
    });

    it("exits 2 with the error and the usage on stderr for an unknown argument", async () => {
        let out = "";
        let err = "";
        const code = await cli(["--halp"], { out: (t) => (out += t), err: (t) => (err += t) });
        assert.equal(code, 2);
        assert.match(err, /^error: unknown argument "--halp"\nusage: npm run bench -- /);
        assert.equal(out, "");
    });

    it("sizes the full run as the issue asks and the quick run smaller", () => {
        const full = sizes(false);
        assert.equal(full.storm.groupAlerts, 1000);
        assert.equal(full.storm.singleMessages, 10_000);
        assert.deepEqual(full.plan.clusters, [1, 10, 100]);
        const quick = sizes(true);
        assert.ok(quick.storm.singleMessages < full.storm.singleMessages);
        assert.ok(quick.lambda.runs < full.lambda.runs && quick.ingestion.scrapes < full.ingestion.scrapes);
        // The quick plan keeps the 10× step the goal is stated for.
        const [a, b] = quick.plan.clusters.slice(-2);
        assert.equal(b / a, 10);
    });
});

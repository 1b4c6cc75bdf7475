// Runs the offline plan's command line (tools/plan.ts) in this process and, when it is done, reports
// the process's peak memory on stderr for the plan benchmark (`BENCH_PLAN_USAGE {...}`).

import { cli } from "../../tools/plan";
import { peakRssKb } from "../lib/peakMemory";
import { USAGE_MARKER } from "./generate";

void cli(process.argv.slice(2)).then((code) => {
    process.stderr.write(`\n${USAGE_MARKER} ${JSON.stringify({ code, maxRssKb: peakRssKb() })}\n`);
    process.exit(code);
});

// A process's own peak resident memory. `process.resourceUsage().maxRSS` (getrusage) is not it for
// a child process: Linux carries the RSS of the forked copy of the parent into the child's maxrss
// across exec, so a child of a 300 MB parent reports at least 300 MB. VmHWM in /proc/self/status
// is the high-water mark of the process's own address space, which exec replaces.

import * as fs from "node:fs";

/** Parses VmHWM (KiB) out of a /proc/<pid>/status text. */
export function parseVmHwmKb(status: string): number | undefined {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(status);
    return m ? Number(m[1]) : undefined;
}

/** This process's peak resident set in KiB: VmHWM where /proc exists, getrusage's maxRSS elsewhere. */
export function peakRssKb(): number {
    try {
        const hwm = parseVmHwmKb(fs.readFileSync("/proc/self/status", "utf8"));
        if (hwm !== undefined) {
            return hwm;
        }
    } catch {
        // No /proc (not Linux): the rusage figure, which may include a parent's memory.
    }
    return process.resourceUsage().maxRSS;
}

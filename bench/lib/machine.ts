// The machine a run measured: results are only comparable between runs on the same machine.

import { spawnSync } from "node:child_process";
import * as os from "node:os";
import { Machine } from "./results";

/** First line of `<command> --version`, or undefined when the tool is missing. */
export function toolVersion(command: string): string | undefined {
    const out = spawnSync(command, ["--version"], { encoding: "utf8", timeout: 10_000 });
    if (out.error || out.status !== 0) {
        return undefined;
    }
    // Prometheus tools print "name, version X (branch: ...)" on stdout or stderr.
    const text = `${out.stdout}\n${out.stderr}`;
    return /version ([^\s(]+)/.exec(text)?.[1];
}

export function describeMachine(tools: readonly string[] = ["prometheus", "prometheus-node-exporter"]): Machine {
    const cpus = os.cpus();
    const versions: Record<string, string> = {};
    for (const tool of tools) {
        const v = toolVersion(tool);
        if (v) {
            versions[tool] = v;
        }
    }
    return {
        cpu: cpus[0]?.model.trim() || "unknown CPU",
        cores: cpus.length,
        memoryBytes: os.totalmem(),
        node: process.version,
        os: `${os.type()} ${os.release()} ${os.arch()}`,
        tools: versions,
    };
}

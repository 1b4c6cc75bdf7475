// Renders the README's policy-pack tables from the matrix and the catalog, so the documentation
// says what the pack enforces (a test keeps the README in step). `npm run policy:docs` prints them.

import { POLICIES, VigilPolicy } from "./catalog";
import { Activity, describeMatcher, PARTIES, raci } from "./lib/raci";

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

function evidence(activity: Activity): string {
    if (!activity.resources) {
        return `at run time: ${activity.runtime ?? ""}`;
    }
    const scope = activity.resources.scope === "cluster" ? "per cluster: " : "";
    return scope + activity.resources.all.map((e) => e.any.map((m) => `\`${describeMatcher(m)}\``).join(" or ")).join(", ");
}

/** The responsibility matrix as a Markdown table. */
export function renderMatrix(): string {
    const header = ["Activity", ...PARTIES.map((p) => p[0].toUpperCase() + p.slice(1)), "Evidence in the stack", "Checked by"];
    const rows = raci().activities.map((a) => [`\`${a.id}\`: ${a.title}`, ...PARTIES.map((p) => a.letters[p].join(", ")), evidence(a), a.policies.length > 0 ? a.policies.map((p) => `\`${p}\``).join(", ") : "none: nothing in a stack to check"]);
    return [header, header.map(() => "---"), ...rows].map((r) => `| ${r.map(cell).join(" | ")} |`).join("\n");
}

const kind = (p: VigilPolicy) => ("validateStack" in p ? "stack" : "resource");

/** Every policy: name, level, whether it checks resources or the whole stack, and what it checks. */
export function renderPolicies(): string {
    const rows = POLICIES.map((p) => [`\`${p.name}\``, p.enforcementLevel ?? "", kind(p), p.description]);
    return [["Policy", "Level", "Checks", "What it enforces"], ["---", "---", "---", "---"], ...rows].map((r) => `| ${r.map(cell).join(" | ")} |`).join("\n");
}

/** Every configuration property of every policy, with its default. */
export function renderConfiguration(): string {
    const rows = POLICIES.flatMap((p) =>
        Object.entries(p.configSchema?.properties ?? {}).map(([key, schema]) => {
            const s = typeof schema === "object" ? schema : {};
            return [`\`${p.name}\``, `\`${key}\``, `\`${JSON.stringify(s.default)}\``, s.description ?? ""];
        }),
    );
    return [["Policy", "Key", "Default", "Meaning"], ["---", "---", "---", "---"], ...rows].map((r) => `| ${r.map(cell).join(" | ")} |`).join("\n");
}

if (require.main === module) {
    process.stdout.write(`### Configuration\n\n${renderConfiguration()}\n\n### Policies\n\n${renderPolicies()}\n\n### The responsibility matrix\n\n${renderMatrix()}\n`);
}

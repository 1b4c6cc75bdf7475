// The least-privilege review the triage service's policy tests apply (issue 7: "no wildcards beyond
// what the service requires"), for any account and region, so that the offline plan's IAM
// artifacts can be held to it as well as the builders' output.

/** A statement as IAM reads it (single values or lists). */
interface Statement {
    readonly Sid?: string;
    readonly Effect: string;
    readonly Action?: string | readonly string[];
    readonly NotAction?: unknown;
    readonly Resource?: string | readonly string[];
    readonly NotResource?: unknown;
    readonly Principal?: unknown;
    readonly Condition?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

export interface ReviewScope {
    readonly partition: string;
    readonly accountId: string;
    readonly region: string;
}

/**
 * The only actions Vigil's functions use that AWS offers no resource-level permissions for (the
 * Service Authorization Reference lists no resource type for them), so `"*"` is what they require.
 */
export const UNSCOPABLE: ReadonlySet<string> = new Set([
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "ssm:CreateOpsItem",
    "ec2:DescribeInstances",
    "logs:GetQueryResults",
    "logs:StopQuery",
]);

const list = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

function escape(text: string): string {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Problems a least-privilege review would raise in a policy document (an object or its JSON text):
 * wildcard actions, `NotAction`/`NotResource`, `"*"` resources beyond UNSCOPABLE and those not tied
 * to the region, resource patterns other than the suffix patterns below one resource (log streams of
 * a log group, OpsItems, one schedule group's timers), and a wildcard principal. Deny statements are
 * not reviewed. An empty list means the document passes.
 */
export function wildcardProblems(document: unknown, scope: ReviewScope): string[] {
    const doc = (typeof document === "string" ? JSON.parse(document) : document) as { Statement?: Statement | Statement[] };
    const statements = Array.isArray(doc.Statement) ? doc.Statement : doc.Statement ? [doc.Statement] : [];
    const { partition: p, accountId: a, region: r } = scope;
    const suffixPatterns = new RegExp(
        `^arn:${escape(p)}:(logs:${escape(r)}:${escape(a)}:log-group:[^*]+:\\*|ssm:${escape(r)}:${escape(a)}:opsitem/\\*|scheduler:${escape(r)}:${escape(a)}:schedule/[^*/]+/[^*/]+\\*)$`,
    );
    const problems: string[] = [];
    for (const s of statements.filter((x) => x.Effect === "Allow")) {
        const sid = s.Sid ?? "(no Sid)";
        const actions = list(s.Action);
        const resources = list(s.Resource);
        for (const field of ["NotAction", "NotResource"] as const) {
            if (s[field] !== undefined) {
                problems.push(`${sid}: ${field}`);
            }
        }
        for (const action of actions.filter((x) => x.includes("*"))) {
            problems.push(`${sid}: action ${action}`);
        }
        if (resources.includes("*")) {
            for (const action of actions.filter((x) => !UNSCOPABLE.has(x))) {
                problems.push(`${sid}: ${action} on every resource`);
            }
            if (s.Condition?.StringEquals?.["aws:RequestedRegion"] !== r) {
                problems.push(`${sid}: "*" without aws:RequestedRegion`);
            }
        }
        for (const resource of resources.filter((x) => x !== "*" && x.includes("*"))) {
            if (!suffixPatterns.test(resource)) {
                problems.push(`${sid}: resource pattern ${resource}`);
            }
        }
        const principal = s.Principal as string | Record<string, unknown> | undefined;
        if (principal === "*" || (typeof principal === "object" && Object.values(principal).some((v) => list(v).includes("*")))) {
            problems.push(`${sid}: every principal`);
        }
    }
    return problems;
}

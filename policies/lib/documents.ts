// IAM-style policy documents (identity, resource and trust policies) as the policies read them.

export interface Principals {
    /** `"Principal": "*"` or `{"AWS": "*"}`: anyone. */
    readonly anyone: boolean;
    readonly aws: readonly string[];
    readonly service: readonly string[];
    readonly federated: readonly string[];
}

export interface Statement {
    readonly index: number;
    readonly sid?: string;
    readonly effect: "Allow" | "Deny";
    readonly principals?: Principals;
    readonly notPrincipal: boolean;
    readonly actions: readonly string[];
    readonly notAction: boolean;
    readonly resources: readonly string[];
    /** Condition operator → key (lower-case) → values. */
    readonly conditions: ReadonlyMap<string, ReadonlyMap<string, readonly string[]>>;
}

/** A document that is not JSON or not shaped like a policy. */
export class DocumentError extends Error {}

const asList = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

function principals(raw: unknown): Principals {
    if (raw === "*") {
        return { anyone: true, aws: [], service: [], federated: [] };
    }
    if (typeof raw !== "object" || raw === null) {
        throw new DocumentError(`Principal must be "*" or an object; got ${JSON.stringify(raw)}`);
    }
    const p = raw as Record<string, unknown>;
    const aws = asList(p.AWS);
    return { anyone: aws.includes("*"), aws, service: asList(p.Service), federated: asList(p.Federated) };
}

/**
 * Parses a policy document given as a JSON string or an object.
 *
 * @throws DocumentError when it is not JSON or has no Statement list.
 */
export function parseDocument(document: unknown): Statement[] {
    let doc = document;
    if (typeof doc === "string") {
        try {
            doc = JSON.parse(doc);
        } catch {
            throw new DocumentError("the policy document is not valid JSON");
        }
    }
    if (typeof doc !== "object" || doc === null) {
        throw new DocumentError("the policy document must be a JSON object");
    }
    const raw = (doc as Record<string, unknown>).Statement;
    const statements = Array.isArray(raw) ? raw : raw === undefined ? undefined : [raw];
    if (!statements) {
        throw new DocumentError("the policy document has no Statement");
    }
    return statements.map((s, index): Statement => {
        if (typeof s !== "object" || s === null) {
            throw new DocumentError(`statement ${index} is not an object`);
        }
        const st = s as Record<string, unknown>;
        if (st.Effect !== "Allow" && st.Effect !== "Deny") {
            throw new DocumentError(`statement ${index} has Effect ${JSON.stringify(st.Effect)}; allowed: "Allow", "Deny"`);
        }
        const conditions = new Map<string, Map<string, string[]>>();
        if (st.Condition !== undefined) {
            if (typeof st.Condition !== "object" || st.Condition === null) {
                throw new DocumentError(`statement ${index} has a Condition that is not an object`);
            }
            for (const [operator, block] of Object.entries(st.Condition as Record<string, unknown>)) {
                const keys = new Map<string, string[]>();
                for (const [key, values] of Object.entries((block ?? {}) as Record<string, unknown>)) {
                    keys.set(key.toLowerCase(), asList(values));
                }
                conditions.set(operator, keys);
            }
        }
        return {
            index,
            sid: typeof st.Sid === "string" ? st.Sid : undefined,
            effect: st.Effect,
            principals: st.Principal !== undefined ? principals(st.Principal) : st.NotPrincipal !== undefined ? principals(st.NotPrincipal) : undefined,
            notPrincipal: st.NotPrincipal !== undefined,
            actions: asList(st.Action ?? st.NotAction),
            notAction: st.NotAction !== undefined,
            resources: asList(st.Resource ?? st.NotResource),
            conditions,
        };
    });
}

/** How a statement is named in messages: its Sid, or its position. */
export function statementName(statement: Statement): string {
    return statement.sid ? `statement "${statement.sid}"` : `statement ${statement.index}`;
}

/** The values a statement's conditions give a key, across operators, with the operators used. */
export function conditionValues(statement: Statement, key: string): { operator: string; values: readonly string[] }[] {
    const out: { operator: string; values: readonly string[] }[] = [];
    for (const [operator, keys] of statement.conditions) {
        const values = keys.get(key.toLowerCase());
        if (values) {
            out.push({ operator, values });
        }
    }
    return out;
}

const FIXED_OPERATORS = new Set(["StringEquals", "ArnEquals", "StringEqualsIgnoreCase", "ForAnyValue:StringEquals", "ForAllValues:StringEquals"]);
const PATTERN_OPERATORS = new Set(["StringLike", "ArnLike"]);

/**
 * Whether the statement pins `key` to fixed values: an equality operator, or a `*Like` operator
 * whose values have no wildcard (as AWS Config's sns-topic-no-public-access rule requires).
 */
export function pinsKey(statement: Statement, key: string): boolean {
    return conditionValues(statement, key).some(
        ({ operator, values }) =>
            values.length > 0 &&
            (FIXED_OPERATORS.has(operator) || (PATTERN_OPERATORS.has(operator) && values.every((v) => !/[*?]/.test(v)))) &&
            values.every((v) => v !== "" && !v.includes("${")),
    );
}

/** Condition keys that tie a statement to one account, organisation or source resource. */
export const SCOPING_KEYS = ["aws:SourceArn", "aws:SourceAccount", "aws:SourceOwner", "aws:PrincipalAccount", "aws:PrincipalOrgID", "aws:SourceOrgID"];

/** Whether an Allow statement is tied by a fixed condition to an account, organisation or source. */
export function isScoped(statement: Statement): boolean {
    return SCOPING_KEYS.some((k) => pinsKey(statement, k));
}

/** Whether an action pattern covers every action of the service (`*`, `sns:*`). */
export function isWildcardAction(action: string): boolean {
    return action === "*" || /^[a-z0-9-]+:\*$/i.test(action);
}

/** Whether an action pattern (`sns:Publish`, `sns:*`, `sns:Pub*`, `*`) covers an action; IAM compares actions case-insensitively. */
export function actionCovers(pattern: string, action: string): boolean {
    const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "i");
    return regex.test(action);
}

/** Whether a statement applies to an action: one of its actions covers it, or (NotAction) none of them does. */
export function statementCovers(statement: Statement, action: string): boolean {
    const listed = statement.actions.some((a) => actionCovers(a, action));
    return statement.notAction ? !listed : listed;
}

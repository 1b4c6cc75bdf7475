// Metric names used by a PromQL expression, found by parsing it with the official PromQL grammar
// (@prometheus-io/lezer-promql). The collector's remote-write keep-list is built from these, so an
// expression whose metric cannot be named exactly is an error rather than a guess.

import { parser } from "@prometheus-io/lezer-promql";
import type { SyntaxNode } from "@lezer/common";

/** A PromQL expression the keep-list cannot be derived from. */
export class PromQLError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "PromQLError";
    }
}

/** The value of a PromQL string literal (double-, single- or back-quoted), as written in the expression. */
export function unquote(literal: string): string {
    const quote = literal[0];
    const body = literal.slice(1, -1);
    if (quote === "`") {
        return body;
    }
    // Double- and single-quoted PromQL strings use Go escapes; the ones that occur in metric and
    // label names are covered by JSON's, after turning a single-quoted string into a double-quoted one.
    const asJson = quote === "'" ? `"${body.replace(/\\'/g, "'").replace(/"/g, '\\"')}"` : literal;
    return JSON.parse(asJson) as string;
}

/** A label matcher's operator. */
export type MatchOp = "=" | "!=" | "=~" | "!~";

/** Whether a label value satisfies a matcher as Prometheus evaluates it: regexes are anchored. */
export function labelMatches(op: MatchOp, pattern: string, actual: string): boolean {
    switch (op) {
        case "=":
            return actual === pattern;
        case "!=":
            return actual !== pattern;
        case "=~":
            return new RegExp(`^(?:${pattern})$`).test(actual);
        case "!~":
            return !new RegExp(`^(?:${pattern})$`).test(actual);
    }
}

function children(node: SyntaxNode): SyntaxNode[] {
    const out: SyntaxNode[] = [];
    for (let child = node.firstChild; child; child = child.nextSibling) {
        out.push(child);
    }
    return out;
}

function nameFromMatchers(expr: string, selector: SyntaxNode): string | undefined {
    const matchers = selector.getChild("LabelMatchers");
    if (!matchers) {
        return undefined;
    }
    for (const matcher of children(matchers)) {
        const parts = children(matcher);
        if (matcher.name === "QuotedLabelMatcher" && parts.length === 1 && parts[0].name === "StringLiteral") {
            // {"metric.name"}: a quoted metric name on its own.
            return unquote(expr.slice(parts[0].from, parts[0].to));
        }
        const label = parts.find((p) => p.name === "LabelName" || p.name === "QuotedLabelName");
        if (!label) {
            continue;
        }
        const labelText = expr.slice(label.from, label.to);
        const labelName = label.name === "QuotedLabelName" ? unquote(labelText) : labelText;
        if (labelName !== "__name__") {
            continue;
        }
        const op = parts.find((p) => p.name === "MatchOp");
        const value = parts.find((p) => p.name === "StringLiteral");
        if (!op || !value || op.firstChild?.name !== "EqlSingle") {
            throw new PromQLError(
                `selector ${expr.slice(selector.from, selector.to)} matches __name__ with something other than "="; name the metric exactly`,
            );
        }
        return unquote(expr.slice(value.from, value.to));
    }
    return undefined;
}

/**
 * Returns the metric names an expression reads, sorted and without duplicates.
 *
 * @throws PromQLError when the expression does not parse, or when a selector does not name its
 *   metric exactly (a selector without a name, or a regular expression on `__name__`).
 */
export function metricNames(expr: string): string[] {
    const tree = parser.parse(expr);
    const names = new Set<string>();
    let failure: PromQLError | undefined;
    tree.iterate({
        enter: (ref) => {
            if (failure) {
                return false;
            }
            if (ref.type.isError) {
                failure = new PromQLError(`PromQL syntax error at offset ${ref.from}: ${JSON.stringify(expr.slice(Math.max(0, ref.from - 20), ref.from + 20))}`);
                return false;
            }
            if (ref.name !== "VectorSelector") {
                return undefined;
            }
            const node = ref.node;
            const identifier = node.getChild("Identifier");
            const name = identifier ? expr.slice(identifier.from, identifier.to) : nameFromMatchers(expr, node);
            if (name === undefined) {
                failure = new PromQLError(`selector ${expr.slice(node.from, node.to)} does not name a metric`);
                return false;
            }
            names.add(name);
            return false;
        },
    });
    if (failure) {
        throw failure;
    }
    return [...names].sort();
}

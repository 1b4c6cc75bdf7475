// The AMP alert manager definition (contracts C1, C2): its two layers parsed, and Alertmanager's
// routing tree evaluated the way Alertmanager does, so policies check where alerts really go
// rather than how the YAML happens to be written.

import * as yaml from "js-yaml";

/** The receivers and routing contract C2 fixes. */
export const ALERTS_RECEIVER = "alerts";
export const HEARTBEAT_RECEIVER = "heartbeat";
export const HEARTBEAT_ALERT = "Watchdog";

export interface Route {
    readonly receiver?: string;
    readonly group_by?: readonly string[];
    readonly group_interval?: string;
    readonly repeat_interval?: string;
    readonly continue?: boolean;
    readonly matchers?: readonly string[];
    readonly match?: Readonly<Record<string, string>>;
    readonly match_re?: Readonly<Record<string, string>>;
    readonly routes?: readonly Route[];
}

export interface SnsConfig {
    readonly topic_arn?: string;
    readonly sigv4?: { readonly region?: string };
    readonly subject?: string;
    readonly message?: string;
    readonly send_resolved?: boolean;
    readonly api_url?: unknown;
    readonly http_config?: unknown;
    readonly [key: string]: unknown;
}

export interface Receiver {
    readonly name: string;
    readonly sns_configs?: readonly SnsConfig[];
    readonly [key: string]: unknown;
}

export interface AlertmanagerConfig {
    readonly route?: Route;
    readonly receivers?: readonly Receiver[];
    readonly templates?: readonly string[];
    readonly [key: string]: unknown;
}

export interface Definition {
    readonly templateFiles: Readonly<Record<string, string>>;
    readonly config: AlertmanagerConfig;
}

export class DefinitionError extends Error {}

/**
 * Parses an AMP alert manager definition: YAML with `template_files` and an
 * `alertmanager_config` string holding the Alertmanager configuration.
 *
 * @throws DefinitionError naming what is malformed.
 */
export function parseDefinition(text: string): Definition {
    let outer: unknown;
    try {
        outer = yaml.load(text);
    } catch (err) {
        throw new DefinitionError(`the definition is not valid YAML (${(err as Error).message.split("\n")[0]})`);
    }
    if (typeof outer !== "object" || outer === null) {
        throw new DefinitionError("the definition must be a YAML mapping with alertmanager_config");
    }
    const doc = outer as Record<string, unknown>;
    if (typeof doc.alertmanager_config !== "string") {
        throw new DefinitionError("the definition must hold the Alertmanager configuration as a string under alertmanager_config");
    }
    let inner: unknown;
    try {
        inner = yaml.load(doc.alertmanager_config);
    } catch (err) {
        throw new DefinitionError(`alertmanager_config is not valid YAML (${(err as Error).message.split("\n")[0]})`);
    }
    if (typeof inner !== "object" || inner === null) {
        throw new DefinitionError("alertmanager_config must be a YAML mapping");
    }
    const templateFiles = doc.template_files ?? {};
    if (typeof templateFiles !== "object" || templateFiles === null || Object.values(templateFiles).some((t) => typeof t !== "string")) {
        throw new DefinitionError("template_files must map file names to template text");
    }
    return { templateFiles: templateFiles as Record<string, string>, config: inner as AlertmanagerConfig };
}

// ---- matchers -----------------------------------------------------------------------------------

interface Matcher {
    readonly name: string;
    readonly op: "=" | "!=" | "=~" | "!~";
    readonly value: string;
}

function unquote(value: string): string {
    const v = value.trim();
    if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) {
        return JSON.parse(v) as string;
    }
    return v;
}

/** Splits `a="x", b=~"y,z"` on the commas outside quotes. */
function splitMatchers(text: string): string[] {
    const out: string[] = [];
    let current = "";
    let quoted = false;
    for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (c === "\\" && quoted) {
            current += c + (text[++i] ?? "");
            continue;
        }
        if (c === '"') {
            quoted = !quoted;
        }
        if (c === "," && !quoted) {
            out.push(current);
            current = "";
        } else {
            current += c;
        }
    }
    out.push(current);
    return out.map((s) => s.trim()).filter((s) => s !== "");
}

/** Parses one `matchers` entry (Alertmanager accepts several comma-separated, optionally in braces). */
export function parseMatchers(entry: string): Matcher[] {
    const body = entry.trim().replace(/^\{/, "").replace(/\}$/, "");
    return splitMatchers(body).map((m) => {
        const found = /^([a-zA-Z_][a-zA-Z0-9_]*|"(?:[^"\\]|\\.)*")\s*(=~|!~|!=|=)\s*(.*)$/.exec(m);
        if (!found) {
            throw new DefinitionError(`matcher ${JSON.stringify(m)} is not of the form label=value, label!=value, label=~regex or label!~regex`);
        }
        return { name: unquote(found[1]), op: found[2] as Matcher["op"], value: unquote(found[3]) };
    });
}

function matcherHolds(m: Matcher, labels: Readonly<Record<string, string>>): boolean {
    const actual = labels[m.name] ?? "";
    switch (m.op) {
        case "=":
            return actual === m.value;
        case "!=":
            return actual !== m.value;
        case "=~":
            return new RegExp(`^(?:${m.value})$`).test(actual);
        case "!~":
            return !new RegExp(`^(?:${m.value})$`).test(actual);
    }
}

function routeMatchers(route: Route): Matcher[] {
    const out: Matcher[] = [];
    for (const entry of route.matchers ?? []) {
        out.push(...parseMatchers(String(entry)));
    }
    for (const [name, value] of Object.entries(route.match ?? {})) {
        out.push({ name, op: "=", value: String(value) });
    }
    for (const [name, value] of Object.entries(route.match_re ?? {})) {
        out.push({ name, op: "=~", value: String(value) });
    }
    return out;
}

/** Where an alert ends up: the receiver and the timing the matched route inherits. */
export interface RoutedTo {
    readonly receiver?: string;
    readonly groupBy: readonly string[];
    readonly groupInterval: string;
    readonly repeatInterval: string;
}

/** Alertmanager's defaults for a route that sets nothing. */
const DEFAULTS = { groupInterval: "5m", repeatInterval: "4h" };

/**
 * Routes an alert's labels through the tree as Alertmanager does: depth first, children in
 * order, a matching child stops the search unless it sets `continue`, a node whose children do
 * not match takes the alert itself; settings are inherited from the parent.
 */
export function route(root: Route, labels: Readonly<Record<string, string>>): RoutedTo[] {
    const visit = (node: Route, inherited: RoutedTo): RoutedTo[] => {
        const here: RoutedTo = {
            receiver: node.receiver ?? inherited.receiver,
            groupBy: node.group_by ?? inherited.groupBy,
            groupInterval: node.group_interval ?? inherited.groupInterval,
            repeatInterval: node.repeat_interval ?? inherited.repeatInterval,
        };
        const results: RoutedTo[] = [];
        for (const child of node.routes ?? []) {
            if (!routeMatchers(child).every((m) => matcherHolds(m, labels))) {
                continue;
            }
            results.push(...visit(child, here));
            if (!child.continue) {
                break;
            }
        }
        return results.length > 0 ? results : [here];
    };
    return visit(root, { receiver: undefined, groupBy: [], groupInterval: DEFAULTS.groupInterval, repeatInterval: DEFAULTS.repeatInterval });
}

/** Names defined with `{{ define "name" }}` in the template files. */
export function definedTemplates(templateFiles: Readonly<Record<string, string>>): Set<string> {
    const names = new Set<string>();
    for (const text of Object.values(templateFiles)) {
        for (const [, name] of text.matchAll(/\{\{-?\s*define\s+"([^"]+)"\s*-?\}\}/g)) {
            names.add(name);
        }
    }
    return names;
}

/** Names a template text calls with `{{ template "name" ... }}`. */
export function calledTemplates(text: string): string[] {
    return [...text.matchAll(/\{\{-?\s*template\s+"([^"]+)"/g)].map((m) => m[1]);
}

/** The SNS topic each receiver sends to. */
export function receiverTopics(config: AlertmanagerConfig): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const receiver of config.receivers ?? []) {
        out.set(
            receiver.name,
            (receiver.sns_configs ?? []).map((c) => c.topic_arn).filter((t): t is string => typeof t === "string"),
        );
    }
    return out;
}

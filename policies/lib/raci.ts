// The responsibility matrix (`policies/raci.yaml`), loaded once and checked on load.
//
// The file sits next to the pack, so it is read relative to this module (the CLI runs the pack
// from the `policies/` folder; the offline plan and the tests import it from the repository root).

import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";

export type Party = "operator" | "customer";
export type Letter = "R" | "A" | "C" | "I";

export const PARTIES: readonly Party[] = ["operator", "customer"];
const LETTERS: readonly Letter[] = ["R", "A", "C", "I"];

/** One resource a matcher looks for: a type token and, optionally, input values. */
export interface ResourceMatcher {
    readonly type: string;
    /** Dot-separated input path → regular expression the value (or one of its elements) matches. */
    readonly where: ReadonlyMap<string, RegExp>;
}

/** One requirement: any of the alternatives satisfies it. */
export interface EvidenceEntry {
    readonly any: readonly ResourceMatcher[];
}

export interface Evidence {
    readonly scope: "account" | "cluster";
    readonly required: boolean;
    /** What to do when the evidence is missing. */
    readonly fix: string;
    readonly all: readonly EvidenceEntry[];
}

export interface Activity {
    readonly id: string;
    readonly title: string;
    /** The row of the source table, verbatim. */
    readonly source: string;
    readonly letters: Readonly<Record<Party, readonly Letter[]>>;
    /** The party with R. */
    readonly responsible: Party;
    readonly accountable: Party;
    readonly resources?: Evidence;
    /** Why an activity without resources leaves nothing to create. */
    readonly runtime?: string;
    readonly alertLevels: readonly string[];
    readonly policies: readonly string[];
}

export interface Raci {
    readonly parties: readonly Party[];
    /** Vigil component module (`vigil:<module>:<Type>`) → the party whose project instantiates it. */
    readonly componentModules: ReadonlyMap<string, Party>;
    readonly clusterComponent: string;
    readonly activities: readonly Activity[];
    readonly byId: ReadonlyMap<string, Activity>;
}

/** The matrix file is malformed; the message names the entry and the key. */
export class RaciError extends Error {
    constructor(file: string, where: string, problem: string) {
        super(`${file}: ${where}: ${problem}`);
        this.name = "RaciError";
    }
}

export const RACI_FILE = path.join(__dirname, "..", "raci.yaml");

type Doc = Record<string, unknown>;

const isObject = (v: unknown): v is Doc => typeof v === "object" && v !== null && !Array.isArray(v);

function parseMatcher(file: string, where: string, raw: unknown): ResourceMatcher {
    if (!isObject(raw) || typeof raw.type !== "string" || !/^[a-z0-9-]+:[A-Za-z0-9./-]*:[A-Za-z0-9]+$/.test(raw.type)) {
        throw new RaciError(file, where, `a matcher needs "type", a Pulumi type token such as aws:sns/topic:Topic; got ${JSON.stringify(raw)}`);
    }
    const conditions = new Map<string, RegExp>();
    if (raw.where !== undefined) {
        if (!isObject(raw.where)) {
            throw new RaciError(file, where, `"where" must map input paths to regular expressions; got ${JSON.stringify(raw.where)}`);
        }
        for (const [key, pattern] of Object.entries(raw.where)) {
            if (typeof pattern !== "string") {
                throw new RaciError(file, `${where}.where.${key}`, `must be a regular expression string; got ${JSON.stringify(pattern)}`);
            }
            try {
                conditions.set(key, new RegExp(pattern));
            } catch (err) {
                throw new RaciError(file, `${where}.where.${key}`, `is not a valid regular expression (${(err as Error).message})`);
            }
        }
    }
    return { type: raw.type, where: conditions };
}

function parseEvidence(file: string, where: string, raw: unknown): Evidence {
    if (!isObject(raw)) {
        throw new RaciError(file, where, "must be a mapping with scope, required, fix and all");
    }
    if (raw.scope !== "account" && raw.scope !== "cluster") {
        throw new RaciError(file, `${where}.scope`, `must be "account" or "cluster"; got ${JSON.stringify(raw.scope)}`);
    }
    if (typeof raw.required !== "boolean") {
        throw new RaciError(file, `${where}.required`, `must be true or false; got ${JSON.stringify(raw.required)}`);
    }
    if (typeof raw.fix !== "string" || raw.fix.trim() === "") {
        throw new RaciError(file, `${where}.fix`, "must say what to do when the evidence is missing");
    }
    if (!Array.isArray(raw.all) || raw.all.length === 0) {
        throw new RaciError(file, `${where}.all`, "must list at least one matcher");
    }
    const all = raw.all.map((entry, i): EvidenceEntry => {
        const at = `${where}.all[${i}]`;
        if (isObject(entry) && Array.isArray(entry.any)) {
            if (entry.any.length === 0) {
                throw new RaciError(file, `${at}.any`, "must list at least one matcher");
            }
            return { any: entry.any.map((m, j) => parseMatcher(file, `${at}.any[${j}]`, m)) };
        }
        return { any: [parseMatcher(file, at, entry)] };
    });
    return { scope: raw.scope, required: raw.required, fix: raw.fix, all };
}

function parseLetters(file: string, where: string, raw: unknown): Letter[] {
    if (!Array.isArray(raw) || raw.length === 0 || raw.some((l) => !LETTERS.includes(l as Letter))) {
        throw new RaciError(file, where, `must be a non-empty list of ${LETTERS.join(", ")}; got ${JSON.stringify(raw)}`);
    }
    if (new Set(raw).size !== raw.length) {
        throw new RaciError(file, where, `lists a letter twice: ${JSON.stringify(raw)}`);
    }
    return raw as Letter[];
}

/** Parses and checks the matrix text. Exported for tests; policies use `raci()`. */
export function parseRaci(text: string, file = RACI_FILE): Raci {
    const doc = yaml.load(text);
    if (!isObject(doc)) {
        throw new RaciError(file, "top level", "must be a mapping with parties, componentModules, clusterComponent and activities");
    }
    const parties = doc.parties;
    if (!Array.isArray(parties) || parties.length !== PARTIES.length || !PARTIES.every((p) => parties.includes(p))) {
        throw new RaciError(file, "parties", `must be exactly ${PARTIES.join(" and ")}; got ${JSON.stringify(parties)}`);
    }
    if (!isObject(doc.componentModules)) {
        throw new RaciError(file, "componentModules", "must map Vigil component modules to parties");
    }
    const componentModules = new Map<string, Party>();
    for (const [module, party] of Object.entries(doc.componentModules)) {
        if (!PARTIES.includes(party as Party)) {
            throw new RaciError(file, `componentModules.${module}`, `must be ${PARTIES.join(" or ")}; got ${JSON.stringify(party)}`);
        }
        componentModules.set(module, party as Party);
    }
    if (typeof doc.clusterComponent !== "string" || !/^vigil:[a-z]+:[A-Za-z]+$/.test(doc.clusterComponent)) {
        throw new RaciError(file, "clusterComponent", `must be a Vigil component type such as vigil:cluster:ClusterMonitoring; got ${JSON.stringify(doc.clusterComponent)}`);
    }
    if (!Array.isArray(doc.activities) || doc.activities.length === 0) {
        throw new RaciError(file, "activities", "must list the activities");
    }
    const byId = new Map<string, Activity>();
    const activities = doc.activities.map((raw, i): Activity => {
        const at = `activities[${i}]`;
        if (!isObject(raw) || typeof raw.id !== "string" || !/^[a-z][a-z0-9-]*$/.test(raw.id)) {
            throw new RaciError(file, at, `needs an id in kebab-case; got ${JSON.stringify(isObject(raw) ? raw.id : raw)}`);
        }
        const where = `activity ${raw.id}`;
        if (byId.has(raw.id)) {
            throw new RaciError(file, where, "is listed twice");
        }
        for (const key of ["title", "source"]) {
            if (typeof raw[key] !== "string" || (raw[key] as string).trim() === "") {
                throw new RaciError(file, `${where}.${key}`, "must be a non-empty string");
            }
        }
        const unknownParty = Object.keys(raw).find((k) => !["id", "title", "source", "resources", "runtime", "alertLevels", "policies", ...PARTIES].includes(k));
        if (unknownParty) {
            throw new RaciError(file, `${where}.${unknownParty}`, `is not a known key or party (parties: ${PARTIES.join(", ")})`);
        }
        const letters = Object.fromEntries(PARTIES.map((p) => [p, parseLetters(file, `${where}.${p}`, raw[p])])) as Record<Party, Letter[]>;
        const holders = (letter: Letter) => PARTIES.filter((p) => letters[p].includes(letter));
        const r = holders("R");
        const a = holders("A");
        if (r.length !== 1) {
            throw new RaciError(file, where, `must have exactly one R; has ${r.length} (${r.join(", ") || "none"})`);
        }
        if (a.length !== 1) {
            throw new RaciError(file, where, `must have exactly one A; has ${a.length} (${a.join(", ") || "none"})`);
        }
        if (raw.resources === undefined && (typeof raw.runtime !== "string" || raw.runtime.trim() === "")) {
            throw new RaciError(file, where, "needs resources, or runtime saying why it leaves nothing to create");
        }
        const resources = raw.resources === undefined ? undefined : parseEvidence(file, `${where}.resources`, raw.resources);
        const alertLevels = raw.alertLevels ?? [];
        if (!Array.isArray(alertLevels) || alertLevels.some((l) => typeof l !== "string")) {
            throw new RaciError(file, `${where}.alertLevels`, `must be a list of alert levels; got ${JSON.stringify(raw.alertLevels)}`);
        }
        // An activity carried out at run time may leave nothing a policy can check: it says so with
        // an empty list rather than borrowing a policy that checks something else.
        if (!Array.isArray(raw.policies) || raw.policies.some((p) => typeof p !== "string") || (raw.policies.length === 0 && resources !== undefined)) {
            throw new RaciError(file, `${where}.policies`, "must list the names of the policies that check the activity (an empty list only for an activity carried out at run time)");
        }
        const activity: Activity = {
            id: raw.id,
            title: raw.title as string,
            source: raw.source as string,
            letters,
            responsible: r[0],
            accountable: a[0],
            resources,
            runtime: typeof raw.runtime === "string" ? raw.runtime : undefined,
            alertLevels: alertLevels as string[],
            policies: raw.policies as string[],
        };
        byId.set(activity.id, activity);
        return activity;
    });
    return { parties: PARTIES, componentModules, clusterComponent: doc.clusterComponent, activities, byId };
}

let loaded: Raci | undefined;

/** The matrix, read and checked on first use. */
export function raci(): Raci {
    if (!loaded) {
        loaded = parseRaci(fs.readFileSync(RACI_FILE, "utf8"), RACI_FILE);
    }
    return loaded;
}

// ---- matching resources against evidence ---------------------------------------------------------

/** A resource as matchers see it: its type and its inputs (or state). */
export interface Matchable {
    readonly type: string;
    readonly props: Record<string, unknown>;
}

function parseIfJson(value: unknown): unknown {
    if (typeof value === "string" && /^\s*[[{]/.test(value)) {
        try {
            return JSON.parse(value);
        } catch {
            return value;
        }
    }
    return value;
}

/** The values at a dot-separated path; arrays fan out, JSON strings are parsed on the way. */
export function valuesAt(root: unknown, dottedPath: string): unknown[] {
    let current: unknown[] = [root];
    for (const key of dottedPath.split(".")) {
        const next: unknown[] = [];
        for (const value of current) {
            const parsed = parseIfJson(value);
            if (Array.isArray(parsed)) {
                for (const item of parsed) {
                    const inner = parseIfJson(item);
                    if (isObject(inner) && key in inner) {
                        next.push(inner[key]);
                    }
                }
            } else if (isObject(parsed) && key in parsed) {
                next.push(parsed[key]);
            }
        }
        current = next;
    }
    return current.flatMap((v) => (Array.isArray(v) ? v : [v]));
}

export function matches(matcher: ResourceMatcher, resource: Matchable): boolean {
    if (resource.type !== matcher.type) {
        return false;
    }
    for (const [key, pattern] of matcher.where) {
        const values = valuesAt(resource.props, key);
        if (!values.some((v) => (typeof v === "string" || typeof v === "number" || typeof v === "boolean") && pattern.test(String(v)))) {
            return false;
        }
    }
    return true;
}

/** Every matcher of an activity's evidence, flattened. */
export function evidenceMatchers(activity: Activity): ResourceMatcher[] {
    return activity.resources?.all.flatMap((e) => e.any) ?? [];
}

/** Describes a matcher for messages: `aws:x/y:Y` or `aws:x/y:Y with name ~ /re/`. */
export function describeMatcher(matcher: ResourceMatcher): string {
    // RegExp.source escapes "/"; show the pattern as the matrix writes it.
    const conditions = [...matcher.where].map(([key, re]) => `${key} matching ${re.source.replace(/\\\//g, "/")}`);
    return conditions.length > 0 ? `${matcher.type} with ${conditions.join(" and ")}` : matcher.type;
}

// Reads a stack's configuration file the way the Pulumi CLI does before it runs the program:
// values become strings (lists and maps become JSON), the project's declared defaults fill in
// what the stack does not set, declared types are checked, and a declared key without a default
// that the stack does not set is an error.

import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { ConfigError } from "../../stacks/config";

export const REPO_ROOT = path.join(__dirname, "..", "..");

interface Declaration {
    readonly type: "string" | "integer" | "boolean" | "array";
    readonly items?: { readonly type: string };
    readonly default?: unknown;
    readonly description?: string;
    readonly secret?: boolean;
}

export interface Project {
    readonly name: string;
    readonly main: string;
    readonly stackConfigDir: string;
    readonly config: Readonly<Record<string, Declaration>>;
}

export function loadProject(file = path.join(REPO_ROOT, "Pulumi.yaml")): Project {
    const doc = yaml.load(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
    return {
        name: String(doc.name),
        main: String(doc.main ?? "."),
        stackConfigDir: String(doc.stackConfigDir ?? "."),
        config: (doc.config ?? {}) as Record<string, Declaration>,
    };
}

export interface StackConfig {
    /** The stack name, from `Pulumi.<stack>.yaml`. */
    readonly stack: string;
    /** Fully qualified keys to the strings the program receives. */
    readonly values: Record<string, string>;
}

function typeName(d: Declaration): string {
    return d.type === "array" ? `array<${d.items?.type ?? "any"}>` : d.type;
}

function matchesType(value: unknown, type: string, items?: { type: string }): boolean {
    switch (type) {
        case "string":
            return typeof value === "string";
        case "integer":
            return typeof value === "number" && Number.isInteger(value);
        case "boolean":
            return typeof value === "boolean";
        case "array":
            return Array.isArray(value) && (!items || value.every((v) => matchesType(v, items.type)));
        default:
            return true;
    }
}

function asConfigString(value: unknown): string {
    return typeof value === "string" ? value : typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);
}

/**
 * Reads `Pulumi.<stack>.yaml` and returns what the program would receive.
 *
 * @throws ConfigError naming the key for a missing required key, a value of the wrong type, or an
 *   encrypted value of this project (the offline plan has no secrets provider).
 */
export function loadStackConfig(file: string, project: Project = loadProject()): StackConfig {
    const match = /^Pulumi\.(.+)\.ya?ml$/.exec(path.basename(file));
    if (!match) {
        throw new ConfigError("--config", JSON.stringify(file), "a stack configuration file named Pulumi.<stack>.yaml");
    }
    if (!fs.existsSync(file)) {
        throw new ConfigError("--config", JSON.stringify(file), "an existing file");
    }
    let doc: Record<string, unknown>;
    try {
        doc = (yaml.load(fs.readFileSync(file, "utf8")) ?? {}) as Record<string, unknown>;
    } catch (err) {
        throw new ConfigError("--config", `${JSON.stringify(file)}, which is not valid YAML (${(err as Error).message.split("\n")[0]})`, "a YAML file with a top-level config map");
    }
    const raw = (doc.config ?? {}) as Record<string, unknown>;
    const values: Record<string, string> = {};
    const prefix = `${project.name}:`;
    for (const [rawKey, value] of Object.entries(raw)) {
        const key = rawKey.includes(":") ? rawKey : `${prefix}${rawKey}`;
        const isSecure = typeof value === "object" && value !== null && !Array.isArray(value) && "secure" in value;
        if (isSecure && key.startsWith(prefix)) {
            throw new ConfigError(key, "an encrypted value", "a plain value for the offline plan (it has no secrets provider)");
        }
        values[key] = isSecure ? "[secret]" : asConfigString(value);
        const declaration = key.startsWith(prefix) ? project.config[key.slice(prefix.length)] : undefined;
        if (declaration && !isSecure && !matchesType(value, declaration.type, declaration.items)) {
            throw new ConfigError(key, JSON.stringify(value), `a value of type ${typeName(declaration)} (Pulumi.yaml declares it so)`);
        }
    }
    for (const [name, declaration] of Object.entries(project.config)) {
        const key = `${prefix}${name}`;
        if (key in values) {
            continue;
        }
        if (declaration.default === undefined) {
            throw new ConfigError(key, "nothing (the stack does not set it)", `a value of type ${typeName(declaration)}; it has no default and is required`);
        }
        values[key] = asConfigString(declaration.default);
    }
    return { stack: match[1], values };
}

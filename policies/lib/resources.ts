// What the policies need to know about a resource beyond its inputs: whether Vigil created it,
// which party's stack they run in, and its ownership tags.

import type { PolicyResource, ResourceValidationArgs } from "@pulumi/policy";
import { DYNAMIC_RESOURCE } from "./eks";
import { Party, PARTIES, raci } from "./raci";

/** Stack tag that says which party a stack belongs to (contract C8). */
export const PARTY_TAG = "vigil:party";

export const TAG_ACTIVITY = "vigil:activity";
export const TAG_RESPONSIBLE = "vigil:responsible";
export const TAG_MANAGED_BY = "managed-by";
export const MANAGED_BY = "vigil";
export const TAG_PUBLIC_ENDPOINT = "vigil:public-endpoint";
export const REPLY_LINKS = "reply-links";

export const LABEL_MANAGED_BY = "app.kubernetes.io/managed-by";
export const LABEL_PART_OF = "app.kubernetes.io/part-of";
export const LABEL_ACTIVITY = "vigil.dev/activity";
export const LABEL_RESPONSIBLE = "vigil.dev/responsible";
export const LABEL_COMPONENT = "app.kubernetes.io/component";

/** The stack's party from its `vigil:party` tag, or undefined when the tag is missing or wrong. */
export function stackParty(stackTags: ReadonlyMap<string, string>): Party | undefined {
    const value = stackTags.get(PARTY_TAG);
    return PARTIES.includes(value as Party) ? (value as Party) : undefined;
}

/**
 * The type chain of a URN, outermost component first: `urn:pulumi:s::p::a:b:C$aws:x/y:Y::n`
 * gives `["a:b:C", "aws:x/y:Y"]`.
 */
export function typeChain(urn: string): string[] {
    const parts = urn.split("::");
    return parts.length >= 4 ? parts[2].split("$") : [];
}

/** The Vigil component types (`vigil:<module>:<Type>`) a resource sits in, outermost first. */
export function vigilComponents(urn: string): string[] {
    return typeChain(urn)
        .slice(0, -1)
        .filter((t) => t.startsWith("vigil:"));
}

/** The module of a Vigil component type: `vigil:cluster:ClusterMonitoring` → `cluster`. */
export function componentModule(type: string): string {
    return type.split(":")[1] ?? "";
}

/** The party whose project instantiates a Vigil component type (operator unless the matrix says otherwise). */
export function componentParty(type: string): Party {
    return raci().componentModules.get(componentModule(type)) ?? "operator";
}

function stringMap(value: unknown): Record<string, unknown> | undefined {
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** The AWS tags of a resource's inputs (empty when it has none). */
export function tagsOf(props: Record<string, unknown>): Record<string, unknown> {
    return stringMap(props.tags) ?? {};
}

/** The Kubernetes labels of an object's inputs (empty when it has none). */
export function labelsOf(props: Record<string, unknown>): Record<string, unknown> {
    return stringMap(stringMap(props.metadata)?.labels) ?? {};
}

/** The Pulumi project of Vigil's own stack program (Pulumi.yaml `name`). */
export const VIGIL_PROJECT = "vigil";

/** The project part of a URN (`urn:pulumi:<stack>::<project>::...`). */
export function urnProject(urn: string): string | undefined {
    return urn.split("::")[1];
}

/**
 * Whether Vigil created the resource: Vigil's own stack program declared it, it sits inside a
 * Vigil component (another project using the library), it carries Vigil's ownership tag or label,
 * or it is one of Vigil's dynamic resources (its `kind` is `vigil:...`). Other resources in the
 * same stack (a customer's own cluster, say) are the concern of the stack's owner, not of the matrix.
 */
export function isVigilResource(urn: string, type: string, props: Record<string, unknown>): boolean {
    if (urnProject(urn) === VIGIL_PROJECT || type.startsWith("vigil:") || vigilComponents(urn).length > 0) {
        return true;
    }
    if (type === DYNAMIC_RESOURCE) {
        return typeof props.kind === "string" && props.kind.startsWith("vigil:");
    }
    if (type.startsWith("aws:")) {
        return tagsOf(props)[TAG_MANAGED_BY] === MANAGED_BY || TAG_ACTIVITY in tagsOf(props);
    }
    if (type.startsWith("kubernetes:")) {
        return labelsOf(props)[LABEL_MANAGED_BY] === MANAGED_BY;
    }
    return false;
}

/** Marks a resource not applicable unless Vigil created it. */
export function requireVigil(args: ResourceValidationArgs): void {
    if (!isVigilResource(args.urn, args.type, args.props)) {
        args.notApplicable("the resource is not part of Vigil (not inside a Vigil component and not tagged managed-by=vigil)");
    }
}

/** Stack policies: the resources Vigil created. */
export function vigilResources(resources: readonly PolicyResource[]): PolicyResource[] {
    return resources.filter((r) => isVigilResource(r.urn, r.type, r.props));
}

/** `type "name"`, the way messages name a resource. */
export function describe(resource: { type: string; name: string }): string {
    return `${resource.type} "${resource.name}"`;
}

/** Whether `urn` sits (at any depth) inside the component with URN `ancestor`, following parents. */
export function isInside(resource: PolicyResource, ancestorUrn: string): boolean {
    for (let current = resource.parent; current; current = current.parent) {
        if (current.urn === ancestorUrn) {
            return true;
        }
    }
    return false;
}

/** Reads a string input, or undefined when it is missing or not a string. */
export function str(value: unknown): string | undefined {
    return typeof value === "string" ? value : undefined;
}

/** The last segment of an ARN's resource part (`arn:aws:sns:r:a:name` → `name`). */
export function arnName(arn: string): string {
    return arn.split(":").slice(5).join(":").split("/").pop() ?? arn;
}

/** The region of an ARN (`arn:aws:sns:eu-west-1:...` → `eu-west-1`). */
export function arnRegion(arn: string): string | undefined {
    const parts = arn.split(":");
    return parts.length >= 6 && parts[0] === "arn" ? parts[3] : undefined;
}

/**
 * Whether a function reference (name, ARN, or qualified ARN) names the function resource.
 * References are compared with the function's physical name and ARN (its state).
 */
export function refersToFunction(reference: unknown, fn: PolicyResource): boolean {
    if (typeof reference !== "string" || reference === "") {
        return false;
    }
    const name = str(fn.props.name);
    const arn = str(fn.props.arn);
    return reference === name || reference === arn || (arn !== undefined && reference.startsWith(`${arn}:`));
}

/** Prometheus durations (`30s`, `5m`, `1h30m`, `3d`) in seconds; undefined when malformed. */
export function durationSeconds(text: unknown): number | undefined {
    if (typeof text !== "string" || !/^(?:\d+(?:ms|[smhdwy]))+$/.test(text)) {
        return undefined;
    }
    const unit: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };
    let seconds = 0;
    for (const [, amount, u] of text.matchAll(/(\d+)(ms|[smhdwy])/g)) {
        seconds += Number(amount) * unit[u];
    }
    return seconds;
}

// Small helpers shared by the policies.

import type { ReportViolation, ResourceValidation, ResourceValidationArgs } from "@pulumi/policy";
import { requireVigil } from "./resources";

type Props = Record<string, any>;
type Validate = (props: Props, args: ResourceValidationArgs, report: ReportViolation) => void | Promise<void>;

/** A resource validation for the listed type tokens; other types are not applicable. */
export function forTypes(types: readonly string[], validate: Validate): ResourceValidation {
    const accepted = new Set(types);
    return (args, report) => {
        if (!accepted.has(args.type)) {
            args.notApplicable(`applies to ${types.join(", ")}`);
        }
        return validate(args.props, args, report);
    };
}

/**
 * A resource validation for the resources Vigil created (see `isVigilResource`) that `accepts`
 * picks, by type or (for a dynamic resource) by its inputs; others are not applicable, `what` says
 * which resources apply.
 */
export function forVigilResources(accepts: (type: string, props: Props) => boolean, what: string, validate: Validate): ResourceValidation {
    return (args, report) => {
        if (!accepts(args.type, args.props)) {
            args.notApplicable(`applies to ${what}`);
        }
        requireVigil(args);
        return validate(args.props, args, report);
    };
}

/** As `forTypes`, for resources Vigil created only (see `isVigilResource`). */
export function forVigilTypes(types: readonly string[], validate: Validate): ResourceValidation {
    const accepted = new Set(types);
    return forVigilResources((type) => accepted.has(type), types.join(", "), validate);
}

/** Joins names for messages: `a`, `a and b`, `a, b and c`. */
export function listing(items: readonly string[]): string {
    return items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/** A list-valued input as strings (missing → empty). */
export function strings(value: unknown): string[] {
    return Array.isArray(value) ? value.map(String) : value === undefined || value === null ? [] : [String(value)];
}

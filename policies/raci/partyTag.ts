import type { StackValidationPolicy } from "@pulumi/policy";
import { PARTIES } from "../lib/raci";
import { PARTY_TAG } from "../lib/resources";

export const raciPartyTag: StackValidationPolicy = {
    name: "vigil-raci-party-tag",
    description: "Every stack the pack runs on says which party it belongs to with the stack tag vigil:party (operator or customer), so that the responsibility boundary can be enforced.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: "Run `pulumi stack tag set vigil:party operator` in the operator's Vigil stack, or `pulumi stack tag set vigil:party customer` in the cluster owner's project.",
    validateStack: (args, report) => {
        const value = args.stackTags.get(PARTY_TAG);
        if (value === undefined) {
            report(
                `The stack must carry the stack tag ${PARTY_TAG} set to ${PARTIES.join(" or ")}: run \`pulumi stack tag set ${PARTY_TAG} operator\` in the operator's stack, or \`pulumi stack tag set ${PARTY_TAG} customer\` in the cluster owner's project.`,
            );
        } else if (!(PARTIES as readonly string[]).includes(value)) {
            report(`The stack tag ${PARTY_TAG} is ${JSON.stringify(value)}; it must be ${PARTIES.join(" or ")}: run \`pulumi stack tag set ${PARTY_TAG} operator\` (or customer).`);
        }
    },
};

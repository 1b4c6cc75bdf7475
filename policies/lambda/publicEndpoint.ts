import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { FUNCTION_URL, isPublicPrincipal, LAMBDA_FUNCTION, LAMBDA_PERMISSION } from "../lib/lambda";
import { describe, refersToFunction, REPLY_LINKS, TAG_PUBLIC_ENDPOINT, tagsOf, vigilResources } from "../lib/resources";

const APIS = ["aws:apigatewayv2/api:Api", "aws:apigateway/restApi:RestApi"];

const isReplyEndpoint = (r: PolicyResource) => tagsOf(r.props)[TAG_PUBLIC_ENDPOINT] === REPLY_LINKS;

export const lambdaPublicEndpoint: StackValidationPolicy = {
    name: "vigil-lambda-public-endpoint",
    description:
        "Vigil's only public entry point is the reply endpoint for reply links: a function URL without authentication, a permission for anyone, or an API Gateway API is allowed only on the function or API tagged vigil:public-endpoint=reply-links.",
    enforcementLevel: "mandatory",
    severity: "critical",
    framework: { name: "AWS Foundational Security Best Practices", version: "1.0", reference: "Lambda.1", specification: "Lambda function policies should prohibit public access." },
    tags: ["checkov:CKV_AWS_258"],
    remediationSteps: "Use authorizationType AWS_IAM (or no URL) for every other function; tag only the reply function (or its API) with vigil:public-endpoint=reply-links.",
    validateStack: (args, report) => {
        const resources = vigilResources(args.resources);
        const functions = resources.filter((r) => r.type === LAMBDA_FUNCTION);
        const targetOf = (reference: unknown) => functions.find((fn) => refersToFunction(reference, fn));
        for (const r of resources) {
            const tag = tagsOf(r.props)[TAG_PUBLIC_ENDPOINT];
            if (tag !== undefined && tag !== REPLY_LINKS) {
                report(`The ${describe(r)} is tagged ${TAG_PUBLIC_ENDPOINT}=${JSON.stringify(tag)}; the only public endpoint Vigil has is ${REPLY_LINKS}.`, r.urn);
            }
            if (r.type === FUNCTION_URL && r.props.authorizationType === "NONE") {
                const fn = targetOf(r.props.functionName);
                if (!fn || !isReplyEndpoint(fn)) {
                    report(`The function URL ${describe(r)} is open to anyone (authorizationType NONE) but its function ${fn ? describe(fn) : JSON.stringify(r.props.functionName)} is not the reply endpoint (tag ${TAG_PUBLIC_ENDPOINT}=${REPLY_LINKS}); use authorizationType AWS_IAM.`, r.urn);
                }
            }
            if (r.type === LAMBDA_PERMISSION && isPublicPrincipal(r.props.principal)) {
                const fn = targetOf(r.props.function);
                if (!fn || !isReplyEndpoint(fn)) {
                    report(`The Lambda permission ${describe(r)} lets anyone invoke ${fn ? describe(fn) : JSON.stringify(r.props.function)}, which is not the reply endpoint (tag ${TAG_PUBLIC_ENDPOINT}=${REPLY_LINKS}); remove it.`, r.urn);
                }
            }
            if (APIS.includes(r.type) && !isReplyEndpoint(r)) {
                report(`The API ${describe(r)} is a public entry point but not the reply endpoint; tag it ${TAG_PUBLIC_ENDPOINT}=${REPLY_LINKS} if it serves reply links, or remove it.`, r.urn);
            }
        }
    },
};

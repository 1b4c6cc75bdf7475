import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import {
    API_GATEWAY_PRINCIPAL,
    apiId,
    FUNCTION_URL,
    HTTP_API,
    HTTP_API_INTEGRATION,
    HTTP_API_ROUTE,
    integrationFunction,
    isPublicPrincipal,
    LAMBDA_FUNCTION,
    LAMBDA_PERMISSION,
    REPLY_HANDLER,
    REPLY_ROUTES,
    REST_API,
} from "../lib/lambda";
import { listing } from "../lib/policy";
import { describe, refersToFunction, REPLY_LINKS, str, TAG_PUBLIC_ENDPOINT, tagsOf, vigilResources } from "../lib/resources";

const APIS = [HTTP_API, REST_API];
const TAG = `${TAG_PUBLIC_ENDPOINT}=${REPLY_LINKS}`;

const isTagged = (r: PolicyResource) => tagsOf(r.props)[TAG_PUBLIC_ENDPOINT] === REPLY_LINKS;

// The tag alone decides nothing: a tagged resource is the reply endpoint only if it is the one
// function running the reply entry point and the one HTTP API whose every route is a reply route and
// whose every integration (and API Gateway permission) reaches that function.
export const lambdaPublicEndpoint: StackValidationPolicy = {
    name: "vigil-lambda-public-endpoint",
    description:
        "Vigil's only public entry point is the reply endpoint: at most one HTTP API and one function tagged vigil:public-endpoint=reply-links, the function running the reply entry point, the API serving only the reply routes with integrations and API Gateway permissions that reach only that function; no other Vigil function has an unauthenticated function URL or a permission for anyone or for API Gateway.",
    enforcementLevel: "mandatory",
    severity: "critical",
    framework: { name: "AWS Foundational Security Best Practices", version: "1.0", reference: "Lambda.1", specification: "Lambda function policies should prohibit public access." },
    tags: ["checkov:CKV_AWS_258"],
    remediationSteps:
        "Serve reply links only through TriageService's HTTP API: tag only its API and the reply function with vigil:public-endpoint=reply-links, route only GET, HEAD and POST /r/{token} to the reply function, and use authorizationType AWS_IAM (or no URL) and no public or API Gateway permission for every other function.",
    validateStack: (args, report) => {
        const resources = vigilResources(args.resources);
        const functions = resources.filter((r) => r.type === LAMBDA_FUNCTION);
        const apis = resources.filter((r) => APIS.includes(r.type));
        const replyFunctions = functions.filter(isTagged);
        const replyApis = apis.filter(isTagged);
        const replyApiIds = new Set(replyApis.map((api) => apiId(api.props)).filter((id): id is string => id !== undefined));
        const replyExecutionArns = replyApis.map((api) => str(api.props.executionArn)).filter((arn): arn is string => arn !== undefined);
        const replyEndpoint = replyApis.length > 0 ? describe(replyApis[0]) : undefined;

        const functionOf = (reference: unknown) => functions.find((fn) => refersToFunction(reference, fn));
        const isReplyFunction = (fn: PolicyResource | undefined): fn is PolicyResource => fn !== undefined && replyFunctions.includes(fn);
        const named = (fn: PolicyResource | undefined, reference: unknown) => (fn ? describe(fn) : JSON.stringify(reference));
        /** Reports a route or integration (`kind`) of an API other than the reply endpoint. */
        const requireReplyApi = (r: PolicyResource, kind: string) => {
            const onApi = str(r.props.apiId);
            if (onApi === undefined || !replyApiIds.has(onApi)) {
                report(`The API ${kind} ${describe(r)} belongs to API ${JSON.stringify(onApi)}, which is not the reply endpoint (the HTTP API tagged ${TAG}); remove it.`, r.urn);
            }
        };

        for (const r of resources) {
            const tag = tagsOf(r.props)[TAG_PUBLIC_ENDPOINT];
            if (tag !== undefined && tag !== REPLY_LINKS) {
                report(`The ${describe(r)} is tagged ${TAG_PUBLIC_ENDPOINT}=${JSON.stringify(tag)}; the only public endpoint Vigil has is ${REPLY_LINKS}.`, r.urn);
            }
        }

        // One reply function, one reply API: a second tagged one is a second public entry point.
        for (const [what, tagged] of [
            ["functions", replyFunctions],
            ["APIs", replyApis],
        ] as const) {
            if (tagged.length > 1) {
                for (const r of tagged) {
                    report(`The ${describe(r)} is one of ${tagged.length} ${what} tagged ${TAG} (${listing(tagged.map((t) => `"${t.name}"`))}); only one, the reply endpoint's, may carry the tag.`, r.urn);
                }
            }
        }
        for (const fn of replyFunctions) {
            const handler = str(fn.props.handler);
            if (handler === undefined || !handler.endsWith(`.${REPLY_HANDLER}`)) {
                report(
                    `The ${describe(fn)} is tagged ${TAG} but runs ${handler === undefined ? "no handler" : `handler ${JSON.stringify(handler)}`}, not the reply entry point (index.${REPLY_HANDLER}); tag only the function that serves reply links.`,
                    fn.urn,
                );
            }
        }

        for (const api of apis) {
            if (!isTagged(api)) {
                report(`The API ${describe(api)} is a public entry point but not the reply endpoint; tag it ${TAG} if it serves reply links, or remove it.`, api.urn);
            } else if (api.type !== HTTP_API || api.props.protocolType !== "HTTP") {
                report(`The reply endpoint ${describe(api)} must be an HTTP API (aws:apigatewayv2/api:Api with protocolType HTTP), whose routes and integrations the pack checks one by one.`, api.urn);
            } else if (api.props.target !== undefined || api.props.routeKey !== undefined || api.props.body !== undefined) {
                report(
                    `The reply endpoint ${describe(api)} creates routes or integrations of its own (quick-create target or routeKey, or an OpenAPI body); declare them as Route and Integration resources so that each can be checked.`,
                    api.urn,
                );
            }
        }

        for (const integration of resources.filter((r) => r.type === HTTP_API_INTEGRATION)) {
            requireReplyApi(integration, "integration");
            const reference = integrationFunction(integration.props.integrationUri);
            const fn = functionOf(reference);
            if (!isReplyFunction(fn)) {
                report(`The API integration ${describe(integration)} sends requests to ${named(fn, reference ?? integration.props.integrationUri)}, not to the reply function (tag ${TAG}); the reply endpoint may invoke nothing else.`, integration.urn);
            }
        }

        for (const route of resources.filter((r) => r.type === HTTP_API_ROUTE)) {
            requireReplyApi(route, "route");
            if (!REPLY_ROUTES.includes(route.props.routeKey)) {
                report(`The API route ${describe(route)} is ${JSON.stringify(route.props.routeKey)}; the reply endpoint serves only ${listing(REPLY_ROUTES)}.`, route.urn);
            }
        }

        for (const url of resources.filter((r) => r.type === FUNCTION_URL && r.props.authorizationType === "NONE")) {
            const fn = functionOf(url.props.functionName);
            if (!isReplyFunction(fn)) {
                report(
                    `The function URL ${describe(url)} is open to anyone (authorizationType NONE) but its function ${named(fn, url.props.functionName)} is not the reply endpoint (tag ${TAG}); use authorizationType AWS_IAM.`,
                    url.urn,
                );
            } else if (replyEndpoint) {
                report(
                    `The function URL ${describe(url)} opens the reply function ${describe(fn)} to anyone beside the reply endpoint ${replyEndpoint}, without its throttling; use authorizationType AWS_IAM or remove the URL.`,
                    url.urn,
                );
            }
        }

        for (const permission of resources.filter((r) => r.type === LAMBDA_PERMISSION)) {
            const what = describe(permission);
            const principal = permission.props.principal;
            const fn = functionOf(permission.props.function);
            if (isPublicPrincipal(principal)) {
                if (!isReplyFunction(fn)) {
                    report(`The Lambda permission ${what} lets anyone invoke ${named(fn, permission.props.function)}, which is not the reply endpoint (tag ${TAG}); remove it.`, permission.urn);
                } else if (replyEndpoint) {
                    report(
                        `The Lambda permission ${what} lets anyone invoke the reply function ${describe(fn)} beside the reply endpoint ${replyEndpoint}; only ${API_GATEWAY_PRINCIPAL} may invoke it, from that API. Remove the permission.`,
                        permission.urn,
                    );
                }
            } else if (principal === API_GATEWAY_PRINCIPAL) {
                if (!isReplyFunction(fn)) {
                    report(`The Lambda permission ${what} lets API Gateway invoke ${named(fn, permission.props.function)}, which is not the reply function (tag ${TAG}); remove it.`, permission.urn);
                    continue;
                }
                const source = str(permission.props.sourceArn);
                if (source === undefined || !replyExecutionArns.some((arn) => source.startsWith(`${arn}/`))) {
                    report(
                        `The Lambda permission ${what} lets API Gateway invoke the reply function from ${source === undefined ? "any API (no sourceArn)" : JSON.stringify(source)}, not only from the reply endpoint${replyEndpoint ? ` ${replyEndpoint}` : " (the stack has no HTTP API tagged " + TAG + ")"}; set sourceArn to that API's executionArn followed by /*/*/r/*.`,
                        permission.urn,
                    );
                }
            }
        }
    },
};

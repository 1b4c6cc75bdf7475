import { lambdaArm64 } from "../../policies/lambda/arm64";
import { lambdaFailureDestination } from "../../policies/lambda/failureDestination";
import { lambdaPermissionScoped } from "../../policies/lambda/permissionScoped";
import { lambdaPublicEndpoint } from "../../policies/lambda/publicEndpoint";
import { lambdaReservedConcurrency } from "../../policies/lambda/reservedConcurrency";
import { lambdaRuntime } from "../../policies/lambda/runtime";
import { lambdaSqsPartialBatch } from "../../policies/lambda/sqsPartialBatch";
import { lambdaTracing } from "../../policies/lambda/tracing";
import * as assert from "node:assert/strict";
import { REPLY_LINKS as TRIAGE_REPLY_LINKS, REPLY_ROUTES as TRIAGE_REPLY_ROUTES, TAG_PUBLIC_ENDPOINT as TRIAGE_TAG } from "../../components/triage";
import { vigilTags } from "../../components/tags";
import { REPLY_ROUTES } from "../../policies/lib/lambda";
import { customerStack, INTAKE_DLQ, operatorStack, REPLY_API_ID } from "./fixtures";
import { ACCOUNT, assertClean, assertNotApplicable, assertStackNotApplicable, assertViolations, FixtureStack, REGION } from "./harness";

const fn = (name: string) => `aws:lambda/function:Function "${name}"`;
const HANDLER = fn("vigil-triage-handler");

describe("vigil-lambda-runtime", () => {
    it("accepts nodejs20.x", async () => {
        await assertClean(lambdaRuntime, operatorStack());
    });

    it("reports an old runtime and follows allowedRuntimes", async () => {
        const s = operatorStack(["payments-prod"]);
        s.get("vigil-triage-handler").inputs.runtime = "nodejs18.x";
        await assertViolations(lambdaRuntime, s, [{ on: s.get("vigil-triage-handler"), message: `The Lambda function ${HANDLER} runs on "nodejs18.x"; use one of nodejs20.x, nodejs22.x, nodejs24.x.` }]);
        await assertViolations(
            lambdaRuntime,
            operatorStack(["payments-prod"]),
            ["handler", "reply", "timer"].map((r) => ({ on: s.get(`vigil-triage-${r}`), message: `The Lambda function ${fn(`vigil-triage-${r}`)} runs on "nodejs20.x"; use one of nodejs22.x, nodejs24.x.` })),
            { config: { "vigil-lambda-runtime": { allowedRuntimes: ["nodejs22.x", "nodejs24.x"] } } },
        );
    });

    it("is not applicable to image functions nor to a customer's own functions", async () => {
        const s = operatorStack(["payments-prod"]);
        const handler = s.get("vigil-triage-handler");
        handler.inputs.packageType = "Image";
        delete handler.inputs.runtime;
        await assertNotApplicable(lambdaRuntime, s, handler);
        const c = customerStack();
        await assertNotApplicable(lambdaRuntime, c, c.get("shop-api"), { party: "customer" });
    });
});

describe("vigil-lambda-arm64 (advisory)", () => {
    it("reports x86_64, given or by default", async () => {
        const s = operatorStack(["payments-prod"]);
        await assertClean(lambdaArm64, s);
        delete s.get("vigil-triage-handler").inputs.architectures;
        await assertViolations(lambdaArm64, s, [{ on: s.get("vigil-triage-handler"), message: `The Lambda function ${HANDLER} runs on x86_64 (the default); set architectures to ["arm64"] to pay less for the same work.` }]);
        s.get("vigil-triage-handler").inputs.architectures = ["x86_64"];
        await assertViolations(lambdaArm64, s, [{ on: s.get("vigil-triage-handler"), message: `The Lambda function ${HANDLER} runs on x86_64; set architectures to ["arm64"] to pay less for the same work.` }]);
    });
});

describe("vigil-lambda-tracing (advisory)", () => {
    it("reports pass-through tracing", async () => {
        const s = operatorStack(["payments-prod"]);
        await assertClean(lambdaTracing, s);
        s.get("vigil-triage-handler").inputs.tracingConfig = { mode: "PassThrough" };
        await assertViolations(lambdaTracing, s, [{ on: s.get("vigil-triage-handler"), message: `The Lambda function ${HANDLER} must have active tracing: set tracingConfig.mode to Active.` }]);
    });
});

describe("vigil-lambda-reserved-concurrency", () => {
    it("reports unreserved and zero concurrency", async () => {
        const s = operatorStack(["payments-prod"]);
        await assertClean(lambdaReservedConcurrency, s);
        const handler = s.get("vigil-triage-handler");
        handler.inputs.reservedConcurrentExecutions = -1;
        await assertViolations(lambdaReservedConcurrency, s, [{ on: handler, message: `The Lambda function ${HANDLER} must reserve its concurrency: set reservedConcurrentExecutions to at least 1.` }]);
        handler.inputs.reservedConcurrentExecutions = 0;
        await assertViolations(lambdaReservedConcurrency, s, [{ on: handler, message: `The Lambda function ${HANDLER} reserves 0 concurrent executions, which stops it from running at all; reserve at least 1.` }]);
    });
});

describe("vigil-lambda-sqs-partial-batch", () => {
    it("reports an SQS mapping that ignores partial batch responses", async () => {
        const s = operatorStack(["payments-prod"]);
        await assertClean(lambdaSqsPartialBatch, s);
        const mapping = s.get("vigil-triage-intake-mapping");
        delete mapping.inputs.functionResponseTypes;
        await assertViolations(lambdaSqsPartialBatch, s, [
            {
                on: mapping,
                message:
                    'The SQS event source mapping aws:lambda/eventSourceMapping:EventSourceMapping "vigil-triage-intake-mapping" must set functionResponseTypes to ["ReportBatchItemFailures"]; otherwise messages the handler reports as failed are deleted.',
            },
        ]);
    });

    it("is not applicable to mappings of other sources", async () => {
        const s = operatorStack(["payments-prod"]);
        const mapping = s.get("vigil-triage-intake-mapping");
        mapping.inputs.eventSourceArn = "arn:aws:dynamodb:eu-west-1:111122223333:table/vigil-triage-cases/stream/2024";
        await assertNotApplicable(lambdaSqsPartialBatch, s, mapping);
    });
});

describe("vigil-lambda-failure-destination", () => {
    it("accepts the SQS-fed handler, the API-fronted reply function and the timer with its dead-letter queue", async () => {
        const s = operatorStack();
        await assertClean(lambdaFailureDestination, s);
        // The exemption comes from API Gateway's permission: without it the reply function needs a destination too.
        s.remove("vigil-triage-reply-invoke");
        await assertViolations(lambdaFailureDestination, s, [
            {
                on: s.get("vigil-triage-reply"),
                message: `The Lambda function ${fn("vigil-triage-reply")} is invoked asynchronously but keeps no failed events: set deadLetterConfig.targetArn to an SQS queue or add a FunctionEventInvokeConfig with an on-failure destination.`,
            },
        ]);
    });

    it("reports an asynchronously invoked function that keeps no failed events", async () => {
        const s = operatorStack(["payments-prod"]);
        delete s.get("vigil-triage-timer").inputs.deadLetterConfig;
        await assertViolations(lambdaFailureDestination, s, [
            {
                on: s.get("vigil-triage-timer"),
                message: `The Lambda function ${fn("vigil-triage-timer")} is invoked asynchronously but keeps no failed events: set deadLetterConfig.targetArn to an SQS queue or add a FunctionEventInvokeConfig with an on-failure destination.`,
            },
        ]);
    });

    it("accepts an on-failure destination instead of a dead-letter queue", async () => {
        const s = operatorStack(["payments-prod"]);
        delete s.get("vigil-triage-timer").inputs.deadLetterConfig;
        s.add(
            "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
            "vigil-triage-timer-failures",
            { functionName: "vigil-triage-timer", destinationConfig: { onFailure: { destination: INTAKE_DLQ } } },
            {},
            s.get("vigil-triage", "vigil:triage:TriageService"),
        );
        await assertClean(lambdaFailureDestination, s);
    });

    it("no longer exempts the handler once nothing but SQS could have invoked it synchronously", async () => {
        const s = operatorStack(["payments-prod"]);
        s.remove("vigil-triage-intake-mapping");
        await assertViolations(lambdaFailureDestination, s, [
            {
                on: s.get("vigil-triage-handler"),
                message: `The Lambda function ${HANDLER} is invoked asynchronously but keeps no failed events: set deadLetterConfig.targetArn to an SQS queue or add a FunctionEventInvokeConfig with an on-failure destination.`,
            },
        ]);
    });

    it("is not applicable without Vigil functions", async () => {
        await assertStackNotApplicable(lambdaFailureDestination, customerStack(), /no Vigil Lambda functions/, { party: "customer" });
    });
});

describe("vigil-lambda-public-endpoint", () => {
    const TAG = "vigil:public-endpoint=reply-links";
    const perm = (name: string) => `aws:lambda/permission:Permission "${name}"`;
    const api = (name: string) => `aws:apigatewayv2/api:Api "${name}"`;
    const integration = (name: string) => `aws:apigatewayv2/integration:Integration "${name}"`;
    const route = (name: string) => `aws:apigatewayv2/route:Route "${name}"`;
    const url = (name: string) => `aws:lambda/functionUrl:FunctionUrl "${name}"`;
    const REPLY_API = api("vigil-triage-reply-api");
    const REPLY = fn("vigil-triage-reply");
    const HANDLER_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:vigil-triage-handler`;
    const triageOf = (s: FixtureStack) => s.get("vigil-triage", "vigil:triage:TriageService");
    const tags = (extra: Record<string, string> = {}) => ({ ...vigilTags("triage-incident-response"), ...extra });

    /** An HTTP API with its execution ARN and endpoint, as the cloud computes them. */
    function addApi(s: FixtureStack, name: string, id: string, inputs: Record<string, any> = { protocolType: "HTTP", tags: tags({ "vigil:public-endpoint": "reply-links" }) }) {
        return s.add(
            "aws:apigatewayv2/api:Api",
            name,
            inputs,
            { executionArn: `arn:aws:execute-api:${REGION}:${ACCOUNT}:${id}`, apiEndpoint: `https://${id}.execute-api.${REGION}.amazonaws.com` },
            triageOf(s),
        );
    }

    /** The catch-all route of an HTTP API, wired to the intake function, and API Gateway's permission to invoke it. */
    function addProxyToIntake(s: FixtureStack, prefix: string, id: string) {
        const i = s.add(
            "aws:apigatewayv2/integration:Integration",
            `${prefix}-integration`,
            { apiId: id, integrationType: "AWS_PROXY", integrationUri: HANDLER_ARN, payloadFormatVersion: "2.0" },
            {},
            triageOf(s),
        );
        const r = s.add("aws:apigatewayv2/route:Route", `${prefix}-proxy`, { apiId: id, routeKey: "ANY /{proxy+}", authorizationType: "NONE", target: "integrations/e5f6a7b" }, {}, triageOf(s));
        const p = s.add(
            "aws:lambda/permission:Permission",
            `${prefix}-invoke`,
            { function: "vigil-triage-handler", action: "lambda:InvokeFunction", principal: "apigateway.amazonaws.com", sourceArn: `arn:aws:execute-api:${REGION}:${ACCOUNT}:${id}/*/*/*` },
            {},
            triageOf(s),
        );
        return { i, r, p };
    }

    it("accepts the reply endpoint the program deploys: one tagged HTTP API, reply routes, the reply function behind it", async () => {
        await assertClean(lambdaPublicEndpoint, operatorStack());
    });

    it("checks the same reply routes TriageService declares", () => {
        assert.deepEqual([...REPLY_ROUTES], [...TRIAGE_REPLY_ROUTES]);
        assert.equal(`${TRIAGE_TAG}=${TRIAGE_REPLY_LINKS}`, TAG);
    });

    it("accepts a function URL as the reply endpoint when the stack has no reply API", async () => {
        const s = operatorStack(["payments-prod"]);
        s.remove("vigil-triage-reply-api", "vigil-triage-reply-integration", "vigil-triage-reply-get", "vigil-triage-reply-head", "vigil-triage-reply-post", "vigil-triage-reply-stage", "vigil-triage-reply-invoke");
        s.add("aws:lambda/functionUrl:FunctionUrl", "vigil-triage-reply-url", { functionName: "vigil-triage-reply", authorizationType: "NONE" }, {}, triageOf(s));
        s.add("aws:lambda/permission:Permission", "vigil-triage-reply-url-invoke", { function: "vigil-triage-reply", action: "lambda:InvokeFunctionUrl", principal: "*", functionUrlAuthType: "NONE" }, {}, triageOf(s));
        await assertClean(lambdaPublicEndpoint, s);
    });

    it("catches a second tagged HTTP API with a catch-all route wired to the intake function", async () => {
        const s = operatorStack(["payments-prod"]);
        const second = addApi(s, "vigil-triage-status-api", "f00dfeed00");
        const { i, r, p } = addProxyToIntake(s, "vigil-triage-status", "f00dfeed00");
        const both = `2 APIs tagged ${TAG} ("vigil-triage-reply-api" and "vigil-triage-status-api"); only one, the reply endpoint's, may carry the tag.`;
        await assertViolations(lambdaPublicEndpoint, s, [
            { on: s.get("vigil-triage-reply-api"), message: `The ${REPLY_API} is one of ${both}` },
            { on: second, message: `The ${api("vigil-triage-status-api")} is one of ${both}` },
            { on: i, message: `The API integration ${integration("vigil-triage-status-integration")} sends requests to ${HANDLER}, not to the reply function (tag ${TAG}); the reply endpoint may invoke nothing else.` },
            { on: r, message: `The API route ${route("vigil-triage-status-proxy")} is "ANY /{proxy+}"; the reply endpoint serves only GET /r/{token}, HEAD /r/{token} and POST /r/{token}.` },
            { on: p, message: `The Lambda permission ${perm("vigil-triage-status-invoke")} lets API Gateway invoke ${HANDLER}, which is not the reply function (tag ${TAG}); remove it.` },
        ]);
    });

    it("catches a catch-all route to the intake function on the reply API itself", async () => {
        const s = operatorStack(["payments-prod"]);
        const { i, r, p } = addProxyToIntake(s, "vigil-triage-reply-extra", REPLY_API_ID);
        await assertViolations(lambdaPublicEndpoint, s, [
            { on: i, message: `The API integration ${integration("vigil-triage-reply-extra-integration")} sends requests to ${HANDLER}, not to the reply function (tag ${TAG}); the reply endpoint may invoke nothing else.` },
            { on: r, message: `The API route ${route("vigil-triage-reply-extra-proxy")} is "ANY /{proxy+}"; the reply endpoint serves only GET /r/{token}, HEAD /r/{token} and POST /r/{token}.` },
            { on: p, message: `The Lambda permission ${perm("vigil-triage-reply-extra-invoke")} lets API Gateway invoke ${HANDLER}, which is not the reply function (tag ${TAG}); remove it.` },
        ]);
    });

    it("catches the intake function retagged reply-links with an open function URL and a permission for anyone", async () => {
        const s = operatorStack(["payments-prod"]);
        const handler = s.get("vigil-triage-handler");
        handler.inputs.tags = tags({ "vigil:public-endpoint": "reply-links" });
        const u = s.add("aws:lambda/functionUrl:FunctionUrl", "vigil-triage-handler-url", { functionName: "vigil-triage-handler", authorizationType: "NONE" }, {}, triageOf(s));
        const p = s.add("aws:lambda/permission:Permission", "vigil-triage-handler-url-invoke", { function: "vigil-triage-handler", action: "lambda:InvokeFunctionUrl", principal: "*", functionUrlAuthType: "NONE" }, {}, triageOf(s));
        const both = `2 functions tagged ${TAG} ("vigil-triage-handler" and "vigil-triage-reply"); only one, the reply endpoint's, may carry the tag.`;
        await assertViolations(lambdaPublicEndpoint, s, [
            { on: handler, message: `The ${HANDLER} is one of ${both}` },
            { on: s.get("vigil-triage-reply"), message: `The ${REPLY} is one of ${both}` },
            { on: handler, message: `The ${HANDLER} is tagged ${TAG} but runs handler "index.handler", not the reply entry point (index.replyHandler); tag only the function that serves reply links.` },
            { on: u, message: `The function URL ${url("vigil-triage-handler-url")} opens the reply function ${HANDLER} to anyone beside the reply endpoint ${REPLY_API}, without its throttling; use authorizationType AWS_IAM or remove the URL.` },
            {
                on: p,
                message: `The Lambda permission ${perm("vigil-triage-handler-url-invoke")} lets anyone invoke the reply function ${HANDLER} beside the reply endpoint ${REPLY_API}; only apigateway.amazonaws.com may invoke it, from that API. Remove the permission.`,
            },
        ]);
    });

    it("catches the tag moved from the reply function to the intake function", async () => {
        const s = operatorStack(["payments-prod"]);
        s.get("vigil-triage-reply").inputs.tags = tags();
        const handler = s.get("vigil-triage-handler");
        handler.inputs.tags = tags({ "vigil:public-endpoint": "reply-links" });
        await assertViolations(lambdaPublicEndpoint, s, [
            { on: handler, message: `The ${HANDLER} is tagged ${TAG} but runs handler "index.handler", not the reply entry point (index.replyHandler); tag only the function that serves reply links.` },
            { on: s.get("vigil-triage-reply-integration"), message: `The API integration ${integration("vigil-triage-reply-integration")} sends requests to ${REPLY}, not to the reply function (tag ${TAG}); the reply endpoint may invoke nothing else.` },
            { on: s.get("vigil-triage-reply-invoke"), message: `The Lambda permission ${perm("vigil-triage-reply-invoke")} lets API Gateway invoke ${REPLY}, which is not the reply function (tag ${TAG}); remove it.` },
        ]);
    });

    it("reports a public URL and public permissions on another function", async () => {
        const s = operatorStack(["payments-prod"]);
        const u = s.add("aws:lambda/functionUrl:FunctionUrl", "vigil-triage-timer-url", { functionName: "vigil-triage-timer", authorizationType: "NONE" }, {}, triageOf(s));
        const p = s.add("aws:lambda/permission:Permission", "vigil-triage-timer-invoke", { function: "vigil-triage-timer", action: "lambda:InvokeFunctionUrl", principal: "*", functionUrlAuthType: "NONE" }, {}, triageOf(s));
        s.add("aws:lambda/functionUrl:FunctionUrl", "vigil-triage-timer-iam-url", { functionName: "vigil-triage-timer", authorizationType: "AWS_IAM" }, {}, triageOf(s));
        await assertViolations(lambdaPublicEndpoint, s, [
            {
                on: u,
                message: `The function URL ${url("vigil-triage-timer-url")} is open to anyone (authorizationType NONE) but its function ${fn("vigil-triage-timer")} is not the reply endpoint (tag ${TAG}); use authorizationType AWS_IAM.`,
            },
            { on: p, message: `The Lambda permission ${perm("vigil-triage-timer-invoke")} lets anyone invoke ${fn("vigil-triage-timer")}, which is not the reply endpoint (tag ${TAG}); remove it.` },
        ]);
    });

    it("reports another endpoint tag, an untagged API, a REST or WebSocket reply API, and one that creates its own routes", async () => {
        const s = operatorStack(["payments-prod"]);
        const reply = s.get("vigil-triage-reply");
        reply.inputs.tags["vigil:public-endpoint"] = "status-page";
        const untagged = addApi(s, "vigil-triage-api", "0123456789", { protocolType: "HTTP" });
        const rest = s.add("aws:apigateway/restApi:RestApi", "vigil-triage-rest", { name: "vigil-triage-rest", tags: tags({ "vigil:public-endpoint": "reply-links" }) }, {}, triageOf(s));
        await assertViolations(lambdaPublicEndpoint, s, [
            { on: reply, message: `The ${REPLY} is tagged vigil:public-endpoint="status-page"; the only public endpoint Vigil has is reply-links.` },
            {
                on: s.get("vigil-triage-reply-api"),
                message: `The ${REPLY_API} is one of 2 APIs tagged ${TAG} ("vigil-triage-reply-api" and "vigil-triage-rest"); only one, the reply endpoint's, may carry the tag.`,
            },
            { on: rest, message: `The aws:apigateway/restApi:RestApi "vigil-triage-rest" is one of 2 APIs tagged ${TAG} ("vigil-triage-reply-api" and "vigil-triage-rest"); only one, the reply endpoint's, may carry the tag.` },
            { on: untagged, message: `The API ${api("vigil-triage-api")} is a public entry point but not the reply endpoint; tag it ${TAG} if it serves reply links, or remove it.` },
            { on: rest, message: `The reply endpoint aws:apigateway/restApi:RestApi "vigil-triage-rest" must be an HTTP API (aws:apigatewayv2/api:Api with protocolType HTTP), whose routes and integrations the pack checks one by one.` },
            { on: s.get("vigil-triage-reply-integration"), message: `The API integration ${integration("vigil-triage-reply-integration")} sends requests to ${REPLY}, not to the reply function (tag ${TAG}); the reply endpoint may invoke nothing else.` },
            { on: s.get("vigil-triage-reply-invoke"), message: `The Lambda permission ${perm("vigil-triage-reply-invoke")} lets API Gateway invoke ${REPLY}, which is not the reply function (tag ${TAG}); remove it.` },
        ]);

        const websocket = operatorStack(["payments-prod"]);
        websocket.get("vigil-triage-reply-api").inputs.protocolType = "WEBSOCKET";
        await assertViolations(lambdaPublicEndpoint, websocket, [
            { on: websocket.get("vigil-triage-reply-api"), message: `The reply endpoint ${REPLY_API} must be an HTTP API (aws:apigatewayv2/api:Api with protocolType HTTP), whose routes and integrations the pack checks one by one.` },
        ]);

        for (const [key, value] of [
            ["target", HANDLER_ARN],
            ["routeKey", "GET /r/{token}"],
            ["body", JSON.stringify({ openapi: "3.0.1", paths: {} })],
        ]) {
            const quick = operatorStack(["payments-prod"]);
            quick.get("vigil-triage-reply-api").inputs[key] = value;
            await assertViolations(lambdaPublicEndpoint, quick, [
                {
                    on: quick.get("vigil-triage-reply-api"),
                    message: `The reply endpoint ${REPLY_API} creates routes or integrations of its own (quick-create target or routeKey, or an OpenAPI body); declare them as Route and Integration resources so that each can be checked.`,
                },
            ]);
        }
    });

    it("reports integrations and routes outside the reply API, and routes other than the reply routes", async () => {
        const s = operatorStack(["payments-prod"]);
        const integ = s.get("vigil-triage-reply-integration");
        integ.inputs.apiId = "0000000000";
        const get = s.get("vigil-triage-reply-get");
        get.inputs.apiId = "0000000000";
        const post = s.get("vigil-triage-reply-post");
        post.inputs.routeKey = "$default";
        await assertViolations(lambdaPublicEndpoint, s, [
            { on: integ, message: `The API integration ${integration("vigil-triage-reply-integration")} belongs to API "0000000000", which is not the reply endpoint (the HTTP API tagged ${TAG}); remove it.` },
            { on: get, message: `The API route ${route("vigil-triage-reply-get")} belongs to API "0000000000", which is not the reply endpoint (the HTTP API tagged ${TAG}); remove it.` },
            { on: post, message: `The API route ${route("vigil-triage-reply-post")} is "$default"; the reply endpoint serves only GET /r/{token}, HEAD /r/{token} and POST /r/{token}.` },
        ]);
    });

    it("reports an integration to anything but the reply function, by ARN, invoke ARN or URL", async () => {
        const s = operatorStack(["payments-prod"]);
        const integ = s.get("vigil-triage-reply-integration");
        integ.inputs.integrationUri = `arn:aws:apigateway:${REGION}:lambda:path/2015-03-31/functions/arn:aws:lambda:${REGION}:${ACCOUNT}:function:vigil-triage-reply/invocations`;
        await assertClean(lambdaPublicEndpoint, s);
        integ.inputs.integrationUri = `arn:aws:apigateway:${REGION}:lambda:path/2015-03-31/functions/${HANDLER_ARN}/invocations`;
        const toHandler = { on: integ, message: `The API integration ${integration("vigil-triage-reply-integration")} sends requests to ${HANDLER}, not to the reply function (tag ${TAG}); the reply endpoint may invoke nothing else.` };
        await assertViolations(lambdaPublicEndpoint, s, [toHandler]);
        Object.assign(integ.inputs, { integrationType: "HTTP_PROXY", integrationUri: "https://intake.example.com/{proxy}" });
        await assertViolations(lambdaPublicEndpoint, s, [
            { on: integ, message: `The API integration ${integration("vigil-triage-reply-integration")} sends requests to "https://intake.example.com/{proxy}", not to the reply function (tag ${TAG}); the reply endpoint may invoke nothing else.` },
        ]);
    });

    it("reports API Gateway invoking the reply function from another API or from any", async () => {
        const s = operatorStack(["payments-prod"]);
        const p = s.get("vigil-triage-reply-invoke");
        p.inputs.sourceArn = `arn:aws:execute-api:${REGION}:${ACCOUNT}:0000000000/*/*/r/*`;
        await assertViolations(lambdaPublicEndpoint, s, [
            {
                on: p,
                message: `The Lambda permission ${perm("vigil-triage-reply-invoke")} lets API Gateway invoke the reply function from "arn:aws:execute-api:${REGION}:${ACCOUNT}:0000000000/*/*/r/*", not only from the reply endpoint ${REPLY_API}; set sourceArn to that API's executionArn followed by /*/*/r/*.`,
            },
        ]);
        delete p.inputs.sourceArn;
        await assertViolations(lambdaPublicEndpoint, s, [
            {
                on: p,
                message: `The Lambda permission ${perm("vigil-triage-reply-invoke")} lets API Gateway invoke the reply function from any API (no sourceArn), not only from the reply endpoint ${REPLY_API}; set sourceArn to that API's executionArn followed by /*/*/r/*.`,
            },
        ]);
    });

    it("reports an open URL or a permission for anyone on the reply function beside its API", async () => {
        const s = operatorStack(["payments-prod"]);
        const u = s.add("aws:lambda/functionUrl:FunctionUrl", "vigil-triage-reply-url", { functionName: "vigil-triage-reply", authorizationType: "NONE" }, {}, triageOf(s));
        const p = s.add("aws:lambda/permission:Permission", "vigil-triage-reply-url-invoke", { function: "vigil-triage-reply", action: "lambda:InvokeFunctionUrl", principal: "*", functionUrlAuthType: "NONE" }, {}, triageOf(s));
        await assertViolations(lambdaPublicEndpoint, s, [
            { on: u, message: `The function URL ${url("vigil-triage-reply-url")} opens the reply function ${REPLY} to anyone beside the reply endpoint ${REPLY_API}, without its throttling; use authorizationType AWS_IAM or remove the URL.` },
            {
                on: p,
                message: `The Lambda permission ${perm("vigil-triage-reply-url-invoke")} lets anyone invoke the reply function ${REPLY} beside the reply endpoint ${REPLY_API}; only apigateway.amazonaws.com may invoke it, from that API. Remove the permission.`,
            },
        ]);
    });

    it("leaves the customer's own APIs and functions alone", async () => {
        const s = customerStack();
        s.add("aws:apigatewayv2/api:Api", "shop-api-gw", { protocolType: "HTTP" }, { executionArn: `arn:aws:execute-api:${REGION}:${ACCOUNT}:5h0p5h0p00` });
        s.add("aws:apigatewayv2/route:Route", "shop-proxy", { apiId: "5h0p5h0p00", routeKey: "ANY /{proxy+}" });
        s.add("aws:lambda/functionUrl:FunctionUrl", "shop-api-url", { functionName: "shop-api", authorizationType: "NONE" });
        await assertClean(lambdaPublicEndpoint, s, { party: "customer" });
    });
});

describe("vigil-lambda-permission-scoped", () => {
    const perm = (name: string) => `aws:lambda/permission:Permission "${name}"`;

    /** The two permissions AWS requires to open a function URL to anyone (since October 2025). */
    function withPublicUrl(s: FixtureStack) {
        const triage = s.get("vigil-triage", "vigil:triage:TriageService");
        s.add("aws:lambda/permission:Permission", "vigil-triage-reply-url-invoke", { function: "vigil-triage-reply", action: "lambda:InvokeFunctionUrl", principal: "*", functionUrlAuthType: "NONE" }, {}, triage);
        return s.add("aws:lambda/permission:Permission", "vigil-triage-reply-url-function", { function: "vigil-triage-reply", action: "lambda:InvokeFunction", principal: "*", invokedViaFunctionUrl: true }, {}, triage);
    }

    it("accepts function-URL grants and services invoking from their source", async () => {
        const s = operatorStack();
        await assertClean(lambdaPermissionScoped, s);
        withPublicUrl(s);
        await assertClean(lambdaPermissionScoped, s);
    });

    it("reports a fully public invoke", async () => {
        const s = operatorStack(["payments-prod"]);
        const permission = withPublicUrl(s);
        delete permission.inputs.invokedViaFunctionUrl;
        await assertViolations(lambdaPermissionScoped, s, [
            {
                on: permission,
                message: `The Lambda permission ${perm("vigil-triage-reply-url-function")} lets anyone invoke the function; a public permission may only open a function URL (lambda:InvokeFunctionUrl with functionUrlAuthType NONE, or lambda:InvokeFunction with invokedViaFunctionUrl).`,
            },
        ]);
    });

    it("reports a service without its source and a wildcard action", async () => {
        const s = operatorStack(["payments-prod"]);
        const permission = s.get("vigil-triage-sweep-invoke");
        delete permission.inputs.sourceArn;
        permission.inputs.action = "lambda:*";
        const api = s.get("vigil-triage-reply-invoke");
        delete api.inputs.sourceArn;
        await assertViolations(lambdaPermissionScoped, s, [
            { on: api, message: `The Lambda permission ${perm("vigil-triage-reply-invoke")} lets apigateway.amazonaws.com invoke the function from any source; set sourceArn to the resource that invokes it.` },
            { on: permission, message: `The Lambda permission ${perm("vigil-triage-sweep-invoke")} grants lambda:*; grant lambda:InvokeFunction only.` },
            { on: permission, message: `The Lambda permission ${perm("vigil-triage-sweep-invoke")} lets events.amazonaws.com invoke the function from any source; set sourceArn to the resource that invokes it.` },
        ]);
    });
});

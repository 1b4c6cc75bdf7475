import { lambdaArm64 } from "../../policies/lambda/arm64";
import { lambdaFailureDestination } from "../../policies/lambda/failureDestination";
import { lambdaPermissionScoped } from "../../policies/lambda/permissionScoped";
import { lambdaPublicEndpoint } from "../../policies/lambda/publicEndpoint";
import { lambdaReservedConcurrency } from "../../policies/lambda/reservedConcurrency";
import { lambdaRuntime } from "../../policies/lambda/runtime";
import { lambdaSqsPartialBatch } from "../../policies/lambda/sqsPartialBatch";
import { lambdaTracing } from "../../policies/lambda/tracing";
import { customerStack, INTAKE_DLQ, operatorStack } from "./fixtures";
import { assertClean, assertNotApplicable, assertStackNotApplicable, assertViolations } from "./harness";

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
    it("accepts the SQS-fed handler, the URL-fronted reply function and the timer with its dead-letter queue", async () => {
        await assertClean(lambdaFailureDestination, operatorStack());
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
    it("accepts a public URL on the tagged reply function only", async () => {
        await assertClean(lambdaPublicEndpoint, operatorStack());
    });

    it("reports a public URL and public permissions on another function", async () => {
        const s = operatorStack(["payments-prod"]);
        const triage = s.get("vigil-triage", "vigil:triage:TriageService");
        const url = s.add("aws:lambda/functionUrl:FunctionUrl", "vigil-triage-timer-url", { functionName: "vigil-triage-timer", authorizationType: "NONE" }, {}, triage);
        const permission = s.add("aws:lambda/permission:Permission", "vigil-triage-timer-invoke", { function: "vigil-triage-timer", action: "lambda:InvokeFunctionUrl", principal: "*", functionUrlAuthType: "NONE" }, {}, triage);
        await assertViolations(lambdaPublicEndpoint, s, [
            {
                on: url,
                message: `The function URL aws:lambda/functionUrl:FunctionUrl "vigil-triage-timer-url" is open to anyone (authorizationType NONE) but its function ${fn("vigil-triage-timer")} is not the reply endpoint (tag vigil:public-endpoint=reply-links); use authorizationType AWS_IAM.`,
            },
            {
                on: permission,
                message: `The Lambda permission aws:lambda/permission:Permission "vigil-triage-timer-invoke" lets anyone invoke ${fn("vigil-triage-timer")}, which is not the reply endpoint (tag vigil:public-endpoint=reply-links); remove it.`,
            },
        ]);
    });

    it("reports the reply function losing its tag, another endpoint tag, and an untagged API", async () => {
        const s = operatorStack(["payments-prod"]);
        const reply = s.get("vigil-triage-reply");
        reply.inputs.tags["vigil:public-endpoint"] = "status-page";
        const api = s.add("aws:apigatewayv2/api:Api", "vigil-triage-api", { protocolType: "HTTP" }, {}, s.get("vigil-triage", "vigil:triage:TriageService"));
        await assertViolations(lambdaPublicEndpoint, s, [
            { on: reply, message: `The ${fn("vigil-triage-reply")} is tagged vigil:public-endpoint="status-page"; the only public endpoint Vigil has is reply-links.` },
            {
                on: s.get("vigil-triage-reply-url"),
                message: `The function URL aws:lambda/functionUrl:FunctionUrl "vigil-triage-reply-url" is open to anyone (authorizationType NONE) but its function ${fn("vigil-triage-reply")} is not the reply endpoint (tag vigil:public-endpoint=reply-links); use authorizationType AWS_IAM.`,
            },
            {
                on: s.get("vigil-triage-reply-url-invoke"),
                message: `The Lambda permission aws:lambda/permission:Permission "vigil-triage-reply-url-invoke" lets anyone invoke ${fn("vigil-triage-reply")}, which is not the reply endpoint (tag vigil:public-endpoint=reply-links); remove it.`,
            },
            {
                on: s.get("vigil-triage-reply-invoke"),
                message: `The Lambda permission aws:lambda/permission:Permission "vigil-triage-reply-invoke" lets anyone invoke ${fn("vigil-triage-reply")}, which is not the reply endpoint (tag vigil:public-endpoint=reply-links); remove it.`,
            },
            { on: api, message: `The API aws:apigatewayv2/api:Api "vigil-triage-api" is a public entry point but not the reply endpoint; tag it vigil:public-endpoint=reply-links if it serves reply links, or remove it.` },
        ]);
    });
});

describe("vigil-lambda-permission-scoped", () => {
    const perm = (name: string) => `aws:lambda/permission:Permission "${name}"`;

    it("accepts function-URL grants and a service invoking from its source", async () => {
        await assertClean(lambdaPermissionScoped, operatorStack());
    });

    it("reports a fully public invoke", async () => {
        const s = operatorStack(["payments-prod"]);
        const permission = s.get("vigil-triage-reply-invoke");
        delete permission.inputs.invokedViaFunctionUrl;
        await assertViolations(lambdaPermissionScoped, s, [
            {
                on: permission,
                message: `The Lambda permission ${perm("vigil-triage-reply-invoke")} lets anyone invoke the function; a public permission may only open a function URL (lambda:InvokeFunctionUrl with functionUrlAuthType NONE, or lambda:InvokeFunction with invokedViaFunctionUrl).`,
            },
        ]);
    });

    it("reports a service without its source and a wildcard action", async () => {
        const s = operatorStack(["payments-prod"]);
        const permission = s.get("vigil-triage-sweep-invoke");
        delete permission.inputs.sourceArn;
        permission.inputs.action = "lambda:*";
        await assertViolations(lambdaPermissionScoped, s, [
            { on: permission, message: `The Lambda permission ${perm("vigil-triage-sweep-invoke")} grants lambda:*; grant lambda:InvokeFunction only.` },
            { on: permission, message: `The Lambda permission ${perm("vigil-triage-sweep-invoke")} lets events.amazonaws.com invoke the function from any source; set sourceArn to the resource that invokes it.` },
        ]);
    });
});

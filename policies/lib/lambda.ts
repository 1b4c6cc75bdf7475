// Lambda facts the policies share.

export const LAMBDA_FUNCTION = "aws:lambda/function:Function";
export const LAMBDA_PERMISSION = "aws:lambda/permission:Permission";
export const FUNCTION_URL = "aws:lambda/functionUrl:FunctionUrl";
export const EVENT_SOURCE_MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping";
export const EVENT_INVOKE_CONFIG = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig";

/** Whether a Permission's principal is anyone (`*`). */
export const isPublicPrincipal = (principal: unknown) => principal === "*";

/** Whether a `*` permission only opens a function URL (the two statements AWS requires since October 2025). */
export function opensFunctionUrlOnly(props: Record<string, any>): boolean {
    return (
        (props.action === "lambda:InvokeFunctionUrl" && props.functionUrlAuthType === "NONE") ||
        (props.action === "lambda:InvokeFunction" && props.invokedViaFunctionUrl === true)
    );
}

export const isSqsArn = (arn: unknown) => typeof arn === "string" && /^arn:aws[a-z-]*:sqs:/.test(arn);

// ---- the reply endpoint ------------------------------------------------------------------------

export const HTTP_API = "aws:apigatewayv2/api:Api";
export const REST_API = "aws:apigateway/restApi:RestApi";
export const HTTP_API_INTEGRATION = "aws:apigatewayv2/integration:Integration";
export const HTTP_API_ROUTE = "aws:apigatewayv2/route:Route";
export const API_GATEWAY_PRINCIPAL = "apigateway.amazonaws.com";

/**
 * The reply endpoint's routes (contract C7; TriageService's REPLY_ROUTES, which a test compares
 * with this list): GET shows what a link does, POST does it, HEAD for link checkers.
 */
export const REPLY_ROUTES: readonly string[] = ["GET /r/{token}", "HEAD /r/{token}", "POST /r/{token}"];

/** The Lambda entry point that serves reply links (DESIGN.md: Lambda entry points). */
export const REPLY_HANDLER = "replyHandler";

/**
 * The function ARN an API Gateway integration URI names: the ARN itself, or the function inside
 * an invoke ARN (`arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<arn>/invocations`).
 */
export function integrationFunction(uri: unknown): string | undefined {
    if (typeof uri !== "string" || uri === "") {
        return undefined;
    }
    const invoke = /^arn:aws[a-z-]*:apigateway:[^:]*:lambda:path\/[^/]+\/functions\/(.+)\/invocations$/.exec(uri);
    return invoke ? invoke[1] : uri;
}

/**
 * The id of an HTTP API from what the cloud computes for it (stack policies see no resource ids):
 * the last part of its executionArn (`arn:aws:execute-api:<region>:<account>:<id>`), or the host of
 * its apiEndpoint (`https://<id>.execute-api.<region>.amazonaws.com`).
 */
export function apiId(props: Record<string, any>): string | undefined {
    const executionArn = props.executionArn;
    if (typeof executionArn === "string") {
        const parts = executionArn.split(":");
        if (parts.length === 6 && parts[5] !== "") {
            return parts[5];
        }
    }
    const endpoint = props.apiEndpoint;
    const host = typeof endpoint === "string" ? /^[a-z]+:\/\/([^./]+)\.execute-api\./.exec(endpoint) : null;
    return host ? host[1] : undefined;
}

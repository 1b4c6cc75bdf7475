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

// Runs one entry point of the triage Lambda bundle in its own process, invoked the way Lambda
// invokes it. The harness bundles this file with esbuild and starts it per function:
//
//   node host.js --bundle <index.js> --handler <export> --mode invoke|http-api
//        --function-arn <arn> [--timeout-ms 30000] [--routes "GET /r/{token},POST /r/{token}"]
//
// --mode invoke    the Lambda Runtime Interface Emulator's API: POST
//                  /2015-03-31/functions/function/invocations with the event as body; the answer is
//                  the handler's result, or the error with X-Amz-Function-Error: Unhandled.
// --mode http-api  an API Gateway HTTP API with a Lambda proxy integration (payload format 2.0):
//                  a request matching one of --routes becomes the event, the handler's result the
//                  response; other requests get the API's 404, a failing function its 500.
//
// The environment is the function's (set by the harness). The host prints "lambda-host listening
// on <port>" once it serves, and exits when its stdin closes (the harness went away).

import { randomUUID } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export const READY_LINE = /lambda-host listening on (\d+)/;
export const INVOKE_PATH = "/2015-03-31/functions/function/invocations";

type Handler = (event: unknown, context: Record<string, unknown>) => Promise<unknown>;

function argument(name: string, fallback?: string): string {
    const i = process.argv.indexOf(`--${name}`);
    const value = i >= 0 ? process.argv[i + 1] : fallback;
    if (value === undefined) {
        process.stderr.write(`lambda-host: --${name} is required\n`);
        process.exit(2);
    }
    return value;
}

function context(functionArn: string, timeoutMs: number): Record<string, unknown> {
    const deadline = Date.now() + timeoutMs;
    const name = functionArn.split(":")[6];
    return {
        callbackWaitsForEmptyEventLoop: true,
        functionName: name,
        functionVersion: "$LATEST",
        invokedFunctionArn: functionArn,
        memoryLimitInMB: "256",
        awsRequestId: randomUUID(),
        logGroupName: `/aws/lambda/${name}`,
        logStreamName: `${new Date().toISOString().slice(0, 10).replace(/-/g, "/")}/[$LATEST]${randomUUID().replace(/-/g, "")}`,
        getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
        done: () => undefined,
        fail: () => undefined,
        succeed: () => undefined,
    };
}

/** Runs the handler with Lambda's time limit. */
async function invoke(handler: Handler, event: unknown, functionArn: string, timeoutMs: number): Promise<unknown> {
    let timer: NodeJS.Timeout | undefined;
    try {
        return await Promise.race([
            handler(event, context(functionArn, timeoutMs)),
            new Promise<never>((_, reject) => {
                timer = setTimeout(() => reject(new Error(`Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`)), timeoutMs);
            }),
        ]);
    } finally {
        clearTimeout(timer);
    }
}

const TEXT_TYPES = /^(text\/|application\/(json|x-www-form-urlencoded|xml))/;

interface Route {
    readonly key: string;
    readonly method: string;
    readonly pattern: RegExp;
    readonly params: readonly string[];
}

/** Route keys ("POST /r/{token}") as matchers: a `{name}` parameter matches one path segment. */
export function parseRoutes(spec: string): Route[] {
    return spec
        .split(",")
        .map((key) => key.trim())
        .filter((key) => key !== "")
        .map((key) => {
            const [method, template] = key.split(" ");
            const params: string[] = [];
            const source = template
                .split("/")
                .map((part) => {
                    const param = /^\{(\w+)\}$/.exec(part);
                    if (param) {
                        params.push(param[1]);
                        return "([^/]+)";
                    }
                    return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
                })
                .join("/");
            return { key, method, pattern: new RegExp(`^${source}$`), params };
        });
}

/** The payload-2.0 event an HTTP API passes for this request on `route`. */
function httpApiEvent(req: http.IncomingMessage, body: Buffer, route: Route, pathParameters: Record<string, string>): Record<string, unknown> {
    const url = new URL(req.url ?? "/", "http://local");
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined) {
            headers[name] = Array.isArray(value) ? value.join(",") : value;
        }
    }
    const binary = body.length > 0 && !TEXT_TYPES.test(headers["content-type"] ?? "");
    const query: Record<string, string> = {};
    url.searchParams.forEach((v, k) => (query[k] = query[k] === undefined ? v : `${query[k]},${v}`));
    const host = headers.host ?? "localhost";
    const now = new Date();
    return {
        version: "2.0",
        routeKey: route.key,
        rawPath: url.pathname,
        rawQueryString: url.search.replace(/^\?/, ""),
        headers,
        ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
        ...(Object.keys(pathParameters).length > 0 ? { pathParameters } : {}),
        requestContext: {
            accountId: "anonymous",
            apiId: "local",
            domainName: host,
            domainPrefix: host.split(".")[0],
            http: { method: req.method ?? "GET", path: url.pathname, protocol: `HTTP/${req.httpVersion}`, sourceIp: req.socket.remoteAddress ?? "", userAgent: headers["user-agent"] ?? "" },
            requestId: randomUUID(),
            routeKey: route.key,
            stage: "$default",
            time: now.toUTCString(),
            timeEpoch: now.getTime(),
        },
        ...(body.length > 0 ? { body: binary ? body.toString("base64") : body.toString("utf8") } : {}),
        isBase64Encoded: binary,
    };
}

function main(): void {
    const bundle = argument("bundle");
    const exportName = argument("handler");
    const mode = argument("mode");
    const functionArn = argument("function-arn");
    const timeoutMs = Number(argument("timeout-ms", "30000"));
    const routes = parseRoutes(argument("routes", ""));
    if (mode !== "invoke" && mode !== "http-api") {
        process.stderr.write(`lambda-host: --mode must be invoke or http-api, got ${mode}\n`);
        process.exit(2);
    }
    // The Lambda bundle, loaded the way the Node.js runtime loads it.
    const handler = require(bundle)[exportName] as Handler | undefined;
    if (typeof handler !== "function") {
        process.stderr.write(`lambda-host: ${bundle} exports no function ${exportName}\n`);
        process.exit(2);
    }

    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const body = Buffer.concat(chunks);
            if (mode === "invoke") {
                if (req.method !== "POST" || req.url !== INVOKE_PATH) {
                    res.writeHead(404).end();
                    return;
                }
                let event: unknown;
                try {
                    event = JSON.parse(body.toString("utf8"));
                } catch (err) {
                    res.writeHead(400, { "Content-Type": "application/json" }).end(JSON.stringify({ errorType: "InvalidRequestContentException", errorMessage: (err as Error).message }));
                    return;
                }
                invoke(handler, event, functionArn, timeoutMs).then(
                    (result) => res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(result ?? null)),
                    (err: Error) =>
                        res
                            .writeHead(200, { "Content-Type": "application/json", "X-Amz-Function-Error": "Unhandled" })
                            .end(JSON.stringify({ errorType: err.name, errorMessage: err.message, trace: String(err.stack ?? "").split("\n") })),
                );
                return;
            }
            const path = new URL(req.url ?? "/", "http://local").pathname;
            let matched: { route: Route; params: Record<string, string> } | undefined;
            for (const route of routes) {
                const m = route.method === req.method ? route.pattern.exec(path) : null;
                if (m) {
                    matched = { route, params: Object.fromEntries(route.params.map((p, i) => [p, decodeURIComponent(m[i + 1])])) };
                    break;
                }
            }
            if (!matched) {
                res.writeHead(404, { "Content-Type": "application/json" }).end(JSON.stringify({ message: "Not Found" }));
                return;
            }
            invoke(handler, httpApiEvent(req, body, matched.route, matched.params), functionArn, timeoutMs).then(
                (result) => {
                    if (typeof result === "string" || result === undefined || result === null) {
                        res.writeHead(200, { "Content-Type": "application/json" }).end(result ?? "");
                        return;
                    }
                    const r = result as { statusCode?: number; headers?: Record<string, string>; body?: string; isBase64Encoded?: boolean; cookies?: string[] };
                    const headers: Record<string, string | string[]> = { ...(r.headers ?? {}) };
                    if (r.cookies && r.cookies.length > 0) {
                        headers["Set-Cookie"] = r.cookies;
                    }
                    res.writeHead(r.statusCode ?? 200, headers).end(r.body === undefined ? "" : r.isBase64Encoded ? Buffer.from(r.body, "base64") : r.body);
                },
                // An HTTP API answers 500 when the integration fails.
                (err: Error) => {
                    process.stderr.write(`lambda-host: ${err.stack ?? err.message}\n`);
                    res.writeHead(500, { "Content-Type": "application/json" }).end(JSON.stringify({ message: "Internal Server Error" }));
                },
            );
        });
    });
    server.listen(0, "127.0.0.1", () => {
        process.stdout.write(`lambda-host listening on ${(server.address() as AddressInfo).port}\n`);
    });
    // The harness holds our stdin; when it goes away, so do we.
    process.stdin.on("end", () => process.exit(0));
    process.stdin.on("error", () => process.exit(0));
    process.stdin.resume();
}

if (require.main === module) {
    main();
}

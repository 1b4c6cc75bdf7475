// The AWS calls triage makes besides DynamoDB, answered on loopback with each service's wire
// protocol and counted, so the storm measures the engine's own cost: SNS Publish (Query API, XML
// answer), SSM CreateOpsItem (JSON 1.1) and EventBridge Scheduler CreateSchedule/DeleteSchedule
// (REST-JSON). The service is read from the SigV4 credential scope; signatures are not checked
// (the end-to-end tests do that). Anything else is refused and counted as such.

import { randomBytes, randomUUID } from "node:crypto";
import * as http from "node:http";
import { closeServer, listenOnLoopback } from "../../tools/loopback";

/** The service named in a SigV4 Authorization header (`Credential=AKID/date/region/<service>/aws4_request`). */
export function signedService(authorization: string | undefined): string | undefined {
    return /Credential=[^/]+\/\d{8}\/[^/]+\/([a-z0-9-]+)\/aws4_request/.exec(authorization ?? "")?.[1];
}

interface Reply {
    readonly status: number;
    readonly headers: Record<string, string>;
    readonly body: string;
}

/** Answers one call; returns the operation's name for the counters and the reply. */
export function answer(service: string | undefined, method: string, url: string, target: string | undefined, body: string): { operation: string; reply: Reply } {
    const json = (status: number, value: unknown, type = "application/x-amz-json-1.1") => ({ status, headers: { "Content-Type": type }, body: JSON.stringify(value) });
    if (service === "sns" && /(^|&)Action=Publish(&|$)/.test(body)) {
        const id = randomUUID();
        return {
            operation: "sns:Publish",
            reply: {
                status: 200,
                headers: { "Content-Type": "text/xml" },
                body: `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${id}</MessageId></PublishResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`,
            },
        };
    }
    if (service === "ssm" && target === "AmazonSSM.CreateOpsItem") {
        return { operation: "ssm:CreateOpsItem", reply: json(200, { OpsItemId: `oi-${randomBytes(6).toString("hex")}` }) };
    }
    const schedule = /^\/schedules\/([^/?]+)/.exec(url);
    if (service === "scheduler" && schedule && method === "POST") {
        return { operation: "scheduler:CreateSchedule", reply: json(200, { ScheduleArn: `arn:aws:scheduler:eu-west-1:111122223333:schedule/bench/${schedule[1]}` }, "application/json") };
    }
    if (service === "scheduler" && schedule && method === "DELETE") {
        return { operation: "scheduler:DeleteSchedule", reply: json(200, {}, "application/json") };
    }
    return {
        operation: `refused ${service ?? "?"} ${method} ${url}`,
        reply: { status: 400, headers: { "Content-Type": "application/json", "x-amzn-ErrorType": "UnknownOperationException" }, body: JSON.stringify({ message: "not served by the bench" }) },
    };
}

export class FakeAws {
    readonly calls = new Map<string, number>();
    private readonly server: http.Server;

    constructor() {
        this.server = http.createServer((req, res) => {
            const chunks: Buffer[] = [];
            req.on("data", (c: Buffer) => chunks.push(c));
            req.on("end", () => {
                const target = req.headers["x-amz-target"];
                const { operation, reply } = answer(signedService(req.headers.authorization), req.method ?? "GET", req.url ?? "/", typeof target === "string" ? target : undefined, Buffer.concat(chunks).toString("utf8"));
                this.calls.set(operation, (this.calls.get(operation) ?? 0) + 1);
                res.writeHead(reply.status, reply.headers);
                res.end(reply.body);
            });
        });
    }

    start(): Promise<string> {
        return listenOnLoopback(this.server);
    }

    /** The counts so far, then zero. */
    take(): Record<string, number> {
        const out = Object.fromEntries(this.calls);
        this.calls.clear();
        return out;
    }

    close(): Promise<void> {
        return closeServer(this.server);
    }
}

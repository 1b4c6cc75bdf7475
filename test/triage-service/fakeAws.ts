// A loopback HTTP server that answers the few AWS calls the triage functions make besides
// DynamoDB (which dynalite serves), in each service's own wire protocol, and records them:
// EC2 DescribeInstances (EC2 query, XML), SNS Publish (query, XML), Systems Manager CreateOpsItem
// (JSON 1.1) and EventBridge Scheduler CreateSchedule/DeleteSchedule (REST JSON). Point the SDK
// at it with AWS_ENDPOINT_URL_EC2 / _SNS / _SSM / _SCHEDULER (or a client's `endpoint`).

import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeCall {
    readonly service: "ec2" | "sns" | "ssm" | "scheduler";
    readonly action: string;
    /** Form parameters (query protocols), the JSON body (JSON protocols), or the schedule name. */
    readonly params: Record<string, unknown>;
}

export interface FakeAws {
    readonly endpoint: string;
    readonly calls: FakeCall[];
    /** Instance id → tags of the instances DescribeInstances knows. */
    readonly instances: Map<string, Record<string, string>>;
    close(): Promise<void>;
}

const xml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function describeInstances(instances: Map<string, Record<string, string>>, form: URLSearchParams): { status: number; body: string } {
    const ids = [...form.entries()].filter(([k]) => /^InstanceId\.\d+$/.test(k)).map(([, v]) => v);
    const unknown = ids.filter((id) => !instances.has(id));
    if (unknown.length > 0) {
        return {
            status: 400,
            body: `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>InvalidInstanceID.NotFound</Code><Message>The instance ID '${xml(unknown[0])}' does not exist</Message></Error></Errors><RequestID>fake-request</RequestID></Response>`,
        };
    }
    const items = ids
        .map((id) => {
            const tags = Object.entries(instances.get(id) ?? {})
                .map(([k, v]) => `<item><key>${xml(k)}</key><value>${xml(v)}</value></item>`)
                .join("");
            return `<item><instanceId>${xml(id)}</instanceId><instanceType>m7g.large</instanceType><tagSet>${tags}</tagSet></item>`;
        })
        .join("");
    const reservations = ids.length > 0 ? `<item><reservationId>r-0123456789abcdef0</reservationId><ownerId>111122223333</ownerId><instancesSet>${items}</instancesSet></item>` : "";
    return {
        status: 200,
        body: `<?xml version="1.0" encoding="UTF-8"?><DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>fake-request</requestId><reservationSet>${reservations}</reservationSet></DescribeInstancesResponse>`,
    };
}

/** Starts the fake on 127.0.0.1 (a free port). Close it in `after`. */
export async function startFakeAws(instances: Record<string, Record<string, string>> = {}): Promise<FakeAws> {
    const calls: FakeCall[] = [];
    const known = new Map(Object.entries(instances));
    let published = 0;
    let opened = 0;
    const server = http.createServer((req, res) => {
        let body = "";
        req.on("data", (d) => (body += d));
        req.on("end", () => {
            const send = (status: number, contentType: string, text: string) => {
                res.writeHead(status, { "Content-Type": contentType, "x-amzn-RequestId": "fake-request" });
                res.end(text);
            };
            const target = String(req.headers["x-amz-target"] ?? "");
            const url = new URL(req.url ?? "/", "http://fake");
            if (target.startsWith("AmazonSSM.")) {
                const action = target.slice("AmazonSSM.".length);
                calls.push({ service: "ssm", action, params: JSON.parse(body || "{}") });
                return send(200, "application/x-amz-json-1.1", JSON.stringify({ OpsItemId: `oi-${String(++opened).padStart(12, "0")}` }));
            }
            const schedule = /^\/schedules\/([^/]+)$/.exec(url.pathname);
            if (schedule) {
                const name = decodeURIComponent(schedule[1]);
                const action = req.method === "DELETE" ? "DeleteSchedule" : "CreateSchedule";
                // CreateSchedule sends GroupName in the body, DeleteSchedule as the groupName query parameter.
                const group = url.searchParams.get("groupName");
                calls.push({ service: "scheduler", action, params: { Name: name, ...(body ? JSON.parse(body) : {}), ...(group ? { GroupName: group } : {}) } });
                return send(200, "application/json", action === "DeleteSchedule" ? "{}" : JSON.stringify({ ScheduleArn: `arn:aws:scheduler:eu-west-1:111122223333:schedule/fake/${name}` }));
            }
            const form = new URLSearchParams(body);
            const action = form.get("Action") ?? "";
            if (action === "Publish") {
                calls.push({ service: "sns", action, params: Object.fromEntries(form) });
                return send(
                    200,
                    "text/xml",
                    `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>fake-message-${++published}</MessageId></PublishResult><ResponseMetadata><RequestId>fake-request</RequestId></ResponseMetadata></PublishResponse>`,
                );
            }
            if (action === "DescribeInstances") {
                calls.push({ service: "ec2", action, params: Object.fromEntries(form) });
                const answer = describeInstances(known, form);
                return send(answer.status, "text/xml;charset=UTF-8", answer.body);
            }
            send(400, "text/plain", `the fake AWS does not answer ${req.method} ${req.url} ${target} ${action}`);
        });
    });
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    return {
        endpoint: `http://127.0.0.1:${port}`,
        calls,
        instances: known,
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}

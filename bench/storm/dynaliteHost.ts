// Child process of the storm benchmark: a dynalite server on 127.0.0.1 (port from argv[2], 0 for
// any) that counts every DynamoDB request at the HTTP level, by operation, with its body size (the
// Content-Length header: the body itself is left to dynalite), and the ones it answered with an
// error (conditional check failures among them). Counts go to the parent over IPC.

import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { HostCommand, HostReply } from "./protocol";

// dynalite has no type declarations.
const dynalite = require("dynalite") as (options: Record<string, unknown>) => http.Server;

const requests: Record<string, number> = {};
const bytes: Record<string, number> = {};
const errors: Record<string, number> = {};

function send(reply: HostReply): void {
    process.send?.(reply);
}

const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    const operation = String(req.headers["x-amz-target"] ?? "unknown").replace(/^DynamoDB_\d+\./, "");
    requests[operation] = (requests[operation] ?? 0) + 1;
    bytes[operation] = (bytes[operation] ?? 0) + Number(req.headers["content-length"] ?? 0);
    res.once("finish", () => {
        if (res.statusCode >= 400) {
            errors[operation] = (errors[operation] ?? 0) + 1;
        }
    });
});

process.on("message", (command: HostCommand) => {
    if (command.type === "counts") {
        send({ type: "counts", counts: { requests: { ...requests }, bytes: { ...bytes }, errors: { ...errors } } });
        if (command.reset) {
            for (const counter of [requests, bytes, errors]) {
                for (const k of Object.keys(counter)) delete counter[k];
            }
        }
    }
});
// The parent going away ends the host.
process.on("disconnect", () => server.close(() => process.exit(0)));

server.listen(Number(process.argv[2] ?? 0), "127.0.0.1", () => send({ type: "listening", port: (server.address() as AddressInfo).port }));

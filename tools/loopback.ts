// Loopback helpers shared by the tests, the end-to-end pipeline and the benchmarks, which start
// real servers (Prometheus, Alertmanager, node-exporter, local stand-ins) on ports they choose.

import type * as http from "node:http";
import * as net from "node:net";

/** A free TCP port on 127.0.0.1 (the kernel's choice; the caller binds it right after). */
export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.unref();
        server.on("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const { port } = server.address() as net.AddressInfo;
            server.close(() => resolve(port));
        });
    });
}

/** Starts `server` on a free port of 127.0.0.1; resolves with its base URL, `http://127.0.0.1:<port>`. */
export async function listenOnLoopback(server: net.Server): Promise<string> {
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => resolve());
    });
    return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

/** Closes an HTTP server, kept-alive connections included (they would hold `close` open). */
export async function closeServer(server: http.Server): Promise<void> {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
}

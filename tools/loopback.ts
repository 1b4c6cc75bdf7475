// Loopback helpers shared by the tests, the end-to-end pipeline and the benchmarks, which start
// real servers (Prometheus, Alertmanager, node-exporter, local stand-ins) on ports they choose.

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

// The deployed functions' module: esbuild bundles this file into dist/triage/index.js. The three
// engine functions run its `handler`, `replyHandler` and `timerHandler` (the entry points of
// index.ts, contract C7); the diagnostics function runs its `diagnosticsHandler`
// (diagnostics/handler.ts). The engine functions get the wiring only the deployed ones have:
//   - EC2 node events are attributed to their cluster through DescribeInstances;
//   - the public reply function records a reply and leaves the work it claims (opening the
//     incident, notifying, deleting the reply timer) to the timer function's sweep, because it
//     may touch nothing but the table.
// Tests, replay and the local pipeline import index.ts directly and wire their own ports.

//
// Loading an AWS SDK client costs a cold start tens to hundreds of milliseconds (EC2's the most):
// the EC2 directory and the diagnostics function's module (EKS, CloudWatch Logs, the credential
// chain) are loaded on first use, so the engine's functions never load what only EC2 node events
// or diagnostics need. esbuild keeps these internal imports in the bundle, evaluated lazily.

import type { Context } from "aws-lambda";
import { configurePorts } from "./index";
import { NodeDirectory } from "./ports";

let ec2Directory: Promise<NodeDirectory> | undefined;
const nodes: NodeDirectory = {
    clusterOfInstance: async (instanceId) => {
        ec2Directory ??= import("./ec2").then(({ Ec2NodeDirectory, EC2Client }) => new Ec2NodeDirectory(new EC2Client({})));
        return (await ec2Directory).clusterOfInstance(instanceId);
    },
};

configurePorts({ nodes, deferReplyWork: true });

export { handler, replyHandler, timerHandler } from "./index";

/** The diagnostics function's entry point (diagnostics/handler.ts), loaded on its first invocation. */
export async function diagnosticsHandler(event: unknown, context?: Context): ReturnType<typeof import("./diagnostics/handler").diagnosticsHandler> {
    const module = await import("./diagnostics/handler");
    return module.diagnosticsHandler(event, context);
}

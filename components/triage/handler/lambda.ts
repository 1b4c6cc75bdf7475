// The deployed functions' module: esbuild bundles this file into dist/triage/index.js. The three
// engine functions run its `handler`, `replyHandler` and `timerHandler` (the entry points of
// index.ts, contract C7); the diagnostics function runs its `diagnosticsHandler`
// (diagnostics/handler.ts). The engine functions get the wiring only the deployed ones have:
//   - EC2 node events are attributed to their cluster through DescribeInstances;
//   - the public reply function records a reply and leaves the work it claims (opening the
//     incident, notifying, deleting the reply timer) to the timer function's sweep, because it
//     may touch nothing but the table.
// Tests, replay and the local pipeline import index.ts directly and wire their own ports.

import { EC2Client } from "@aws-sdk/client-ec2";
import { Ec2NodeDirectory } from "./ec2";
import { configurePorts } from "./index";

configurePorts({ nodes: new Ec2NodeDirectory(new EC2Client({})), deferReplyWork: true });

export { handler, replyHandler, timerHandler } from "./index";
export { diagnosticsHandler } from "./diagnostics/handler";

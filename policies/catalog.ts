// Every policy of the pack, in one list. `index.ts` builds the PolicyPack from it; the offline plan
// and the tests run the same list without starting a policy server.

import type { Policy } from "@pulumi/policy";

export const POLICIES: readonly Policy[] = [];

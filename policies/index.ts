// The CrossGuard pack. This file only builds the pack (constructing a PolicyPack starts a policy
// server), so tests and the offline plan import `catalog.ts` instead and never this file.

import { PolicyPack } from "@pulumi/policy";
import { POLICIES } from "./catalog";

new PolicyPack("vigil", {
    description: "Vigil's responsibility (RACI) matrix between operator and customer, and the security baseline of its EKS monitoring, enforced.",
    displayName: "Vigil RACI and baseline",
    provider: "aws",
    tags: ["eks", "monitoring", "raci"],
    repository: "https://github.com/vigil-eks/vigil",
    policies: [...POLICIES],
});

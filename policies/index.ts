// The CrossGuard pack. This file only builds the pack (constructing a PolicyPack starts a policy
// server), so tests and the offline plan import `catalog.ts` instead and never this file.

import { PolicyPack, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { POLICIES } from "./catalog";

new PolicyPack("vigil", {
    policies: POLICIES as (ResourceValidationPolicy | StackValidationPolicy)[],
});

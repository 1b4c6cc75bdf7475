import type { ResourceValidationPolicy } from "@pulumi/policy";
import { forVigilTypes } from "../lib/policy";
import { describe } from "../lib/resources";

export const grafanaNoApiKeys: ResourceValidationPolicy = {
    name: "vigil-grafana-no-api-keys",
    description:
        "Vigil provisions Grafana with a service-account token, never a workspace API key (API keys are deprecated in Grafana and cannot be scoped to a service account).",
    enforcementLevel: "mandatory",
    severity: "medium",
    remediationSteps: "Replace aws.grafana.WorkspaceApiKey with aws.grafana.WorkspaceServiceAccount and WorkspaceServiceAccountToken.",
    validateResource: forVigilTypes(["aws:grafana/workspaceApiKey:WorkspaceApiKey"], (_props, args, report) => {
        report(`The Grafana API key ${describe(args)} must be replaced by a service account token (aws.grafana.WorkspaceServiceAccount and WorkspaceServiceAccountToken).`);
    }),
};

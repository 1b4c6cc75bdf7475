import type { ResourceValidationPolicy } from "@pulumi/policy";
import { forVigilTypes, strings } from "../lib/policy";
import { describe } from "../lib/resources";

const AUTH = ["AWS_SSO", "SAML"];

export const grafanaWorkspaceHardened: ResourceValidationPolicy = {
    name: "vigil-grafana-workspace-hardened",
    description:
        "The Managed Grafana workspace signs users in with IAM Identity Center or SAML, reads only the current account, and has the AMP (Prometheus) data source.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: "Set authenticationProviders [\"AWS_SSO\"], accountAccessType CURRENT_ACCOUNT, dataSources including PROMETHEUS, and permissionType SERVICE_MANAGED (or CUSTOMER_MANAGED with roleArn).",
    validateResource: forVigilTypes(["aws:grafana/workspace:Workspace"], (props, args, report) => {
        const what = describe(args);
        const providers = strings(props.authenticationProviders);
        const unknown = providers.filter((p) => !AUTH.includes(p));
        if (providers.length === 0 || unknown.length > 0) {
            report(`The Grafana workspace ${what} must sign users in with ${AUTH.join(" or ")}; authenticationProviders is ${JSON.stringify(providers)}.`);
        }
        if (props.accountAccessType !== "CURRENT_ACCOUNT") {
            report(`The Grafana workspace ${what} has accountAccessType ${JSON.stringify(props.accountAccessType ?? null)}; it must be CURRENT_ACCOUNT so that it reads only this account.`);
        }
        if (!strings(props.dataSources).includes("PROMETHEUS")) {
            report(`The Grafana workspace ${what} must have the AMP data source: add PROMETHEUS to dataSources.`);
        }
        if (props.permissionType === "CUSTOMER_MANAGED" && (typeof props.roleArn !== "string" || props.roleArn === "")) {
            report(`The Grafana workspace ${what} uses CUSTOMER_MANAGED permissions without a role; set roleArn or use SERVICE_MANAGED.`);
        } else if (props.permissionType !== "CUSTOMER_MANAGED" && props.permissionType !== "SERVICE_MANAGED") {
            report(`The Grafana workspace ${what} has permissionType ${JSON.stringify(props.permissionType ?? null)}; use SERVICE_MANAGED or CUSTOMER_MANAGED.`);
        }
    }),
};

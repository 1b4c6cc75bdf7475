// What the mock engine answers when a resource is registered: its inputs plus the outputs the
// cloud would compute (ids, ARNs, endpoints), synthesised deterministically from the account
// description so that plans are stable from run to run.

import { createHash } from "node:crypto";
import type { AccountDescription } from "./account";

export interface MockState {
    readonly id: string;
    readonly state: Record<string, unknown>;
}

function digest(text: string, length: number): string {
    return createHash("sha256").update(text).digest("hex").slice(0, length);
}

function uuid(seed: string): string {
    const h = digest(seed, 32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** The physical name the provider would use: the explicit `name` input, or the logical name plus a suffix. */
export function physicalName(type: string, name: string, inputs: Record<string, unknown>): string {
    for (const key of ["name", "functionName", "roleName", "topicName", "queueName", "tableName"]) {
        if (typeof inputs[key] === "string" && inputs[key] !== "") {
            return inputs[key] as string;
        }
    }
    if (typeof inputs.namePrefix === "string") {
        return `${inputs.namePrefix}${digest(`${type}/${name}`, 8)}`;
    }
    return `${name}-${digest(`${type}/${name}`, 7)}`;
}

/** The AWS service prefix of an ARN for a Pulumi module (`aws:amp/...` → `aps`). */
const SERVICE: Record<string, string> = {
    amp: "aps",
    cloudwatch: "cloudwatch",
    grafana: "grafana",
    apigatewayv2: "apigateway",
    scheduler: "scheduler",
};

/**
 * Returns the mocked id and state of a resource. Component resources (`custom: false`) echo their
 * inputs. Custom resources get the outputs their consumers read.
 */
export function mockResourceState(
    type: string,
    name: string,
    inputs: Record<string, unknown>,
    custom: boolean,
    account: AccountDescription,
): MockState {
    if (!custom) {
        return { id: "", state: { ...inputs } };
    }
    const { partition: p, region: r, accountId: a } = account;
    const [pkg, rest = ""] = type.split(":");
    const module = rest.split("/")[0];
    const phys = physicalName(type, name, inputs);
    const seed = `${type}/${name}`;
    const generic = `arn:${p}:${SERVICE[module] ?? module}:${r}:${a}:${module}/${phys}`;
    // Some resources take an `arn` input (an EventTarget's target, a TopicPolicy's topic); the
    // synthesised ARN only stands in when the inputs have none.
    const base = (id: string, extra: Record<string, unknown> = {}): MockState => ({
        id,
        state: { arn: generic, ...inputs, ...extra },
    });

    if (pkg !== "aws") {
        // Kubernetes objects, Helm releases, random values, dynamic resources: echo the inputs.
        return { id: phys, state: { ...inputs } };
    }
    switch (type) {
        case "aws:amp/workspace:Workspace": {
            const id = `ws-${uuid(seed)}`;
            return base(id, {
                arn: `arn:${p}:aps:${r}:${a}:workspace/${id}`,
                prometheusEndpoint: `https://aps-workspaces.${r}.amazonaws.com/workspaces/${id}/`,
            });
        }
        case "aws:amp/scraper:Scraper": {
            const id = `s-${uuid(seed)}`;
            return base(id, {
                arn: `arn:${p}:aps:${r}:${a}:scraper/${id}`,
                roleArn: `arn:${p}:iam::${a}:role/aws-service-role/scraper.aps.amazonaws.com/AWSServiceRoleForAmazonPrometheusScraper_${digest(seed, 12)}`,
            });
        }
        case "aws:sns/topic:Topic": {
            const arn = `arn:${p}:sns:${r}:${a}:${phys}`;
            return base(arn, { arn, name: phys });
        }
        case "aws:sqs/queue:Queue": {
            const url = `https://sqs.${r}.amazonaws.com/${a}/${phys}`;
            return base(url, { arn: `arn:${p}:sqs:${r}:${a}:${phys}`, url, name: phys });
        }
        case "aws:kms/key:Key": {
            const keyId = uuid(seed);
            return base(keyId, { keyId, arn: `arn:${p}:kms:${r}:${a}:key/${keyId}` });
        }
        case "aws:kms/alias:Alias":
            return base(phys, { arn: `arn:${p}:kms:${r}:${a}:${phys}` });
        case "aws:iam/role:Role":
            return base(phys, { arn: `arn:${p}:iam::${a}:role/${phys}`, name: phys, uniqueId: `AROA${digest(seed, 17).toUpperCase()}` });
        case "aws:iam/policy:Policy":
            return base(`arn:${p}:iam::${a}:policy/${phys}`, { arn: `arn:${p}:iam::${a}:policy/${phys}`, name: phys, policyId: `ANPA${digest(seed, 17).toUpperCase()}` });
        case "aws:iam/openIdConnectProvider:OpenIdConnectProvider": {
            const host = String(inputs.url ?? "").replace(/^https:\/\//, "");
            return base(`arn:${p}:iam::${a}:oidc-provider/${host}`, { arn: `arn:${p}:iam::${a}:oidc-provider/${host}` });
        }
        case "aws:cloudwatch/logGroup:LogGroup":
            return base(phys, { arn: `arn:${p}:logs:${r}:${a}:log-group:${phys}`, name: phys });
        case "aws:cloudwatch/eventRule:EventRule":
            return base(phys, { arn: `arn:${p}:events:${r}:${a}:rule/${phys}`, name: phys });
        case "aws:cloudwatch/metricAlarm:MetricAlarm":
            return base(phys, { arn: `arn:${p}:cloudwatch:${r}:${a}:alarm:${phys}`, name: phys });
        case "aws:lambda/function:Function": {
            const arn = `arn:${p}:lambda:${r}:${a}:function:${phys}`;
            return base(phys, {
                arn,
                name: phys,
                qualifiedArn: `${arn}:$LATEST`,
                invokeArn: `arn:${p}:apigateway:${r}:lambda:path/2015-03-31/functions/${arn}/invocations`,
                version: "$LATEST",
            });
        }
        case "aws:lambda/functionUrl:FunctionUrl": {
            const urlId = digest(seed, 32);
            return base(urlId, { urlId, functionUrl: `https://${urlId}.lambda-url.${r}.on.aws/` });
        }
        case "aws:lambda/eventSourceMapping:EventSourceMapping":
            return base(uuid(seed), { uuid: uuid(seed) });
        case "aws:dynamodb/table:Table":
            return base(phys, {
                arn: `arn:${p}:dynamodb:${r}:${a}:table/${phys}`,
                name: phys,
                streamArn: `arn:${p}:dynamodb:${r}:${a}:table/${phys}/stream/2024-01-01T00:00:00.000`,
            });
        case "aws:grafana/workspace:Workspace": {
            const id = `g-${digest(seed, 10)}`;
            return base(id, { arn: `arn:${p}:grafana:${r}:${a}:/workspaces/${id}`, endpoint: `${id}.grafana-workspace.${r}.amazonaws.com` });
        }
        case "aws:grafana/workspaceServiceAccount:WorkspaceServiceAccount":
            return base(`${digest(seed, 4)}`, { serviceAccountId: digest(seed, 4) });
        case "aws:grafana/workspaceServiceAccountToken:WorkspaceServiceAccountToken":
            return base(digest(seed, 8), { key: `glsa_offline_${digest(seed, 24)}`, serviceAccountTokenId: digest(seed, 8) });
        case "aws:guardduty/detector:Detector": {
            const id = digest(seed, 32);
            return base(id, { arn: `arn:${p}:guardduty:${r}:${a}:detector/${id}`, accountId: a });
        }
        case "aws:scheduler/scheduleGroup:ScheduleGroup":
            return base(phys, { arn: `arn:${p}:scheduler:${r}:${a}:schedule-group/${phys}`, name: phys });
        case "aws:apigatewayv2/api:Api": {
            const id = digest(seed, 10);
            return base(id, { apiEndpoint: `https://${id}.execute-api.${r}.amazonaws.com`, executionArn: `arn:${p}:execute-api:${r}:${a}:${id}` });
        }
        case "aws:eks/cluster:Cluster":
            return base(phys, {
                arn: `arn:${p}:eks:${r}:${a}:cluster/${phys}`,
                name: phys,
                endpoint: `https://${digest(seed, 32).toUpperCase()}.gr7.${r}.eks.amazonaws.com`,
                certificateAuthority: { data: Buffer.from(`offline CA for ${phys}`).toString("base64") },
                identities: [{ oidcs: [{ issuer: `https://oidc.eks.${r}.amazonaws.com/id/${digest(seed, 32).toUpperCase()}` }] }],
                version: inputs.version ?? "1.31",
                status: "ACTIVE",
                vpcConfig: { ...(inputs.vpcConfig as object), clusterSecurityGroupId: `sg-${digest(seed, 17)}`, vpcId: `vpc-${digest(seed, 17)}` },
            });
        default:
            return base(phys);
    }
}

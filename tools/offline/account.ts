// The account description: what an AWS account would answer to the data sources the program
// reads, written down in a YAML file next to the stack config (`stacks/<stack>.account.yaml`).
// The offline plan and the mock tests answer data-source calls from it; a call it cannot answer
// is an error that names the data source.

import * as fs from "node:fs";
import * as yaml from "js-yaml";

export interface ClusterDescription {
    readonly version: string;
    readonly endpoint: string;
    readonly certificateAuthority: string;
    readonly oidcIssuer: string;
    readonly vpcId: string;
    readonly subnetIds: readonly string[];
    readonly securityGroupId: string;
    readonly roleArn: string;
    readonly endpointPrivateAccess: boolean;
    readonly endpointPublicAccess: boolean;
    readonly publicAccessCidrs: readonly string[];
    readonly authenticationMode: string;
    readonly enabledLogTypes: readonly string[];
    readonly platformVersion: string;
    readonly tags: Readonly<Record<string, string>>;
}

export interface AccountDescription {
    readonly accountId: string;
    readonly partition: string;
    readonly region: string;
    readonly callerArn: string;
    /** The region's GuardDuty detector, when the account has one. */
    readonly guardDutyDetectorId?: string;
    readonly clusters: Readonly<Record<string, ClusterDescription>>;
}

/** An account description that is missing something, or a data source it cannot answer. */
export class AccountDescriptionError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "AccountDescriptionError";
    }
}

function need<T>(file: string, where: string, value: unknown, check: (v: unknown) => boolean, what: string): T {
    if (!check(value)) {
        throw new AccountDescriptionError(`${file}: ${where} must be ${what}, got ${JSON.stringify(value)}`);
    }
    return value as T;
}

const isString = (v: unknown) => typeof v === "string" && v !== "";
const isBool = (v: unknown) => typeof v === "boolean";
const isStringList = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === "string");

/** Parses and checks an account description. `file` only names the source in errors. */
export function parseAccountDescription(text: string, file = "account description"): AccountDescription {
    const doc = (yaml.load(text) ?? {}) as Record<string, unknown>;
    const accountId = need<string>(file, "accountId", doc.accountId, (v) => typeof v === "string" && /^\d{12}$/.test(v), "a 12-digit string (quote it)");
    const region = need<string>(file, "region", doc.region, isString, "a region name");
    const partition = doc.partition === undefined ? "aws" : need<string>(file, "partition", doc.partition, isString, "a partition");
    const callerArn = need<string>(file, "callerArn", doc.callerArn, isString, "the ARN of the identity that runs Pulumi");
    const guardDutyDetectorId =
        doc.guardDutyDetectorId === undefined
            ? undefined
            : need<string>(file, "guardDutyDetectorId", doc.guardDutyDetectorId, isString, "a detector id");
    const rawClusters = need<Record<string, Record<string, unknown>>>(
        file,
        "clusters",
        doc.clusters ?? {},
        (v) => typeof v === "object" && v !== null && !Array.isArray(v),
        "a map of cluster name to description",
    );
    const clusters: Record<string, ClusterDescription> = {};
    for (const [name, c] of Object.entries(rawClusters)) {
        const at = (key: string) => `clusters.${name}.${key}`;
        clusters[name] = {
            version: need(file, at("version"), String(c.version ?? ""), (v) => /^1\.\d+$/.test(String(v)), 'a Kubernetes minor version such as "1.30"'),
            endpoint: need(file, at("endpoint"), c.endpoint, isString, "an https URL"),
            certificateAuthority: need(file, at("certificateAuthority"), c.certificateAuthority, isString, "base64 PEM data"),
            oidcIssuer: need(file, at("oidcIssuer"), c.oidcIssuer, isString, "the cluster's OIDC issuer URL"),
            vpcId: need(file, at("vpcId"), c.vpcId, isString, "a VPC id"),
            subnetIds: need(file, at("subnetIds"), c.subnetIds, isStringList, "a list of subnet ids"),
            securityGroupId: need(file, at("securityGroupId"), c.securityGroupId, isString, "the cluster security group id"),
            roleArn: need(file, at("roleArn"), c.roleArn, isString, "the cluster role ARN"),
            endpointPrivateAccess: need(file, at("endpointPrivateAccess"), c.endpointPrivateAccess ?? true, isBool, "true or false"),
            endpointPublicAccess: need(file, at("endpointPublicAccess"), c.endpointPublicAccess ?? false, isBool, "true or false"),
            publicAccessCidrs: need(file, at("publicAccessCidrs"), c.publicAccessCidrs ?? [], isStringList, "a list of CIDRs"),
            authenticationMode: need(file, at("authenticationMode"), c.authenticationMode ?? "API_AND_CONFIG_MAP", isString, "API, API_AND_CONFIG_MAP or CONFIG_MAP"),
            enabledLogTypes: need(file, at("enabledLogTypes"), c.enabledLogTypes ?? [], isStringList, "a list of log types"),
            platformVersion: need(file, at("platformVersion"), c.platformVersion ?? "eks.1", isString, "a platform version"),
            tags: need(file, at("tags"), c.tags ?? {}, (v) => typeof v === "object" && v !== null, "a map"),
        };
    }
    return { accountId, region, partition, callerArn, guardDutyDetectorId, clusters };
}

export function loadAccountDescription(file: string): AccountDescription {
    if (!fs.existsSync(file)) {
        throw new AccountDescriptionError(`account description ${file} does not exist (pass --account FILE)`);
    }
    return parseAccountDescription(fs.readFileSync(file, "utf8"), file);
}

type Answer = (args: Record<string, unknown>, account: AccountDescription) => Record<string, unknown>;

function clusterAnswer(args: Record<string, unknown>, account: AccountDescription): Record<string, unknown> {
    const name = String(args.name);
    const c = account.clusters[name];
    if (!c) {
        throw new AccountDescriptionError(
            `data source aws:eks/getCluster:getCluster asked for cluster ${JSON.stringify(name)}, which the account description does not list (it lists: ${Object.keys(account.clusters).join(", ") || "none"})`,
        );
    }
    const arn = `arn:${account.partition}:eks:${account.region}:${account.accountId}:cluster/${name}`;
    return {
        id: name,
        name,
        arn,
        clusterId: name,
        region: account.region,
        version: c.version,
        platformVersion: c.platformVersion,
        status: "ACTIVE",
        createdAt: "2024-01-01T00:00:00Z",
        endpoint: c.endpoint,
        roleArn: c.roleArn,
        certificateAuthorities: [{ data: c.certificateAuthority }],
        identities: [{ oidcs: [{ issuer: c.oidcIssuer }] }],
        enabledClusterLogTypes: [...c.enabledLogTypes],
        accessConfigs: [{ authenticationMode: c.authenticationMode, bootstrapClusterCreatorAdminPermissions: false }],
        vpcConfig: {
            vpcId: c.vpcId,
            subnetIds: [...c.subnetIds],
            securityGroupIds: [],
            clusterSecurityGroupId: c.securityGroupId,
            endpointPrivateAccess: c.endpointPrivateAccess,
            endpointPublicAccess: c.endpointPublicAccess,
            publicAccessCidrs: [...c.publicAccessCidrs],
            controlPlaneEgressMode: "",
        },
        kubernetesNetworkConfigs: [{ ipFamily: "ipv4", serviceIpv4Cidr: "172.20.0.0/16", serviceIpv6Cidr: "", elasticLoadBalancings: [] }],
        tags: { ...c.tags },
        deletionProtection: false,
        computeConfigs: [],
        controlPlaneScalingConfigs: [],
        kubeApiServerConfigs: [],
        kubeControllerManagerConfigs: [],
        kubeSchedulerConfigs: [],
        outpostConfigs: [],
        remoteNetworkConfigs: [],
        storageConfigs: [],
        upgradePolicies: [{ supportType: "STANDARD" }],
        zonalShiftConfigs: [],
    };
}

/** The data sources an account description answers, by Pulumi token. */
export const DATA_SOURCES: Readonly<Record<string, Answer>> = {
    "aws:index/getCallerIdentity:getCallerIdentity": (_, a) => ({
        accountId: a.accountId,
        arn: a.callerArn,
        id: a.accountId,
        userId: "AROAEXAMPLEOFFLINEPLAN",
    }),
    "aws:index/getRegion:getRegion": (_, a) => ({
        id: a.region,
        name: a.region,
        region: a.region,
        endpoint: `ec2.${a.region}.amazonaws.com`,
        description: a.region,
    }),
    "aws:index/getPartition:getPartition": (_, a) => ({
        id: a.partition,
        partition: a.partition,
        dnsSuffix: "amazonaws.com",
        reverseDnsPrefix: "com.amazonaws",
    }),
    "aws:eks/getCluster:getCluster": clusterAnswer,
    "aws:guardduty/getDetector:getDetector": (_, a) => {
        if (!a.guardDutyDetectorId) {
            throw new AccountDescriptionError(
                "data source aws:guardduty/getDetector:getDetector: the account description has no guardDutyDetectorId (the account has no detector in this region; use vigil:guardDuty create)",
            );
        }
        return {
            id: a.guardDutyDetectorId,
            arn: `arn:${a.partition}:guardduty:${a.region}:${a.accountId}:detector/${a.guardDutyDetectorId}`,
            region: a.region,
            status: "ENABLED",
            findingPublishingFrequency: "SIX_HOURS",
            serviceRoleArn: `arn:${a.partition}:iam::${a.accountId}:role/aws-service-role/guardduty.amazonaws.com/AWSServiceRoleForAmazonGuardDuty`,
            features: [],
            tags: {},
        };
    },
};

/** Answers a data-source call from the account description, or throws naming the data source. */
export function answerDataSource(token: string, args: Record<string, unknown>, account: AccountDescription): Record<string, unknown> {
    const answer = DATA_SOURCES[token];
    if (!answer) {
        throw new AccountDescriptionError(
            `data source ${token} is not answered offline; answer it in tools/offline/account.ts (answered: ${Object.keys(DATA_SOURCES).join(", ")})`,
        );
    }
    return answer(args, account);
}

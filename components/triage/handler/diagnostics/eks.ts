// The cluster's API endpoint, CA and logging settings (eks:DescribeCluster), and the Kubernetes
// client built from them with an `aws eks get-token` style token for the function's own role.

import { DescribeClusterCommand, EKSClient } from "@aws-sdk/client-eks";
import { HttpsKubernetesApi } from "./kubeClient";
import { KubernetesApi } from "./kubernetes";
import { Credentials, eksToken, PRESIGN_SECONDS } from "./token";

/** What the checks need to know about a cluster. */
export interface ClusterInfo {
    readonly name: string;
    readonly status?: string;
    readonly version?: string;
    readonly endpoint?: string;
    /** Base64 PEM, as DescribeCluster returns it. */
    readonly certificateAuthorityData?: string;
    readonly endpointPublicAccess?: boolean;
    readonly endpointPrivateAccess?: boolean;
    readonly publicAccessCidrs?: readonly string[];
    /** API, API_AND_CONFIG_MAP or CONFIG_MAP. */
    readonly authenticationMode?: string;
    /** Control-plane log types that are on (api, audit, authenticator, controllerManager, scheduler). */
    readonly enabledLogTypes?: readonly string[];
}

export interface ClusterDirectory {
    /** Throws the service's error (its `name` says which: ResourceNotFoundException, AccessDeniedException, ...). */
    describe(name: string): Promise<ClusterInfo>;
}

/** DescribeCluster's answer, reduced to ClusterInfo (exported for recorded answers). */
export function clusterInfo(name: string, cluster: Record<string, any> | undefined): ClusterInfo {
    if (!cluster) {
        throw Object.assign(new Error(`DescribeCluster returned no cluster for ${name}`), { name: "ResourceNotFoundException" });
    }
    const vpc = cluster.resourcesVpcConfig ?? {};
    const logging: { types?: string[]; enabled?: boolean }[] = cluster.logging?.clusterLogging ?? [];
    return {
        name: cluster.name ?? name,
        status: cluster.status,
        version: cluster.version,
        endpoint: cluster.endpoint,
        certificateAuthorityData: cluster.certificateAuthority?.data,
        endpointPublicAccess: vpc.endpointPublicAccess,
        endpointPrivateAccess: vpc.endpointPrivateAccess,
        publicAccessCidrs: vpc.publicAccessCidrs,
        authenticationMode: cluster.accessConfig?.authenticationMode,
        enabledLogTypes: cluster.logging ? logging.filter((l) => l.enabled).flatMap((l) => l.types ?? []) : undefined,
    };
}

export class EksClusterDirectory implements ClusterDirectory {
    constructor(private readonly client: EKSClient) {}

    async describe(name: string): Promise<ClusterInfo> {
        const out = await this.client.send(new DescribeClusterCommand({ name }));
        return clusterInfo(name, out.cluster as Record<string, any> | undefined);
    }
}

/**
 * Tokens for one cluster, signed with the function's credentials and renewed well before the
 * presigned URL's 60 seconds run out.
 */
export function tokenSource(clusterName: string, region: string, credentials: () => Promise<Credentials>, now: () => number = Date.now): () => Promise<string> {
    let cached: { token: string; at: number } | undefined;
    return async () => {
        if (!cached || now() - cached.at > (PRESIGN_SECONDS - 20) * 1000) {
            const at = now();
            cached = { token: await eksToken(clusterName, region, await credentials(), new Date(at)), at };
        }
        return cached.token;
    };
}

/** The HTTPS client for a described cluster. */
export function httpsKubernetes(cluster: ClusterInfo, region: string, credentials: () => Promise<Credentials>, timeoutMs: number): KubernetesApi & { close(): void } {
    if (!cluster.endpoint || !cluster.certificateAuthorityData) {
        throw new Error(`cluster ${cluster.name} has no API endpoint or certificate authority yet (status ${cluster.status ?? "unknown"})`);
    }
    return new HttpsKubernetesApi({
        endpoint: cluster.endpoint,
        caPem: Buffer.from(cluster.certificateAuthorityData, "base64").toString("utf8"),
        token: tokenSource(cluster.name, region, credentials),
        timeoutMs,
    });
}

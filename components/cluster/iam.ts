// IAM policy documents of the in-cluster collector, as pure functions.

export interface PolicyStatement {
    readonly Sid?: string;
    readonly Effect: "Allow" | "Deny";
    readonly Principal?: Record<string, string | string[]>;
    readonly Action: string | string[];
    readonly Resource?: string | string[];
    readonly Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
    readonly Version: "2012-10-17";
    readonly Statement: PolicyStatement[];
}

/** The issuer URL without its scheme, as IAM condition keys and provider ARNs spell it. */
export function issuerHost(issuerUrl: string): string {
    const host = issuerUrl.replace(/^https:\/\//, "");
    if (host === issuerUrl || host === "" || /\s/.test(host)) {
        throw new Error(`oidcIssuer: got ${JSON.stringify(issuerUrl)}; allowed: the cluster's https:// OIDC issuer URL`);
    }
    return host;
}

/** The ARN of the IAM OIDC identity provider registered for a cluster's issuer. */
export function oidcProviderArn(partition: string, accountId: string, issuerUrl: string): string {
    return `arn:${partition}:iam::${accountId}:oidc-provider/${issuerHost(issuerUrl)}`;
}

export interface IrsaTrustOptions {
    readonly oidcProviderArn: string;
    readonly issuerUrl: string;
    readonly namespace: string;
    readonly serviceAccount: string;
}

/**
 * IRSA: only tokens the cluster issued to exactly `system:serviceaccount:<namespace>:<sa>`, for the
 * STS audience, can assume the role.
 */
export function irsaTrustPolicy(options: IrsaTrustOptions): PolicyDocument {
    const host = issuerHost(options.issuerUrl);
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "CollectorServiceAccountOnly",
                Effect: "Allow",
                Principal: { Federated: options.oidcProviderArn },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: {
                    StringEquals: {
                        [`${host}:sub`]: `system:serviceaccount:${options.namespace}:${options.serviceAccount}`,
                        [`${host}:aud`]: "sts.amazonaws.com",
                    },
                },
            },
        ],
    };
}

export interface PodIdentityTrustOptions {
    readonly accountId: string;
    readonly clusterArn: string;
    readonly namespace: string;
    readonly serviceAccount: string;
}

/**
 * EKS Pod Identity: the EKS auth service assumes the role (and tags the session); the session
 * tags it sets pin the role to this cluster, namespace and service account.
 */
export function podIdentityTrustPolicy(options: PodIdentityTrustOptions): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "CollectorServiceAccountOnly",
                Effect: "Allow",
                Principal: { Service: "pods.eks.amazonaws.com" },
                Action: ["sts:AssumeRole", "sts:TagSession"],
                Condition: {
                    StringEquals: {
                        "aws:SourceAccount": options.accountId,
                        "aws:RequestTag/eks-cluster-arn": options.clusterArn,
                        "aws:RequestTag/kubernetes-namespace": options.namespace,
                        "aws:RequestTag/kubernetes-service-account": options.serviceAccount,
                    },
                },
            },
        ],
    };
}

/** The collector may only write samples into the one workspace. */
export function remoteWritePolicy(workspaceArn: string): PolicyDocument {
    if (!/^arn:aws[a-z-]*:aps:[a-z0-9-]+:\d{12}:workspace\/ws-[A-Za-z0-9-]+$/.test(workspaceArn)) {
        throw new Error(`workspaceArn: got ${JSON.stringify(workspaceArn)}; allowed: an AMP workspace ARN (arn:aws:aps:<region>:<account>:workspace/ws-...)`);
    }
    return {
        Version: "2012-10-17",
        Statement: [{ Sid: "RemoteWriteToVigilWorkspace", Effect: "Allow", Action: "aps:RemoteWrite", Resource: workspaceArn }],
    };
}

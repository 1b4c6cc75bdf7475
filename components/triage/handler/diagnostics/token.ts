// The bearer token EKS accepts from an IAM identity, built exactly as `aws eks get-token` builds it
// (awscli/customizations/eks/get_token.py): an STS GetCallerIdentity request, presigned with
// SigV4 for 60 seconds with the `x-k8s-aws-id: <cluster name>` header signed, its URL base64url
// encoded without padding, prefixed `k8s-aws-v1.`. The API server hands the URL to the AWS IAM
// authenticator, which calls STS with it to learn who is asking. Signing needs no IAM permission.

import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import { AWS_REGION_NAME } from "./config";

export const TOKEN_PREFIX = "k8s-aws-v1.";
export const CLUSTER_ID_HEADER = "x-k8s-aws-id";
/** Seconds the presigned URL is valid (get_token.py URL_TIMEOUT). */
export const PRESIGN_SECONDS = 60;

export interface Credentials {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
}

/** The regional STS endpoint host (`sts.<region>.amazonaws.com`, `.amazonaws.com.cn` in China). */
export function stsHost(region: string): string {
    if (!AWS_REGION_NAME.test(region)) {
        throw new Error(`cannot build an EKS token for region ${JSON.stringify(region)}: not an AWS region name`);
    }
    return `sts.${region}.amazonaws.com${region.startsWith("cn-") ? ".cn" : ""}`;
}

/** The presigned GetCallerIdentity URL for `clusterName`. */
export async function presignedIdentityUrl(clusterName: string, region: string, credentials: Credentials, signingDate: Date = new Date()): Promise<string> {
    const host = stsHost(region);
    const signer = new SignatureV4({ service: "sts", region, credentials, sha256: Sha256 });
    const signed = await signer.presign(
        {
            method: "GET",
            protocol: "https:",
            hostname: host,
            path: "/",
            query: { Action: "GetCallerIdentity", Version: "2011-06-15" },
            headers: { host, [CLUSTER_ID_HEADER]: clusterName },
        },
        { expiresIn: PRESIGN_SECONDS, signingDate },
    );
    const query = Object.entries(signed.query ?? {})
        .flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => [k, x]) : [[k, v as string]]))
        .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v as string)}`)
        .join("&");
    return `https://${host}/?${query}`;
}

/** The EKS bearer token for `clusterName`. */
export async function eksToken(clusterName: string, region: string, credentials: Credentials, signingDate: Date = new Date()): Promise<string> {
    const url = await presignedIdentityUrl(clusterName, region, credentials, signingDate);
    return TOKEN_PREFIX + Buffer.from(url, "utf8").toString("base64url");
}

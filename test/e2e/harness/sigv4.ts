// Verifies AWS Signature Version 4 on requests the local AWS stand-ins receive: the Authorization
// header's scope (key, date, region, service) and its signature, recomputed with the secret the
// harness gave the signer. A request that AWS would refuse is refused here too.

import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import type { IncomingHttpHeaders } from "node:http";

export interface SignedRequest {
    readonly method: string;
    /** Path and query as received (`req.url`). */
    readonly url: string;
    readonly headers: IncomingHttpHeaders;
    readonly body: Buffer;
}

export type SigV4Result =
    | { readonly ok: true; readonly accessKeyId: string; readonly region: string; readonly service: string }
    | { readonly ok: false; readonly reason: string };

const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
    const value = headers[name];
    return Array.isArray(value) ? value.join(",") : value;
}

/**
 * Checks a request's SigV4 signature against `secrets` (access key id → secret access key).
 * `region` is what the signer must have used; `maxSkewMs` bounds the signing time as AWS does (5 min).
 */
export async function verifySigV4(request: SignedRequest, secrets: Readonly<Record<string, string>>, region: string, maxSkewMs = 5 * 60_000): Promise<SigV4Result> {
    const authorization = header(request.headers, "authorization");
    if (!authorization) {
        return { ok: false, reason: "no Authorization header (the request is not signed)" };
    }
    const match = AUTHORIZATION.exec(authorization);
    if (!match) {
        return { ok: false, reason: `Authorization header is not AWS4-HMAC-SHA256: ${authorization.slice(0, 120)}` };
    }
    const [, accessKeyId, scopeDate, scopeRegion, service, signedHeaderList, signature] = match;
    const secret = secrets[accessKeyId];
    if (secret === undefined) {
        return { ok: false, reason: `unknown access key id ${accessKeyId}` };
    }
    if (scopeRegion !== region) {
        return { ok: false, reason: `signed for region ${scopeRegion}, expected ${region}` };
    }
    const amzDate = header(request.headers, "x-amz-date");
    const date = amzDate ? AMZ_DATE.exec(amzDate) : null;
    if (!amzDate || !date) {
        return { ok: false, reason: `X-Amz-Date missing or malformed: ${JSON.stringify(amzDate)}` };
    }
    if (amzDate.slice(0, 8) !== scopeDate) {
        return { ok: false, reason: `X-Amz-Date ${amzDate} does not match the credential scope date ${scopeDate}` };
    }
    const signingDate = new Date(Date.UTC(+date[1], +date[2] - 1, +date[3], +date[4], +date[5], +date[6]));
    if (Math.abs(Date.now() - signingDate.getTime()) > maxSkewMs) {
        return { ok: false, reason: `signed at ${signingDate.toISOString()}, outside the allowed clock skew` };
    }
    const signedHeaders = signedHeaderList.split(";");
    if (!signedHeaders.includes("host")) {
        return { ok: false, reason: "the Host header is not signed" };
    }
    const headers: Record<string, string> = {};
    for (const name of signedHeaders) {
        const value = header(request.headers, name);
        if (value === undefined) {
            return { ok: false, reason: `signed header ${name} is missing` };
        }
        headers[name] = value;
    }
    const url = new URL(request.url, "http://local");
    const query: Record<string, string | string[]> = {};
    for (const [key, value] of url.searchParams) {
        const existing = query[key];
        query[key] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
    }
    const [hostname, port] = headers.host.split(":");
    // applyChecksum off: the signer must not add an X-Amz-Content-Sha256 header the sender did not sign.
    const signer = new SignatureV4({ credentials: { accessKeyId, secretAccessKey: secret }, region, service, sha256: Sha256, uriEscapePath: service !== "s3", applyChecksum: false });
    const signed = await signer.sign(
        { method: request.method, protocol: "http:", hostname, port: port ? Number(port) : undefined, path: url.pathname, query, headers, body: request.body },
        { signingDate, signingRegion: region, signingService: service },
    );
    const expected = AUTHORIZATION.exec(String(signed.headers.authorization ?? ""))?.[6];
    if (expected !== signature) {
        return { ok: false, reason: `signature does not match (service ${service}, signed headers ${signedHeaderList})` };
    }
    return { ok: true, accessKeyId, region, service };
}

// The EKS bearer token: the same shape `aws eks get-token` produces, accepted by the rules the AWS
// IAM authenticator applies to it (pkg/token/token.go Verify: prefix, unpadded base64url, https,
// a regional STS host, path /, only its whitelisted query parameters, GetCallerIdentity, the
// x-k8s-aws-id header signed, X-Amz-Expires 0-900, at most 4096 bytes), with a SigV4 signature
// recomputed here independently of the signer that made it.

import * as assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { tokenSource } from "../../components/triage/handler/diagnostics/eks";
import { eksToken, presignedIdentityUrl, stsHost, TOKEN_PREFIX } from "../../components/triage/handler/diagnostics/token";

const CREDENTIALS = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };
const DATE = new Date("2024-05-01T12:00:00.000Z");
/** A Lambda-sized session token (they run to well over a thousand characters). */
const SESSION_TOKEN = `IQoJb3JpZ2luX2VjE${"Az/+9aBcDeFgHiJk=".repeat(70)}`;

const WHITELIST = ["action", "version", "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-expires", "x-amz-security-token", "x-amz-signature", "x-amz-signedheaders"];

/** The authenticator's format checks; returns the URL's parameters. */
function verifyFormat(token: string, region: string): URLSearchParams {
    assert.ok(token.length <= 4096, `token is ${token.length} bytes; the authenticator refuses more than 4096`);
    assert.ok(token.startsWith(TOKEN_PREFIX));
    const encoded = token.slice(TOKEN_PREFIX.length);
    assert.match(encoded, /^[A-Za-z0-9_-]+$/, "raw (unpadded) base64url");
    const url = new URL(Buffer.from(encoded, "base64url").toString("utf8"));
    assert.equal(url.protocol, "https:");
    assert.equal(url.host, `sts.${region}.amazonaws.com`);
    assert.equal(url.pathname, "/");
    const seen = new Set<string>();
    for (const key of url.searchParams.keys()) {
        assert.ok(WHITELIST.includes(key.toLowerCase()), `non-whitelisted query parameter ${key}`);
        assert.ok(!seen.has(key), `${key} appears once`);
        seen.add(key);
    }
    assert.equal(url.searchParams.get("Action"), "GetCallerIdentity");
    assert.equal(url.searchParams.get("Version"), "2011-06-15");
    assert.ok((url.searchParams.get("X-Amz-SignedHeaders") ?? "").split(";").includes("x-k8s-aws-id"), "the cluster id header is signed");
    const expires = Number(url.searchParams.get("X-Amz-Expires"));
    assert.ok(expires >= 0 && expires <= 900);
    return url.searchParams;
}

const hmac = (key: Buffer | string, data: string) => createHmac("sha256", key).update(data, "utf8").digest();
const sha = (data: string) => createHash("sha256").update(data, "utf8").digest("hex");
const rfc3986 = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** SigV4 query-string signature of a GET to `/` with the headers `host` and `x-k8s-aws-id`, per the published algorithm. */
function expectedSignature(params: URLSearchParams, host: string, cluster: string, secret: string): string {
    const query = [...params.entries()]
        .filter(([k]) => k !== "X-Amz-Signature")
        .map(([k, v]) => [rfc3986(k), rfc3986(v)])
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => `${k}=${v}`)
        .join("&");
    const canonical = ["GET", "/", query, `host:${host}`, `x-k8s-aws-id:${cluster}`, "", "host;x-k8s-aws-id", sha("")].join("\n");
    const [, date, region, service] = (params.get("X-Amz-Credential") as string).split("/");
    const scope = `${date}/${region}/${service}/aws4_request`;
    const toSign = ["AWS4-HMAC-SHA256", params.get("X-Amz-Date"), scope, sha(canonical)].join("\n");
    const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), "aws4_request");
    return createHmac("sha256", key).update(toSign, "utf8").digest("hex");
}

describe("diagnostics: the EKS token (aws eks get-token)", () => {
    it("is a presigned regional STS GetCallerIdentity URL for 60 seconds that the authenticator's format checks accept", async () => {
        const token = await eksToken("payments-prod", "eu-west-1", CREDENTIALS, DATE);
        const params = verifyFormat(token, "eu-west-1");
        assert.equal(params.get("X-Amz-Expires"), "60");
        assert.equal(params.get("X-Amz-Algorithm"), "AWS4-HMAC-SHA256");
        assert.equal(params.get("X-Amz-Credential"), "AKIDEXAMPLE/20240501/eu-west-1/sts/aws4_request");
        assert.equal(params.get("X-Amz-Date"), "20240501T120000Z");
        assert.equal(params.get("X-Amz-SignedHeaders"), "host;x-k8s-aws-id");
        assert.equal(params.get("X-Amz-Security-Token"), null, "no session token without one");
    });

    it("carries a signature that SigV4 recomputed independently agrees with, bound to the cluster name", async () => {
        const url = new URL(await presignedIdentityUrl("payments-prod", "eu-west-1", CREDENTIALS, DATE));
        const signature = url.searchParams.get("X-Amz-Signature");
        assert.match(signature ?? "", /^[0-9a-f]{64}$/);
        assert.equal(signature, expectedSignature(url.searchParams, url.host, "payments-prod", CREDENTIALS.secretAccessKey));
        // Another cluster's header, secret or time would not verify.
        assert.notEqual(signature, expectedSignature(url.searchParams, url.host, "platform-staging", CREDENTIALS.secretAccessKey));
        assert.notEqual(signature, expectedSignature(url.searchParams, url.host, "payments-prod", "another-secret"));
        const other = new URL(await presignedIdentityUrl("platform-staging", "eu-west-1", CREDENTIALS, DATE));
        assert.notEqual(other.searchParams.get("X-Amz-Signature"), signature);
    });

    it("signs the session token into the URL and stays within the authenticator's 4096 bytes", async () => {
        const credentials = { ...CREDENTIALS, sessionToken: SESSION_TOKEN };
        const token = await eksToken("payments-prod", "eu-west-1", credentials, DATE);
        const params = verifyFormat(token, "eu-west-1");
        assert.equal(params.get("X-Amz-Security-Token"), SESSION_TOKEN, "the token survives the URL encoding (+, /, =)");
        const url = new URL(Buffer.from(token.slice(TOKEN_PREFIX.length), "base64url").toString("utf8"));
        assert.equal(url.searchParams.get("X-Amz-Signature"), expectedSignature(url.searchParams, url.host, "payments-prod", CREDENTIALS.secretAccessKey));
    });

    it("uses the region's STS endpoint (China's domain too) and refuses what is not a region", async () => {
        assert.equal(stsHost("us-east-1"), "sts.us-east-1.amazonaws.com");
        assert.equal(stsHost("cn-north-1"), "sts.cn-north-1.amazonaws.com.cn");
        verifyFormat(await eksToken("c", "ap-southeast-2", CREDENTIALS, DATE), "ap-southeast-2");
        assert.throws(() => stsHost("eu-west-1.evil.example"), /not an AWS region name/);
        await assert.rejects(eksToken("c", "", CREDENTIALS, DATE), /region ""/);
    });

    it("is renewed 40 seconds after signing, before the presigned URL's minute is over", async () => {
        let clock = Date.parse("2024-05-01T12:00:00Z");
        let fetched = 0;
        const source = tokenSource("payments-prod", "eu-west-1", async () => (fetched++, CREDENTIALS), () => clock);
        const first = await source();
        clock += 39_000;
        assert.equal(await source(), first, "reused within 40 s");
        clock += 2_000;
        const second = await source();
        assert.notEqual(second, first, "renewed after 40 s");
        assert.equal(new URL(Buffer.from(second.slice(TOKEN_PREFIX.length), "base64url").toString()).searchParams.get("X-Amz-Date"), "20240501T120041Z");
        assert.equal(fetched, 2, "credentials are asked for each signing (the provider caches them)");
    });
});

// Reply-link tokens: `<caseId>.<secret>`, the secret 128 random bits (base64url). The case id lets
// the reply endpoint read the one case item; the store keeps only SHA-256 of the whole token, so a
// leaked table does not leak working links, and a token only acts on the case it names.

import { randomBytes } from "node:crypto";
import { ReplyAction } from "./model";
import { sha256Hex } from "./text";

const TOKEN = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{22})$/;

export interface IssuedToken {
    readonly token: string;
    readonly hash: string;
    readonly action: ReplyAction;
}

/** A fresh token for `action` on case `caseId`. */
export function issueToken(caseId: string, action: ReplyAction): IssuedToken {
    const token = `${caseId}.${randomBytes(16).toString("base64url")}`;
    return { token, hash: hashToken(token), action };
}

export function hashToken(token: string): string {
    return sha256Hex(token);
}

/** The case id and hash of a well-formed token; undefined for anything else. */
export function parseToken(token: string): { readonly caseId: string; readonly hash: string } | undefined {
    const m = TOKEN.exec(token);
    return m ? { caseId: m[1], hash: hashToken(token) } : undefined;
}

/** The reply link for a token. */
export function replyLink(baseUrl: string, token: string): string {
    return `${baseUrl.replace(/\/+$/, "")}/r/${token}`;
}

import type { KeyObject } from "node:crypto";
import jwt from "jsonwebtoken";
import { restError } from "./rest-errors";

/** Clock skew allowed on `exp`, as the official emulator does. */
const CLOCK_TOLERANCE_SECONDS = 300;

/**
 * Verifies the REST bearer token: HS256 only, signed with any of the access keys, not
 * expired, and `aud` naming this request. The SDK signs the absolute request URL; only its path and
 * query are compared (with or without the query, raw or percent-decoded), because the host the SDK
 * was configured with can differ from ours behind a proxy. Case counts and `+` is not a space: a
 * token for `users/Alice` is no token for `users/alice`, nor `a+b` for `a%20b`. The keys are
 * `KeyObject`s made once (see shared/signing-key.ts), never parsed per request.
 */
export function verifyRestToken(authorization: string | undefined, accessKeys: readonly KeyObject[], requestTarget: string, nowSeconds?: number): void {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  if (!match) throw restError("MissingToken");
  const payload = verifySignature(match[1], accessKeys, nowSeconds);
  if (typeof payload.exp !== "number") throw restError("InvalidToken", "The access token has no exp claim.");
  const audiences = typeof payload.aud === "string" ? [payload.aud] : Array.isArray(payload.aud) ? payload.aud : [];
  if (!audiences.some((aud) => audienceMatches(aud, requestTarget))) {
    throw restError("InvalidToken", "The access token's audience does not match the request URL.");
  }
}

function verifySignature(token: string, accessKeys: readonly KeyObject[], nowSeconds: number | undefined): jwt.JwtPayload {
  let expired = false;
  for (const key of accessKeys) {
    try {
      // jsonwebtoken compares HMAC signatures in constant time; the algorithm is pinned.
      const payload = jwt.verify(token, key, { algorithms: ["HS256"], clockTolerance: CLOCK_TOLERANCE_SECONDS, clockTimestamp: nowSeconds });
      if (typeof payload === "string") throw restError("InvalidToken", "The access token payload is not a JSON object.");
      return payload;
    } catch (error) {
      if (error instanceof jwt.TokenExpiredError) expired = true;
      else if (!(error instanceof jwt.JsonWebTokenError)) throw error;
    }
  }
  throw restError("InvalidToken", expired ? "The access token has expired." : "The access token is invalid.");
}

/** `requestTarget` is the raw request-target (`/api/...?...`) as the server received it. */
export function audienceMatches(aud: string, requestTarget: string): boolean {
  const audTarget = stripOrigin(aud);
  return [requestTarget, withoutQuery(requestTarget)].some(
    (candidate) => audTarget === candidate || sameDecoded(audTarget, candidate),
  );
}

function stripOrigin(url: string): string {
  const rest = url.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/, "");
  return rest === "" || rest.startsWith("?") ? `/${rest}` : rest;
}

function withoutQuery(target: string): string {
  const q = target.indexOf("?");
  return q < 0 ? target : target.slice(0, q);
}

function sameDecoded(a: string, b: string): boolean {
  const left = safeDecode(a);
  return left !== undefined && left === safeDecode(b);
}

function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined; // bad percent-encoding matches only byte for byte
  }
}

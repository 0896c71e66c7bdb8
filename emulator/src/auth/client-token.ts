import type { KeyObject } from "node:crypto";
import jwt from "jsonwebtoken";
import { nameRecord } from "../name-record";

/** What a valid client token grants. */
export interface ClientClaims {
  userId: string | null;
  roles: string[];
  groups: string[];
  /** Every claim, each as a list of strings, for the upstream `connect` event. */
  claims: Record<string, string[]>;
}

export type TokenCheck = { ok: true; claims: ClientClaims } | { ok: false; reason: string };

export interface TokenCheckContext {
  /** Primary key first; the secondary one is tried when the primary does not verify. Made once, not per check. */
  keys: readonly KeyObject[];
  hub: string;
  nowMs: number;
  clockSkewSeconds: number;
}

function asStrings(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((item) => (typeof item === "string" ? item : JSON.stringify(item)));
}

function withoutTrailingSlash(path: string): string {
  return path.replace(/\/+$/, "");
}

function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined; // bad percent-encoding matches nothing
  }
}

/**
 * `aud` is the http(s) client URL; compare only its path so ports, hosts and proxies don't matter.
 * The hub must match exactly: hubs are told apart by case, so a token for `chat` is no
 * token for `CHAT`.
 */
function audienceMatches(aud: unknown, hub: string): boolean {
  const audiences = asStrings(aud);
  const prefix = "/client/hubs/";
  return audiences.some((value) => {
    let pathname: string;
    try {
      pathname = new URL(value).pathname;
    } catch {
      pathname = value;
    }
    const decoded = safeDecode(pathname);
    if (decoded === undefined) return false;
    const path = withoutTrailingSlash(decoded);
    return path.slice(0, prefix.length).toLowerCase() === prefix && path.slice(prefix.length) === hub;
  });
}

function describe(error: unknown): string {
  if (error instanceof jwt.TokenExpiredError) return "the access token has expired";
  if (error instanceof jwt.NotBeforeError) return "the access token is not valid yet";
  return "the access token is invalid";
}

/** Verifies a client access token: HS256 only, either key, `exp` required (with skew), `aud` on the path. */
export function verifyClientToken(token: string, context: TokenCheckContext): TokenCheck {
  let payload: jwt.JwtPayload | undefined;
  let firstError: unknown;
  for (const key of context.keys) {
    try {
      const verified = jwt.verify(token, key, {
        algorithms: ["HS256"],
        clockTolerance: context.clockSkewSeconds,
        clockTimestamp: Math.floor(context.nowMs / 1000),
      });
      if (typeof verified === "object") payload = verified;
      break;
    } catch (error) {
      firstError ??= error;
      // Only a signature mismatch can succeed with the other key.
      if (!(error instanceof jwt.JsonWebTokenError) || error.message !== "invalid signature") break;
    }
  }
  if (!payload) return { ok: false, reason: describe(firstError) };
  // A token without `exp` would be valid forever; the SDKs always set one.
  if (typeof payload.exp !== "number") return { ok: false, reason: "the access token has no exp claim" };
  if (!audienceMatches(payload.aud, context.hub)) return { ok: false, reason: "the access token audience does not match this hub" };
  const claims = nameRecord<string[]>();
  for (const [name, value] of Object.entries(payload)) claims[name] = asStrings(value);
  const sub = payload.sub;
  return {
    ok: true,
    claims: {
      userId: typeof sub === "string" && sub.length > 0 ? sub : null,
      roles: asStrings(payload.role),
      groups: asStrings(payload["webpubsub.group"]),
      claims,
    },
  };
}

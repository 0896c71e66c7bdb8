import type { KeyObject } from "node:crypto";
import jwt from "jsonwebtoken";

const NAME_IDENTIFIER_LONG = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier";

export interface SignalRClientIdentity {
  userId: string | null;
  /** Every claim as `[type, value]` pairs (arrays give one pair per value), for the upstream headers. */
  claims: Array<[string, string]>;
}

export type SignalRTokenCheck<T> = { ok: true; value: T } | { ok: false; reason: string };

export interface SignalRTokenContext {
  /** Primary key first; the secondary one is tried when the primary does not verify. Made once, not per check. */
  keys: readonly KeyObject[];
  nowMs: number;
  clockSkewSeconds: number;
}

/** HS256 as the SDKs sign by default; HS512 when the .NET SDK is told to (`AccessTokenAlgorithm`). Nothing else. */
const ALGORITHMS: jwt.Algorithm[] = ["HS256", "HS512"];

function verify(token: string, context: SignalRTokenContext): SignalRTokenCheck<jwt.JwtPayload> {
  let firstError: unknown;
  for (const key of context.keys) {
    try {
      // jsonwebtoken compares the HMAC in constant time.
      const payload = jwt.verify(token, key, { algorithms: ALGORITHMS, clockTolerance: context.clockSkewSeconds, clockTimestamp: Math.floor(context.nowMs / 1000) });
      if (typeof payload !== "object") return { ok: false, reason: "the access token payload is not a JSON object" };
      return { ok: true, value: payload };
    } catch (error) {
      firstError ??= error;
      if (!(error instanceof jwt.JsonWebTokenError) || error.message !== "invalid signature") break;
    }
  }
  if (firstError instanceof jwt.TokenExpiredError) return { ok: false, reason: "the access token has expired" };
  if (firstError instanceof jwt.NotBeforeError) return { ok: false, reason: "the access token is not valid yet" };
  return { ok: false, reason: "the access token is invalid" };
}

function normalisedPath(value: string): string {
  let path: string;
  try {
    path = new URL(value).pathname;
  } catch {
    path = value.split("?")[0]!;
  }
  try {
    path = decodeURIComponent(path);
  } catch {
    // keep it encoded
  }
  return path.toLowerCase().replace(/\/+$/, "");
}

/**
 * `aud` is compared by its path only: the .NET SDK leaves the port out of it
 * (`ServiceEndpoint.AudienceBaseUrl`), and the SDKs disagree on the query.
 */
function audienceMatches(aud: unknown, expectedPath: string): boolean {
  const audiences = typeof aud === "string" ? [aud] : Array.isArray(aud) ? aud.filter((a): a is string => typeof a === "string") : [];
  const expected = normalisedPath(expectedPath);
  return audiences.some((a) => normalisedPath(a) === expected);
}

function claimPairs(payload: jwt.JwtPayload): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const [type, value] of Object.entries(payload)) {
    for (const item of Array.isArray(value) ? value : [value]) pairs.push([type, typeof item === "string" ? item : JSON.stringify(item)]);
  }
  return pairs;
}

function firstString(payload: jwt.JwtPayload, ...names: string[]): string | null {
  for (const name of names) {
    const value: unknown = payload[name];
    const first = Array.isArray(value) ? value[0] : value;
    if (typeof first === "string" && first.length > 0) return first;
  }
  return null;
}

/**
 * The hub an audience names: `hub` (and `application`, which the SDKs prefix) of its query,
 * normalised as the request's hub is (lowercased, `{application}_{hub}`), or null when none.
 */
function audienceHub(aud: string): string | null {
  let query: URLSearchParams;
  try {
    query = new URL(aud).searchParams;
  } catch {
    const at = aud.indexOf("?");
    query = new URLSearchParams(at < 0 ? "" : aud.slice(at + 1));
  }
  const hub = query.get("hub");
  if (!hub) return null;
  const application = query.get("application");
  return (application ? `${application}_${hub}` : hub).toLowerCase();
}

/**
 * A client token, as `/client/negotiate` and the WebSocket upgrade check it: signed with a key,
 * with `exp`, and an audience of the client endpoint for exactly `hub` (the request's hub,
 * already normalised), so a token minted for `chat` opens no other hub.
 */
export function verifySignalRClientToken(token: string, context: SignalRTokenContext, hub: string): SignalRTokenCheck<SignalRClientIdentity> {
  const checked = verify(token, context);
  if (!checked.ok) return checked;
  if (typeof checked.value.exp !== "number") return { ok: false, reason: "the access token has no exp claim" };
  const audiences = typeof checked.value.aud === "string" ? [checked.value.aud] : Array.isArray(checked.value.aud) ? checked.value.aud.filter((a): a is string => typeof a === "string") : [];
  if (!audienceMatches(audiences, "/client/")) return { ok: false, reason: "the access token audience is not this service's client endpoint" };
  if (!audiences.some((aud) => normalisedPath(aud) === "/client" && audienceHub(aud) === hub)) {
    return { ok: false, reason: `the access token is not for hub ${hub}` };
  }
  return {
    ok: true,
    value: {
      // The user id precedence of the service: its own claim, then the name identifier, then `sub`.
      userId: firstString(checked.value, "asrs.s.uid", "nameid", NAME_IDENTIFIER_LONG, "sub"),
      claims: claimPairs(checked.value),
    },
  };
}

/** A REST token: `aud` must name the request's path (scheme, host, port and query ignored). */
export function verifySignalRRestToken(authorization: string | undefined, requestPath: string, context: SignalRTokenContext): SignalRTokenCheck<null> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  if (!match) return { ok: false, reason: "an Authorization: Bearer <token> header is required" };
  const checked = verify(match[1]!, context);
  if (!checked.ok) return checked;
  if (typeof checked.value.exp !== "number") return { ok: false, reason: "the access token has no exp claim" };
  if (!audienceMatches(checked.value.aud, requestPath)) return { ok: false, reason: "the access token audience does not match the request path" };
  return { ok: true, value: null };
}

/** The bearer of an upgrade: the Authorization header first (Node clients), else `access_token` (browsers). */
export function upgradeBearer(authorization: string | undefined, accessTokenQuery: string | null): string | null {
  const match = authorization ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
  if (match) return match[1]!;
  return accessTokenQuery && accessTokenQuery.length > 0 ? accessTokenQuery : null;
}

import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * An opaque reconnection token scoped to one connectionId and bounded in time:
 * `<expiry, seconds since epoch>.<HMAC-SHA256(access key, "reconnect:<connectionId>:<expiry>")>`.
 * The client treats it as opaque and sends it back only to recover that connection.
 */
export function createReconnectionToken(connectionId: string, accessKey: string, expiresAtSeconds: number): string {
  return `${expiresAtSeconds}.${signature(connectionId, accessKey, expiresAtSeconds)}`;
}

/** Constant-time check against every accepted key; a token past its expiry is refused. */
export function verifyReconnectionToken(connectionId: string, token: string, keys: readonly string[], nowSeconds: number): boolean {
  const match = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return false;
  const expiresAtSeconds = Number(match[1]);
  const given = Buffer.from(match[2]!, "utf8");
  let valid = false;
  for (const key of keys) {
    const expected = Buffer.from(signature(connectionId, key, expiresAtSeconds), "utf8");
    if (given.length === expected.length && timingSafeEqual(given, expected)) valid = true;
  }
  return valid && expiresAtSeconds > nowSeconds;
}

function signature(connectionId: string, accessKey: string, expiresAtSeconds: number): string {
  return createHmac("sha256", accessKey).update(`reconnect:${connectionId}:${expiresAtSeconds}`).digest("base64url");
}

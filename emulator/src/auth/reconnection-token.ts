import { createHmac, timingSafeEqual } from "node:crypto";

/** An opaque reconnection token scoped to one connectionId: HMAC-SHA256 with the access key. */
export function createReconnectionToken(connectionId: string, accessKey: string): string {
  return createHmac("sha256", accessKey).update(`reconnect:${connectionId}`).digest("base64url");
}

/** Constant-time check against every accepted key. */
export function verifyReconnectionToken(connectionId: string, token: string, keys: readonly string[]): boolean {
  const given = Buffer.from(token, "utf8");
  let valid = false;
  for (const key of keys) {
    const expected = Buffer.from(createReconnectionToken(connectionId, key), "utf8");
    if (given.length === expected.length && timingSafeEqual(given, expected)) valid = true;
  }
  return valid;
}

import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * `ce-signature` of a Web PubSub CloudEvent: one `sha256=<hex HMAC-SHA256(key, connectionId)>`
 * per access key, comma-separated, so either the primary or the secondary key verifies it.
 */
export function signConnectionId(accessKeys: readonly string[], connectionId: string): string {
  return accessKeys.map((key) => `sha256=${hmacHex(key, connectionId)}`).join(",");
}

/**
 * True when any `sha256=` value of `signatureHeader` matches the HMAC of `connectionId` under any of
 * `accessKeys`. Every comparison runs in constant time over equal-length buffers.
 */
export function verifyConnectionIdSignature(
  signatureHeader: string | null | undefined,
  accessKeys: readonly string[],
  connectionId: string,
): boolean {
  if (!signatureHeader || accessKeys.length === 0) return false;
  const expected = accessKeys.map((key) => Buffer.from(hmacHex(key, connectionId), "utf8"));
  let matched = false;
  for (const part of signatureHeader.split(",")) {
    const value = part.trim();
    if (!value.toLowerCase().startsWith("sha256=")) continue;
    const given = Buffer.from(value.slice("sha256=".length).toLowerCase(), "utf8");
    for (const candidate of expected) {
      // Lengths are public (64 hex chars); only equal-length buffers reach timingSafeEqual.
      if (given.length === candidate.length && timingSafeEqual(given, candidate)) matched = true;
    }
  }
  return matched;
}

function hmacHex(key: string, connectionId: string): string {
  return createHmac("sha256", Buffer.from(key, "utf8")).update(connectionId, "utf8").digest("hex");
}

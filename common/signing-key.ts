import { createPublicKey, createSecretKey, type KeyObject } from "node:crypto";

/**
 * Key material as a `KeyObject`, made once when configuration is read. jsonwebtoken 9, given a
 * string, first tries to parse it as a PEM key, fails, and only then builds an HMAC key: on every
 * sign and verify. Handing it a `KeyObject` skips both parses, which otherwise dominate a token's cost.
 */

/** An HMAC key from a shared secret: its UTF-8 bytes, as jsonwebtoken derives it from a string. */
export function hmacKey(secret: string): KeyObject {
  return createSecretKey(Buffer.from(secret, "utf8"));
}

/** A public key (RSA, RSA-PSS or EC) from PEM text; throws when the text is not one. */
export function publicKeyFromPem(pem: string): KeyObject {
  return createPublicKey(pem);
}

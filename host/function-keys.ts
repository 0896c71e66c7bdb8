import { createHash, timingSafeEqual } from "node:crypto";

/** Where Functions clients put a key: the `x-functions-key` header, else the `code` query parameter. */
export function presentedFunctionKey(headerValue: string | string[] | undefined, query: URLSearchParams): string | undefined {
  const header = Array.isArray(headerValue) ? headerValue[0] : headerValue;
  if (header) return header;
  return query.get("code") ?? undefined;
}

// Hashing first gives equal-length buffers, so timingSafeEqual never leaks the key's length.
function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

/** True when `presented` equals one of `keys`; compares every key in constant time. */
export function isValidFunctionKey(presented: string | undefined, keys: readonly string[]): boolean {
  if (presented === undefined) return false;
  const presentedDigest = digest(presented);
  let valid = false;
  for (const key of keys) {
    if (timingSafeEqual(presentedDigest, digest(key))) valid = true;
  }
  return valid;
}

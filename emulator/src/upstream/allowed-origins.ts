/**
 * Values of `WebHook-Allowed-Origin`: repeated headers arrive as an array from Node, or
 * joined with ", " by fetch clients, so both are split, and so are commas inside one value.
 */
export function parseAllowedOrigins(header: string | readonly string[] | undefined): string[] {
  if (header === undefined) return [];
  const values = typeof header === "string" ? [header] : header;
  return values.flatMap((v) => v.split(",")).map((v) => v.trim()).filter((v) => v.length > 0);
}

/** True when some allowed origin is `*` or equals `origin` (`host[:port]`) case-insensitively. */
export function isOriginAllowed(allowed: readonly string[], origin: string): boolean {
  const wanted = origin.toLowerCase();
  return allowed.some((value) => value === "*" || value.toLowerCase() === wanted);
}

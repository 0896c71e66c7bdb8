/**
 * CORS as the Functions host applies it: a list of allowed origins (`*` for any) and an optional
 * `supportCredentials`. Pure: decides headers, writes nothing.
 */
export interface CorsSettings {
  /** Origins allowed to call the functions from a browser; `["*"]` allows any. @default [] */
  allowedOrigins: readonly string[];
  /** Send `Access-Control-Allow-Credentials: true` (not allowed together with `*`). @default false */
  supportCredentials: boolean;
}

export type CorsDecision =
  | { kind: "not-cors" }
  | { kind: "allowed"; headers: Record<string, string> }
  | { kind: "refused" };

const exposedHeaders = "content-type, content-length, location, x-ms-error-code";

function normalizeOrigin(origin: string): string {
  return origin.trim().replace(/\/+$/, "").toLowerCase();
}

export function decideCors(settings: CorsSettings, origin: string | undefined): CorsDecision {
  if (!origin) return { kind: "not-cors" };
  const wildcard = settings.allowedOrigins.includes("*");
  const listed = settings.allowedOrigins.some((allowed) => normalizeOrigin(allowed) === normalizeOrigin(origin));
  if (!wildcard && !listed) return { kind: "refused" };
  const headers: Record<string, string> = {
    "access-control-allow-origin": wildcard && !settings.supportCredentials ? "*" : origin,
    "access-control-expose-headers": exposedHeaders,
  };
  if (!(wildcard && !settings.supportCredentials)) headers.vary = "Origin";
  if (settings.supportCredentials) headers["access-control-allow-credentials"] = "true";
  return { kind: "allowed", headers };
}

/** Headers answering a preflight (`OPTIONS` with `Access-Control-Request-Method`). */
export function preflightHeaders(
  allowed: Record<string, string>,
  methods: readonly string[],
  requestedHeaders: string | undefined,
): Record<string, string> {
  return {
    ...allowed,
    "access-control-allow-methods": methods.join(", "),
    ...(requestedHeaders ? { "access-control-allow-headers": requestedHeaders } : {}),
    "access-control-max-age": "600",
  };
}

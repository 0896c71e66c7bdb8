import { randomUUID } from "node:crypto";
import jwt from "jsonwebtoken";
import type { IdentityConfig } from "./config";
import { AppError } from "./errors";
import { validateUserId } from "./names";

/** What identity needs from a request: header lookup (case-insensitive) and the query. */
export interface IdentityRequest {
  headers: { get(name: string): string | null };
  query: URLSearchParams;
}

export interface CallerIdentity {
  userId: string;
  /** How the caller was identified, for logs. */
  source: IdentityConfig["mode"];
}

/**
 * Decides who the caller is, per the configured mode. Throws `AppError("Unauthenticated")` (401)
 * with a short reason on any failure; the reason never echoes the token.
 */
export function resolveIdentity(
  config: IdentityConfig,
  request: IdentityRequest,
  generateUserId: () => string = () => `anon-${randomUUID().slice(0, 8)}`,
): CallerIdentity {
  switch (config.mode) {
    case "anonymous": {
      const requested = request.query.get("userId");
      return { userId: requested === null ? generateUserId() : validateUserId(requested), source: "anonymous" };
    }
    case "easyauth":
      return { userId: easyAuthUser(request), source: "easyauth" };
    case "jwt":
      return { userId: bearerUser(config, request), source: "jwt" };
    default: {
      const unknownMode: never = config;
      throw new Error(`unknown identity mode ${JSON.stringify(unknownMode)}`);
    }
  }
}

/**
 * App Service strips client-sent `x-ms-client-principal*` headers, so these are trustworthy only
 * behind it. The user id is the stable principal id qualified by its identity provider,
 * `<provider>:<id>` (`aad:4f2c…`, `github:1234`): a display name (`-name`) is neither unique
 * across providers (two can both say `bob`) nor stable (an e-mail address can be reassigned), so a
 * name would let one person receive another's messages.
 */
function easyAuthUser(request: IdentityRequest): string {
  const principal = request.headers.get("x-ms-client-principal");
  const id = request.headers.get("x-ms-client-principal-id");
  const name = request.headers.get("x-ms-client-principal-name");
  if (!principal || !id || !name) {
    throw new AppError("Unauthenticated", "Sign in first: the App Service Authentication headers (x-ms-client-principal, -id, -name) are missing.");
  }
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(principal, "base64").toString("utf8"));
    if (typeof decoded !== "object" || decoded === null) throw new Error("not an object");
  } catch {
    throw new AppError("Unauthenticated", "The x-ms-client-principal header is not base64-encoded JSON.");
  }
  const authType = (decoded as { auth_typ?: unknown }).auth_typ;
  const provider = request.headers.get("x-ms-client-principal-idp") ?? (typeof authType === "string" && authType.length > 0 ? authType : "easyauth");
  return validateUserIdOr401(`${provider.trim().toLowerCase()}:${id.trim()}`);
}

function bearerUser(config: Extract<IdentityConfig, { mode: "jwt" }>, request: IdentityRequest): string {
  const header = request.headers.get("authorization");
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header.trim()) : null;
  if (!match) throw new AppError("Unauthenticated", "Send an Authorization: Bearer <token> header.");
  let payload: string | jwt.JwtPayload;
  try {
    payload = jwt.verify(match[1], config.key, {
      algorithms: [...config.algorithms],
      issuer: config.issuer,
      audience: config.audience,
    });
  } catch (error) {
    throw new AppError("Unauthenticated", `Bearer token rejected: ${bearerFailure(error)}.`);
  }
  // A token without `exp` would never expire; the identity provider must bound it.
  if (typeof payload !== "object" || typeof payload.exp !== "number") throw new AppError("Unauthenticated", "Bearer token rejected: it has no exp claim.");
  const claim = payload[config.userIdClaim];
  if (typeof claim !== "string" && typeof claim !== "number") {
    throw new AppError("Unauthenticated", `Bearer token rejected: claim ${JSON.stringify(config.userIdClaim)} is missing.`);
  }
  return validateUserIdOr401(String(claim));
}

function bearerFailure(error: unknown): string {
  if (error instanceof jwt.TokenExpiredError) return "token expired";
  if (error instanceof jwt.NotBeforeError) return "token not yet valid";
  if (error instanceof jwt.JsonWebTokenError) return error.message;
  return "token could not be verified";
}

function validateUserIdOr401(userId: string): string {
  try {
    return validateUserId(userId);
  } catch {
    throw new AppError("Unauthenticated", "The authenticated user name is not a valid userId.");
  }
}

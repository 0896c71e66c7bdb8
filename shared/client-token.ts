import type { WebPubSubServiceClient } from "@azure/web-pubsub";
import type { ClientAccessRequest } from "./realtime-service";

/** The negotiate response: the client connects to `url`. */
export interface NegotiateResult {
  url: string;
  baseUrl: string;
  token: string;
  /** ISO-8601 time the token expires, read back from its `exp`. */
  expiresOn: string;
}

export type ClientTokenRequest = ClientAccessRequest;

/** Issues a client access token with the SDK (signed locally with the access key). */
export async function issueClientToken(service: WebPubSubServiceClient, request: ClientTokenRequest): Promise<NegotiateResult> {
  const { token, baseUrl, url } = await service.getClientAccessToken({
    userId: request.userId,
    // Omitted, not empty, when there are none: the SDK then leaves the claim out.
    groups: request.groups.length > 0 ? [...request.groups] : undefined,
    roles: request.roles.length > 0 ? [...request.roles] : undefined,
    expirationTimeInMinutes: request.lifetimeMinutes,
  });
  const exp = expiresAt(token);
  if (exp === undefined) throw new Error("the SDK issued a token without exp");
  return { url, baseUrl, token, expiresOn: new Date(exp * 1000).toISOString() };
}

/**
 * `exp` of a token the SDK just signed: read straight from its payload segment. The token is our
 * own, so it needs no verifying, and `jwt.decode` (which also parses and checks the header) cost
 * a noticeable share of a negotiate.
 */
function expiresAt(token: string): number | undefined {
  const payload = token.split(".")[1];
  if (payload === undefined) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    const exp = claims && typeof claims === "object" ? (claims as { exp?: unknown }).exp : undefined;
    return typeof exp === "number" ? exp : undefined;
  } catch {
    return undefined;
  }
}

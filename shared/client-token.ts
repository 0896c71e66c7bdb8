import type { WebPubSubServiceClient } from "@azure/web-pubsub";
import jwt from "jsonwebtoken";
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
  const decoded = jwt.decode(token);
  const exp = decoded && typeof decoded === "object" ? decoded.exp : undefined;
  if (typeof exp !== "number") throw new Error("the SDK issued a token without exp");
  return { url, baseUrl, token, expiresOn: new Date(exp * 1000).toISOString() };
}

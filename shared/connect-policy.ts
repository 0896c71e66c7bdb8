import { AppError } from "./errors";
import { decideGrants, type GrantPolicy } from "./grant-policy";

/** The body of a 2xx `connect` response: groups are added, roles replace the token's. */
export interface ConnectResponseBody {
  groups?: string[];
  roles?: string[];
}

export type ConnectDecision = { allowed: true; response: ConnectResponseBody } | { allowed: false; error: AppError };

/**
 * The negotiate policy applied again at `connect`: a connection needs a userId, and the groups and
 * roles its token carries must pass the allow-list (a token minted elsewhere cannot widen them).
 * Default groups are added; roles are returned only when the token had some, so that the token's
 * roles plus the defaults replace them (an empty `roles` would strip every permission).
 */
export function decideConnect(policy: GrantPolicy, userId: string | null, claims: Readonly<Record<string, readonly string[]>>): ConnectDecision {
  if (!userId) return { allowed: false, error: new AppError("Unauthenticated", "The connection has no userId: get a token from /api/negotiate.") };
  const tokenGroups = claims["webpubsub.group"] ?? [];
  const tokenRoles = claims["role"];
  // Token groups and roles the defaults already grant need no allow-list entry.
  const requested = {
    groups: tokenGroups.filter((g) => !policy.defaultGroups.includes(g)),
    roles: (tokenRoles ?? []).filter((r) => !policy.defaultRoles.includes(r)),
  };
  const decision = decideGrants(policy, requested);
  if (!decision.allowed) return decision;
  const response: ConnectResponseBody = {};
  const added = decision.groups.filter((g) => !tokenGroups.includes(g));
  if (added.length > 0) response.groups = added;
  if (tokenRoles !== undefined) response.roles = decision.roles;
  return { allowed: true, response };
}

import type { HttpHandler } from "@azure/functions";
import { decideGrants } from "../shared/grant-policy";
import { resolveIdentity } from "../shared/identity";
import { defineRoute, guarded, requestQuery } from "./http-trigger";
import type { TriggerDeps } from "./trigger-deps";

/**
 * GET|POST /api/negotiate[?userId=][&group=g]…[&role=r]… → what the service's clients expect:
 * `{ url, baseUrl, token, expiresOn }` for Web PubSub, `{ url, accessToken }` for SignalR.
 * Who the caller is comes from the identity mode; groups and roles must pass the allow-list.
 * A reconnecting SignalR client sends its previous service token as a bearer: identity never reads
 * it (only the jwt mode reads a bearer, verified against the app's own key and audience).
 */
export function createNegotiateHandler(deps: TriggerDeps): HttpHandler {
  return guarded("negotiate", async (request, context) => {
    const query = requestQuery(request);
    const identity = resolveIdentity(deps.config.identity, { headers: request.headers, query });
    const decision = decideGrants(deps.config.grants, { groups: query.getAll("group"), roles: query.getAll("role") });
    if (!decision.allowed) throw decision.error;
    const result = await deps.service.negotiate({
      userId: identity.userId,
      groups: decision.groups,
      roles: decision.roles,
      lifetimeMinutes: deps.config.tokenLifetimeMinutes,
    });
    context.log(`negotiate: token for user ${JSON.stringify(identity.userId)} (${identity.source}), ${decision.groups.length} group(s), ${decision.roles.length} role(s)`);
    return { status: 200, jsonBody: result, headers: { "cache-control": "no-store" } };
  });
}

export const negotiateRoute = defineRoute(
  { name: "negotiate", methods: ["GET", "POST"], route: "negotiate", authLevel: "anonymous" },
  createNegotiateHandler,
);

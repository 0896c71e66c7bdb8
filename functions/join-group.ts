import type { HttpHandler } from "@azure/functions";
import { AppError } from "../shared/errors";
import { decideGrants } from "../shared/grant-policy";
import { resolveIdentity } from "../shared/identity";
import { validateConnectionId, validateGroupName } from "../shared/names";
import { callService, defineRoute, guarded, requestQuery } from "./http-trigger";
import type { TriggerDeps } from "./trigger-deps";

/**
 * POST /api/join-group?group=g&connectionId=c and POST /api/leave-group?group=g&connectionId=c
 * → 200 `{ group, connectionId, joined }`: the routes a user's page calls to join or leave a group
 * itself. Joining applies negotiate's allow-list (403 `GroupNotAllowed`), so a page cannot join
 * what a token could not; leaving is always allowed. The caller must pass the identity mode's
 * check, as for negotiate, and only the caller's own connection changes: connection ids are no
 * secret (presence lists show them), so the service is asked to act only if the connection is
 * the caller's (see `setOwnGroupMembership`). The management route
 * `groups/{group}/connections/{connectionId}` stays for the app's own server-side use (function
 * key, no allow-list).
 */
export function createGroupMembershipHandler(action: "join" | "leave", deps: TriggerDeps): HttpHandler {
  return guarded(`${action}Group`, async (request, context) => {
    const query = requestQuery(request);
    const identity = resolveIdentity(deps.config.identity, { headers: request.headers, query });
    const groupText = query.get("group");
    const connectionText = query.get("connectionId");
    if (groupText === null || connectionText === null) throw new AppError("InvalidQuery", `Give ?group= and ?connectionId= to ${action} a group.`);
    const group = validateGroupName(groupText);
    const connectionId = validateConnectionId(connectionText);
    if (action === "join") {
      const decision = decideGrants(deps.config.grants, { groups: [group], roles: [] });
      if (!decision.allowed) throw decision.error;
    }
    await callService(deps, () => deps.service.setOwnGroupMembership(group, connectionId, identity.userId, action === "join"));
    context.log(
      `${action}-group: user ${JSON.stringify(identity.userId)} (${identity.source}) asked to ${action} ${JSON.stringify(group)} with connection ${JSON.stringify(connectionId)}; it changes only if the connection is theirs`,
    );
    return { status: 200, jsonBody: { group, connectionId, joined: action === "join" } };
  });
}

export const joinGroupRoute = defineRoute({ name: "joinGroup", methods: ["POST"], route: "join-group", authLevel: "anonymous" }, (deps) =>
  createGroupMembershipHandler("join", deps),
);

export const leaveGroupRoute = defineRoute({ name: "leaveGroup", methods: ["POST"], route: "leave-group", authLevel: "anonymous" }, (deps) =>
  createGroupMembershipHandler("leave", deps),
);

import type { HttpHandler } from "@azure/functions";
import { parseMembersPageQuery } from "../shared/group-presence";
import { validateGroupName } from "../shared/names";
import { callService, defineRoute, guarded, requestQuery, routeParam } from "./http-trigger";
import { presenceSource } from "./presence-source";
import type { TriggerDeps } from "./trigger-deps";

/** GET: one page of a group's connections (connection id, user id); `continuationToken` fetches the next. */
export function createGroupMembersHandler(deps: TriggerDeps): HttpHandler {
  const presence = presenceSource(deps);
  return guarded("groupMembers", async (request) => {
    const group = validateGroupName(routeParam(request, "group"));
    const pageRequest = parseMembersPageQuery(requestQuery(request));
    const page = await callService(deps, () => presence.groupMembersPage(group, pageRequest));
    return { status: 200, jsonBody: { group, members: page.members, continuationToken: page.continuationToken } };
  });
}

export const groupMembersRoute = defineRoute(
  { name: "groupMembers", methods: ["GET"], route: "groups/{group}/members", authLevel: "function" },
  createGroupMembersHandler,
);

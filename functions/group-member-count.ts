import type { HttpHandler } from "@azure/functions";
import { countGroupMembers, parseCountCap } from "../shared/group-presence";
import { validateGroupName } from "../shared/names";
import { callService, defineRoute, guarded, requestQuery, routeParam } from "./http-trigger";
import { presenceSource } from "./presence-source";
import type { TriggerDeps } from "./trigger-deps";

/** GET: how many connections a group has, counted up to `?cap=` (default 10,000). */
export function createGroupMemberCountHandler(deps: TriggerDeps): HttpHandler {
  const presence = presenceSource(deps);
  return guarded("groupMemberCount", async (request) => {
    const group = validateGroupName(routeParam(request, "group"));
    const cap = parseCountCap(requestQuery(request));
    const counted = await callService(deps, () => countGroupMembers(presence, group, cap));
    return { status: 200, jsonBody: { group, ...counted } };
  });
}

export const groupMemberCountRoute = defineRoute(
  { name: "groupMemberCount", methods: ["GET"], route: "groups/{group}/members/count", authLevel: "function" },
  createGroupMemberCountHandler,
);

import type { HttpHandler } from "@azure/functions";
import { validateUserId } from "../shared/names";
import { callService, defineRoute, guarded, noContent, routeParam } from "./http-trigger";
import type { TriggerDeps } from "./trigger-deps";

/** DELETE removes a user from every group → 204. */
export function createUserGroupsHandler(deps: TriggerDeps): HttpHandler {
  return guarded("userGroups", async (request) => {
    const userId = validateUserId(routeParam(request, "userId"));
    await callService(deps, () => deps.service.removeUserFromAllGroups(userId));
    return noContent;
  });
}

export const userGroupsRoute = defineRoute(
  { name: "userGroups", methods: ["DELETE"], route: "users/{userId}/groups", authLevel: "function" },
  createUserGroupsHandler,
);

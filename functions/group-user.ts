import type { HttpHandler } from "@azure/functions";
import { validateGroupName, validateUserId } from "../shared/names";
import { callService, defineRoute, guarded, noContent, routeParam } from "./http-trigger";
import type { TriggerDeps } from "./trigger-deps";

/** PUT adds, DELETE removes a user (all their connections) to or from a group → 204. */
export function createGroupUserHandler(deps: TriggerDeps): HttpHandler {
  return guarded("groupUser", async (request) => {
    const group = validateGroupName(routeParam(request, "group"));
    const userId = validateUserId(routeParam(request, "userId"));
    await callService(deps, () => (request.method === "PUT" ? deps.service.addUserToGroup(group, userId) : deps.service.removeUserFromGroup(group, userId)));
    return noContent;
  });
}

export const groupUserRoute = defineRoute(
  { name: "groupUser", methods: ["PUT", "DELETE"], route: "groups/{group}/users/{userId}", authLevel: "function" },
  createGroupUserHandler,
);

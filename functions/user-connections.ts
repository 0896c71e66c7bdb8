import type { HttpHandler } from "@azure/functions";
import { validateUserId } from "../shared/names";
import { callService, closeReason, defineRoute, guarded, noContent, routeParam } from "./http-trigger";
import type { TriggerDeps } from "./trigger-deps";

/** DELETE [?reason=]: close every connection of a user → 204. */
export function createUserConnectionsHandler(deps: TriggerDeps): HttpHandler {
  return guarded("userConnections", async (request) => {
    const userId = validateUserId(routeParam(request, "userId"));
    const options = closeReason(request);
    await callService(deps, () => deps.service.closeUserConnections(userId, options));
    return noContent;
  });
}

export const userConnectionsRoute = defineRoute(
  { name: "userConnections", methods: ["DELETE"], route: "users/{userId}/connections", authLevel: "function" },
  createUserConnectionsHandler,
);

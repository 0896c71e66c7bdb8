import type { HttpHandler } from "@azure/functions";
import { validateGroupName } from "../shared/names";
import { callService, closeReason, defineRoute, guarded, noContent, routeParam } from "./http-trigger";
import type { TriggerDeps } from "./trigger-deps";

/** DELETE [?reason=]: close every connection in a group → 204. */
export function createGroupConnectionsHandler(deps: TriggerDeps): HttpHandler {
  return guarded("groupConnections", async (request) => {
    const group = validateGroupName(routeParam(request, "group"));
    const options = closeReason(request);
    await callService(deps, () => deps.service.closeGroupConnections(group, options));
    return noContent;
  });
}

export const groupConnectionsRoute = defineRoute(
  { name: "groupConnections", methods: ["DELETE"], route: "groups/{group}/connections", authLevel: "function" },
  createGroupConnectionsHandler,
);

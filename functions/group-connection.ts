import type { HttpHandler } from "@azure/functions";
import { validateConnectionId, validateGroupName } from "../shared/names";
import { callService, defineRoute, guarded, noContent, routeParam } from "./http-trigger";
import type { TriggerDeps } from "./trigger-deps";

/** PUT adds, DELETE removes one connection to or from a group → 204. */
export function createGroupConnectionHandler(deps: TriggerDeps): HttpHandler {
  return guarded("groupConnection", async (request) => {
    const group = validateGroupName(routeParam(request, "group"));
    const connectionId = validateConnectionId(routeParam(request, "connectionId"));
    await callService(deps, () =>
      request.method === "PUT" ? deps.service.addConnectionToGroup(group, connectionId) : deps.service.removeConnectionFromGroup(group, connectionId),
    );
    return noContent;
  });
}

export const groupConnectionRoute = defineRoute(
  { name: "groupConnection", methods: ["PUT", "DELETE"], route: "groups/{group}/connections/{connectionId}", authLevel: "function" },
  createGroupConnectionHandler,
);

import type { HttpHandler } from "@azure/functions";
import { validateConnectionId } from "../shared/names";
import { callService, defineRoute, guarded, noContent, routeParam } from "./http-trigger";
import type { TriggerDeps } from "./trigger-deps";

/** DELETE removes one connection from every group → 204. */
export function createConnectionGroupsHandler(deps: TriggerDeps): HttpHandler {
  return guarded("connectionGroups", async (request) => {
    const connectionId = validateConnectionId(routeParam(request, "connectionId"));
    await callService(deps, () => deps.service.removeConnectionFromAllGroups(connectionId));
    return noContent;
  });
}

export const connectionGroupsRoute = defineRoute(
  { name: "connectionGroups", methods: ["DELETE"], route: "connections/{connectionId}/groups", authLevel: "function" },
  createConnectionGroupsHandler,
);

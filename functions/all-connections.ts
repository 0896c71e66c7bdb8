import type { HttpHandler } from "@azure/functions";
import { callService, closeReason, defineRoute, guarded, noContent } from "./http-trigger";
import type { TriggerDeps } from "./trigger-deps";

/** DELETE [?reason=]: close every connection of the hub → 204. */
export function createAllConnectionsHandler(deps: TriggerDeps): HttpHandler {
  return guarded("allConnections", async (request) => {
    const options = closeReason(request);
    await callService(deps, () => deps.service.closeAllConnections(options));
    return noContent;
  });
}

export const allConnectionsRoute = defineRoute(
  { name: "allConnections", methods: ["DELETE"], route: "connections", authLevel: "function" },
  createAllConnectionsHandler,
);

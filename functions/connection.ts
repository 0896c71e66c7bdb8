import type { HttpHandler } from "@azure/functions";
import { AppError } from "../shared/errors";
import { validateConnectionId } from "../shared/names";
import { callService, closeReason, defineRoute, existenceResponse, guarded, noContent, routeParam } from "./http-trigger";
import type { TriggerDeps } from "./trigger-deps";

/** GET|HEAD: does the connection exist (200 / 404). DELETE [?reason=]: close it → 204. */
export function createConnectionHandler(deps: TriggerDeps): HttpHandler {
  return guarded("connection", async (request) => {
    const connectionId = validateConnectionId(routeParam(request, "connectionId"));
    if (request.method === "DELETE") {
      const options = closeReason(request);
      await callService(deps, () => deps.service.closeConnection(connectionId, options));
      return noContent;
    }
    const exists = await callService(deps, () => deps.service.connectionExists(connectionId));
    return existenceResponse(request, exists, { connectionId }, new AppError("ConnectionNotFound", `Connection ${JSON.stringify(connectionId)} does not exist.`));
  });
}

export const connectionRoute = defineRoute(
  { name: "connection", methods: ["GET", "HEAD", "DELETE"], route: "connections/{connectionId}", authLevel: "function" },
  createConnectionHandler,
);

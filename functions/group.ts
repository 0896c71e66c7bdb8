import type { HttpHandler } from "@azure/functions";
import { AppError } from "../shared/errors";
import { validateGroupName } from "../shared/names";
import { callService, defineRoute, existenceResponse, guarded, routeParam } from "./http-trigger";
import type { TriggerDeps } from "./trigger-deps";

/** GET|HEAD: does the group have a connection (200 / 404). */
export function createGroupHandler(deps: TriggerDeps): HttpHandler {
  return guarded("group", async (request) => {
    const group = validateGroupName(routeParam(request, "group"));
    const exists = await callService(deps, () => deps.service.groupExists(group));
    return existenceResponse(request, exists, { group }, new AppError("GroupNotFound", `Group ${JSON.stringify(group)} has no connection.`));
  });
}

export const groupRoute = defineRoute(
  { name: "group", methods: ["GET", "HEAD"], route: "groups/{group}", authLevel: "function" },
  createGroupHandler,
);

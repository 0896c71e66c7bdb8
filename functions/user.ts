import type { HttpHandler } from "@azure/functions";
import { AppError } from "../shared/errors";
import { validateUserId } from "../shared/names";
import { callService, defineRoute, existenceResponse, guarded, routeParam } from "./http-trigger";
import type { TriggerDeps } from "./trigger-deps";

/** GET|HEAD: does the user have a connection (200 / 404). */
export function createUserHandler(deps: TriggerDeps): HttpHandler {
  return guarded("user", async (request) => {
    const userId = validateUserId(routeParam(request, "userId"));
    const exists = await callService(deps, () => deps.service.userExists(userId));
    return existenceResponse(request, exists, { userId }, new AppError("UserNotFound", `User ${JSON.stringify(userId)} has no connection.`));
  });
}

export const userRoute = defineRoute(
  { name: "user", methods: ["GET", "HEAD"], route: "users/{userId}", authLevel: "function" },
  createUserHandler,
);

import type { HttpHandler } from "@azure/functions";
import { validateUserId } from "../shared/names";
import { callService, defineRoute, guarded, routeParam } from "./http-trigger";
import { presenceSource } from "./presence-source";
import type { TriggerDeps } from "./trigger-deps";

/** GET: is the user online (has at least one connection): always 200 `{ userId, online }`, unlike `GET users/{userId}`'s 404. */
export function createUserOnlineHandler(deps: TriggerDeps): HttpHandler {
  const presence = presenceSource(deps);
  return guarded("userOnline", async (request) => {
    const userId = validateUserId(routeParam(request, "userId"));
    const online = await callService(deps, () => presence.userExists(userId));
    return { status: 200, jsonBody: { userId, online } };
  });
}

export const userOnlineRoute = defineRoute(
  { name: "userOnline", methods: ["GET"], route: "users/{userId}/online", authLevel: "function" },
  createUserOnlineHandler,
);

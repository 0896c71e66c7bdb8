import type { HttpHandler } from "@azure/functions";
import { parseBroadcastQuery } from "../shared/send-request";
import { defineRoute } from "./http-trigger";
import { createMessageHandler } from "./message-trigger";
import type { TriggerDeps } from "./trigger-deps";

/**
 * POST /api/broadcast [?excluded=c]… [&filter=…] [&messageTtlSeconds=n] → 202.
 * Broadcast in the Web PubSub sense: every connection of the hub, not "to many channels".
 */
export function createBroadcastHandler(deps: TriggerDeps): HttpHandler {
  return createMessageHandler("broadcast", deps, parseBroadcastQuery);
}

export const broadcastRoute = defineRoute(
  { name: "broadcast", methods: ["POST"], route: "broadcast", authLevel: "function" },
  createBroadcastHandler,
);

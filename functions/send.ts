import type { HttpHandler } from "@azure/functions";
import { parseSendQuery } from "../shared/send-request";
import { defineRoute } from "./http-trigger";
import { createMessageHandler } from "./message-trigger";
import type { TriggerDeps } from "./trigger-deps";

/**
 * POST /api/send?userId=u | ?connectionId=c | ?group=g [&excluded=c]… [&filter=…] [&messageTtlSeconds=n]
 * → 202 `{ target, dataType, bytes }`. Exactly one target.
 */
export function createSendHandler(deps: TriggerDeps): HttpHandler {
  return createMessageHandler("send", deps, parseSendQuery);
}

export const sendRoute = defineRoute({ name: "send", methods: ["POST"], route: "send", authLevel: "function" }, createSendHandler);

import type { HttpHandler } from "@azure/functions";
import { readCappedBody } from "../shared/body-reader";
import { AppError } from "../shared/errors";
import { maxMessageBytes } from "../shared/limits";
import { dataTypeFor, toMessagePayload } from "../shared/message-payload";
import type { SendRequest, SendTarget } from "../shared/send-request";
import { stampPayload, stampSender, wantsSenderStamp } from "../shared/sender-stamp";
import { callService, guarded, requestQuery } from "./http-trigger";
import type { TriggerDeps } from "./trigger-deps";

/**
 * The body of send and broadcast: query checks (400) and content type (415) before the body is
 * read, the 1 MiB cap (413) while reading, JSON/UTF-8 checks (400), then one service call.
 * `?stamp=sender` wraps the message with who sent it and through which host (`shared/sender-stamp.ts`).
 */
export function createMessageHandler(name: string, deps: TriggerDeps, parseQuery: (query: URLSearchParams) => SendRequest): HttpHandler {
  return guarded(name, async (request, context) => {
    const query = requestQuery(request);
    const { target, options } = parseQuery(query);
    const stamp = wantsSenderStamp(query) ? stampSender(deps.config.identity, { headers: request.headers, query, url: request.url }) : undefined;
    const contentType = request.headers.get("content-type");
    dataTypeFor(contentType);
    const body = await readCappedBody(request.body, request.headers.get("content-length"), maxMessageBytes);
    const received = toMessagePayload(contentType, body);
    const payload = stamp ? stampPayload(received, stamp) : received;
    if (payload.bytes > maxMessageBytes) {
      throw new AppError("PayloadTooLarge", `With ?stamp=sender the message grows to ${payload.bytes} bytes, past the ${maxMessageBytes}-byte limit.`);
    }
    await callService(deps, () => deps.service.send(target, payload, options));
    context.log(`${name}: ${payload.bytes} byte(s) of ${payload.dataType} to ${target.kind}`);
    return { status: 202, jsonBody: { target: describeTarget(target, deps.config.hub), dataType: payload.dataType, bytes: payload.bytes } };
  });
}

function describeTarget(target: SendTarget, hub: string): Record<string, string> {
  switch (target.kind) {
    case "user":
      return { kind: target.kind, userId: target.userId };
    case "connection":
      return { kind: target.kind, connectionId: target.connectionId };
    case "group":
      return { kind: target.kind, group: target.group };
    case "all":
      return { kind: target.kind, hub };
    default: {
      const unknownTarget: never = target;
      throw new Error(`unknown target ${JSON.stringify(unknownTarget)}`);
    }
  }
}

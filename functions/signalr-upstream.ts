import type { HttpHandler, HttpResponseInit, InvocationContext } from "@azure/functions";
import { readCappedBody } from "../shared/body-reader";
import { appValueResult, findAppHandler, json, type AppHandlers } from "../shared/app-handlers";
import { verifyConnectionIdSignature } from "../common/cloud-events-signature";
import { AppError } from "../shared/errors";
import { maxCachedHubClients, maxMessageBytes } from "../shared/limits";
import type { RealtimeService } from "../shared/realtime-service";
import { completionContentType, encodeCompletion, type InvocationOutcome } from "../shared/signalr/signalr-completion";
import { parseUpstreamEvent, readUpstreamContext, type UpstreamEvent } from "../shared/signalr/signalr-upstream-request";
import { appHandlers } from "./app-handlers";
import { HubServiceClients } from "./hub-service-clients";
import { callService, defineRoute, guarded } from "./http-trigger";
import type { RouteDefinition } from "./route-table-types";
import type { TriggerDeps } from "./trigger-deps";

type Invocation = Extract<UpstreamEvent, { kind: "invocation" }>;

/**
 * `POST /api/signalr/{hub}/{category}/{event}`: Azure SignalR Service's upstream (serverless mode),
 * without the Functions SignalR extension. Point the service's upstream URL template here
 * (`…/api/signalr/{hub}/{category}/{event}?code=<function key>` on Azure). Everything is read from
 * the `X-ASRS-*` headers, as the extension does; the route parameters only make the URL readable.
 */
export function createSignalRUpstreamHandler(deps: TriggerDeps, handlers: AppHandlers = appHandlers): HttpHandler {
  const services = new HubServiceClients(deps.config.hub, deps.service, (hub) => deps.service.forHub(hub), maxCachedHubClients, {
    code: "InvalidUpstreamRequest",
    message: "The X-ASRS-Hub header is not a valid hub name.",
  });
  const accessKeys = [deps.config.accessKey];
  return guarded("signalrUpstream", async (request, context) => {
    const upstream = readUpstreamContext(request.headers);
    // Before reading the body: an unsigned request costs nothing but its headers.
    if (!verifyConnectionIdSignature(request.headers.get("x-asrs-signature"), accessKeys, upstream.connectionId)) {
      throw new AppError("UpstreamSignatureMismatch");
    }
    const body = await readCappedBody(request.body, request.headers.get("content-length"), maxMessageBytes);
    const event = parseUpstreamEvent(upstream, request.headers.get("content-type"), body);
    switch (event.kind) {
      case "connected":
        context.log(`signalr: ${upstream.connectionId} (user ${JSON.stringify(upstream.userId)}) connected to ${upstream.hub}`);
        return { status: 200 };
      case "disconnected":
        context.log(`signalr: ${upstream.connectionId} (user ${JSON.stringify(upstream.userId)}) left ${upstream.hub}: ${event.error ?? "no error"}`);
        return { status: 200 };
      case "invocation":
        return answer(event, await invoke(event, deps, handlers, services.get(upstream.hub), context));
      default: {
        const _never: never = event;
        return _never;
      }
    }
  });
}

/** A hub method goes to the app's handler of that name (the same registry as Web PubSub's events). */
async function invoke(event: Invocation, deps: TriggerDeps, handlers: AppHandlers, service: RealtimeService, context: InvocationContext): Promise<InvocationOutcome> {
  const handler = findAppHandler(handlers, event.target);
  if (!handler) {
    context.log(`signalr: client method ${JSON.stringify(event.target)} has no handler`);
    return { kind: "error", message: `The function app has no handler for ${JSON.stringify(event.target)}.` };
  }
  const { hub, connectionId, userId } = event.context;
  try {
    const first = event.arguments[0];
    const answer = await callService(deps, async () =>
      handler(
        { name: event.target, data: first === undefined ? undefined : json(first), arguments: event.arguments },
        { service: "signalr", hub, connectionId, userId, realtime: service, grants: deps.config.grants, log: (line) => context.log(line) },
      ),
    );
    return answer === undefined ? { kind: "void" } : { kind: "result", value: appValueResult(answer) };
  } catch (error) {
    if (error instanceof AppError) return { kind: "error", message: error.message };
    context.error(`signalr: ${event.target} failed`, error);
    return { kind: "error", message: "The function failed unexpectedly." };
  }
}

/** With an invocation id: 200 and a framed Completion the service relays unchanged; without one: 200, no body. */
function answer(event: Invocation, outcome: InvocationOutcome): HttpResponseInit {
  if (event.invocationId === undefined) return { status: 200 };
  return {
    status: 200,
    body: encodeCompletion(event.protocol, event.invocationId, outcome),
    headers: { "content-type": completionContentType(event.protocol) },
  };
}

export const signalRUpstreamRoute = defineRoute(
  { name: "signalrUpstream", methods: ["POST"], route: "signalr/{hub}/{category}/{event}", authLevel: "function" },
  createSignalRUpstreamHandler,
);

/** Registered by `routes.ts`. */
export const signalRUpstreamRoutes: RouteDefinition[] = [signalRUpstreamRoute];

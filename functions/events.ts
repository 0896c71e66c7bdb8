import type { HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { readCappedBody } from "../shared/body-reader";
import { planChatRelay, relayPayload, relayTarget } from "../shared/chat-relay";
import { parseCloudEvent, readCloudEventContext, type CloudEvent } from "../shared/cloud-events-request";
import { verifyConnectionIdSignature } from "../common/cloud-events-signature";
import { decideConnect } from "../shared/connect-policy";
import { AppError, toErrorResponse } from "../shared/errors";
import type { EventsConfig } from "../shared/events-config";
import { maxMessageBytes } from "../shared/limits";
import type { RealtimeService } from "../shared/realtime-service";
import { loadEventsConfig } from "./app-config";
import { callService, defineRoute, guarded } from "./http-trigger";
import { HubServiceClients } from "./hub-service-clients";
import type { RouteDefinition } from "./route-table-types";
import type { TriggerDeps } from "./trigger-deps";

/** User events relayed as chat: the text goes to the named group, or to the whole hub. */
const chatEvents = new Set(["message", "chat"]);

/**
 * `OPTIONS|GET|POST /api/events/{hub?}`: the Web PubSub event handler. Point the service's URL
 * template here (`…/api/events/{hub}`). The route is anonymous everywhere: the `ce-signature`
 * HMAC of the access key is what proves a request comes from the service.
 */
export function createEventsHandler(deps: TriggerDeps, events: EventsConfig = loadEventsConfig(deps.config)): HttpHandler {
  const services = new HubServiceClients(deps.config.hub, deps.service, (hub) => deps.service.forHub(hub));
  return guarded("events", async (request, context) => {
    if (request.method === "OPTIONS" || request.method === "GET") return abuseProtection(request, events);
    const eventContext = readCloudEventContext(request.headers);
    const routeHub = request.params.hub;
    if (routeHub && routeHub.toLowerCase() !== eventContext.hub.toLowerCase()) {
      throw new AppError("InvalidCloudEvent", "The ce-hub header does not name the hub in the URL.");
    }
    const service = services.get(eventContext.hub);
    // Before reading the body: an unsigned request costs nothing but its headers.
    if (!verifyConnectionIdSignature(request.headers.get("ce-signature"), events.accessKeys, eventContext.connectionId)) {
      throw new AppError("InvalidSignature");
    }
    const body = await readCappedBody(request.body, request.headers.get("content-length"), maxMessageBytes);
    const event = parseCloudEvent(eventContext, request.headers.get("content-type"), body);
    if (event === undefined) return { status: 200 };
    return handleEvent(event, deps, service, context);
  });
}

/** The abuse-protection handshake: allowed origins come from settings. */
function abuseProtection(request: HttpRequest, events: EventsConfig): HttpResponseInit {
  if (!request.headers.get("webhook-request-origin")) {
    return toErrorResponse(new AppError("InvalidCloudEvent", "Not a Web PubSub validation request: the WebHook-Request-Origin header is missing."));
  }
  return { status: 200, headers: { "WebHook-Allowed-Origin": events.allowedOrigins.join(", ") } };
}

async function handleEvent(event: CloudEvent, deps: TriggerDeps, service: RealtimeService, context: InvocationContext): Promise<HttpResponseInit> {
  const { hub, connectionId, userId } = event.context;
  switch (event.kind) {
    case "connect": {
      const decision = decideConnect(deps.config.grants, userId, event.body.claims);
      if (!decision.allowed) {
        // The status reaches the client as the upgrade's HTTP status; a plain-text reason, like the SDKs.
        context.log(`events: connect of ${connectionId} refused: ${decision.error.code}`);
        return { status: decision.error.status, body: decision.error.message, headers: { "content-type": "text/plain; charset=utf-8" } };
      }
      return { status: 200, jsonBody: decision.response };
    }
    case "connected":
      context.log(`events: ${connectionId} (user ${JSON.stringify(userId)}) connected to ${hub}`);
      return { status: 200 };
    case "disconnected":
      context.log(`events: ${connectionId} (user ${JSON.stringify(userId)}) left ${hub}: ${event.reason || "no reason"}`);
      return { status: 200 };
    case "joined":
    case "left":
      context.log(`events: ${connectionId} (user ${JSON.stringify(userId)}) ${event.kind} group ${JSON.stringify(event.group)} of ${hub}`);
      return { status: 200 };
    case "user":
      return handleUserEvent(event, deps, service, context);
    default: {
      const _never: never = event;
      return _never;
    }
  }
}

async function handleUserEvent(
  event: Extract<CloudEvent, { kind: "user" }>,
  deps: TriggerDeps,
  service: RealtimeService,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const name = event.context.eventName.toLowerCase();
  if (name === "echo") {
    // Echo (the upstream echo scenario): the payload goes back to the sender as is.
    return { status: 200, body: event.data, headers: { "content-type": contentTypeFor(event.dataType) } };
  }
  if (!chatEvents.has(name)) {
    context.log(`events: user event ${JSON.stringify(event.context.eventName)} has no handler; acknowledged`);
    return { status: 204 };
  }
  const relay = planChatRelay(deps.config.grants, event.context.userId, event.dataType, event.data);
  await callService(deps, () => service.send(relayTarget(relay), relayPayload(relay), { excluded: [] }));
  return { status: 204 };
}

function contentTypeFor(dataType: "json" | "text" | "binary"): string {
  switch (dataType) {
    case "json":
      return "application/json";
    case "text":
      return "text/plain; charset=utf-8";
    case "binary":
      return "application/octet-stream";
    default: {
      const _never: never = dataType;
      return _never;
    }
  }
}

export const eventsRoute = defineRoute(
  { name: "events", methods: ["OPTIONS", "GET", "POST"], route: "events/{hub?}", authLevel: "anonymous" },
  createEventsHandler,
);

/** Registered by `routes.ts`. */
export const eventsRoutes: RouteDefinition[] = [eventsRoute];

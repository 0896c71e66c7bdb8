import type { HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { readCappedBody } from "../shared/body-reader";
import { encodeAppValue, findAppHandler, type AppHandlers, type AppValue } from "../shared/app-handlers";
import { parseCloudEvent, readCloudEventContext, type CloudEvent } from "../shared/cloud-events-request";
import { verifyConnectionIdSignature } from "../common/cloud-events-signature";
import { noticeBytes, presenceNotice } from "../common/presence-notice";
import { decideConnect } from "../shared/connect-policy";
import { AppError, toErrorResponse } from "../shared/errors";
import { appHandlers } from "./app-handlers";
import type { EventsConfig } from "../shared/events-config";
import { maxMessageBytes } from "../shared/limits";
import type { RealtimeService } from "../shared/realtime-service";
import { loadEventsConfig } from "./app-config";
import { callService, defineRoute, guarded } from "./http-trigger";
import { HubServiceClients } from "./hub-service-clients";
import type { RouteDefinition } from "./route-table-types";
import type { TriggerDeps } from "./trigger-deps";

/**
 * `OPTIONS|GET|POST /api/events/{hub?}`: the Web PubSub event handler. Point the service's URL
 * template here (`…/api/events/{hub}`). The route is anonymous everywhere: the `ce-signature`
 * HMAC of the access key is what proves a request comes from the service.
 */
export function createEventsHandler(deps: TriggerDeps, events: EventsConfig = loadEventsConfig(deps.config), handlers: AppHandlers = appHandlers): HttpHandler {
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
    return handleEvent(event, deps, service, handlers, context);
  });
}

/** The abuse-protection handshake: allowed origins come from settings. */
function abuseProtection(request: HttpRequest, events: EventsConfig): HttpResponseInit {
  if (!request.headers.get("webhook-request-origin")) {
    return toErrorResponse(new AppError("InvalidCloudEvent", "Not a Web PubSub validation request: the WebHook-Request-Origin header is missing."));
  }
  return { status: 200, headers: { "WebHook-Allowed-Origin": events.allowedOrigins.join(", ") } };
}

async function handleEvent(event: CloudEvent, deps: TriggerDeps, service: RealtimeService, handlers: AppHandlers, context: InvocationContext): Promise<HttpResponseInit> {
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
    case "left": {
      context.log(`events: ${connectionId} (user ${JSON.stringify(userId)}) ${event.kind} group ${JSON.stringify(event.group)} of ${hub}`);
      // The group's members hear of it (the web page refreshes its member list on this notice).
      const notice = presenceNotice(event.group, event.kind, userId ?? "");
      await callService(deps, () =>
        service.send({ kind: "group", group: event.group }, { dataType: "json", value: notice, bytes: noticeBytes(notice.presence) }, { excluded: [] }),
      );
      return { status: 200 };
    }
    case "user":
      return handleUserEvent(event, deps, service, handlers, context);
    default: {
      const _never: never = event;
      return _never;
    }
  }
}

/**
 * A user event or invocation goes to the app's handler of that name. Its answer is the response
 * body (a message to the sender for `sendEvent`, the result for `invokeEvent`); a failure is a
 * plain-text status the service turns into a failed ack or invocation. No handler: 404.
 */
async function handleUserEvent(
  event: Extract<CloudEvent, { kind: "user" }>,
  deps: TriggerDeps,
  service: RealtimeService,
  handlers: AppHandlers,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const { eventName, hub, connectionId, userId } = event.context;
  const handler = findAppHandler(handlers, eventName);
  if (!handler) {
    context.log(`events: user event ${JSON.stringify(eventName)} has no handler`);
    return refusal(new AppError("UnknownEvent", `The function app has no handler for event ${JSON.stringify(eventName)}.`));
  }
  const data = userEventValue(event);
  let answer: AppValue | undefined;
  try {
    answer = await callService(deps, async () =>
      handler(
        { name: eventName, data, arguments: data === undefined ? [] : [data.value] },
        { service: "webpubsub", hub, connectionId, userId, realtime: service, grants: deps.config.grants, log: (line) => context.log(line) },
      ),
    );
  } catch (error) {
    if (error instanceof AppError) return refusal(error);
    throw error;
  }
  if (answer === undefined) return { status: 204 };
  const { body, contentType } = encodeAppValue(answer);
  return { status: 200, body, headers: { "content-type": contentType } };
}

/** The event's payload; an empty binary body is an invocation without one. */
function userEventValue(event: Extract<CloudEvent, { kind: "user" }>): AppValue | undefined {
  switch (event.dataType) {
    case "binary":
      return event.data.byteLength === 0 ? undefined : { dataType: "binary", value: event.data };
    case "text":
      return { dataType: "text", value: event.data.toString("utf8") };
    case "json":
      try {
        return { dataType: "json", value: JSON.parse(event.data.toString("utf8")) as unknown };
      } catch {
        throw new AppError("InvalidJson");
      }
    default: {
      const _never: never = event.dataType;
      return _never;
    }
  }
}

/** A handler's refusal as the service reads it: the status, with the message as plain text. */
function refusal(error: AppError): HttpResponseInit {
  return { status: error.status, body: error.message, headers: { "content-type": "text/plain; charset=utf-8" } };
}

export const eventsRoute = defineRoute(
  { name: "events", methods: ["OPTIONS", "GET", "POST"], route: "events/{hub?}", authLevel: "anonymous" },
  createEventsHandler,
);

/** Registered by `routes.ts`. */
export const eventsRoutes: RouteDefinition[] = [eventsRoute];

import type { HttpHandler } from "@azure/functions";
import { defineRoute, guarded } from "./http-trigger";
import type { RouteDefinition } from "./route-table-types";
import type { TriggerDeps } from "./trigger-deps";

/**
 * `GET /api/realtime-service` → `{ service, hub }`: which managed service the app talks to
 * (`webpubsub` or `signalr`), so a client (the web page) picks the matching SDK from the app
 * itself rather than asking its user. No secrets: the endpoint and key stay out.
 */
export function createRealtimeServiceInfoHandler(deps: TriggerDeps): HttpHandler {
  return guarded("realtimeService", async () => ({
    status: 200,
    jsonBody: { service: deps.service.kind, hub: deps.service.hub },
    headers: { "cache-control": "no-store" },
  }));
}

export const realtimeServiceInfoRoute = defineRoute(
  { name: "realtimeService", methods: ["GET"], route: "realtime-service", authLevel: "anonymous" },
  createRealtimeServiceInfoHandler,
);

/** Registered by `routes.ts`. */
export const realtimeServiceInfoRoutes: RouteDefinition[] = [realtimeServiceInfoRoute];

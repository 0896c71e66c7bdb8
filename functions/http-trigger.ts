import type { HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { AppError, toErrorResponse } from "../shared/errors";
import { toServiceFailure } from "../shared/service-failure";
import { appDeps } from "./app-config";
import type { RouteDefinition } from "./route-table-types";
import type { TriggerDeps } from "./trigger-deps";

export type HandlerFactory = (deps: TriggerDeps) => HttpHandler;

/**
 * A route whose handler is built from the app's settings on first call, so importing the route
 * table never reads settings. `create` is exported by each trigger for tests to inject their deps.
 */
export function defineRoute(route: Omit<RouteDefinition, "handler">, create: HandlerFactory): RouteDefinition {
  let handler: HttpHandler | undefined;
  return Object.freeze({
    ...route,
    handler: async (request: HttpRequest, context: InvocationContext) => {
      try {
        handler ??= create(appDeps());
      } catch (error) {
        context.error(`${route.name}: ${(error as Error).message}`);
        return toErrorResponse(error);
      }
      return handler(request, context);
    },
  });
}

/** Wraps a trigger body: expected errors become their catalogue response, others a logged 500. */
export function guarded(
  name: string,
  body: (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>,
): HttpHandler {
  return async (request, context) => {
    try {
      return await body(request, context);
    } catch (error) {
      if (error instanceof AppError) {
        if (error.status >= 500) context.warn(`${name}: ${error.code}: ${error.message}`);
        return toErrorResponse(error);
      }
      context.error(`${name}: unexpected failure`, error);
      return toErrorResponse(error);
    }
  };
}

/** Runs an SDK call; its failures become 502 `ServiceError` / `ServiceUnreachable`. */
export async function callService<T>(deps: TriggerDeps, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toServiceFailure(error, deps.config.endpoint);
  }
}

/**
 * The query, parsed from the URL: the Functions host may fold repeated keys of `request.query`
 * into one value, and `excluded`/`group`/`role` are repeatable.
 */
export function requestQuery(request: HttpRequest): URLSearchParams {
  return new URL(request.url).searchParams;
}

/** A route parameter the route guarantees; a missing one is a routing bug. */
export function routeParam(request: HttpRequest, name: string): string {
  const value = request.params[name];
  if (value === undefined) throw new Error(`route parameter {${name}} is missing`);
  return value;
}

/** 204 for a done management action. */
export const noContent: HttpResponseInit = Object.freeze({ status: 204 });

/** An existence check: 200 JSON, or the 404 from the catalogue; HEAD gets the status alone. */
export function existenceResponse(request: HttpRequest, exists: boolean, found: Record<string, string>, missing: AppError): HttpResponseInit {
  const response: HttpResponseInit = exists ? { status: 200, jsonBody: { ...found, exists: true } } : toErrorResponse(missing);
  return request.method === "HEAD" ? { status: response.status } : response;
}

/** Optional `?reason=` for closes, shown to the closed clients. */
export function closeReason(request: HttpRequest): { reason?: string } {
  const reason = requestQuery(request).get("reason");
  if (reason === null) return {};
  if (reason.length > 1024) throw new AppError("InvalidQuery", "?reason= is longer than 1024 characters.");
  return { reason };
}

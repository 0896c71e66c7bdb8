/**
 * A small local Functions host: serves the project's route table under `/api` with the
 * conventions Functions users expect (route parameters, function keys, CORS), using only the
 * public `@azure/functions` classes (`HttpRequest`, `InvocationContext`, `HttpResponse`).
 */
import { randomUUID } from "node:crypto";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { HttpRequest, InvocationContext, type LogLevel } from "@azure/functions";
import type { RouteDefinition } from "../functions/route-table-types";
import { decideCors, preflightHeaders } from "./cors-policy";
import { isValidFunctionKey, presentedFunctionKey } from "./function-keys";
import { writeHostError } from "./host-errors";
import { resolveHostOptions, type FunctionsHostOptions, type HostLogger, type ResolvedHostOptions } from "./host-options";
import { lingerAfterRefusal, readRequestBody } from "./request-body";
import { plainJsonResponse, toHttpResponse, writeFunctionResponse, writePlainResponse } from "./response-writer";
import { compileRouteTemplate, type CompiledRoute } from "./route-template";
import { isLoopbackHost } from "../common/listen-address";

export interface FunctionsHost {
  /** Base URL of the host, e.g. `http://127.0.0.1:7071` (functions live under `${url}/api`). */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export interface ServedRoute {
  definition: RouteDefinition;
  compiled: CompiledRoute;
  methods: ReadonlySet<string>;
}

// Hop-by-hop headers describe this socket, not the request the function sees.
const hopByHopHeaders = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "content-length", "te", "trailer"]);

function contextLogHandler(logger: HostLogger, functionName: string) {
  return (level: LogLevel, ...args: unknown[]): void => {
    const text = `[${functionName}] ${args.map((arg) => (typeof arg === "string" ? arg : arg instanceof Error ? arg.message : JSON.stringify(arg))).join(" ")}`;
    if (level === "error" || level === "critical") logger.error(text);
    else if (level === "warning") logger.warn(text);
    else logger.info(text);
  };
}

function requestHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || hopByHopHeaders.has(name)) continue;
    headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}

/** What routing found for a path and method (routes in precedence order, as `compileRouteTable` sorts them). */
export type RouteChoice =
  | { kind: "chosen"; route: ServedRoute; params: Record<string, string> }
  /** The path matches routes, none for this method: `allow` lists theirs (405). */
  | { kind: "wrong-method"; allow: string[] }
  | { kind: "no-route" };

/**
 * The first route (by precedence) matching both path and method. Matching stops there: a request
 * for an early literal route such as `negotiate` no longer tries every template in the table
 * (which cost more than the rest of the routing). Only a miss scans the whole table, to say
 * which methods the path does allow.
 */
export function chooseRoute(served: readonly ServedRoute[], routePath: string | null, method: string): RouteChoice {
  if (routePath === null) return { kind: "no-route" };
  for (const route of served) {
    if (!route.methods.has(method)) continue;
    const params = route.compiled.match(routePath);
    if (params) return { kind: "chosen", route, params };
  }
  const allow = allowedMethods(served, routePath);
  return allow.length === 0 ? { kind: "no-route" } : { kind: "wrong-method", allow };
}

/** Every method of every route matching the path (for 405's Allow and CORS preflights). */
function allowedMethods(served: readonly ServedRoute[], routePath: string | null): string[] {
  if (routePath === null) return [];
  const methods = new Set<string>();
  for (const route of served) {
    if (route.compiled.match(routePath)) for (const method of route.methods) methods.add(method);
  }
  return [...methods];
}

export function compileRouteTable(routes: readonly RouteDefinition[]): ServedRoute[] {
  return routes
    .map((definition) => ({
      definition,
      compiled: compileRouteTemplate(definition.route),
      methods: new Set(definition.methods.map((method) => method.toUpperCase())),
    }))
    .sort((a, b) => a.compiled.precedence - b.compiled.precedence);
}

function createRequestListener(options: ResolvedHostOptions, served: ServedRoute[]) {
  const prefix = options.routePrefix === "" ? "/" : `/${options.routePrefix}/`;

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = (req.method ?? "GET").toUpperCase();
    const rawTarget = req.url ?? "/";
    const queryStart = rawTarget.indexOf("?");
    const rawPath = queryStart === -1 ? rawTarget : rawTarget.slice(0, queryStart);
    const underPrefix = rawPath.toLowerCase() === prefix.slice(0, -1).toLowerCase() || rawPath.toLowerCase().startsWith(prefix.toLowerCase());
    const routePath = underPrefix ? rawPath.slice(prefix.length - 1) : null;

    const cors = decideCors(options.cors, req.headers.origin);
    const corsHeaders = cors.kind === "allowed" ? cors.headers : {};

    if (method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined) {
      if (cors.kind === "refused") return writeHostError(res, "CorsOriginNotAllowed");
      const methods = allowedMethods(served, routePath);
      if (methods.length === 0) return writeHostError(res, "RouteNotFound", corsHeaders);
      const headers = preflightHeaders(corsHeaders, methods, req.headers["access-control-request-headers"]);
      res.writeHead(204, headers);
      res.end();
      return;
    }

    const chosen = chooseRoute(served, routePath, method);
    if (chosen.kind === "no-route") return writeHostError(res, "RouteNotFound", corsHeaders);
    if (chosen.kind === "wrong-method") return writeHostError(res, "MethodNotAllowed", { ...corsHeaders, allow: chosen.allow.join(", ") });
    const { definition } = chosen.route;

    if (definition.authLevel !== "anonymous" && options.functionKeys.length > 0) {
      const query = new URLSearchParams(queryStart === -1 ? "" : rawTarget.slice(queryStart + 1));
      const presented = presentedFunctionKey(req.headers["x-functions-key"], query);
      if (!isValidFunctionKey(presented, options.functionKeys)) return writeHostError(res, "FunctionKeyRequired", corsHeaders);
    }

    const body = await readRequestBody(req, options.maxRequestBodyBytes);
    if (body.kind === "too-large") {
      lingerAfterRefusal(req, res);
      return writeHostError(res, "RequestTooLarge", corsHeaders);
    }

    const authority = req.headers.host ?? `localhost:${req.socket.localPort ?? options.port}`;
    const request = new HttpRequest({
      method,
      url: `http://${authority}${rawTarget}`,
      headers: requestHeaders(req),
      params: chosen.params,
      body: body.bytes.length > 0 ? { bytes: body.bytes } : undefined,
    });
    const context = new InvocationContext({
      invocationId: randomUUID(),
      functionName: definition.name,
      logHandler: contextLogHandler(options.logger, definition.name),
    });

    let result: unknown;
    try {
      result = await definition.handler(request, context);
    } catch (error) {
      options.logger.error(`[${definition.name}] failed: ${(error as Error)?.stack ?? String(error)}`);
      return writeHostError(res, "FunctionFailed", corsHeaders);
    }
    const plain = plainJsonResponse(result);
    if (plain) return writePlainResponse(res, plain, corsHeaders, method === "HEAD");
    let response;
    try {
      response = toHttpResponse(result);
    } catch (error) {
      options.logger.error(`[${definition.name}] returned a response the host cannot send: ${(error as Error).message}`);
      return writeHostError(res, "FunctionFailed", corsHeaders);
    }
    await writeFunctionResponse(res, response, corsHeaders, method === "HEAD");
  };
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once("error", onError);
    const onListening = (): void => {
      server.off("error", onError);
      resolve(server.address() as AddressInfo);
    };
    server.listen(port, host, onListening);
  });
}

export async function createFunctionsHost(options: FunctionsHostOptions): Promise<FunctionsHost> {
  const resolved = resolveHostOptions(options);
  const served = compileRouteTable(resolved.routes);
  const listener = createRequestListener(resolved, served);
  const server = createHttpServer((req, res) => {
    listener(req, res).catch((error: unknown) => {
      resolved.logger.error(`host: request failed: ${(error as Error)?.message ?? String(error)}`);
      if (!res.headersSent) writeHostError(res, "FunctionFailed");
      else res.destroy();
    });
  });
  const address = await listen(server, resolved.port, resolved.host);
  const displayHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const urlHost = resolved.host === "0.0.0.0" || resolved.host === "::" || isLoopbackHost(resolved.host) ? "localhost" : displayHost;
  return {
    url: `http://${urlHost}:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

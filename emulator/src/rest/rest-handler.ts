import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import { hmacKey } from "../../../common/signing-key";
import type { ServiceMeter } from "../metering/service-meter";
import type { ServiceApi } from "../service-api";
import { verifyRestToken } from "./rest-auth";
import type { RestContext, RestResult } from "./rest-context";
import { restError, toErrorResponse, writeError, type RestHttpError } from "./rest-errors";
import { runOperation } from "./rest-operations";
import { RestQuery } from "./rest-query";
import { matchRestRoute } from "./rest-routes";

/** How long a refused upload may keep streaming after the answer before the socket is destroyed. */
const UNREAD_BODY_GRACE_MS = 2_000;

export interface RestHandlerDeps {
  service: ServiceApi;
  /** Primary key first; a token signed by any of them is accepted. */
  accessKeys: string[];
  /** Larger request bodies get 413 (spec "Limits"). */
  maxBodyBytes: number;
  meter: ServiceMeter;
  /** Clock in ms since epoch, for `messageTtlSeconds` and issued tokens. @default Date.now */
  now?: () => number;
}

export type RestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * The REST data plane: every `/api/hubs/...` request. Guard clauses in order: route,
 * token, then the operation validates its own parameters and body. Never rejects: every failure
 * becomes an `ErrorDetail` response.
 */
export function createRestHandler(deps: RestHandlerDeps): RestHandler {
  if (deps.accessKeys.length === 0 || deps.accessKeys.some((k) => typeof k !== "string" || k === "")) {
    throw new TypeError("createRestHandler: accessKeys must hold at least one non-empty key");
  }
  if (!Number.isSafeInteger(deps.maxBodyBytes) || deps.maxBodyBytes < 0) {
    throw new TypeError("createRestHandler: maxBodyBytes must be a non-negative integer");
  }
  // HMAC keys made once here; a token check per request then parses nothing.
  const accessKeys = Object.freeze(deps.accessKeys.map(hmacKey));
  const now = deps.now ?? Date.now;

  return async (req, res) => {
    const started = process.hrtime.bigint();
    const target = req.url ?? "/";
    const q = target.indexOf("?");
    let operationName: string | undefined;
    try {
      const route = matchRestRoute(req.method ?? "GET", q < 0 ? target : target.slice(0, q));
      if (route.kind === "notFound") throw restError("RouteNotFound", `No REST operation matches ${req.method} ${q < 0 ? target : target.slice(0, q)}.`);
      if (route.kind === "methodNotAllowed") {
        respondError(req, res, restError("MethodNotAllowed", `This path supports ${route.allow.join(", ")}, not ${req.method}.`), { allow: route.allow.join(", ") });
        return;
      }
      operationName = route.operation.op;
      verifyRestToken(req.headers.authorization, accessKeys, target, Math.floor(now() / 1000));
      const ctx: RestContext = {
        req,
        query: new RestQuery(q < 0 ? "" : target.slice(q + 1)),
        service: deps.service,
        meter: deps.meter,
        accessKeys,
        maxBodyBytes: deps.maxBodyBytes,
        origin: originOf(req),
        now,
      };
      respond(req, res, await runOperation(ctx, route.operation));
    } catch (error) {
      respondError(req, res, toErrorResponse(error));
    } finally {
      if (operationName !== undefined) deps.meter.restLatency(operationName, Number(process.hrtime.bigint() - started) / 1e9);
    }
  };
}

function respond(req: IncomingMessage, res: ServerResponse, result: RestResult): void {
  const headers: Record<string, string | number> = closeIfUnread(req, res);
  if (result.json === undefined) {
    res.writeHead(result.status, { ...headers, "content-length": 0 });
    res.end();
    return;
  }
  const body = JSON.stringify(result.json);
  res.writeHead(result.status, { ...headers, "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

function respondError(req: IncomingMessage, res: ServerResponse, error: RestHttpError, extra: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  writeError(res, error, { ...closeIfUnread(req, res), ...extra });
}

/**
 * A body we refused (413, 401, 415, ...) is not read to its end; closing the connection after the
 * answer stops the upload instead of draining it. Returns the headers to add to the answer.
 */
export function closeIfUnread(req: IncomingMessage, res: ServerResponse): Record<string, string> {
  if (req.complete || !hasBody(req)) return {};
  res.once("finish", () => {
    // Node drains what is in flight so the client can read the answer; a client that keeps
    // uploading past the grace period is cut off.
    setTimeout(() => req.socket.destroy(), UNREAD_BODY_GRACE_MS).unref();
  });
  return { connection: "close" };
}

function hasBody(req: IncomingMessage): boolean {
  return req.headers["transfer-encoding"] !== undefined || Number(req.headers["content-length"] ?? 0) > 0;
}

function originOf(req: IncomingMessage): string {
  const scheme = (req.socket as Partial<TLSSocket>).encrypted ? "https" : "http";
  return `${scheme}://${req.headers.host ?? "localhost"}`;
}

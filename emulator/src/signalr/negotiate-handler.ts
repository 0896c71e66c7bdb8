import { randomBytes, type KeyObject } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ResolvedServiceOptions } from "../options";
import { writeError, type RestHttpError } from "../rest/rest-errors";
import type { ConnectionTokens } from "./connection-tokens";
import { answerPreflight, corsHeaders } from "./cors";
import { resolveHubName } from "./hub-names";
import { signalrError } from "./signalr-errors";
import { upgradeBearer, verifySignalRClientToken } from "./signalr-token";

/** Unguessable URL-safe ids, 22 characters like ASP.NET's. */
export function newSignalRId(): string {
  return randomBytes(16).toString("base64url");
}

function send(req: IncomingMessage, res: ServerResponse, status: number, body?: object): void {
  const text = body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, {
    ...corsHeaders(req),
    ...(body === undefined ? {} : { "content-type": "application/json; charset=utf-8" }),
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

function sendError(req: IncomingMessage, res: ServerResponse, error: RestHttpError): void {
  writeError(res, error, corsHeaders(req));
}

/**
 * `POST /client/negotiate?hub=…`: checks the client token and answers with a public
 * `connectionId` and a secret `connectionToken`: used once by a WebSocket, or by every request of
 * a Server-Sent Events or Long Polling connection for as long as it lives. Never a `url`:
 * the client would treat it as a redirect and negotiate again.
 */
export function handleNegotiate(req: IncomingMessage, res: ServerResponse, deps: { options: ResolvedServiceOptions; tokens: ConnectionTokens; keys: readonly KeyObject[] }): void {
  if (req.method === "OPTIONS") {
    answerPreflight(req, res);
    return;
  }
  if (req.method !== "POST") {
    res.setHeader("allow", "POST, OPTIONS");
    sendError(req, res, signalrError("Error.MethodNotAllowed", "Negotiate with POST."));
    return;
  }
  req.resume(); // the client sends no body
  const url = new URL(req.url ?? "/", "http://localhost");
  const hub = resolveHubName(url.searchParams.get("hub"), url.searchParams.get("application"));
  if (!hub.ok) {
    sendError(req, res, signalrError(hub.which === "hub" ? "Error.InvalidHubName" : "Error.InvalidApplicationName"));
    return;
  }
  const { options } = deps;
  const token = upgradeBearer(req.headers.authorization, url.searchParams.get("access_token"));
  const check = token ? verifySignalRClientToken(token, { keys: deps.keys, nowMs: options.clock.now(), clockSkewSeconds: options.tokenClockSkewSeconds }, hub.hub) : undefined;
  if (!check?.ok) {
    // The client reports "Unauthorized: Status code '401'"; no body is expected.
    send(req, res, 401);
    return;
  }
  const version = Number(url.searchParams.get("negotiateVersion") ?? "0") >= 1 ? 1 : 0;
  const connectionId = newSignalRId();
  const id = version === 1 ? newSignalRId() : connectionId;
  // Offered only when asked: a client that did not ask refuses an answer that offers it.
  const stateful = url.searchParams.get("useStatefulReconnect") === "true";
  if (!deps.tokens.add(id, { hubKey: hub.key, hub: hub.hub, connectionId, identity: check.value, ...(stateful ? { stateful } : {}) })) {
    sendError(req, res, signalrError("Error.TooManyPendingConnections"));
    return;
  }
  send(req, res, 200, {
    negotiateVersion: version,
    connectionId,
    ...(version === 1 ? { connectionToken: id } : {}),
    ...(stateful ? { useStatefulReconnect: true } : {}),
    // The order the client tries them in; Server-Sent Events carry text only, so never MessagePack.
    availableTransports: [
      { transport: "WebSockets", transferFormats: ["Text", "Binary"] },
      { transport: "ServerSentEvents", transferFormats: ["Text"] },
      { transport: "LongPolling", transferFormats: ["Text", "Binary"] },
    ],
  });
}

import type http from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import { hmacKey } from "../../../common/signing-key";
import type { ServiceNode } from "../node/service-node";
import type { ResolvedServiceOptions } from "../options";
import { abortHandshake } from "../ws/abort-handshake";
import { ConnectionTokens } from "./connection-tokens";
import { resolveHubName } from "./hub-names";
import { handleNegotiate, newSignalRId } from "./negotiate-handler";
import { handleSignalRRest } from "./rest-handler";
import { SignalRConnection } from "./signalr-connection";
import type { ResolvedSignalROptions } from "./signalr-options";
import { upgradeBearer, verifySignalRClientToken, type SignalRClientIdentity } from "./signalr-token";
import { SignalRUpstream } from "./signalr-upstream";

export interface SignalRFace {
  /** Handles the request when it is the face's (negotiate, REST); false leaves it to the server. */
  request(req: http.IncomingMessage, res: http.ServerResponse): boolean;
  upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): void;
}

/** The query the upstream sees: the connect request's, without the access token. */
function clientQuery(url: URL): string {
  const query = new URLSearchParams(url.searchParams);
  query.delete("access_token");
  const text = query.toString();
  return text ? `?${text}` : "";
}

/**
 * The Azure SignalR Service (serverless) face: client negotiate and WebSocket at `/client`, the
 * REST data plane under `/api/hubs` and `/api/v1/hubs`, and the upstream. Hubs live in the core's
 * SignalR namespace; everything else (membership, fan-out, backplane, metering) is the core's.
 */
export function createSignalRFace(node: ServiceNode, options: ResolvedServiceOptions, settings: ResolvedSignalROptions): SignalRFace {
  const keys = options.secondaryAccessKey ? [options.accessKey, options.secondaryAccessKey] : [options.accessKey];
  // Token checks get KeyObjects made here, once: jsonwebtoken given a string re-parses it on every verify.
  const tokenKeys = Object.freeze(keys.map(hmacKey));
  const tokens = new ConnectionTokens(() => options.clock.now(), settings.connectionTokenLifetimeMs, settings.maxPendingConnections);
  const upstream = new SignalRUpstream({
    templates: settings.upstream,
    accessKeys: keys,
    meter: options.meter,
    logger: options.logger,
    timeoutMs: settings.upstreamTimeoutMs,
    maxResponseBytes: settings.maxUpstreamResponseBytes,
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxClientFrameBytes, perMessageDeflate: false, clientTracking: false });

  const request = (req: http.IncomingMessage, res: http.ServerResponse): boolean => {
    const path = (req.url ?? "/").split("?")[0]!;
    if (path === "/client/negotiate" || path === "/client/negotiate/") {
      try {
        handleNegotiate(req, res, { options, tokens, keys: tokenKeys });
      } catch (error) {
        options.logger.error(`SignalR negotiate failed: ${(error as Error).message}`);
        if (!res.headersSent) res.writeHead(500, { "content-length": 0 });
        res.end();
      }
      return true;
    }
    if (path.startsWith("/api/hubs/") || path.startsWith("/api/v1/hubs/")) {
      void handleSignalRRest(req, res, { node, options, keys: tokenKeys });
      return true;
    }
    return false;
  };

  /** Guard clauses: path, hub, token, connection id, quota. */
  const decide = (req: http.IncomingMessage): { status: number; reason: string } | { hubKey: string; hub: string; connectionId: string; identity: SignalRClientIdentity; url: URL } => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname !== "/client" && url.pathname !== "/client/") return { status: 404, reason: `No client endpoint at ${url.pathname}.` };
    const hub = resolveHubName(url.searchParams.get("hub"), url.searchParams.get("application"));
    if (!hub.ok) return { status: 400, reason: `The ${hub.which} query parameter is missing or invalid.` };
    const token = upgradeBearer(req.headers.authorization, url.searchParams.get("access_token"));
    if (!token) return { status: 401, reason: "An access token is required (Authorization: Bearer or access_token)." };
    const check = verifySignalRClientToken(token, { keys: tokenKeys, nowMs: options.clock.now(), clockSkewSeconds: options.tokenClockSkewSeconds }, hub.hub);
    if (!check.ok) return { status: 401, reason: `Unauthorized: ${check.reason}.` };
    const id = url.searchParams.get("id");
    let connectionId: string;
    let identity = check.value;
    if (id === null) {
      connectionId = newSignalRId(); // skipNegotiation: the connection is created on the fly
    } else {
      const pending = tokens.take(id);
      if (!pending || pending.hubKey !== hub.key) return { status: 404, reason: "The connection could not be found (unknown, used or expired id)." };
      connectionId = pending.connectionId;
      // The identity negotiate checked and recorded: the socket's token only proves the caller.
      identity = pending.identity;
    }
    const refusal = options.meter.admitConnection(hub.key);
    if (refusal) return { status: refusal.status, reason: `${refusal.code}: ${refusal.message}` };
    return { hubKey: hub.key, hub: hub.hub, connectionId, identity, url };
  };

  const upgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on("error", () => {});
    let decision: ReturnType<typeof decide>;
    try {
      decision = decide(req);
    } catch {
      abortHandshake(socket, 400, "The request URL cannot be parsed.");
      return;
    }
    if ("status" in decision) {
      abortHandshake(socket, decision.status, decision.reason);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on("error", () => {}); // ws closes the socket itself (1009 and friends)
      const connection = new SignalRConnection({ node, options, settings, upstream }, ws, {
        hubKey: decision.hubKey,
        hub: decision.hub,
        connectionId: decision.connectionId,
        userId: decision.identity.userId,
        claims: decision.identity.claims,
        query: clientQuery(decision.url),
      });
      connection.start();
    });
  };

  return {
    request,
    upgrade,
    close: () => {
      upstream.close();
      wss.close();
    },
  };
}

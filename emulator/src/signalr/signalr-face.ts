import type http from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import { toBuffer } from "../ws/raw-data";
import { hmacKey } from "../../../common/signing-key";
import type { ServiceNode } from "../node/service-node";
import type { ResolvedServiceOptions } from "../options";
import { abortHandshake } from "../ws/abort-handshake";
import { ConnectionTokens } from "./connection-tokens";
import { resolveHubName } from "./hub-names";
import { handleNegotiate, newSignalRId } from "./negotiate-handler";
import { handleSignalRRest } from "./rest-handler";
import { WebSocketHubChannel } from "./hub-channel";
import { LongPollingChannel, ServerSentEventsChannel } from "./http-transports";
import { answerPreflight, corsHeaders } from "./cors";
import { readBody } from "../rest/rest-body";
import { SignalRConnection, type SignalRConnectionDeps } from "./signalr-connection";
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
  /** What every connection of this face shares, whatever its transport. */
  const connectionDeps: SignalRConnectionDeps = { node, options, settings, upstream };
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
    if (path === "/client" || path === "/client/") {
      httpTransport(req, res).catch((error: unknown) => {
        options.logger.error(`SignalR client request failed: ${(error as Error).message}`);
        if (!res.headersSent) plain(req, res, 500, "Internal error.");
        else res.end();
      });
      return true;
    }
    return false;
  };

  /**
   * The hub a client request names and the caller its token proves, as every client request
   * (upgrade, Server-Sent Events, Long Polling, POST, DELETE) checks them: 400 for a bad hub, 401
   * for a missing or bad token.
   */
  const authenticate = (
    req: http.IncomingMessage,
    url: URL,
  ): { status: number; reason: string } | { hub: Extract<ReturnType<typeof resolveHubName>, { ok: true }>; identity: SignalRClientIdentity } => {
    const hub = resolveHubName(url.searchParams.get("hub"), url.searchParams.get("application"));
    if (!hub.ok) return { status: 400, reason: `The ${hub.which} query parameter is missing or invalid.` };
    const token = upgradeBearer(req.headers.authorization, url.searchParams.get("access_token"));
    if (!token) return { status: 401, reason: "An access token is required (Authorization: Bearer or access_token)." };
    const check = verifySignalRClientToken(token, { keys: tokenKeys, nowMs: options.clock.now(), clockSkewSeconds: options.tokenClockSkewSeconds }, hub.hub);
    if (!check.ok) return { status: 401, reason: `Unauthorized: ${check.reason}.` };
    return { hub, identity: check.value };
  };

  /** Connections on the HTTP transports, by their connection token, for as long as they live. */
  const httpConnections = new Map<string, { connection: SignalRConnection; channel: LongPollingChannel | ServerSentEventsChannel; hubKey: string }>();

  const plain = (req: http.IncomingMessage, res: http.ServerResponse, status: number, text: string): void => {
    res.writeHead(status, { ...corsHeaders(req), "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(text) });
    res.end(text);
  };

  /** Server-Sent Events (GET with Accept: text/event-stream), Long Polling (other GETs), sends (POST) and LP stops (DELETE). */
  const httpTransport = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    if (req.method === "OPTIONS") {
      answerPreflight(req, res, "GET, POST, DELETE");
      return;
    }
    if (req.method !== "GET" && req.method !== "POST" && req.method !== "DELETE") {
      res.setHeader("allow", "GET, POST, DELETE, OPTIONS");
      plain(req, res, 405, "Use GET, POST or DELETE.");
      return;
    }
    const url = new URL(req.url ?? "/", "http://localhost");
    const id = url.searchParams.get("id");
    if (!id) {
      req.resume();
      plain(req, res, 400, "Connection ID required");
      return;
    }
    const caller = authenticate(req, url);
    if ("status" in caller) {
      req.resume();
      plain(req, res, caller.status, caller.reason);
      return;
    }
    const { hub } = caller;
    const active = httpConnections.get(id);
    if (active && active.hubKey !== hub.key) {
      req.resume();
      plain(req, res, 404, "No Connection with that ID");
      return;
    }
    const sse = req.method === "GET" && (req.headers.accept ?? "").includes("text/event-stream");
    switch (req.method) {
      case "GET": {
        if (active) {
          if (active.channel instanceof LongPollingChannel && !sse) active.channel.accept(req, res, corsHeaders(req));
          else if (active.channel instanceof ServerSentEventsChannel && sse) plain(req, res, 409, "An event stream is already open for this connection.");
          else plain(req, res, 400, "Cannot change transports mid-connection");
          return;
        }
        const pending = tokens.take(id);
        if (!pending || pending.hubKey !== hub.key) {
          // 4xx, never 5xx: a Node EventSource would retry a 5xx by itself every second.
          plain(req, res, 404, "No Connection with that ID");
          return;
        }
        const refusal = options.meter.admitConnection(hub.key);
        if (refusal) {
          plain(req, res, refusal.status, `${refusal.code}: ${refusal.message}`);
          return;
        }
        const upstreamCaller = { hubKey: hub.key, hub: hub.hub, connectionId: pending.connectionId, userId: pending.identity.userId, claims: pending.identity.claims, query: clientQuery(url) };
        let connection: SignalRConnection;
        if (sse) {
          const channel = new ServerSentEventsChannel(res, corsHeaders(req));
          connection = new SignalRConnection(connectionDeps, channel, upstreamCaller);
          httpConnections.set(id, { connection, channel, hubKey: hub.key });
          res.once("close", () => {
            httpConnections.delete(id);
            // The client closes its EventSource to stop: no status to tell a stop from a drop.
            connection.channelClosed(1005);
          });
          connection.start();
          return;
        }
        const channel: LongPollingChannel = new LongPollingChannel(settings.longPollTimeoutMs, settings.longPollGraceMs, {
          polled: () => connection.touch(),
          gone: (code) => {
            httpConnections.delete(id);
            connection.channelClosed(code);
          },
        });
        connection = new SignalRConnection(connectionDeps, channel, upstreamCaller);
        httpConnections.set(id, { connection, channel, hubKey: hub.key });
        connection.start();
        channel.accept(req, res, corsHeaders(req));
        return;
      }
      case "POST": {
        if (!active || active.connection.finished) {
          req.resume();
          plain(req, res, 404, "No Connection with that ID");
          return;
        }
        let body: Buffer;
        try {
          body = await readBody(req, options.maxClientFrameBytes);
        } catch (error) {
          const status = (error as { status?: number }).status ?? 400;
          if (status === 413) {
            // The message never reaches the upstream or any client; the connection goes on.
            plain(req, res, 413, `Payload Too Large: a message sent over ${active.channel.kind === "LongPolling" ? "Long Polling" : "Server-Sent Events"} is at most ${options.maxClientFrameBytes} bytes.`);
            res.once("finish", () => req.destroy());
            return;
          }
          plain(req, res, 400, "The request body could not be read.");
          return;
        }
        plain(req, res, 200, "");
        if (body.length > 0) active.connection.receive(body);
        return;
      }
      case "DELETE": {
        req.resume();
        if (!active) {
          plain(req, res, 404, "No Connection with that ID");
          return;
        }
        if (!(active.channel instanceof LongPollingChannel)) {
          plain(req, res, 400, "Cannot terminate this connection using the DELETE endpoint.");
          return;
        }
        plain(req, res, 202, "");
        active.channel.terminate();
        return;
      }
      default:
        return;
    }
  };

  /** Stateful-reconnect connections by their token, for as long as they live: a new socket may resume one. */
  const resumable = new Map<string, { connection: SignalRConnection; hubKey: string }>();

  /** Guard clauses: path, hub, token, connection id, quota. */
  const decide = (
    req: http.IncomingMessage,
  ):
    | { status: number; reason: string }
    | { resume: SignalRConnection }
    | { hubKey: string; hub: string; connectionId: string; identity: SignalRClientIdentity; url: URL; token?: string; stateful: boolean } => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname !== "/client" && url.pathname !== "/client/") return { status: 404, reason: `No client endpoint at ${url.pathname}.` };
    const caller = authenticate(req, url);
    if ("status" in caller) return caller;
    const { hub } = caller;
    const id = url.searchParams.get("id");
    let connectionId: string;
    let identity = caller.identity;
    let stateful = false;
    if (id === null) {
      connectionId = newSignalRId(); // skipNegotiation: the connection is created on the fly
    } else {
      const resuming = resumable.get(id);
      if (resuming) {
        if (resuming.hubKey !== hub.key) return { status: 404, reason: "The connection could not be found (unknown, used or expired id)." };
        return { resume: resuming.connection };
      }
      const pending = tokens.take(id);
      if (!pending || pending.hubKey !== hub.key) return { status: 404, reason: "The connection could not be found (unknown, used or expired id)." };
      connectionId = pending.connectionId;
      // The identity negotiate checked and recorded: the socket's token only proves the caller.
      identity = pending.identity;
      stateful = pending.stateful === true;
    }
    const refusal = options.meter.admitConnection(hub.key);
    if (refusal) return { status: refusal.status, reason: `${refusal.code}: ${refusal.message}` };
    return { hubKey: hub.key, hub: hub.hub, connectionId, identity, url, stateful, ...(id === null ? {} : { token: id }) };
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
      const channel = new WebSocketHubChannel(ws, settings.webSocketFragmentBytes);
      if ("resume" in decision) {
        const connection = decision.resume;
        ws.on("message", (data, isBinary) => connection.receive(toBuffer(data), isBinary));
        ws.on("close", (code) => connection.channelClosed(code, channel));
        connection.reattach(channel);
        return;
      }
      const token = decision.token;
      const stateful =
        decision.stateful && token !== undefined
          ? {
              forget: () => {
                resumable.delete(token);
              },
            }
          : undefined;
      const connection = new SignalRConnection(
        connectionDeps,
        channel,
        {
          hubKey: decision.hubKey,
          hub: decision.hub,
          connectionId: decision.connectionId,
          userId: decision.identity.userId,
          claims: decision.identity.claims,
          query: clientQuery(decision.url),
        },
        stateful,
      );
      if (stateful && token !== undefined) resumable.set(token, { connection, hubKey: decision.hubKey });
      connection.start();
      ws.on("message", (data, isBinary) => connection.receive(toBuffer(data), isBinary));
      ws.on("close", (code) => connection.channelClosed(code, channel));
    });
  };

  return {
    request,
    upgrade,
    close: () => {
      upstream.close();
      wss.close();
      for (const { channel } of httpConnections.values()) if (channel instanceof LongPollingChannel) channel.terminate();
    },
  };
}

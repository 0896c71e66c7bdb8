import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import { hmacKey } from "../../common/signing-key";
import { PACKAGE_VERSION } from "./package-version";
import { joinClusterUsage } from "./metering/cluster-usage";
import { createMeteringHttpHandler } from "./metering/metering-http-handler";
import { isUsageMeter } from "./metering/usage-meter";
import { ClientSession } from "./node/client-session";
import { ServiceNode } from "./node/service-node";
import { resolveServiceOptions, type ServiceOptions } from "./options";
import { createRestHandler } from "./rest/rest-handler";
import { createSignalRFace } from "./signalr/signalr-face";
import type { ServiceApi } from "./service-api";
import { abortHandshake } from "./ws/abort-handshake";
import { ClientFrameHandler } from "./ws/client-frames";
import { WebSocketTransport } from "./ws/websocket-transport";
import { CloseCode } from "./ws/close-codes";
import { decideHandshake, type HandshakeDecision } from "./ws/handshake";

export interface ServiceServer {
  /** `http://localhost:<port>`, or `https://` with `tls` (the real port when listening on 0). */
  readonly url: string;
  /**
   * Web PubSub: `Endpoint=<url>;AccessKey=<key>;Version=1.0;`. SignalR: the official emulator's
   * shape, `Endpoint=http://<host>;Port=<port>;AccessKey=<key>;Version=1.0;`.
   */
  readonly connectionString: string;
  readonly port: number;
  /** The service core, cluster-wide (what the REST layer uses). */
  readonly service: ServiceApi;
  /** Ends every client session (1001), stops listening, closes the backplane and upstream. */
  close(): Promise<void>;
}

function sendJson(res: http.ServerResponse, status: number, body: { code: string; message: string }): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Starts a local service speaking Azure Web PubSub's protocols or, with `service: "signalr"`, Azure
 * SignalR Service's (serverless): client endpoint, REST API, health and metering on one port.
 */
export async function createServer(input: ServiceOptions = {}): Promise<ServiceServer> {
  const options = resolveServiceOptions(input);
  const node = new ServiceNode(options);
  const accessKeys = options.secondaryAccessKey ? [options.accessKey, options.secondaryAccessKey] : [options.accessKey];
  const rest = createRestHandler({ service: node, accessKeys, maxBodyBytes: options.maxRestBodyBytes, meter: options.meter, now: () => options.clock.now() });
  const tokenKeys = Object.freeze(accessKeys.map(hmacKey));
  const chosenSubprotocol = new WeakMap<http.IncomingMessage, string>();
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxClientFrameBytes,
    perMessageDeflate: false,
    clientTracking: false,
    handleProtocols: (_offered, req) => chosenSubprotocol.get(req) ?? false,
  });
  options.backplane.onError((error) => {
    options.meter.backplaneError();
    options.logger.error(`backplane: ${error.message}`);
  });
  // A failed start tears down what it set up, so a busy port or an unreachable Redis leaks no
  // connection and the process can exit.
  const abandon = async (error: unknown): Promise<never> => {
    await Promise.allSettled([options.backplane.close(), options.upstream.close()]);
    throw error;
  };
  await options.backplane.attach(node).catch(abandon);
  // GET /api/usage (summed over the backplane) and /metrics, when the meter is a usage meter.
  const metering = isUsageMeter(options.meter)
    ? createMeteringHttpHandler({ meter: options.meter, otherNodesUsage: joinClusterUsage(options.backplane) })
    : undefined;
  const signalr = options.service === "signalr" ? createSignalRFace(node, options, options.signalr) : undefined;

  // No key needed: container health checks and test setups poll it before they have one.
  const health = JSON.stringify({ status: "ok", service: options.service, version: PACKAGE_VERSION });
  const handle: http.RequestListener = (req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    if ((path === "/health" || path === "/api/health") && (req.method === "GET" || req.method === "HEAD")) {
      res.writeHead(200, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(health), "Cache-Control": "no-store" });
      res.end(req.method === "GET" ? health : undefined);
      return;
    }
    if (signalr?.request(req, res)) return;
    if (!signalr && path.startsWith("/api/hubs/")) {
      rest(req, res).catch((error: unknown) => {
        options.logger.error(`REST handler failed: ${(error as Error).message}`);
        if (!res.headersSent) sendJson(res, 500, { code: "InternalServerError", message: "The request failed." });
        else res.destroy();
      });
      return;
    }
    if (metering?.(req, res)) return;
    sendJson(res, 404, { code: "NotFound", message: `No route for ${req.method} ${path}.` });
  };
  // HTTPS and WSS on the same port when a certificate is given.
  const server = options.tls ? https.createServer({ cert: options.tls.cert, key: options.tls.key }, handle) : http.createServer(handle);

  const accept = (req: http.IncomingMessage, socket: Duplex, head: Buffer, decision: Exclude<HandshakeDecision, { kind: "refuse" }>): void => {
    const subprotocol =
      decision.kind === "accept" ? decision.connection.subprotocol : decision.kind === "recover" ? decision.session.subprotocol : decision.subprotocol;
    if (subprotocol) chosenSubprotocol.set(req, subprotocol);
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on("error", () => {}); // ws closes the socket itself (1009 and friends); nothing else to do
      try {
        openSession(ws, decision);
      } catch (error) {
        // One session that cannot be opened closes its own socket, never the process.
        options.logger.error(`opening a session failed: ${(error as Error).message}`);
        ws.close(CloseCode.internalError, "The connection could not be set up.");
      }
    });
  };

  const openSession = (ws: WebSocket, decision: Exclude<HandshakeDecision, { kind: "refuse" }>): void => {
    switch (decision.kind) {
      case "recoveryFailed":
        ws.close(CloseCode.policyViolation, decision.reason);
        return;
      case "recover": {
        const transport = wire(ws, decision.session);
        node.lifecycle.recover(decision.session, transport);
        return;
      }
      case "accept": {
        const { connection } = decision;
        const session = new ClientSession({
          ...connection,
          maxUnackedMessages: options.maxUnackedMessages,
          maxUnackedBytes: options.maxUnackedBytes,
          maxOutboundBytes: options.maxOutboundBytesPerConnection,
        });
        const transport = wire(ws, session);
        node.lifecycle.open(session, transport, connection.groups);
        return;
      }
      default: {
        const _never: never = decision;
        return _never;
      }
    }
  };

  const wire = (ws: WebSocket, session: ClientSession): WebSocketTransport => {
    const transport = new WebSocketTransport(ws);
    const frames = new ClientFrameHandler(node, options, session, transport);
    ws.on("message", (data, isBinary) => frames.onFrame(data, isBinary));
    ws.on("close", (code) => {
      frames.onClose();
      node.lifecycle.transportClosed(session, transport, code);
    });
    return transport;
  };

  server.on("upgrade", (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    if (signalr) {
      signalr.upgrade(req, socket, head);
      return;
    }
    socket.on("error", () => {});
    decideHandshake(req, { options, tokenKeys, findRecoverable: (hub, id) => node.lifecycle.findRecoverable(hub, id) }).then(
      (decision) => {
        if (decision.kind === "refuse") abortHandshake(socket, decision.status, decision.reason);
        else if (!socket.destroyed) accept(req, socket, head, decision);
      },
      (error: unknown) => {
        options.logger.error(`handshake failed: ${(error as Error).message}`);
        abortHandshake(socket, 500, "The connection could not be set up.");
      },
    ).catch((error: unknown) => {
      options.logger.error(`upgrade failed: ${(error as Error).message}`);
      if (!socket.destroyed) socket.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  }).catch((error: unknown) => {
    wss.close();
    signalr?.close();
    return abandon(error);
  });
  server.on("error", (error) => options.logger.error(`server: ${error.message}`));
  const port = (server.address() as AddressInfo).port;
  const scheme = options.tls ? "https" : "http";
  const url = `${scheme}://${options.publicHost}:${port}`;
  options.logger.info(`listening on ${url}`);

  let closing: Promise<void> | undefined;
  return Object.freeze({
    url,
    connectionString: signalr
      ? `Endpoint=${scheme}://${options.publicHost};Port=${port};AccessKey=${options.accessKey};Version=1.0;`
      : `Endpoint=${url};AccessKey=${options.accessKey};Version=1.0;`,
    port,
    service: node,
    close: () =>
      (closing ??= (async () => {
        node.lifecycle.endAll("The service is shutting down.");
        node.registry.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        wss.close();
        signalr?.close();
        await options.backplane.close();
        await options.upstream.close();
      })()),
  });
}

import { HubConnectionBuilder, LogLevel, type HttpTransportType, type HubConnection, type IRetryPolicy } from "@microsoft/signalr";
import { MessagePackHubProtocol } from "@microsoft/signalr-protocol-msgpack";
import jwt from "jsonwebtoken";
import { DEFAULT_ACCESS_KEY, type ServiceOptions } from "../../../emulator/src/options";
import { createServer, type ServiceServer } from "../../../emulator/src/server";

export type WireProtocol = "json" | "messagepack";

/** A client token as the .NET SDK and the Functions extension sign it: `aud` without the port, user in `asrs.s.uid`. */
export function clientToken(hub: string, claims: Record<string, unknown> = {}, key = DEFAULT_ACCESS_KEY, options: jwt.SignOptions = { expiresIn: 3600 }): string {
  return jwt.sign({ aud: `http://localhost/client/?hub=${hub.toLowerCase()}`, ...claims }, key, { algorithm: "HS256", ...options });
}

/** A REST token as the .NET SDK signs it: `aud` is the URL without port, with `api-version` only. */
export function restToken(path: string, key = DEFAULT_ACCESS_KEY, options: jwt.SignOptions = { expiresIn: 3600 }): string {
  return jwt.sign({ aud: `http://localhost${path}?api-version=2022-06-01`, nameid: "server_1" }, key, { algorithm: "HS256", ...options });
}

export interface Received {
  target: string;
  args: unknown[];
}

export interface TestClient {
  connection: HubConnection;
  connectionId: string;
  /** Every invocation of the methods the test listens to, in order. */
  received: Received[];
  closes: Array<Error | undefined>;
  reconnecting: Array<Error | undefined>;
  reconnected: string[];
}

export interface ConnectOptions {
  userId?: string;
  protocol?: WireProtocol;
  /** Methods to record (lowercase match is the client's job). @default ["message"] */
  methods?: string[];
  token?: string;
  reconnect?: boolean;
  keepAliveMs?: number;
  serverTimeoutMs?: number;
  /** Only this transport (WebSockets, ServerSentEvents or LongPolling). @default any, in negotiate's order */
  transport?: HttpTransportType;
}

/** Servers and clients a suite opened; `cleanup()` in afterEach stops them all. */
export class SignalRFixture {
  private readonly servers: ServiceServer[] = [];
  private readonly connections: HubConnection[] = [];

  async start(options: ServiceOptions = {}): Promise<ServiceServer> {
    const server = await createServer({ port: 0, service: "signalr", ...options });
    this.servers.push(server);
    return server;
  }

  /** Builds, starts and returns an `@microsoft/signalr` client of `hub`. */
  async connect(server: ServiceServer, hub: string, options: ConnectOptions = {}): Promise<TestClient> {
    const token = options.token ?? clientToken(hub, options.userId ? { "asrs.s.uid": options.userId } : {});
    let builder = new HubConnectionBuilder()
      .withUrl(`${server.url}/client/?hub=${hub}`, { accessTokenFactory: () => token, ...(options.transport === undefined ? {} : { transport: options.transport }) })
      .configureLogging(LogLevel.None);
    if (options.protocol === "messagepack") builder = builder.withHubProtocol(new MessagePackHubProtocol());
    if (options.reconnect) builder = builder.withAutomaticReconnect(fastRetry);
    if (options.keepAliveMs) builder = builder.withKeepAliveInterval(options.keepAliveMs);
    if (options.serverTimeoutMs) builder = builder.withServerTimeout(options.serverTimeoutMs);
    const connection = builder.build();
    const client: TestClient = { connection, connectionId: "", received: [], closes: [], reconnecting: [], reconnected: [] };
    for (const method of options.methods ?? ["message"]) connection.on(method, (...args: unknown[]) => client.received.push({ target: method, args }));
    connection.onclose((error) => client.closes.push(error));
    connection.onreconnecting((error) => client.reconnecting.push(error));
    connection.onreconnected((id) => {
      client.reconnected.push(id ?? "");
      client.connectionId = id ?? "";
    });
    this.connections.push(connection);
    await connection.start();
    client.connectionId = connection.connectionId!;
    return client;
  }

  /** Calls the REST API with a token signed for the path (as the .NET SDK does). */
  rest(server: ServiceServer, method: string, pathAndQuery: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    const path = pathAndQuery.split("?")[0]!;
    const separator = pathAndQuery.includes("?") ? "&" : "?";
    return fetch(`${server.url}${pathAndQuery}${separator}api-version=2022-06-01`, {
      method,
      headers: {
        authorization: `Bearer ${restToken(path)}`,
        ...(body === undefined ? {} : { "content-type": "application/json; charset=utf-8" }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.connections.splice(0).map((c) => c.stop().catch(() => {})));
    await Promise.all(this.servers.splice(0).map((s) => s.close()));
  }
}

const fastRetry: IRetryPolicy = { nextRetryDelayInMilliseconds: (context) => (context.previousRetryCount < 20 ? 50 : null) };

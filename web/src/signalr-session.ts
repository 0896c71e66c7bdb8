/**
 * The page's SignalR side: one `@microsoft/signalr` HubConnection that negotiates through the
 * function app (`{base}/negotiate`, answered with `{ url, accessToken }`), in JSON or MessagePack.
 * SignalR clients cannot join groups or send to them themselves: groups go through the function
 * app's management trigger, and "send from this client" invokes the upstream chat relay.
 */
import { HttpTransportType, HubConnectionBuilder, HubConnectionState, LogLevel, type HubConnection, type IHubProtocol } from "@microsoft/signalr";
import { MessagePackHubProtocol } from "@microsoft/signalr-protocol-msgpack";

export type HubProtocolChoice = "json" | "messagepack";

/** Which transport the client may use: any (in negotiate's order, falling back), or only one. */
export type TransportChoice = "auto" | "WebSockets" | "ServerSentEvents" | "LongPolling";

const transportTypes: Record<Exclude<TransportChoice, "auto">, HttpTransportType> = {
  WebSockets: HttpTransportType.WebSockets,
  ServerSentEvents: HttpTransportType.ServerSentEvents,
  LongPolling: HttpTransportType.LongPolling,
};

/** The transport a started connection uses, read off the client's transport object (its class names are minified in the bundle, its fields are not). */
export function transportInUse(connection: HubConnection): Exclude<TransportChoice, "auto"> | undefined {
  const transport = (connection as unknown as { connection?: { transport?: object } }).connection?.transport;
  if (!transport) return undefined;
  if ("_pollAbort" in transport) return "LongPolling";
  if ("_eventSource" in transport) return "ServerSentEvents";
  return "WebSockets";
}

export function transportLabel(transport: Exclude<TransportChoice, "auto"> | undefined): string {
  switch (transport) {
    case "WebSockets":
      return "WebSockets";
    case "ServerSentEvents":
      return "Server-Sent Events";
    case "LongPolling":
      return "Long Polling";
    default:
      return "transport unknown";
  }
}

/** The client method the function app invokes by default (`?target=` changes it). */
export const messageMethod = "newMessage";

export interface SignalRSessionEvents {
  connected(connectionId: string): void;
  reconnecting(): void;
  closed(error: Error | undefined): void;
  message(args: unknown[]): void;
}

export interface SignalRSessionOptions {
  /** Function base URL, e.g. `http://localhost:7071/api`; the client appends `/negotiate`. */
  functionsBaseUrl: string;
  /** Sent as `?userId=` to negotiate (anonymous identity). */
  userId: string;
  protocol: HubProtocolChoice;
  /** @default "auto" */
  transport?: TransportChoice;
  /** Ask for stateful reconnect: a dropped WebSocket resumes with nothing lost. @default false */
  statefulReconnect?: boolean;
}

export interface SignalRSession {
  readonly connection: HubConnection;
  readonly protocolLabel: string;
  /** `connection.invoke("broadcast", { group?, text })`: relayed by the function app's upstream trigger. */
  relay(text: string, group?: string): Promise<void>;
  stop(): Promise<void>;
}

export function protocolLabel(choice: HubProtocolChoice): string {
  return choice === "messagepack" ? "MessagePack" : "JSON";
}

/** The negotiate URL: the client keeps the query when it appends `/negotiate`. */
export function negotiateBase(functionsBaseUrl: string, userId: string): string {
  const base = functionsBaseUrl.replace(/\/+$/, "");
  return userId ? `${base}?userId=${encodeURIComponent(userId)}` : base;
}

export async function startSignalRSession(options: SignalRSessionOptions, events: SignalRSessionEvents): Promise<SignalRSession> {
  let builder = new HubConnectionBuilder()
    .withUrl(negotiateBase(options.functionsBaseUrl, options.userId), options.transport && options.transport !== "auto" ? { transport: transportTypes[options.transport] } : {})
    .withAutomaticReconnect()
    .configureLogging(LogLevel.Warning);
  if (options.protocol === "messagepack") builder = builder.withHubProtocol(new MessagePackHubProtocol() as IHubProtocol);
  if (options.statefulReconnect) builder = builder.withStatefulReconnect();
  const connection = builder.build();
  connection.on(messageMethod, (...args: unknown[]) => events.message(args));
  connection.onreconnecting(() => events.reconnecting());
  connection.onreconnected((connectionId) => events.connected(connectionId ?? ""));
  connection.onclose((error) => events.closed(error));
  await connection.start();
  events.connected(connection.connectionId ?? "");
  return {
    connection,
    protocolLabel: protocolLabel(options.protocol),
    relay: (text, group) => connection.invoke("broadcast", group === undefined ? text : { group, text }),
    stop: () => (connection.state === HubConnectionState.Disconnected ? Promise.resolve() : connection.stop()),
  };
}

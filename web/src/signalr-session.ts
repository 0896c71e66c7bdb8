/**
 * The page's SignalR side: one `@microsoft/signalr` HubConnection that negotiates through the
 * function app (`{base}/negotiate`, answered with `{ url, accessToken }`), in JSON or MessagePack.
 * SignalR clients cannot join groups or send to them themselves: groups go through the function
 * app's management trigger, and "send from this client" invokes the upstream chat relay.
 */
import { HubConnectionBuilder, HubConnectionState, LogLevel, type HubConnection, type IHubProtocol } from "@microsoft/signalr";
import { MessagePackHubProtocol } from "@microsoft/signalr-protocol-msgpack";

export type HubProtocolChoice = "json" | "messagepack";

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
    .withUrl(negotiateBase(options.functionsBaseUrl, options.userId))
    .withAutomaticReconnect()
    .configureLogging(LogLevel.Warning);
  if (options.protocol === "messagepack") builder = builder.withHubProtocol(new MessagePackHubProtocol() as IHubProtocol);
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

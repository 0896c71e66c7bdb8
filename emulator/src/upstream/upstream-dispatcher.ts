import type { DataType } from "../cluster/commands";

/** The connection an upstream event is about. */
export interface UpstreamConnection {
  hub: string;
  connectionId: string;
  userId: string | null;
  /** The subprotocol chosen for the connection, if any. */
  subprotocol?: string;
  /** The opaque `ce-connectionState` value last set by a blocking event, if any. */
  connectionState?: string;
}

/** Body of the `connect` event. */
export interface ConnectEventRequest {
  claims: Record<string, string[]>;
  query: Record<string, string[]>;
  headers: Record<string, string[]>;
  subprotocols: string[];
  clientCertificates: Array<{ thumbprint: string; content: string }>;
}

export type ConnectOutcome =
  /** No handler for `connect`, or a 2xx: values given override the token's. */
  | { kind: "accept"; userId?: string; groups?: string[]; roles?: string[]; subprotocol?: string; connectionState?: string }
  /** A non-2xx from the handler: sent back as the upgrade's HTTP status. */
  | { kind: "reject"; status: number; message: string };

export type UserEventOutcome =
  /** No handler matches the event: the service counts and drops the message. */
  | { kind: "unhandled" }
  /** A 2xx: `response` is sent back to the sender (before the ack) when the body is non-empty. */
  | { kind: "handled"; response?: { dataType: DataType; data: Uint8Array }; connectionState?: string }
  /** Non-2xx after retries, a transport error, or a response over the size limit. */
  | { kind: "failed"; message: string };

/** What an `invoke` came to, as the client's `invokeResponse` will say (nothing after a cancel). */
export type InvokeOutcome =
  | { kind: "success"; response?: { dataType: DataType; data: Uint8Array }; connectionState?: string }
  | { kind: "error"; name: string; message: string }
  | { kind: "cancelled" };

export interface InvokeOptions {
  /** Aborted by `cancelInvocation` or the socket closing: the upstream request is cut. */
  signal: AbortSignal;
  /** The handler must answer within this; past it the invocation fails with `Timeout`. */
  timeoutMs: number;
}

/** How the service core tells the application about its clients. */
export interface UpstreamDispatcher {
  connect(connection: UpstreamConnection, request: ConnectEventRequest): Promise<ConnectOutcome>;
  /** Fire-and-forget. */
  connected(connection: UpstreamConnection): void;
  userEvent(connection: UpstreamConnection, eventName: string, dataType: DataType, data: Uint8Array): Promise<UserEventOutcome>;
  /**
   * A client's `invoke`, sent as an ordinary blocking user event (the official server SDKs know no
   * other event type), once and never retried; the response becomes the `invokeResponse`.
   * `payload` is undefined for an invoke without content.
   */
  invoke(connection: UpstreamConnection, eventName: string, payload: { dataType: DataType; data: Uint8Array } | undefined, options: InvokeOptions): Promise<InvokeOutcome>;
  /** Fire-and-forget; called only when the session is finally gone. */
  disconnected(connection: UpstreamConnection, reason: string): void;
  /** Fire-and-forget group presence: the connection joined or left `group` (`azure.webpubsub.gp.*`). */
  groupChanged(connection: UpstreamConnection, group: string, joined: boolean): void;
  close(): Promise<void>;
}

/** The dispatcher of a service with no event handlers configured. */
export const noUpstream: UpstreamDispatcher = {
  connect: async () => ({ kind: "accept" }),
  connected: () => {},
  userEvent: async () => ({ kind: "unhandled" }),
  invoke: async (_connection, eventName) => ({ kind: "error", name: "NotFound", message: `No event handler is configured for event '${eventName}'.` }),
  disconnected: () => {},
  groupChanged: () => {},
  close: async () => {},
};

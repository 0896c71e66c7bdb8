/**
 * SignalR hub protocol messages (the ASP.NET Core hub protocol that `@microsoft/signalr` speaks),
 * keyed by `kind`. Arguments, items and results are plain JSON-compatible values; each codec
 * (JSON, MessagePack) maps them to its own encoding.
 */
export type HubMessage =
  | { kind: "invocation"; invocationId?: string; target: string; arguments: unknown[]; streamIds?: string[] }
  | { kind: "streamItem"; invocationId: string; item: unknown }
  | { kind: "completion"; invocationId: string; result?: unknown; error?: string; hasResult: boolean }
  | { kind: "streamInvocation"; invocationId: string; target: string; arguments: unknown[] }
  | { kind: "cancelInvocation"; invocationId: string }
  | { kind: "ping" }
  | { kind: "close"; error?: string; allowReconnect?: boolean }
  | { kind: "ack"; sequenceId: number }
  | { kind: "sequence"; sequenceId: number };

/** The wire `type` numbers. */
export const MessageType = {
  invocation: 1,
  streamItem: 2,
  completion: 3,
  streamInvocation: 4,
  cancelInvocation: 5,
  ping: 6,
  close: 7,
  ack: 8,
  sequence: 9,
} as const;

export type HubProtocolName = "json" | "messagepack";

/** A frame or message that breaks the hub protocol; the connection is closed with this message. */
export class HubProtocolError extends Error {
  override readonly name = "HubProtocolError";
}

/** Completion helpers: an error, a void one, or one with a result. */
export function completionError(invocationId: string, error: string): HubMessage {
  return { kind: "completion", invocationId, error, hasResult: false };
}

export function completionVoid(invocationId: string): HubMessage {
  return { kind: "completion", invocationId, hasResult: false };
}

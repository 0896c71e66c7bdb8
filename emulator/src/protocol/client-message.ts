import type { DataType } from "../cluster/commands";

/** The client protocols. `raw` covers no subprotocol and unknown ones. */
export type ProtocolKind = "raw" | "json" | "reliable";

export const JSON_SUBPROTOCOL = "json.webpubsub.azure.v1";
export const RELIABLE_SUBPROTOCOL = "json.reliable.webpubsub.azure.v1";

/** Picks the first supported subprotocol the client offered; undefined means a raw client. */
export function chooseSubprotocol(offered: readonly string[]): { kind: ProtocolKind; subprotocol?: string } {
  for (const name of offered) {
    if (name === JSON_SUBPROTOCOL) return { kind: "json", subprotocol: name };
    if (name === RELIABLE_SUBPROTOCOL) return { kind: "reliable", subprotocol: name };
  }
  return { kind: "raw" };
}

/** A payload as the client sent it, decoded to bytes (json: the re-serialized token). */
export interface ClientPayload {
  dataType: DataType;
  data: Uint8Array;
}

/** Frames a JSON-protocol client sends, keyed by `kind`. */
export type ClientMessage =
  | { kind: "joinGroup"; group: string; ackId?: number }
  | { kind: "leaveGroup"; group: string; ackId?: number }
  | { kind: "sendToGroup"; group: string; ackId?: number; noEcho: boolean; payload: ClientPayload }
  | { kind: "event"; event: string; ackId?: number; payload: ClientPayload }
  | { kind: "sequenceAck"; sequenceId: number }
  | { kind: "ping" }
  /** A request the event handler answers; `payload` is absent when the client sent no content. */
  | { kind: "invoke"; invocationId: string; event: string; payload?: ClientPayload }
  | { kind: "cancelInvocation"; invocationId: string }
  /** `sendToGroup` with a `stream` object: opens a group stream; answered with `streamAck` 1 or `streamClosed`. */
  | { kind: "streamStart"; group: string; noEcho: boolean; streamId: string; idleTimeoutMs?: number }
  /** One fragment of an open stream, or a keepalive (no `fragment`) that only resets its idle timer. */
  | { kind: "streamData"; streamId: string; fragment?: { sequenceId: number; payload: ClientPayload } }
  /** Ends a stream; `error` is the publisher's own failure, which receivers see as `UserError`. */
  | { kind: "streamEnd"; streamId: string; error?: { message?: string; userErrorCode?: string } }
  /** Sets (with `state`) or clears (without) the connection's own state in a group. */
  | { kind: "setGroupState"; group: string; ackId?: number; state?: Record<string, string> }
  | { kind: "subscribeGroupState"; group: string; ackId?: number }
  | { kind: "unsubscribeGroupState"; group: string; ackId?: number };

import type { GroupStateItem, OutboundData } from "../cluster/commands";

export type AckErrorName = "Forbidden" | "BadRequest" | "Duplicate" | "InternalServerError";

/** Frames the service sends to JSON-protocol clients, except data messages (see DataFrame). */
export type ServerMessage =
  | { kind: "ack"; ackId: number; error?: { name: AckErrorName; message: string } }
  | { kind: "pong" }
  | { kind: "connected"; userId: string | null; connectionId: string; reconnectionToken?: string }
  | { kind: "disconnected"; message: string }
  /** Never sequenced or replayed: the client rejects its pending invocations when a socket drops. */
  | { kind: "invokeResponse"; invocationId: string; result: { dataType: OutboundData["dataType"]; data: Uint8Array } | undefined; error?: { name: string; message: string } }
  /** To a stream's publisher: every fragment below `expectedSequenceId` is accepted. */
  | { kind: "streamAck"; streamId: string; expectedSequenceId: number }
  | { kind: "streamNack"; streamId: string; expectedSequenceId: number; name: "InvalidSequenceId"; message: string }
  /** The stream is over: ended by its publisher (no error) or refused, timed out or not found. */
  | { kind: "streamClosed"; streamId: string; error?: { name: StreamClosedErrorName; message: string } }
  | { kind: "groupStateSnapshot" | "groupStateUpdate"; group: string; items: readonly GroupStateItem[] };

export type StreamClosedErrorName = "StreamNotFound" | "Forbidden" | "BadRequest" | "InternalServerError" | "IdleTimeout";

export function serializeServerMessage(message: ServerMessage): string {
  switch (message.kind) {
    case "ack":
      return JSON.stringify(
        message.error
          ? { type: "ack", ackId: message.ackId, success: false, error: message.error }
          : { type: "ack", ackId: message.ackId, success: true },
      );
    case "pong":
      return '{"type":"pong"}';
    case "connected":
      return JSON.stringify({
        type: "system",
        event: "connected",
        userId: message.userId,
        connectionId: message.connectionId,
        ...(message.reconnectionToken === undefined ? {} : { reconnectionToken: message.reconnectionToken }),
      });
    case "disconnected":
      return JSON.stringify({ type: "system", event: "disconnected", message: message.message });
    case "invokeResponse": {
      const head = `{"type":"invokeResponse","invocationId":${JSON.stringify(message.invocationId)}`;
      if (message.error) return `${head},"success":false,"error":${JSON.stringify({ name: message.error.name, message: message.error.message })}}`;
      if (!message.result) return `${head},"success":true}`;
      // text data is always a string: the official client throws on anything else for text.
      return `${head},"success":true,"dataType":"${message.result.dataType}","data":${encodeData({ from: "server", ...message.result })}}`;
    }
    case "streamAck":
      return JSON.stringify({ type: "streamAck", streamId: message.streamId, expectedSequenceId: message.expectedSequenceId });
    case "streamNack":
      return JSON.stringify({ type: "streamNack", streamId: message.streamId, expectedSequenceId: message.expectedSequenceId, name: message.name, message: message.message });
    case "streamClosed":
      return JSON.stringify(message.error ? { type: "streamClosed", streamId: message.streamId, error: message.error } : { type: "streamClosed", streamId: message.streamId });
    case "groupStateSnapshot":
    case "groupStateUpdate":
      return JSON.stringify({ type: message.kind, group: message.group, items: message.items });
    default: {
      const _never: never = message;
      return _never;
    }
  }
}

const CLOSING_BRACE = Buffer.from("}");
const SEQUENCE_KEY = Buffer.from(',"sequenceId":');

/**
 * A data message serialized once per fan-out: `prefix` is the JSON frame without its closing
 * brace, so the non-reliable frame is prefix + "}" and a reliable one appends its own sequenceId.
 */
export interface DataFrame {
  readonly prefix: Buffer;
  /** The complete frame for `json.webpubsub.azure.v1` clients. */
  readonly json: Buffer;
}

function encodeData(message: OutboundData): string {
  const bytes = Buffer.from(message.data.buffer, message.data.byteOffset, message.data.byteLength);
  switch (message.dataType) {
    case "json":
      // The JSON token is re-emitted raw; it was validated where it entered the service.
      return bytes.toString("utf8");
    case "text":
      return JSON.stringify(bytes.toString("utf8"));
    case "binary":
      return `"${bytes.toString("base64")}"`;
    default: {
      const _never: never = message.dataType;
      return _never;
    }
  }
}

export function buildDataFrame(message: OutboundData): DataFrame {
  const head =
    message.from === "group"
      ? `{"type":"message","from":"group","group":${JSON.stringify(message.group ?? "")},"fromUserId":${JSON.stringify(message.fromUserId ?? null)}`
      : '{"type":"message","from":"server"';
  const stream = message.stream === undefined ? "" : `,"stream":${JSON.stringify(message.stream)}`;
  const prefix = Buffer.from(`${head},"dataType":"${message.dataType}","data":${encodeData(message)}${stream}`, "utf8");
  return { prefix, json: Buffer.concat([prefix, CLOSING_BRACE]) };
}

/** The frame for one reliable client: the shared prefix plus this connection's sequenceId. */
export function reliableFrame(frame: DataFrame, sequenceId: number): Buffer {
  const suffix = Buffer.from(`${sequenceId}}`, "latin1");
  return Buffer.concat([frame.prefix, SEQUENCE_KEY, suffix], frame.prefix.length + SEQUENCE_KEY.length + suffix.length);
}

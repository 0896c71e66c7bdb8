import { decode, DecodeError, encode } from "@msgpack/msgpack";
import { HubProtocolError, MessageType, type HubMessage } from "./hub-message";

/** Completion result kinds of the MessagePack hub protocol. */
const ERROR_RESULT = 1;
const VOID_RESULT = 2;
const NON_VOID_RESULT = 3;

/** Messages are prefixed by their length as a VarInt: 7 bits a byte, little-endian, at most 5 bytes. */
export function writeLengthPrefix(length: number): Buffer {
  const bytes: number[] = [];
  let rest = length;
  do {
    let byte = rest & 0x7f;
    rest = Math.floor(rest / 128);
    if (rest > 0) byte |= 0x80;
    bytes.push(byte);
  } while (rest > 0);
  return Buffer.from(bytes);
}

/** Splits a binary frame into message bodies (without their prefixes). */
export function splitLengthPrefixed(frame: Uint8Array): Uint8Array[] {
  const bodies: Uint8Array[] = [];
  let offset = 0;
  while (offset < frame.length) {
    let length = 0;
    let shift = 1;
    let read = 0;
    let byte: number;
    do {
      if (read === 5) throw new HubProtocolError("A MessagePack length prefix is longer than 5 bytes.");
      if (offset + read >= frame.length) throw new HubProtocolError("A MessagePack message is incomplete (its length prefix is cut).");
      byte = frame[offset + read]!;
      length += (byte & 0x7f) * shift;
      shift *= 128;
      read += 1;
    } while (byte & 0x80);
    const start = offset + read;
    if (length > 2 ** 31 - 1) throw new HubProtocolError("A MessagePack message is larger than 2 GB.");
    if (start + length > frame.length) throw new HubProtocolError("A MessagePack message is incomplete (shorter than its length prefix).");
    bodies.push(frame.subarray(start, start + length));
    offset = start + length;
  }
  return bodies;
}

/** Parses a binary frame; unknown message types give no message, malformed ones throw `HubProtocolError`. */
export function parseMessagePackMessages(frame: Uint8Array): HubMessage[] {
  const messages: HubMessage[] = [];
  for (const body of splitLengthPrefixed(frame)) {
    const message = parseBody(body);
    if (message) messages.push(message);
  }
  return messages;
}

export function parseBody(body: Uint8Array): HubMessage | null {
  let value: unknown;
  try {
    value = decode(body);
  } catch (error) {
    if (error instanceof DecodeError || error instanceof RangeError || error instanceof Error) throw new HubProtocolError("A MessagePack hub message cannot be decoded.");
    throw error;
  }
  if (!Array.isArray(value) || value.length === 0 || typeof value[0] !== "number") throw new HubProtocolError("A MessagePack hub message must be an array starting with its type.");
  const p = value as unknown[];
  switch (p[0]) {
    case MessageType.invocation:
      need(p, 5, "Invocation");
      return {
        kind: "invocation",
        ...(p[2] === null || p[2] === undefined ? {} : { invocationId: str(p[2], "invocationId") }),
        target: str(p[3], "target"),
        arguments: arr(p[4], "arguments"),
        ...(Array.isArray(p[5]) && p[5].length > 0 ? { streamIds: p[5].map(String) } : {}),
      };
    case MessageType.streamItem:
      need(p, 4, "StreamItem");
      return { kind: "streamItem", invocationId: str(p[2], "invocationId"), item: p[3] };
    case MessageType.completion: {
      need(p, 4, "Completion");
      const invocationId = str(p[2], "invocationId");
      switch (p[3]) {
        case ERROR_RESULT:
          need(p, 5, "Completion");
          return { kind: "completion", invocationId, error: String(p[4]), hasResult: false };
        case VOID_RESULT:
          return { kind: "completion", invocationId, hasResult: false };
        case NON_VOID_RESULT:
          need(p, 5, "Completion");
          return { kind: "completion", invocationId, result: p[4], hasResult: true };
        default:
          throw new HubProtocolError("A MessagePack Completion has an unknown result kind.");
      }
    }
    case MessageType.streamInvocation:
      need(p, 5, "StreamInvocation");
      return { kind: "streamInvocation", invocationId: str(p[2], "invocationId"), target: str(p[3], "target"), arguments: arr(p[4], "arguments") };
    case MessageType.cancelInvocation:
      need(p, 3, "CancelInvocation");
      return { kind: "cancelInvocation", invocationId: str(p[2], "invocationId") };
    case MessageType.ping:
      return { kind: "ping" };
    case MessageType.close:
      need(p, 2, "Close");
      return {
        kind: "close",
        ...(typeof p[1] === "string" ? { error: p[1] } : {}),
        ...(typeof p[2] === "boolean" ? { allowReconnect: p[2] } : {}),
      };
    case MessageType.ack:
    case MessageType.sequence:
      need(p, 2, p[0] === MessageType.ack ? "Ack" : "Sequence");
      if (typeof p[1] !== "number") throw new HubProtocolError("An Ack or Sequence message needs a numeric sequenceId.");
      return { kind: p[0] === MessageType.ack ? "ack" : "sequence", sequenceId: p[1] };
    default:
      return null;
  }
}

function need(p: unknown[], length: number, name: string): void {
  if (p.length < length) throw new HubProtocolError(`Invalid payload for ${name} message.`);
}

function str(value: unknown, name: string): string {
  if (typeof value !== "string") throw new HubProtocolError(`A MessagePack hub message needs a string ${name}.`);
  return value;
}

function arr(value: unknown, name: string): unknown[] {
  if (!Array.isArray(value)) throw new HubProtocolError(`A MessagePack hub message needs an array of ${name}.`);
  return value;
}

/** One message as MessagePack with its length prefix. */
export function serializeMessagePackMessage(message: HubMessage): Buffer {
  return frameBody(encode(messagePackShape(message)));
}

export function frameBody(body: Uint8Array): Buffer {
  const prefix = writeLengthPrefix(body.length);
  const out = Buffer.allocUnsafe(prefix.length + body.length);
  prefix.copy(out, 0);
  out.set(body, prefix.length);
  return out;
}

function messagePackShape(message: HubMessage): unknown[] {
  switch (message.kind) {
    case "invocation":
      return [MessageType.invocation, {}, message.invocationId ?? null, message.target, message.arguments];
    case "streamItem":
      return [MessageType.streamItem, {}, message.invocationId, message.item];
    case "completion":
      if (message.error !== undefined) return [MessageType.completion, {}, message.invocationId, ERROR_RESULT, message.error];
      if (message.hasResult) return [MessageType.completion, {}, message.invocationId, NON_VOID_RESULT, message.result ?? null];
      return [MessageType.completion, {}, message.invocationId, VOID_RESULT];
    case "streamInvocation":
      return [MessageType.streamInvocation, {}, message.invocationId, message.target, message.arguments];
    case "cancelInvocation":
      return [MessageType.cancelInvocation, {}, message.invocationId];
    case "ping":
      return [MessageType.ping];
    case "close":
      return message.allowReconnect === undefined
        ? [MessageType.close, message.error ?? null]
        : [MessageType.close, message.error ?? null, message.allowReconnect];
    case "ack":
      return [MessageType.ack, message.sequenceId];
    case "sequence":
      return [MessageType.sequence, message.sequenceId];
    default: {
      const _never: never = message;
      return _never;
    }
  }
}

/**
 * A server invocation for MessagePack clients from the arguments array's JSON bytes: the JSON
 * is converted (object → map, array → array, integer → int, other number → float64, string → str),
 * as the cloud service does for REST sends.
 */
export function messagePackInvocationFrame(target: string, argumentsJson: Uint8Array): Buffer {
  const args = JSON.parse(Buffer.from(argumentsJson.buffer, argumentsJson.byteOffset, argumentsJson.byteLength).toString("utf8")) as unknown[];
  return frameBody(encode([MessageType.invocation, {}, null, target, args]));
}

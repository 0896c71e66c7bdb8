import { HubProtocolError, MessageType, type HubMessage } from "./hub-message";

/** Every JSON hub message ends with the ASCII record separator. */
export const RECORD_SEPARATOR = 0x1e;
const RS = String.fromCharCode(RECORD_SEPARATOR);

/**
 * Splits a text frame into its messages and parses each. Several messages may share a frame;
 * a frame must end with a separator. Unknown `type` values give no message (the client does the
 * same, for forward compatibility); anything malformed throws `HubProtocolError`.
 */
export function parseJsonMessages(text: string): HubMessage[] {
  const messages: HubMessage[] = [];
  for (const part of splitJsonFrame(text)) {
    const message = parseJsonPart(part);
    if (message) messages.push(message);
  }
  return messages;
}

/** The messages' texts, without separators. */
export function splitJsonFrame(text: string): string[] {
  if (!text.endsWith(RS)) throw new HubProtocolError("Message is incomplete: a JSON hub message must end with the 0x1E separator.");
  return text.slice(0, -1).split(RS);
}

/** One message's text (no separator); null for an unknown type. */
export function parseJsonPart(text: string): HubMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HubProtocolError("A hub message is not valid JSON.");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new HubProtocolError("A hub message must be a JSON object.");
  const m = value as Record<string, unknown>;
  if (typeof m.type !== "number") throw new HubProtocolError("A hub message has no numeric 'type'.");
  switch (m.type) {
    case MessageType.invocation:
      return {
        kind: "invocation",
        ...(m.invocationId === undefined || m.invocationId === null ? {} : { invocationId: stringField(m, "invocationId") }),
        target: stringField(m, "target"),
        arguments: arrayField(m, "arguments"),
        ...(Array.isArray(m.streamIds) && m.streamIds.length > 0 ? { streamIds: m.streamIds.map(String) } : {}),
      };
    case MessageType.streamItem:
      return { kind: "streamItem", invocationId: stringField(m, "invocationId"), item: m.item };
    case MessageType.completion:
      return {
        kind: "completion",
        invocationId: stringField(m, "invocationId"),
        ...(typeof m.error === "string" ? { error: m.error } : {}),
        ...("result" in m ? { result: m.result } : {}),
        hasResult: "result" in m,
      };
    case MessageType.streamInvocation:
      return { kind: "streamInvocation", invocationId: stringField(m, "invocationId"), target: stringField(m, "target"), arguments: arrayField(m, "arguments") };
    case MessageType.cancelInvocation:
      return { kind: "cancelInvocation", invocationId: stringField(m, "invocationId") };
    case MessageType.ping:
      return { kind: "ping" };
    case MessageType.close:
      return {
        kind: "close",
        ...(typeof m.error === "string" ? { error: m.error } : {}),
        ...(typeof m.allowReconnect === "boolean" ? { allowReconnect: m.allowReconnect } : {}),
      };
    case MessageType.ack:
    case MessageType.sequence:
      if (typeof m.sequenceId !== "number") throw new HubProtocolError("An Ack or Sequence message has no numeric 'sequenceId'.");
      return { kind: m.type === MessageType.ack ? "ack" : "sequence", sequenceId: m.sequenceId };
    default:
      return null;
  }
}

function stringField(m: Record<string, unknown>, name: string): string {
  const value = m[name];
  if (typeof value !== "string") throw new HubProtocolError(`A hub message of type ${String(m.type)} needs a string '${name}'.`);
  return value;
}

function arrayField(m: Record<string, unknown>, name: string): unknown[] {
  const value = m[name];
  if (!Array.isArray(value)) throw new HubProtocolError(`A hub message of type ${String(m.type)} needs an array '${name}'.`);
  return value;
}

/** One message as JSON text with its separator. */
export function serializeJsonMessage(message: HubMessage): string {
  return JSON.stringify(jsonShape(message)) + RS;
}

function jsonShape(message: HubMessage): object {
  switch (message.kind) {
    case "invocation":
      return {
        type: MessageType.invocation,
        ...(message.invocationId === undefined ? {} : { invocationId: message.invocationId }),
        target: message.target,
        arguments: message.arguments,
      };
    case "streamItem":
      return { type: MessageType.streamItem, invocationId: message.invocationId, item: message.item };
    case "completion":
      return {
        type: MessageType.completion,
        invocationId: message.invocationId,
        ...(message.error !== undefined ? { error: message.error } : message.hasResult ? { result: message.result ?? null } : {}),
      };
    case "streamInvocation":
      return { type: MessageType.streamInvocation, invocationId: message.invocationId, target: message.target, arguments: message.arguments };
    case "cancelInvocation":
      return { type: MessageType.cancelInvocation, invocationId: message.invocationId };
    case "ping":
      return { type: MessageType.ping };
    case "close":
      return {
        type: MessageType.close,
        ...(message.error === undefined ? {} : { error: message.error }),
        ...(message.allowReconnect === undefined ? {} : { allowReconnect: message.allowReconnect }),
      };
    case "ack":
      return { type: MessageType.ack, sequenceId: message.sequenceId };
    case "sequence":
      return { type: MessageType.sequence, sequenceId: message.sequenceId };
    default: {
      const _never: never = message;
      return _never;
    }
  }
}

const INVOCATION_HEAD = Buffer.from('{"type":1,"target":', "utf8");
const ARGUMENTS_KEY = Buffer.from(',"arguments":', "utf8");
const INVOCATION_TAIL = Buffer.from(`}${RS}`, "utf8");

/**
 * A server invocation built from its target and the arguments array's JSON bytes, without
 * parsing them: what a REST send becomes for JSON clients.
 */
export function jsonInvocationFrame(target: string, argumentsJson: Uint8Array): Buffer {
  const targetBytes = Buffer.from(JSON.stringify(target), "utf8");
  return Buffer.concat([INVOCATION_HEAD, targetBytes, ARGUMENTS_KEY, argumentsJson, INVOCATION_TAIL]);
}

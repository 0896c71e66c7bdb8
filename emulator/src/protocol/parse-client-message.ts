import type { DataType } from "../cluster/commands";
import type { ClientMessage, ClientPayload } from "./client-message";
import { ProtocolError } from "./protocol-error";

const MAX_GROUP_LENGTH = 1024;

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function readAckId(frame: JsonObject): number | undefined {
  const ackId = frame.ackId;
  if (ackId === undefined || ackId === null) return undefined;
  // ackId is a uint64 (spec limits); JS numbers are exact up to 2^53.
  if (typeof ackId !== "number" || !Number.isSafeInteger(ackId) || ackId < 0) throw new ProtocolError("ackId must be a non-negative integer");
  return ackId;
}

function readGroup(frame: JsonObject, ackId: number | undefined): string {
  const group = frame.group;
  if (typeof group !== "string" || group.length === 0 || group.length > MAX_GROUP_LENGTH || group.trim().length === 0) {
    throw new ProtocolError("group must be a string of 1-1024 characters, not only whitespace", ackId);
  }
  return group;
}

/** The longest invocation id accepted (the official client numbers them "1", "2", …). */
export const MAX_INVOCATION_ID_LENGTH = 128;

function readInvocationId(frame: JsonObject): string {
  const id = frame.invocationId;
  if (typeof id !== "string" || id.length === 0 || id.length > MAX_INVOCATION_ID_LENGTH) {
    throw new ProtocolError(`invocationId must be a string of 1-${MAX_INVOCATION_ID_LENGTH} characters`);
  }
  return id;
}

function readPayload(frame: JsonObject, ackId: number | undefined, invocationId?: string): ClientPayload {
  const dataType = frame.dataType as DataType | undefined;
  const data = frame.data;
  switch (dataType) {
    case "json":
      if (data === undefined) throw new ProtocolError("data is required", ackId, invocationId);
      return { dataType, data: Buffer.from(JSON.stringify(data), "utf8") };
    case "text":
      if (typeof data !== "string") throw new ProtocolError("data must be a string for dataType text", ackId, invocationId);
      return { dataType, data: Buffer.from(data, "utf8") };
    case "binary":
      if (typeof data !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(data) || data.length % 4 !== 0) {
        throw new ProtocolError("data must be standard base64 for dataType binary", ackId, invocationId);
      }
      return { dataType, data: Buffer.from(data, "base64") };
    default:
      throw new ProtocolError("dataType must be json, text or binary", ackId, invocationId);
  }
}

/** Longest `message` or `userErrorCode` a publisher may end its stream with. */
export const MAX_STREAM_ERROR_TEXT = 1024;

function readStreamId(value: unknown, frame: "start" | "fragment"): string {
  if (typeof value !== "string") throw new ProtocolError("streamId must be a string");
  if (value.length === 0) throw new ProtocolError("streamId must not be empty", undefined, undefined, { streamId: value, frame });
  return value;
}

function readStreamStart(frame: JsonObject): ClientMessage {
  const stream = frame.stream as JsonObject;
  const streamId = readStreamId(stream.streamId, "start");
  const refuse = (message: string): never => {
    throw new ProtocolError(message, undefined, undefined, { streamId, frame: "start" });
  };
  if (frame.data !== undefined || frame.dataType !== undefined || frame.ackId !== undefined) refuse("a stream start carries no data, dataType or ackId");
  let group: string;
  try {
    group = readGroup(frame, undefined);
  } catch (error) {
    return refuse((error as Error).message);
  }
  if (frame.noEcho !== undefined && typeof frame.noEcho !== "boolean") refuse("noEcho must be a boolean");
  const idle = stream.idleTimeoutMs;
  if (idle !== undefined && (typeof idle !== "number" || !Number.isSafeInteger(idle) || idle <= 0)) refuse("idleTimeoutMs must be a positive integer");
  return { kind: "streamStart", group, noEcho: frame.noEcho === true, streamId, ...(idle === undefined ? {} : { idleTimeoutMs: idle as number }) };
}

function readStreamData(frame: JsonObject): ClientMessage {
  const streamId = readStreamId(frame.streamId, "fragment");
  const refuse = (message: string): never => {
    throw new ProtocolError(message, undefined, undefined, { streamId, frame: "fragment" });
  };
  const { streamSequenceId, dataType, data } = frame;
  if (streamSequenceId === undefined && dataType === undefined && data === undefined) return { kind: "streamData", streamId };
  if (typeof streamSequenceId !== "number" || !Number.isSafeInteger(streamSequenceId) || streamSequenceId < 1) refuse("streamSequenceId must be a positive integer");
  let payload: ClientPayload;
  try {
    payload = readPayload(frame, undefined);
  } catch (error) {
    return refuse((error as Error).message);
  }
  return { kind: "streamData", streamId, fragment: { sequenceId: streamSequenceId as number, payload } };
}

function readStreamEnd(frame: JsonObject): ClientMessage {
  const streamId = readStreamId(frame.streamId, "fragment");
  if (frame.error === undefined || frame.error === null) return { kind: "streamEnd", streamId };
  const refuse = (message: string): never => {
    throw new ProtocolError(message, undefined, undefined, { streamId, frame: "fragment" });
  };
  if (!isObject(frame.error)) refuse("error must be an object");
  const { message, userErrorCode } = frame.error as JsonObject;
  for (const [name, value] of [["message", message], ["userErrorCode", userErrorCode]] as const) {
    if (value !== undefined && (typeof value !== "string" || value.length > MAX_STREAM_ERROR_TEXT)) refuse(`error.${name} must be a string of at most ${MAX_STREAM_ERROR_TEXT} characters`);
  }
  return {
    kind: "streamEnd",
    streamId,
    error: { ...(message === undefined ? {} : { message: message as string }), ...(userErrorCode === undefined ? {} : { userErrorCode: userErrorCode as string }) },
  };
}

/** A group state: an object whose values are strings (limits are the service's options). */
function readGroupState(value: unknown, ackId: number | undefined): Record<string, string> {
  if (!isObject(value)) throw new ProtocolError("state must be an object of strings", ackId);
  const state: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== "string") throw new ProtocolError(`state.${key.slice(0, 64)} must be a string`, ackId);
    state[key] = entry;
  }
  return state;
}

/**
 * Parses one text frame of the JSON subprotocols. Returns null for a well-formed frame
 * of an unknown type (forward compatible); throws ProtocolError for a malformed one.
 */
export function parseClientMessage(text: string): ClientMessage | null {
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch {
    throw new ProtocolError("frame is not valid JSON");
  }
  if (!isObject(frame)) throw new ProtocolError("frame must be a JSON object");
  if (typeof frame.type !== "string") throw new ProtocolError("frame has no type");
  switch (frame.type) {
    case "joinGroup":
    case "leaveGroup": {
      const ackId = readAckId(frame);
      return { kind: frame.type, group: readGroup(frame, ackId), ...(ackId === undefined ? {} : { ackId }) };
    }
    case "sendToGroup": {
      if (frame.stream !== undefined) {
        if (!isObject(frame.stream)) throw new ProtocolError("stream must be an object", readAckId(frame));
        return readStreamStart(frame);
      }
      const ackId = readAckId(frame);
      const group = readGroup(frame, ackId);
      if (frame.noEcho !== undefined && typeof frame.noEcho !== "boolean") throw new ProtocolError("noEcho must be a boolean", ackId);
      const payload = readPayload(frame, ackId);
      return { kind: "sendToGroup", group, noEcho: frame.noEcho === true, payload, ...(ackId === undefined ? {} : { ackId }) };
    }
    case "event": {
      const ackId = readAckId(frame);
      if (typeof frame.event !== "string" || frame.event.length === 0) throw new ProtocolError("event must be a non-empty string", ackId);
      const payload = readPayload(frame, ackId);
      return { kind: "event", event: frame.event, payload, ...(ackId === undefined ? {} : { ackId }) };
    }
    case "sequenceAck": {
      // A number per the SDK; the docs show a string (spec conflict 1), so accept both.
      const raw = frame.sequenceId;
      const sequenceId = typeof raw === "string" && /^\d+$/.test(raw) ? Number(raw) : raw;
      if (typeof sequenceId !== "number" || !Number.isSafeInteger(sequenceId) || sequenceId < 0) {
        throw new ProtocolError("sequenceId must be a non-negative integer");
      }
      return { kind: "sequenceAck", sequenceId };
    }
    case "ping":
      return { kind: "ping" };
    case "invoke": {
      const invocationId = readInvocationId(frame);
      if (frame.target !== undefined && frame.target !== "event") throw new ProtocolError('target must be "event"', undefined, invocationId);
      if (typeof frame.event !== "string" || frame.event.length === 0) throw new ProtocolError("event must be a non-empty string", undefined, invocationId);
      // The client leaves dataType and data out together when its content is null.
      if (frame.dataType === undefined && frame.data === undefined) return { kind: "invoke", invocationId, event: frame.event };
      return { kind: "invoke", invocationId, event: frame.event, payload: readPayload(frame, undefined, invocationId) };
    }
    case "cancelInvocation":
      return { kind: "cancelInvocation", invocationId: readInvocationId(frame) };
    case "streamData":
      return readStreamData(frame);
    case "streamEnd":
      return readStreamEnd(frame);
    case "setGroupState": {
      const ackId = readAckId(frame);
      const group = readGroup(frame, ackId);
      if (frame.state === undefined || frame.state === null) return { kind: "setGroupState", group, ...(ackId === undefined ? {} : { ackId }) };
      return { kind: "setGroupState", group, state: readGroupState(frame.state, ackId), ...(ackId === undefined ? {} : { ackId }) };
    }
    case "subscribeGroupState":
    case "unsubscribeGroupState": {
      const ackId = readAckId(frame);
      return { kind: frame.type, group: readGroup(frame, ackId), ...(ackId === undefined ? {} : { ackId }) };
    }
    default:
      return null;
  }
}

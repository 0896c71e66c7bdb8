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
    default:
      return null;
  }
}

import type { ClusterAnswer, ClusterCommand, ClusterQuery, OutboundData } from "../cluster/commands";

/**
 * What one service node says to the others over a message bus. Every message names its
 * origin node, so a node that also subscribes to the channel it published on ignores its echo.
 */
export type BackplaneMessage =
  /** A command for the other nodes; `ackId` asks each receiver to confirm once it is applied. */
  | { kind: "command"; origin: string; hub: string; command: ClusterCommand; ackId?: string }
  /** A question every receiving node answers on the origin's reply channel. */
  | { kind: "query"; origin: string; hub: string; requestId: string; query: ClusterQuery }
  | { kind: "answer"; origin: string; requestId: string; answer: ClusterAnswer }
  /** "I applied command `ackId`" (and finished the subscriptions it caused). */
  | { kind: "applied"; origin: string; ackId: string };

/**
 * Wire format, binary-safe and without base64: `[u32 BE header length][header JSON][payload]`.
 * The payload is `OutboundData.data` of a `deliver` command, carried raw; the header holds the
 * rest of the message. Base64 in JSON would add a third to every payload and cost an encode
 * and a decode per hop.
 */
const HEADER_LENGTH_BYTES = 4;
const VERSION = 1;

interface WireHeader {
  v: number;
  m: BackplaneMessage;
}

export function encodeBackplaneMessage(message: BackplaneMessage): Buffer {
  let payload: Uint8Array | undefined;
  let headerMessage: BackplaneMessage = message;
  if (message.kind === "command" && message.command.kind === "deliver") {
    payload = message.command.message.data;
    const { data: _data, ...withoutData } = message.command.message;
    headerMessage = { ...message, command: { ...message.command, message: withoutData as OutboundData } };
  }
  const header = JSON.stringify({ v: VERSION, m: headerMessage } satisfies WireHeader);
  const headerLength = Buffer.byteLength(header, "utf8");
  // One allocation for the whole frame.
  const wire = Buffer.allocUnsafe(HEADER_LENGTH_BYTES + headerLength + (payload?.byteLength ?? 0));
  wire.writeUInt32BE(headerLength, 0);
  wire.write(header, HEADER_LENGTH_BYTES, "utf8");
  if (payload) wire.set(payload, HEADER_LENGTH_BYTES + headerLength);
  return wire;
}

export class MalformedBackplaneMessage extends Error {
  readonly code = "BACKPLANE_MALFORMED_MESSAGE";
}

/**
 * Decodes one bus message. Returns `null` for a message of a newer wire version (forward
 * compatible: an old node ignores it); throws `MalformedBackplaneMessage` for anything broken.
 */
export function decodeBackplaneMessage(wire: Buffer): BackplaneMessage | null {
  if (wire.length < HEADER_LENGTH_BYTES) throw new MalformedBackplaneMessage("bus message shorter than its header length");
  const headerLength = wire.readUInt32BE(0);
  const headerEnd = HEADER_LENGTH_BYTES + headerLength;
  if (headerEnd > wire.length) throw new MalformedBackplaneMessage("bus message header length exceeds the message");
  let header: WireHeader;
  try {
    header = JSON.parse(wire.toString("utf8", HEADER_LENGTH_BYTES, headerEnd)) as WireHeader;
  } catch {
    throw new MalformedBackplaneMessage("bus message header is not JSON");
  }
  if (typeof header !== "object" || header === null || typeof header.v !== "number") {
    throw new MalformedBackplaneMessage("bus message header has no version");
  }
  if (header.v !== VERSION) return null;
  const message = header.m;
  if (!isBackplaneMessage(message)) throw new MalformedBackplaneMessage("bus message has an unknown shape");
  if (message.kind === "command" && message.command.kind === "deliver") {
    // A view on the received buffer, not a copy: the payload is handed to sockets as is.
    const data = new Uint8Array(wire.buffer, wire.byteOffset + headerEnd, wire.length - headerEnd);
    return { ...message, command: { ...message.command, message: { ...message.command.message, data } } };
  }
  if (headerEnd !== wire.length) throw new MalformedBackplaneMessage("bus message has a payload but is no delivery");
  return message;
}

function isBackplaneMessage(value: unknown): value is BackplaneMessage {
  if (typeof value !== "object" || value === null) return false;
  const m = value as Record<string, unknown>;
  if (typeof m.origin !== "string") return false;
  switch (m.kind) {
    case "command":
      return typeof m.hub === "string" && isTagged(m.command);
    case "query":
      return typeof m.hub === "string" && typeof m.requestId === "string" && isTagged(m.query);
    case "answer":
      return typeof m.requestId === "string" && isTagged(m.answer);
    case "applied":
      return typeof m.ackId === "string";
    default:
      return false;
  }
}

function isTagged(value: unknown): boolean {
  return typeof value === "object" && value !== null && typeof (value as { kind?: unknown }).kind === "string";
}

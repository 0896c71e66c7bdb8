import type { HubProtocolName } from "./hub-message";
import { RECORD_SEPARATOR } from "./json-hub-protocol";

/** The first client message, always JSON text ending in 0x1E, even for MessagePack. */
export type HandshakeRequest =
  | { kind: "ok"; protocol: HubProtocolName; version: number }
  | { kind: "unsupported"; error: string }
  | { kind: "malformed"; error: string };

/** Looks for the end of the handshake in the bytes received so far; -1 when it has not arrived yet. */
export function handshakeEnd(bytes: Uint8Array): number {
  return bytes.indexOf(RECORD_SEPARATOR);
}

/** Parses the handshake text (without its separator). */
export function parseHandshake(text: string): HandshakeRequest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: "malformed", error: "The handshake request is not valid JSON." };
  }
  if (typeof value !== "object" || value === null) return { kind: "malformed", error: "The handshake request must be a JSON object." };
  const { protocol, version } = value as { protocol?: unknown; version?: unknown };
  if (typeof protocol !== "string") return { kind: "malformed", error: "The handshake request has no 'protocol'." };
  if (typeof version !== "number" || !Number.isInteger(version)) return { kind: "malformed", error: "The handshake request has no integer 'version'." };
  if (protocol !== "json" && protocol !== "messagepack") return { kind: "unsupported", error: `Requested protocol '${protocol}' is not available.` };
  // Both protocols are at version 1; 10.x clients declare 2 but send 1 unless stateful reconnect was negotiated.
  if (version < 1 || version > 2) return { kind: "unsupported", error: `The server does not support version ${version} of the '${protocol}' protocol.` };
  return { kind: "ok", protocol, version };
}

export function handshakeResponse(error?: string): string {
  return `${error === undefined ? "{}" : JSON.stringify({ error })}${String.fromCharCode(RECORD_SEPARATOR)}`;
}

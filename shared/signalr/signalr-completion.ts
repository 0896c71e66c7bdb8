import { encode } from "@msgpack/msgpack";
import type { HubProtocolName } from "./signalr-upstream-request";

/** How an invocation ended: a value, an error text, or nothing (a void method). */
export type InvocationOutcome = { kind: "result"; value: unknown } | { kind: "error"; message: string } | { kind: "void" };

/** MessagePack Completion result kinds (hub protocol). */
const resultKind = { error: 1, void: 2, result: 3 } as const;

/**
 * A framed Completion in the caller's protocol, the body the service relays to the client as is:
 * JSON text plus the 0x1E record separator, or a VarInt length prefix plus a MessagePack array.
 */
export function encodeCompletion(protocol: HubProtocolName, invocationId: string, outcome: InvocationOutcome): Buffer {
  switch (protocol) {
    case "json": {
      const message: Record<string, unknown> = { type: 3, invocationId };
      if (outcome.kind === "result") message.result = outcome.value ?? null;
      if (outcome.kind === "error") message.error = outcome.message;
      return Buffer.from(`${JSON.stringify(message)}\u001e`, "utf8");
    }
    case "messagepack": {
      const message =
        outcome.kind === "result"
          ? [3, {}, invocationId, resultKind.result, outcome.value ?? null]
          : outcome.kind === "error"
            ? [3, {}, invocationId, resultKind.error, outcome.message]
            : [3, {}, invocationId, resultKind.void];
      const bytes = encode(message);
      return Buffer.concat([varIntLength(bytes.length), bytes]);
    }
    default: {
      const _never: never = protocol;
      throw new Error(`unknown protocol ${String(_never)}`);
    }
  }
}

/** Little-endian base-128 length, 7 bits per byte, high bit = more (at most 5 bytes). */
export function varIntLength(length: number): Buffer {
  const bytes: number[] = [];
  let rest = length;
  do {
    let byte = rest & 0x7f;
    rest >>>= 7;
    if (rest > 0) byte |= 0x80;
    bytes.push(byte);
  } while (rest > 0);
  return Buffer.from(bytes);
}

/** The media type of a Completion body in each protocol. */
export function completionContentType(protocol: HubProtocolName): string {
  return protocol === "json" ? "application/json" : "application/x-msgpack";
}

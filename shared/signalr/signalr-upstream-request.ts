import { decode } from "@msgpack/msgpack";
import { mediaTypeOf } from "../../common/content-type";
import { AppError } from "../errors";
import type { HeaderSource } from "../cloud-events-request";
import { decodeHeaderText } from "../../common/header-text";

/** The hub protocol a client speaks; an invocation's Completion goes back in the same one. */
export type HubProtocolName = "json" | "messagepack";

/** What the `X-ASRS-*` headers say about the connection an upstream request is for. */
export interface UpstreamContext {
  connectionId: string;
  hub: string;
  category: string;
  event: string;
  userId: string | null;
}

/** One upstream request, keyed by `kind` so the trigger switches over it exhaustively. */
export type UpstreamEvent =
  | { kind: "connected"; context: UpstreamContext }
  | { kind: "disconnected"; context: UpstreamContext; error: string | null }
  | {
      kind: "invocation";
      context: UpstreamContext;
      protocol: HubProtocolName;
      /** Absent for `connection.send(...)`; present for `connection.invoke(...)`, which waits for a Completion. */
      invocationId: string | undefined;
      target: string;
      arguments: unknown[];
    };

const recordSeparator = 0x1e;

/**
 * Reads the headers a signature check needs, before the body. Throws `InvalidUpstreamRequest` (400).
 * The user id and the event (a client's method name) may be any Unicode, sent as UTF-8 bytes.
 */
export function readUpstreamContext(headers: HeaderSource): UpstreamContext {
  return {
    connectionId: required(headers, "x-asrs-connection-id"),
    hub: required(headers, "x-asrs-hub"),
    category: required(headers, "x-asrs-category"),
    event: decodeHeaderText(required(headers, "x-asrs-event")),
    userId: decodeHeaderText(headers.get("x-asrs-user-id") ?? "") || null,
  };
}

/**
 * Turns the context and the body into one typed event. `connections` bodies are JSON
 * (`{"type":10}`, `{"type":11,"error":…}`); `messages` bodies are the client's invocation as it sent
 * it, without framing: JSON (`application/json`) or a MessagePack array (`application/x-msgpack`).
 * Unsupported media types are 415, malformed bodies 400.
 */
export function parseUpstreamEvent(context: UpstreamContext, contentType: string | null, body: Uint8Array): UpstreamEvent {
  const protocol = protocolOf(contentType);
  switch (context.category.toLowerCase()) {
    case "connections": {
      const event = context.event.toLowerCase();
      if (event === "connected") return { kind: "connected", context };
      if (event === "disconnected") {
        const parsed = protocol === "json" && body.length > 0 ? jsonObject(body) : {};
        // The local emulator of Microsoft writes PascalCase keys; the extension reads either.
        const error = parsed.error ?? parsed.Error;
        return { kind: "disconnected", context, error: typeof error === "string" && error !== "" ? error : null };
      }
      throw invalid(`connections event ${JSON.stringify(context.event)} is not connected or disconnected`);
    }
    case "messages": {
      const invocation = protocol === "json" ? jsonInvocation(body) : msgpackInvocation(body);
      // The Functions extension refuses an invocation whose target differs from X-ASRS-Event.
      if (invocation.target.toLowerCase() !== context.event.toLowerCase()) {
        throw invalid(`the invocation's target ${JSON.stringify(invocation.target)} is not the X-ASRS-Event ${JSON.stringify(context.event)}`);
      }
      return { kind: "invocation", context, protocol, ...invocation };
    }
    default:
      throw invalid(`category ${JSON.stringify(context.category)} is not connections or messages`);
  }
}

function protocolOf(contentType: string | null): HubProtocolName {
  const media = mediaTypeOf(contentType);
  if (media === "application/json") return "json";
  if (media === "application/x-msgpack") return "messagepack";
  throw new AppError("UnsupportedContentType", `An upstream request must be application/json or application/x-msgpack, not ${JSON.stringify(media || "(none)")}.`);
}

type ParsedInvocation = { invocationId: string | undefined; target: string; arguments: unknown[] };

function jsonInvocation(body: Uint8Array): ParsedInvocation {
  // Tolerate the record separator a framed message would carry.
  const end = body.length > 0 && body[body.length - 1] === recordSeparator ? body.length - 1 : body.length;
  const message = jsonObject(body.subarray(0, end));
  if (message.type !== 1) throw invalid(`message type ${JSON.stringify(message.type)} is not an invocation (1)`);
  return invocationFields(message.invocationId, message.target, message.arguments);
}

function msgpackInvocation(body: Uint8Array): ParsedInvocation {
  let message: unknown;
  try {
    message = decode(body);
  } catch {
    throw invalid("the body is not MessagePack");
  }
  // [1, headers, invocationId | nil, target, arguments, streamIds?]
  if (!Array.isArray(message) || message[0] !== 1 || message.length < 5) throw invalid("the body is not a MessagePack invocation [1, headers, id, target, arguments]");
  return invocationFields(message[2] ?? undefined, message[3], message[4]);
}

function invocationFields(invocationId: unknown, target: unknown, args: unknown): ParsedInvocation {
  if (invocationId !== undefined && typeof invocationId !== "string") throw invalid("invocationId must be a string");
  if (typeof target !== "string" || target === "") throw invalid("the invocation has no target");
  if (!Array.isArray(args)) throw invalid("the invocation's arguments are not an array");
  return { invocationId, target, arguments: args };
}

function jsonObject(body: Uint8Array): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8"));
  } catch {
    throw invalid("the body is not JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw invalid("the body is not a JSON object");
  return parsed as Record<string, unknown>;
}

function required(headers: HeaderSource, name: string): string {
  const value = headers.get(name);
  if (!value) throw invalid(`the ${name} header is missing`);
  return value;
}

function invalid(reason: string): AppError {
  return new AppError("InvalidUpstreamRequest", `Not a SignalR upstream request: ${reason}.`);
}

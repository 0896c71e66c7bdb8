import { dataTypeOfMediaType, mediaTypeOf } from "../common/content-type";
import { AppError } from "./errors";
import { decodeHeaderText } from "../common/header-text";

/** Header lookup, case-insensitive (Fetch `Headers`, as Functions' `HttpRequest.headers`). */
export interface HeaderSource {
  get(name: string): string | null;
}

/** What every Web PubSub CloudEvent says about its connection. */
export interface CloudEventContext {
  hub: string;
  connectionId: string;
  eventName: string;
  userId: string | null;
  /** `WebHook-Request-Origin`: `host[:port]` of the service. */
  origin: string;
  /** Decoded `ce-connectionState`, or `{}`. */
  states: Record<string, unknown>;
}

export type UserEventDataType = "json" | "text" | "binary";

export interface ConnectEventBody {
  claims: Record<string, string[]>;
  query: Record<string, string[]>;
  headers: Record<string, string[]>;
  subprotocols: string[];
}

/** One incoming event, keyed by `kind` so handlers switch over it exhaustively. */
export type CloudEvent =
  | { kind: "connect"; context: CloudEventContext; body: ConnectEventBody }
  | { kind: "connected"; context: CloudEventContext }
  | { kind: "disconnected"; context: CloudEventContext; reason: string }
  /** Group presence (`azure.webpubsub.gp.joined` / `.left`): the connection joined or left `group`. */
  | { kind: "joined" | "left"; context: CloudEventContext; group: string }
  | { kind: "user"; context: CloudEventContext; dataType: UserEventDataType; data: Buffer };

/**
 * Reads the headers that decide whether and how an event is handled, before its body is read:
 * everything a signature check needs. Throws `AppError("InvalidCloudEvent")` (400).
 */
export function readCloudEventContext(headers: HeaderSource): CloudEventContext & { type: string } {
  if (headers.get("ce-awpsversion") === null) throw invalid("the ce-awpsversion header is missing");
  const origin = headers.get("webhook-request-origin");
  if (!origin) throw invalid("the WebHook-Request-Origin header is missing");
  const type = required(headers, "ce-type");
  if (!type.startsWith("azure.webpubsub.")) throw invalid(`ce-type ${JSON.stringify(type)} is not a Web PubSub event`);
  return {
    type,
    hub: required(headers, "ce-hub"),
    connectionId: required(headers, "ce-connectionid"),
    // The service sends client-chosen names as UTF-8 bytes; Headers hands them over as Latin-1.
    eventName: decodeHeaderText(required(headers, "ce-eventname")),
    userId: decodeHeaderText(headers.get("ce-userid") ?? "") || null,
    origin,
    states: decodeConnectionState(headers.get("ce-connectionstate")),
  };
}

/** Turns the context and the (capped) body into one typed event. Throws `InvalidCloudEvent` (400). */
export function parseCloudEvent(context: CloudEventContext & { type: string }, contentType: string | null, body: Buffer): CloudEvent | undefined {
  const { type, ...rest } = context;
  switch (type) {
    case "azure.webpubsub.sys.connect":
      return { kind: "connect", context: rest, body: parseConnectBody(body) };
    case "azure.webpubsub.sys.connected":
      return { kind: "connected", context: rest };
    case "azure.webpubsub.sys.disconnected": {
      const parsed = parseJsonObject(body, "disconnected");
      return { kind: "disconnected", context: rest, reason: typeof parsed.reason === "string" ? parsed.reason : "" };
    }
    case "azure.webpubsub.gp.joined":
    case "azure.webpubsub.gp.left": {
      const parsed = parseJsonObject(body, type.slice("azure.webpubsub.gp.".length));
      if (typeof parsed.group !== "string" || parsed.group.length === 0) throw new AppError("InvalidCloudEvent", `A ${type} event needs a "group" string in its body.`);
      return { kind: type === "azure.webpubsub.gp.joined" ? "joined" : "left", context: rest, group: parsed.group };
    }
    default:
      if (type.startsWith("azure.webpubsub.user.")) return { kind: "user", context: rest, dataType: userDataType(contentType), data: body };
      // Newer system events (e.g. gp.joined) are acknowledged and ignored: forward compatible.
      return undefined;
  }
}

/** `ce-connectionState` is base64 of a JSON object (what the express SDK's `setState` writes). */
export function decodeConnectionState(header: string | null): Record<string, unknown> {
  if (!header) return {};
  try {
    const parsed: unknown = JSON.parse(Buffer.from(header, "base64").toString("utf8"));
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export function encodeConnectionState(states: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(states), "utf8").toString("base64");
}

function userDataType(contentType: string | null): UserEventDataType {
  const media = mediaTypeOf(contentType);
  const dataType = dataTypeOfMediaType(media);
  if (!dataType) throw invalid(`a user event must be application/json, text/plain or application/octet-stream, not ${JSON.stringify(media)}`);
  return dataType;
}

function parseConnectBody(body: Buffer): ConnectEventBody {
  const parsed = parseJsonObject(body, "connect");
  return {
    claims: stringLists(parsed.claims),
    query: stringLists(parsed.query),
    headers: stringLists(parsed.headers),
    subprotocols: Array.isArray(parsed.subprotocols) ? parsed.subprotocols.filter((s): s is string => typeof s === "string") : [],
  };
}

function parseJsonObject(body: Buffer, event: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = body.length === 0 ? {} : JSON.parse(body.toString("utf8"));
  } catch {
    throw invalid(`the ${event} event body is not JSON`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw invalid(`the ${event} event body is not a JSON object`);
  return parsed as Record<string, unknown>;
}

/** `{name: [values]}`, tolerating single strings (other SDKs may send one value). */
function stringLists(value: unknown): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  if (typeof value !== "object" || value === null) return result;
  for (const [key, entry] of Object.entries(value)) {
    if (Array.isArray(entry)) result[key] = entry.filter((v): v is string => typeof v === "string");
    else if (typeof entry === "string") result[key] = [entry];
  }
  return result;
}

function required(headers: HeaderSource, name: string): string {
  const value = headers.get(name);
  if (!value) throw invalid(`the ${name} header is missing`);
  return value;
}

function invalid(reason: string): AppError {
  return new AppError("InvalidCloudEvent", `Not a Web PubSub CloudEvent: ${reason}.`);
}

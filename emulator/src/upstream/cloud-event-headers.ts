import { signConnectionId } from "../../../common/cloud-events-signature";
import { dataTypeOfMediaType, mediaTypeOf } from "../../../common/content-type";
import { encodeHeaderText } from "../../../common/header-text";
import type { DataType } from "../cluster/commands";
import type { SystemEventName } from "./upstream-settings";

/** Everything the headers of one event are built from (no I/O: ids and time come in). */
export interface CloudEventHeaderInput {
  event: { kind: "system"; name: SystemEventName } | { kind: "user"; name: string };
  hub: string;
  connectionId: string;
  userId: string | null;
  subprotocol?: string;
  connectionState?: string;
  /** `ce-id`. */
  id: string;
  /** `ce-time`, ms since epoch. */
  time: number;
  /** `host[:port]` of the service's public endpoint. */
  origin: string;
  accessKeys: readonly string[];
  contentType: string;
}

/** `ce-type` of an event. */
export function cloudEventType(event: CloudEventHeaderInput["event"]): string {
  switch (event.kind) {
    case "system":
      // Group presence has its own family: azure.webpubsub.gp.joined / .left.
      return event.name === "joined" || event.name === "left" ? `azure.webpubsub.gp.${event.name}` : `azure.webpubsub.sys.${event.name}`;
    case "user":
      return `azure.webpubsub.user.${event.name}`;
    default: {
      const _never: never = event;
      return _never;
    }
  }
}

/**
 * The full header set of a Web PubSub CloudEvent; optional headers are left out when they have no
 * value. Values a client chose (user id, event name, subprotocol) go through `encodeHeaderText`, so
 * no name can make the request unsendable.
 */
export function buildCloudEventHeaders(input: CloudEventHeaderInput): Record<string, string> {
  const headers: Record<string, string> = {
    "ce-specversion": "1.0",
    "ce-awpsversion": "1.0",
    "ce-type": encodeHeaderText(cloudEventType(input.event)),
    "ce-source": `/hubs/${input.hub}/client/${input.connectionId}`,
    "ce-id": input.id,
    "ce-time": new Date(input.time).toISOString(),
    "ce-hub": input.hub,
    "ce-connectionId": input.connectionId,
    "ce-eventName": encodeHeaderText(input.event.name),
    "ce-signature": signConnectionId(input.accessKeys, input.connectionId),
    "WebHook-Request-Origin": input.origin,
    "Content-Type": input.contentType,
  };
  if (input.userId !== null && input.userId !== "") headers["ce-userId"] = encodeHeaderText(input.userId);
  if (input.subprotocol) headers["ce-subprotocol"] = encodeHeaderText(input.subprotocol);
  if (input.connectionState) headers["ce-connectionState"] = encodeHeaderText(input.connectionState);
  return headers;
}

/** Content-Type of a user event body: json, text or octet-stream. */
export function contentTypeForDataType(dataType: DataType): string {
  switch (dataType) {
    case "json":
      return "application/json";
    case "text":
      return "text/plain";
    case "binary":
      return "application/octet-stream";
    default: {
      const _never: never = dataType;
      return _never;
    }
  }
}

/**
 * Data type of a user event response from its Content-Type (parameters stripped). The express SDK
 * sends anything that is not json or text as `application/octet-stream`, so the rest is binary.
 */
export function dataTypeForContentType(contentType: string | undefined): DataType {
  return dataTypeOfMediaType(mediaTypeOf(contentType)) ?? "binary";
}

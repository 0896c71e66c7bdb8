import type { WebPubSubServiceClient } from "@azure/web-pubsub";
import type { MessagePayload } from "./message-payload";
import type { SendOptions, SendTarget } from "./send-request";

type JsonValue = string | number | boolean | object;

/** Hands one message to the service SDK for the given target; the SDK picks the REST call. */
export async function deliverMessage(
  service: WebPubSubServiceClient,
  target: SendTarget,
  payload: MessagePayload,
  options: SendOptions,
): Promise<void> {
  const ttl = options.messageTtlSeconds === undefined ? {} : { messageTtlSeconds: options.messageTtlSeconds };
  const filter = options.filter === undefined ? {} : { filter: options.filter };
  const excluded = options.excluded.length > 0 ? { excludedConnections: options.excluded } : {};
  switch (target.kind) {
    case "all": {
      const common = { ...excluded, ...filter, ...ttl };
      return payload.dataType === "text"
        ? service.sendToAll(payload.text, { ...common, contentType: "text/plain" })
        : service.sendToAll(sdkBody(payload), common);
    }
    case "group": {
      const group = service.group(target.group);
      const common = { ...excluded, ...filter, ...ttl };
      return payload.dataType === "text"
        ? group.sendToAll(payload.text, { ...common, contentType: "text/plain" })
        : group.sendToAll(sdkBody(payload), common);
    }
    case "user": {
      const common = { ...filter, ...ttl };
      return payload.dataType === "text"
        ? service.sendToUser(target.userId, payload.text, { ...common, contentType: "text/plain" })
        : service.sendToUser(target.userId, sdkBody(payload), common);
    }
    case "connection":
      return payload.dataType === "text"
        ? service.sendToConnection(target.connectionId, payload.text, { ...ttl, contentType: "text/plain" })
        : service.sendToConnection(target.connectionId, sdkBody(payload), ttl);
    default: {
      const unknownTarget: never = target;
      throw new Error(`unknown target ${JSON.stringify(unknownTarget)}`);
    }
  }
}

/** JSON goes as the parsed value (the SDK re-serialises it); binary as raw bytes. */
function sdkBody(payload: Exclude<MessagePayload, { dataType: "text" }>): JsonValue | Buffer {
  return payload.dataType === "json" ? (payload.value as JsonValue) : payload.data;
}

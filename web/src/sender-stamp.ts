/**
 * Messages the function app stamped (`?stamp=sender`): `{ sentBy: { userId, via }, dataType, data }`.
 * Pure: unwraps one for the log, naming the node it came through when the page knows the nodes.
 */
export interface StampedMessage {
  userId: string | null;
  via: string;
  dataType: "json" | "text" | "binary";
  data: unknown;
}

export function unwrapStamp(dataType: string, data: unknown): StampedMessage | undefined {
  if (dataType !== "json" || typeof data !== "object" || data === null) return undefined;
  const message = data as { sentBy?: { userId?: unknown; via?: unknown }; dataType?: unknown; data?: unknown };
  const sentBy = message.sentBy;
  if (typeof sentBy !== "object" || sentBy === null || typeof sentBy.via !== "string") return undefined;
  if (sentBy.userId !== null && typeof sentBy.userId !== "string") return undefined;
  if (message.dataType !== "json" && message.dataType !== "text" && message.dataType !== "binary") return undefined;
  if (message.dataType === "binary") {
    if (typeof message.data !== "string") return undefined;
    const bytes = Uint8Array.from(atob(message.data), (char) => char.charCodeAt(0));
    return { userId: sentBy.userId, via: sentBy.via, dataType: "binary", data: bytes.buffer };
  }
  return { userId: sentBy.userId, via: sentBy.via, dataType: message.dataType, data: message.data };
}

/** "alice via node 2", "an anonymous caller via localhost:7071". */
export function describeSender(stamp: StampedMessage, nodeOfHost: (host: string) => number | undefined): string {
  const who = stamp.userId ?? "an anonymous caller";
  const node = nodeOfHost(stamp.via);
  return `${who} via ${node === undefined ? stamp.via : `node ${node}`}`;
}

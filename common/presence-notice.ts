/**
 * The small JSON notice a group's members receive when a connection joins or leaves it: the
 * function app's events trigger sends it on the service's group presence events, and the web page
 * refreshes its member list on it. Pure; shared by the function app and the page.
 */
export type PresenceChange = "joined" | "left";

export interface PresenceNotice {
  presence: { group: string; change: PresenceChange; userId: string };
}

export function presenceNotice(group: string, change: PresenceChange, userId: string): PresenceNotice {
  return { presence: { group, change, userId } };
}

/** The notice inside a received message, or undefined for any other message. */
export function readPresenceNotice(data: unknown): PresenceNotice["presence"] | undefined {
  if (typeof data !== "object" || data === null) return undefined;
  const inner = (data as { presence?: unknown }).presence;
  if (typeof inner !== "object" || inner === null) return undefined;
  const { group, change, userId } = inner as Record<string, unknown>;
  if (typeof group !== "string" || (change !== "joined" && change !== "left") || typeof userId !== "string") return undefined;
  return { group, change, userId };
}

/** Bytes the notice weighs on the wire (JSON as the function app serialises it). */
export function noticeBytes(notice: PresenceNotice["presence"]): number {
  return new TextEncoder().encode(JSON.stringify({ presence: notice })).byteLength;
}

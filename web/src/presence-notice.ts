/**
 * The small JSON notice a page sends to a group (through the send trigger) when it joins or
 * leaves, so the other members refresh their member lists, and what such a refresh costs. Pure.
 */
import { billedUnits } from "../../common/billing-units";

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

/** Bytes the notice weighs on the wire: the send trigger re-serialises JSON with JSON.stringify. */
export function noticeBytes(notice: PresenceNotice["presence"]): number {
  return new TextEncoder().encode(JSON.stringify({ presence: notice })).byteLength;
}

export interface RefreshCost {
  /** Billed messages the notice cost: one delivery per member, ceil(bytes / 2048) each. */
  billed: number;
  text: string;
}

const count = new Intl.NumberFormat("en-US");

/** What a refresh triggered by a notice of `bytes` to `recipients` connections cost. */
export function refreshCost(notice: PresenceNotice["presence"], recipients: number): RefreshCost {
  const bytes = noticeBytes(notice);
  const units = billedUnits(bytes);
  const billed = recipients * units;
  return {
    billed,
    text:
      `Refreshed after ${notice.userId} ${notice.change}: the ${count.format(bytes)}-byte notice went to ${count.format(recipients)} ` +
      `connection(s) × ${units} = ${count.format(billed)} billed message(s); listing the members is a REST call, not a billed message.`,
  };
}

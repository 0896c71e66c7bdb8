/**
 * Presence: who is in a group (connection id and user id, page by page), how many, and whether a
 * user is online. The functions read it through `PresenceSource`, so any realtime service that
 * can list a group's connections and check a user can answer it (`web-pubsub-presence.ts` is the
 * Web PubSub one). Bounded: one page is at most `MAX_MEMBERS_PAGE` members, and a count stops at
 * its cap (at most `MAX_COUNT_CAP`), reading at most cap / 200 + 1 pages.
 */
import { AppError } from "./errors";

export interface GroupMember {
  connectionId: string;
  /** null for an anonymous connection. */
  userId: string | null;
}

export interface GroupMembersPage {
  members: GroupMember[];
  /** Pass back for the next page; null on the last page. Opaque: only the service that issued it understands it. */
  continuationToken: string | null;
}

export interface MembersPageRequest {
  /** 1 to `MAX_MEMBERS_PAGE`. */
  maxPageSize: number;
  continuationToken?: string;
  /** Stop after this many members in all (the count uses it to stop at its cap). */
  top?: number;
}

/** What presence needs from a realtime service. */
export interface PresenceSource {
  groupMembersPage(group: string, request: MembersPageRequest): Promise<GroupMembersPage>;
  userExists(userId: string): Promise<boolean>;
}

/** Members per page when the caller gives none. */
export const DEFAULT_MEMBERS_PAGE = 100;
/** The most members one page holds (the service REST API's own page-size limit). */
export const MAX_MEMBERS_PAGE = 200;
/** Where a count stops when the caller gives no cap. */
export const DEFAULT_COUNT_CAP = 10_000;
/** The highest cap a caller may ask for. */
export const MAX_COUNT_CAP = 100_000;
/** Longest continuation token accepted back from a caller. */
export const MAX_CONTINUATION_TOKEN_LENGTH = 1024;

function integerParam(name: string, text: string | null, fallback: number, max: number): number {
  if (text === null) return fallback;
  if (!/^\d{1,9}$/.test(text) || Number(text) < 1 || Number(text) > max) {
    throw new AppError("InvalidQuery", `?${name}= must be an integer from 1 to ${max.toLocaleString("en-US")}.`, { parameter: name });
  }
  return Number(text);
}

/** `?maxPageSize=` (1-200, default 100) and `?continuationToken=` of a members request. */
export function parseMembersPageQuery(query: URLSearchParams): MembersPageRequest {
  const maxPageSize = integerParam("maxPageSize", query.get("maxPageSize"), DEFAULT_MEMBERS_PAGE, MAX_MEMBERS_PAGE);
  const token = query.get("continuationToken");
  if (token === null || token === "") return { maxPageSize };
  if (token.length > MAX_CONTINUATION_TOKEN_LENGTH || !/^[A-Za-z0-9\-_.~=+/%]+$/.test(token)) {
    throw new AppError("InvalidQuery", "?continuationToken= is not one this app issued.", { parameter: "continuationToken" });
  }
  return { maxPageSize, continuationToken: token };
}

/** `?cap=` of a count request: 1-100,000, default 10,000. */
export function parseCountCap(query: URLSearchParams): number {
  return integerParam("cap", query.get("cap"), DEFAULT_COUNT_CAP, MAX_COUNT_CAP);
}

export interface GroupCount {
  /** Members counted, at most `cap`. */
  count: number;
  /** True when the group has more than `cap` members (then `count` equals `cap`). */
  capped: boolean;
  cap: number;
}

/** Counts a group's connections page by page, stopping one past `cap` so a huge group costs a bounded read. */
export async function countGroupMembers(source: PresenceSource, group: string, cap: number, pageSize = MAX_MEMBERS_PAGE): Promise<GroupCount> {
  let count = 0;
  let continuationToken: string | undefined;
  for (;;) {
    const page = await source.groupMembersPage(group, {
      maxPageSize: pageSize,
      top: cap + 1 - count,
      ...(continuationToken === undefined ? {} : { continuationToken }),
    });
    count += page.members.length;
    if (count > cap) return { count: cap, capped: true, cap };
    if (page.continuationToken === null || page.members.length === 0) return { count, capped: false, cap };
    continuationToken = page.continuationToken;
  }
}

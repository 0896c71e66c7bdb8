import type { RestContext, RestResult } from "./rest-context";
import { restError } from "./rest-errors";
import { parseMaxPageSize, parseTop } from "./rest-validation";

/** Page size when the caller gives no `maxpagesize`. */
export const DEFAULT_PAGE_SIZE = 100;

/**
 * One page of a group's members. The continuation token is the last connectionId returned
 * (base64url), and members come sorted by connectionId, so a page never repeats or skips a
 * connection that stayed in the group. `nextLink` is absolute and carries the remaining `top`.
 */
export async function listGroupConnections(ctx: RestContext, hub: string, group: string): Promise<RestResult> {
  const pageSize = parseMaxPageSize(ctx.query.get("maxpagesize")) ?? DEFAULT_PAGE_SIZE;
  const top = parseTop(ctx.query.get("top"));
  const after = decodeContinuationToken(ctx.query.get("continuationToken"));
  const members = await ctx.service.groupConnections(hub, group);
  const start = after === undefined ? 0 : firstIndexAfter(members, after);
  const take = Math.min(pageSize, top ?? Infinity);
  const page = members.slice(start, start + take);
  const value = page.map((m) => (m.userId === null ? { connectionId: m.connectionId } : { connectionId: m.connectionId, userId: m.userId }));
  const remainingTop = top === undefined ? undefined : top - page.length;
  const more = start + page.length < members.length && (remainingTop === undefined || remainingTop > 0) && page.length > 0;
  if (!more) return { status: 200, json: { value } };
  const next = new URLSearchParams();
  next.set("api-version", ctx.query.get("api-version") ?? "2024-12-01");
  next.set("maxpagesize", String(pageSize));
  if (remainingTop !== undefined) next.set("top", String(remainingTop));
  next.set("continuationToken", Buffer.from(page[page.length - 1].connectionId, "utf8").toString("base64url"));
  const path = `/api/hubs/${encodeURIComponent(hub)}/groups/${encodeURIComponent(group)}/connections`;
  return { status: 200, json: { value, nextLink: `${ctx.origin}${path}?${next.toString()}` } };
}

function firstIndexAfter(members: ReadonlyArray<{ connectionId: string }>, after: string): number {
  const i = members.findIndex((m) => m.connectionId > after);
  return i < 0 ? members.length : i;
}

function decodeContinuationToken(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  const decoded = /^[A-Za-z0-9_-]+$/.test(token) ? Buffer.from(token, "base64url").toString("utf8") : "";
  if (decoded === "" || Buffer.from(decoded, "utf8").toString("base64url") !== token) {
    throw restError("InvalidContinuationToken", "The continuationToken was not issued by this service.");
  }
  return decoded;
}

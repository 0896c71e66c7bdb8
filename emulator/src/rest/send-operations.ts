import type { DeliveryTarget, OutboundData } from "../cluster/commands";
import { checkJsonBody, dataTypeOf, readBody } from "./rest-body";
import type { RestContext, RestResult } from "./rest-context";
import { RestHttpError } from "./rest-errors";
import { parseTtlSeconds, validateFilter } from "./rest-validation";

/**
 * The four sends of the REST API. Fire-and-forget: 202 even when no connection matches.
 * Query parameters are validated before the body is read, so a bad request costs no upload.
 */
export async function send(ctx: RestContext, hub: string, target: DeliveryTarget): Promise<RestResult> {
  const ttl = parseTtlSeconds(ctx.query.get("messageTtlSeconds"));
  const dataType = dataTypeOf(ctx.req.headers["content-type"]);
  const refusal = ctx.meter.admitMessage(hub);
  if (refusal) throw new RestHttpError(refusal.status, refusal.code, refusal.message);
  const body = await readBody(ctx.req, ctx.maxBodyBytes);
  if (dataType === "json") checkJsonBody(body);
  ctx.meter.inboundMessage(hub, "rest", body.length);
  const message: OutboundData = { from: "server", dataType, data: body };
  // 0 (the default) means the message never expires.
  if (ttl !== undefined && ttl > 0) message.expiresAt = ctx.now() + ttl * 1000;
  await ctx.service.execute(hub, { kind: "deliver", target, message });
  return { status: 202 };
}

/** `excluded` (repeated) and `filter`, for sendToAll and group sends. */
export function excludedAndFilter(ctx: RestContext): { excluded?: string[]; filter?: string } {
  const excluded = ctx.query.getAll("excluded");
  const filter = validateFilter(ctx.query.get("filter"));
  return { ...(excluded.length > 0 ? { excluded } : {}), ...(filter !== undefined ? { filter } : {}) };
}

export function filterOnly(ctx: RestContext): { filter?: string } {
  const filter = validateFilter(ctx.query.get("filter"));
  return filter !== undefined ? { filter } : {};
}

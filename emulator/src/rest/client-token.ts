import jwt from "jsonwebtoken";
import type { RestContext, RestResult } from "./rest-context";
import { validateUserId, parseIntegerParam } from "./rest-validation";

const MAX_MINUTES_TO_EXPIRE = 60 * 24 * 365;

/**
 * `:generateToken`: signs a client token exactly as the SDK does locally:
 * HS256 with the primary key, `aud` = `{origin}/client/hubs/{hub}` (or the mqtt/socketio path),
 * `sub` only for a user, `role` and `webpubsub.group` as arrays only when given.
 */
export function generateClientToken(ctx: RestContext, hub: string): RestResult {
  const userId = ctx.query.get("userId");
  if (userId !== undefined) validateUserId(userId);
  const roles = ctx.query.getAll("role");
  const groups = ctx.query.getAll("group");
  const minutes = parseIntegerParam("minutesToExpire", ctx.query.get("minutesToExpire"), 1, MAX_MINUTES_TO_EXPIRE) ?? 60;
  const payload: Record<string, unknown> = {};
  if (roles.length > 0) payload.role = roles;
  if (groups.length > 0) payload["webpubsub.group"] = groups;
  const iat = Math.floor(ctx.now() / 1000);
  payload.iat = iat;
  payload.exp = iat + minutes * 60;
  const token = jwt.sign(payload, ctx.accessKeys[0], {
    algorithm: "HS256",
    audience: `${ctx.origin}/${clientPath(ctx.query.get("clientType"), hub)}`,
    ...(userId ? { subject: userId } : {}),
  });
  return { status: 200, json: { token } };
}

function clientPath(clientType: string | undefined, hub: string): string {
  switch ((clientType ?? "default").toLowerCase()) {
    case "mqtt":
      return `clients/mqtt/hubs/${hub}`;
    case "socketio":
      return `clients/socketio/hubs/${hub}`;
    default:
      return `client/hubs/${hub}`;
  }
}

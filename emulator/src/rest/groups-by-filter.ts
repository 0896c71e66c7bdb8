import { checkJsonBody, dataTypeOf, readBody } from "./rest-body";
import type { RestContext } from "./rest-context";
import { restError } from "./rest-errors";
import { validateFilter, validateGroup } from "./rest-validation";

/** Body of `:addToGroups` / `:removeFromGroups`: `{"groups":[...],"filter":"..."}`. */
export async function readGroupsAndFilter(ctx: RestContext): Promise<{ groups: string[]; filter?: string }> {
  if (dataTypeOf(ctx.req.headers["content-type"]) !== "json") {
    throw restError("UnsupportedMediaType", "This operation takes an application/json body.");
  }
  const body = await readBody(ctx.req, ctx.maxBodyBytes);
  checkJsonBody(body);
  const parsed: unknown = JSON.parse(body.toString("utf8"));
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw restError("InvalidRequestBody", 'The body must be a JSON object {"groups": [...], "filter": "..."}.');
  }
  const { groups, filter } = parsed as { groups?: unknown; filter?: unknown };
  if (!Array.isArray(groups) || groups.length === 0 || !groups.every((g): g is string => typeof g === "string")) {
    throw restError("InvalidRequestBody", "The groups field must be a non-empty array of group names.");
  }
  groups.forEach((g) => validateGroup(g));
  if (filter !== undefined && filter !== null && typeof filter !== "string") {
    throw restError("InvalidRequestBody", "The filter field must be a string.");
  }
  const valid = validateFilter(filter ?? undefined);
  return { groups: [...new Set(groups)], ...(valid !== undefined ? { filter: valid } : {}) };
}

import type { Permission } from "../cluster/commands";
import { compileFilter, FilterSyntaxError } from "../odata/filter";
import { restError } from "./rest-errors";

/** Parameter constraints of the REST API. Pure: each returns the valid value or throws a RestHttpError. */

const HUB_NAME = /^[A-Za-z][A-Za-z0-9_`,.[\]]{0,127}$/;
export const MAX_GROUP_NAME_LENGTH = 1024;
export const MAX_TTL_SECONDS = 300;
export const MAX_PAGE_SIZE = 200;

export function validateHub(hub: string): string {
  if (!HUB_NAME.test(hub)) {
    throw restError("InvalidHubName", `Invalid hub name '${truncate(hub)}': it must match ^[A-Za-z][A-Za-z0-9_\`,.[\\]]{0,127}$.`);
  }
  return hub;
}

export function validateGroup(group: string, what = "group name"): string {
  if (group.length === 0 || group.length > MAX_GROUP_NAME_LENGTH || group.trim().length === 0) {
    throw restError("InvalidGroupName", `Invalid ${what} '${truncate(group)}': it must be 1-${MAX_GROUP_NAME_LENGTH} characters and not only whitespace.`);
  }
  return group;
}

export function validateUserId(userId: string): string {
  if (userId.length === 0) throw restError("InvalidUserId", "The user id must not be empty.");
  return userId;
}

export function validateConnectionId(connectionId: string): string {
  if (connectionId.length === 0) throw restError("InvalidConnectionId", "The connection id must not be empty.");
  return connectionId;
}

export function validatePermission(permission: string): Permission {
  if (permission === "sendToGroup" || permission === "joinLeaveGroup") return permission;
  throw restError("InvalidPermission", `Invalid permission '${truncate(permission)}': expected sendToGroup or joinLeaveGroup.`);
}

/** Validates an OData filter; absent or empty means no filter. */
export function validateFilter(filter: string | undefined): string | undefined {
  if (filter === undefined || filter === "") return undefined;
  try {
    compileFilter(filter);
  } catch (error) {
    if (error instanceof FilterSyntaxError) throw restError("InvalidFilter", error.message);
    throw error;
  }
  return filter;
}

/** An integer query parameter within [min, max]; undefined when absent. */
export function parseIntegerParam(name: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const value = /^[+]?\d{1,15}$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `between ${min} and ${max}`;
    throw restError("InvalidQueryParameter", `Invalid ${name} '${truncate(raw)}': it must be an integer ${range}.`);
  }
  return value;
}

export function parseTtlSeconds(raw: string | undefined): number | undefined {
  return parseIntegerParam("messageTtlSeconds", raw, 0, MAX_TTL_SECONDS);
}

export function parseMaxPageSize(raw: string | undefined): number | undefined {
  return parseIntegerParam("maxpagesize", raw, 1, MAX_PAGE_SIZE);
}

export function parseTop(raw: string | undefined): number | undefined {
  return parseIntegerParam("top", raw, 1, Number.MAX_SAFE_INTEGER);
}

/** Echoed names are cut so a 1 MB parameter does not come back in the error. */
function truncate(text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}...` : text;
}

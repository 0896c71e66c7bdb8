import { restError } from "./rest-errors";

/** One REST operation with its decoded path parameters (not yet validated). */
export type RestOperation =
  | { op: "sendToAll"; hub: string }
  | { op: "sendToUser"; hub: string; userId: string }
  | { op: "sendToConnection"; hub: string; connectionId: string }
  | { op: "sendToGroup"; hub: string; group: string }
  | { op: "addConnectionToGroup"; hub: string; group: string; connectionId: string }
  | { op: "removeConnectionFromGroup"; hub: string; group: string; connectionId: string }
  | { op: "addUserToGroup"; hub: string; userId: string; group: string }
  | { op: "removeUserFromGroup"; hub: string; userId: string; group: string }
  | { op: "removeUserFromAllGroups"; hub: string; userId: string }
  | { op: "removeConnectionFromAllGroups"; hub: string; connectionId: string }
  | { op: "closeAllConnections"; hub: string }
  | { op: "closeUserConnections"; hub: string; userId: string }
  | { op: "closeGroupConnections"; hub: string; group: string }
  | { op: "closeConnection"; hub: string; connectionId: string }
  | { op: "connectionExists"; hub: string; connectionId: string }
  | { op: "userExists"; hub: string; userId: string }
  | { op: "groupExists"; hub: string; group: string }
  | { op: "listConnectionsInGroup"; hub: string; group: string }
  | { op: "grantPermission"; hub: string; permission: string; connectionId: string }
  | { op: "revokePermission"; hub: string; permission: string; connectionId: string }
  | { op: "checkPermission"; hub: string; permission: string; connectionId: string }
  | { op: "addConnectionsToGroups"; hub: string }
  | { op: "removeConnectionsFromGroups"; hub: string }
  | { op: "generateClientToken"; hub: string };

export type RestOperationName = RestOperation["op"];

type Method = "GET" | "HEAD" | "PUT" | "POST" | "DELETE";

/** Path templates under `/api/`; `{name}` is a parameter, anything else a literal segment. */
const ROUTES: ReadonlyArray<readonly [Method, string, RestOperationName]> = [
  ["POST", "hubs/{hub}/:send", "sendToAll"],
  ["POST", "hubs/{hub}/:closeConnections", "closeAllConnections"],
  ["POST", "hubs/{hub}/:addToGroups", "addConnectionsToGroups"],
  ["POST", "hubs/{hub}/:removeFromGroups", "removeConnectionsFromGroups"],
  ["POST", "hubs/{hub}/:generateToken", "generateClientToken"],
  ["POST", "hubs/{hub}/users/{userId}/:send", "sendToUser"],
  ["POST", "hubs/{hub}/users/{userId}/:closeConnections", "closeUserConnections"],
  ["HEAD", "hubs/{hub}/users/{userId}", "userExists"],
  ["DELETE", "hubs/{hub}/users/{userId}/groups", "removeUserFromAllGroups"],
  ["PUT", "hubs/{hub}/users/{userId}/groups/{group}", "addUserToGroup"],
  ["DELETE", "hubs/{hub}/users/{userId}/groups/{group}", "removeUserFromGroup"],
  ["POST", "hubs/{hub}/connections/{connectionId}/:send", "sendToConnection"],
  ["HEAD", "hubs/{hub}/connections/{connectionId}", "connectionExists"],
  ["DELETE", "hubs/{hub}/connections/{connectionId}", "closeConnection"],
  ["DELETE", "hubs/{hub}/connections/{connectionId}/groups", "removeConnectionFromAllGroups"],
  ["POST", "hubs/{hub}/groups/{group}/:send", "sendToGroup"],
  ["POST", "hubs/{hub}/groups/{group}/:closeConnections", "closeGroupConnections"],
  ["HEAD", "hubs/{hub}/groups/{group}", "groupExists"],
  ["GET", "hubs/{hub}/groups/{group}/connections", "listConnectionsInGroup"],
  ["PUT", "hubs/{hub}/groups/{group}/connections/{connectionId}", "addConnectionToGroup"],
  ["DELETE", "hubs/{hub}/groups/{group}/connections/{connectionId}", "removeConnectionFromGroup"],
  ["PUT", "hubs/{hub}/permissions/{permission}/connections/{connectionId}", "grantPermission"],
  ["DELETE", "hubs/{hub}/permissions/{permission}/connections/{connectionId}", "revokePermission"],
  ["HEAD", "hubs/{hub}/permissions/{permission}/connections/{connectionId}", "checkPermission"],
];

const COMPILED = ROUTES.map(([method, template, op]) => ({ method, op, segments: template.split("/") }));

export type RouteMatch = { kind: "match"; operation: RestOperation } | { kind: "methodNotAllowed"; allow: string[] } | { kind: "notFound" };

/**
 * Matches a method and the RAW request path (no query) to an operation. The path is split on `/`
 * before each segment is decoded, so an encoded `%2F` stays inside its segment.
 * Throws InvalidPathEncoding for a segment that is not valid percent-encoding.
 */
export function matchRestRoute(method: string, rawPath: string): RouteMatch {
  if (!rawPath.startsWith("/api/")) return { kind: "notFound" };
  const parts = rawPath.slice("/api/".length).split("/");
  const allow: string[] = [];
  for (const route of COMPILED) {
    const params = matchSegments(route.segments, parts);
    if (!params) continue;
    if (route.method !== method) {
      allow.push(route.method);
      continue;
    }
    return { kind: "match", operation: { op: route.op, ...params } as RestOperation };
  }
  return allow.length > 0 ? { kind: "methodNotAllowed", allow } : { kind: "notFound" };
}

function matchSegments(template: string[], parts: string[]): Record<string, string> | undefined {
  if (template.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < template.length; i++) {
    const t = template[i];
    if (t.startsWith("{")) {
      params[t.slice(1, -1)] = decodeSegment(parts[i]);
    } else if (t !== parts[i]) {
      return undefined;
    }
  }
  return params;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw restError("InvalidPathEncoding", `The path segment '${segment}' is not valid percent-encoding.`);
  }
}

/** The SignalR data-plane operations, keyed by `op`, with their decoded path parameters. */
export type SignalROperation =
  | { op: "broadcast" }
  | { op: "sendToUser"; user: string }
  | { op: "sendToGroup"; group: string }
  | { op: "sendToConnection"; connection: string }
  | { op: "connectionExists"; connection: string }
  | { op: "userExists"; user: string }
  | { op: "groupExists"; group: string }
  | { op: "userInGroup"; user: string; group: string }
  | { op: "closeConnection"; connection: string }
  | { op: "closeAll" }
  | { op: "closeGroup"; group: string }
  | { op: "closeUser"; user: string }
  | { op: "addConnectionToGroup"; group: string; connection: string }
  | { op: "removeConnectionFromGroup"; group: string; connection: string }
  | { op: "removeConnectionFromAllGroups"; connection: string }
  | { op: "addUserToGroup"; user: string; group: string }
  | { op: "removeUserFromGroup"; user: string; group: string }
  | { op: "removeUserFromAllGroups"; user: string };

export type SignalRRouteMatch =
  | { kind: "operation"; hub: string; operation: SignalROperation }
  | { kind: "notFound" }
  | { kind: "methodNotAllowed"; allow: string[] }
  | { kind: "badEncoding" };

type Table = Partial<Record<string, SignalROperation>>;

/** Which operation each method selects for a path shape (after `/api[/v1]/hubs/{hub}`); `/api/v1` sends have no `:send` suffix. */
function table(rest: string[]): Table | undefined {
  const [a, b, c, d] = rest;
  const check = (op: SignalROperation): Table => ({ HEAD: op, GET: op });
  switch (rest.length) {
    case 0:
      return { POST: { op: "broadcast" } };
    case 1:
      if (a === ":send") return { POST: { op: "broadcast" } };
      if (a === ":closeConnections") return { POST: { op: "closeAll" } };
      return undefined;
    case 2:
      if (a === "users") return { POST: { op: "sendToUser", user: b! }, ...check({ op: "userExists", user: b! }) };
      if (a === "groups") return { POST: { op: "sendToGroup", group: b! }, ...check({ op: "groupExists", group: b! }) };
      if (a === "connections") {
        return { POST: { op: "sendToConnection", connection: b! }, DELETE: { op: "closeConnection", connection: b! }, ...check({ op: "connectionExists", connection: b! }) };
      }
      return undefined;
    case 3:
      if (a === "users" && c === ":send") return { POST: { op: "sendToUser", user: b! } };
      if (a === "users" && c === ":closeConnections") return { POST: { op: "closeUser", user: b! } };
      if (a === "users" && c === "groups") return { DELETE: { op: "removeUserFromAllGroups", user: b! } };
      if (a === "groups" && c === ":send") return { POST: { op: "sendToGroup", group: b! } };
      if (a === "groups" && c === ":closeConnections") return { POST: { op: "closeGroup", group: b! } };
      if (a === "connections" && c === ":send") return { POST: { op: "sendToConnection", connection: b! } };
      if (a === "connections" && c === "groups") return { DELETE: { op: "removeConnectionFromAllGroups", connection: b! } };
      return undefined;
    case 4:
      if (a === "users" && c === "groups") {
        return {
          PUT: { op: "addUserToGroup", user: b!, group: d! },
          DELETE: { op: "removeUserFromGroup", user: b!, group: d! },
          ...check({ op: "userInGroup", user: b!, group: d! }),
        };
      }
      if (a === "groups" && c === "users") return { PUT: { op: "addUserToGroup", user: d!, group: b! }, DELETE: { op: "removeUserFromGroup", user: d!, group: b! } };
      if (a === "groups" && c === "connections") {
        return { PUT: { op: "addConnectionToGroup", group: b!, connection: d! }, DELETE: { op: "removeConnectionFromGroup", group: b!, connection: d! } };
      }
      if (a === "connections" && c === "groups") {
        return { PUT: { op: "addConnectionToGroup", group: d!, connection: b! }, DELETE: { op: "removeConnectionFromGroup", group: d!, connection: b! } };
      }
      return undefined;
    default:
      return undefined;
  }
}

/** Matches `/api/hubs/{hub}/…` and `/api/v1/hubs/{hub}/…`; segments are split first, then decoded. */
export function matchSignalRRoute(method: string, path: string): SignalRRouteMatch {
  const raw = path.split("/").slice(1);
  const start = raw[0] === "api" && raw[1] === "hubs" ? 2 : raw[0] === "api" && raw[1] === "v1" && raw[2] === "hubs" ? 3 : -1;
  if (start < 0 || raw.length <= start) return { kind: "notFound" };
  let segments: string[];
  try {
    segments = raw.map((s) => decodeURIComponent(s));
  } catch {
    return { kind: "badEncoding" };
  }
  if (segments.length > start + 1 && segments[segments.length - 1] === "") segments.pop(); // a trailing slash
  const hub = segments[start]!;
  const routes = table(segments.slice(start + 1));
  if (!routes) return { kind: "notFound" };
  const operation = routes[method];
  if (!operation) return { kind: "methodNotAllowed", allow: Object.keys(routes) };
  return { kind: "operation", hub, operation };
}

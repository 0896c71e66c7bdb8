import { describe, expect, it } from "vitest";
import { routes } from "../../functions/routes";

describe("the route table", () => {
  it("holds the function app's triggers with their methods, routes and auth levels", () => {
    const mine = routes.filter((route) => !["events", "web", "signalr", "realtime"].some((prefix) => route.name.startsWith(prefix)));
    expect(mine.map(({ name, methods, route, authLevel }) => [name, methods.join("|"), route, authLevel])).toEqual([
      ["negotiate", "GET|POST", "negotiate", "anonymous"],
      ["send", "POST", "send", "function"],
      ["broadcast", "POST", "broadcast", "function"],
      ["groupUser", "PUT|DELETE", "groups/{group}/users/{userId}", "function"],
      ["groupConnection", "PUT|DELETE", "groups/{group}/connections/{connectionId}", "function"],
      ["userGroups", "DELETE", "users/{userId}/groups", "function"],
      ["connectionGroups", "DELETE", "connections/{connectionId}/groups", "function"],
      ["connection", "GET|HEAD|DELETE", "connections/{connectionId}", "function"],
      ["allConnections", "DELETE", "connections", "function"],
      ["user", "GET|HEAD", "users/{userId}", "function"],
      ["userConnections", "DELETE", "users/{userId}/connections", "function"],
      ["group", "GET|HEAD", "groups/{group}", "function"],
      ["groupConnections", "DELETE", "groups/{group}/connections", "function"],
      ["groupMembers", "GET", "groups/{group}/members", "function"],
      ["groupMemberCount", "GET", "groups/{group}/members/count", "function"],
      ["userOnline", "GET", "users/{userId}/online", "function"],
      ["joinGroup", "POST", "join-group", "anonymous"],
      ["leaveGroup", "POST", "leave-group", "anonymous"],
    ]);
  });

  it("has unique names and no two triggers answering the same method on the same route", () => {
    expect(new Set(routes.map((route) => route.name)).size).toBe(routes.length);
    const pairs = routes.flatMap((route) => route.methods.map((method) => `${method} ${route.route}`));
    expect(new Set(pairs).size).toBe(pairs.length);
  });
});

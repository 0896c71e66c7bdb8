import { describe, expect, it } from "vitest";
import { RestHttpError } from "../../../emulator/src/rest/rest-errors";
import { matchRestRoute, type RestOperation } from "../../../emulator/src/rest/rest-routes";

describe("matchRestRoute", () => {
  it.each<[string, string, RestOperation]>([
    ["POST", "/api/hubs/hub1/:send", { op: "sendToAll", hub: "hub1" }],
    ["POST", "/api/hubs/hub1/users/user%201%2Fx/:send", { op: "sendToUser", hub: "hub1", userId: "user 1/x" }],
    ["POST", "/api/hubs/hub1/connections/c1/:send", { op: "sendToConnection", hub: "hub1", connectionId: "c1" }],
    ["POST", "/api/hubs/hub1/groups/grp%201/:send", { op: "sendToGroup", hub: "hub1", group: "grp 1" }],
    ["POST", "/api/hubs/hub1/groups//:send", { op: "sendToGroup", hub: "hub1", group: "" }],
    ["PUT", "/api/hubs/h/groups/g/connections/c", { op: "addConnectionToGroup", hub: "h", group: "g", connectionId: "c" }],
    ["DELETE", "/api/hubs/h/groups/g/connections/c", { op: "removeConnectionFromGroup", hub: "h", group: "g", connectionId: "c" }],
    ["PUT", "/api/hubs/h/users/u/groups/g", { op: "addUserToGroup", hub: "h", userId: "u", group: "g" }],
    ["DELETE", "/api/hubs/h/users/u/groups/g", { op: "removeUserFromGroup", hub: "h", userId: "u", group: "g" }],
    ["DELETE", "/api/hubs/h/users/u/groups", { op: "removeUserFromAllGroups", hub: "h", userId: "u" }],
    ["DELETE", "/api/hubs/h/connections/c/groups", { op: "removeConnectionFromAllGroups", hub: "h", connectionId: "c" }],
    ["POST", "/api/hubs/h/:closeConnections", { op: "closeAllConnections", hub: "h" }],
    ["POST", "/api/hubs/h/users/u/:closeConnections", { op: "closeUserConnections", hub: "h", userId: "u" }],
    ["POST", "/api/hubs/h/groups/g/:closeConnections", { op: "closeGroupConnections", hub: "h", group: "g" }],
    ["DELETE", "/api/hubs/h/connections/c", { op: "closeConnection", hub: "h", connectionId: "c" }],
    ["HEAD", "/api/hubs/h/connections/c", { op: "connectionExists", hub: "h", connectionId: "c" }],
    ["HEAD", "/api/hubs/h/users/u", { op: "userExists", hub: "h", userId: "u" }],
    ["HEAD", "/api/hubs/h/groups/g", { op: "groupExists", hub: "h", group: "g" }],
    ["GET", "/api/hubs/h/groups/g/connections", { op: "listConnectionsInGroup", hub: "h", group: "g" }],
    ["PUT", "/api/hubs/h/permissions/sendToGroup/connections/c", { op: "grantPermission", hub: "h", permission: "sendToGroup", connectionId: "c" }],
    ["DELETE", "/api/hubs/h/permissions/joinLeaveGroup/connections/c", { op: "revokePermission", hub: "h", permission: "joinLeaveGroup", connectionId: "c" }],
    ["HEAD", "/api/hubs/h/permissions/x/connections/c", { op: "checkPermission", hub: "h", permission: "x", connectionId: "c" }],
    ["POST", "/api/hubs/h/:addToGroups", { op: "addConnectionsToGroups", hub: "h" }],
    ["POST", "/api/hubs/h/:removeFromGroups", { op: "removeConnectionsFromGroups", hub: "h" }],
    ["POST", "/api/hubs/h/:generateToken", { op: "generateClientToken", hub: "h" }],
    ["POST", "/api/hubs/my-hub/:send", { op: "sendToAll", hub: "my-hub" }],
  ])("%s %s", (method, path, operation) => {
    expect(matchRestRoute(method, path)).toEqual({ kind: "match", operation });
  });

  it.each([
    ["GET", "/api/hubs/h/:send", ["POST"]],
    ["GET", "/api/hubs/h/connections/c", ["HEAD", "DELETE"]],
    ["POST", "/api/hubs/h/groups/g/connections/c", ["PUT", "DELETE"]],
  ])("%s %s is not allowed", (method, path, allow) => {
    expect(matchRestRoute(method, path)).toEqual({ kind: "methodNotAllowed", allow });
  });

  it.each([
    ["POST", "/api/hubs/h/:sendx"],
    ["POST", "/api/hubs/h/users/u/v/:send"],
    ["GET", "/api/hubs"],
    ["GET", "/client/hubs/h"],
    ["POST", "/api/hubs/h/groups/g/:send/extra"],
  ])("%s %s is not found", (method, path) => {
    expect(matchRestRoute(method, path)).toEqual({ kind: "notFound" });
  });

  it("refuses a segment that is not valid percent-encoding", () => {
    let caught: unknown;
    try {
      matchRestRoute("POST", "/api/hubs/h/users/%E0%A4%A/:send");
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(RestHttpError);
    expect(caught).toMatchObject({ status: 400, code: "InvalidPathEncoding" });
  });
});

import type { HttpHandler } from "@azure/functions";
import { describe, expect, it } from "vitest";
import { createAllConnectionsHandler } from "../../functions/all-connections";
import { createConnectionHandler } from "../../functions/connection";
import { createConnectionGroupsHandler } from "../../functions/connection-groups";
import { createGroupHandler } from "../../functions/group";
import { createGroupConnectionHandler } from "../../functions/group-connection";
import { createGroupConnectionsHandler } from "../../functions/group-connections";
import { createGroupUserHandler } from "../../functions/group-user";
import { createUserHandler } from "../../functions/user";
import { createUserConnectionsHandler } from "../../functions/user-connections";
import { createUserGroupsHandler } from "../../functions/user-groups";
import type { TriggerDeps } from "../../functions/trigger-deps";
import { useLiveService } from "./support/live-service";
import { invoke } from "./support/trigger-harness";

const suite = useLiveService();
const connect = suite.connect;

function call(create: (deps: TriggerDeps) => HttpHandler, method: string, params: Record<string, string>, query = "") {
  return invoke(create(suite.deps), { method, path: `/api/x${query}`, params });
}

const status = async (promise: ReturnType<typeof call>) => (await promise).status;

describe("management triggers change what the service reports", () => {
  it("adds and removes a connection to and from a group", async () => {
    const live = await connect("gc1");
    const params = { group: "team a", connectionId: live.connectionId };
    expect(await call(createGroupHandler, "GET", { group: "team a" })).toMatchObject({ status: 404, body: { code: "GroupNotFound", message: 'Group "team a" has no connection.' } });
    expect(await status(call(createGroupConnectionHandler, "PUT", params))).toBe(204);
    expect(await call(createGroupHandler, "GET", { group: "team a" })).toMatchObject({ status: 200, body: { group: "team a", exists: true } });
    expect(await call(createGroupHandler, "HEAD", { group: "team a" })).toEqual({ status: 200, body: null, headers: {}, logs: [] });
    expect(await status(call(createGroupConnectionHandler, "DELETE", params))).toBe(204);
    expect(await call(createGroupHandler, "HEAD", { group: "team a" })).toEqual({ status: 404, body: null, headers: {}, logs: [] });
  });

  it("adds a user's connections to a group, then removes the user from one group and from all", async () => {
    await connect("gu1");
    await connect("gu1");
    expect(await status(call(createGroupUserHandler, "PUT", { group: "g1", userId: "gu1" }))).toBe(204);
    expect(await status(call(createGroupUserHandler, "PUT", { group: "g2", userId: "gu1" }))).toBe(204);
    expect([await status(call(createGroupHandler, "GET", { group: "g1" })), await status(call(createGroupHandler, "GET", { group: "g2" }))]).toEqual([200, 200]);
    expect(await status(call(createGroupUserHandler, "DELETE", { group: "g1", userId: "gu1" }))).toBe(204);
    expect([await status(call(createGroupHandler, "GET", { group: "g1" })), await status(call(createGroupHandler, "GET", { group: "g2" }))]).toEqual([404, 200]);
    expect(await status(call(createUserGroupsHandler, "DELETE", { userId: "gu1" }))).toBe(204);
    expect(await status(call(createGroupHandler, "GET", { group: "g2" }))).toBe(404);
  });

  it("removes one connection from all its groups", async () => {
    const live = await connect("cg1", ["h1", "h2"]);
    expect(await status(call(createGroupHandler, "GET", { group: "h1" }))).toBe(200);
    expect(await status(call(createConnectionGroupsHandler, "DELETE", { connectionId: live.connectionId }))).toBe(204);
    expect([await status(call(createGroupHandler, "GET", { group: "h1" })), await status(call(createGroupHandler, "GET", { group: "h2" }))]).toEqual([404, 404]);
  });

  it("checks and closes one connection", async () => {
    const [target, other] = [await connect("cc1"), await connect("cc1")];
    expect(await call(createConnectionHandler, "GET", { connectionId: target.connectionId })).toMatchObject({ status: 200, body: { connectionId: target.connectionId, exists: true } });
    expect(await status(call(createConnectionHandler, "DELETE", { connectionId: target.connectionId }, "?reason=bye"))).toBe(204);
    await target.disconnected;
    expect(await call(createConnectionHandler, "GET", { connectionId: target.connectionId })).toMatchObject({ status: 404, body: { code: "ConnectionNotFound" } });
    expect(await status(call(createConnectionHandler, "GET", { connectionId: other.connectionId }))).toBe(200);
  });

  it("adding a connection that does not exist to a group is the caller's 404, not a 502", async () => {
    expect(await call(createGroupConnectionHandler, "PUT", { group: "g404", connectionId: "no-such-connection" })).toMatchObject({
      status: 404,
      body: { code: "ConnectionNotFound", message: "Connection \"no-such-connection\" does not exist." },
    });
  });

  it("checks a user and closes all their connections", async () => {
    const [a, b] = [await connect("uc1"), await connect("uc1")];
    const bystander = await connect("uc2");
    expect(await call(createUserHandler, "GET", { userId: "uc1" })).toMatchObject({ status: 200, body: { userId: "uc1", exists: true } });
    expect(await status(call(createUserConnectionsHandler, "DELETE", { userId: "uc1" }))).toBe(204);
    await Promise.all([a.disconnected, b.disconnected]);
    expect(await call(createUserHandler, "GET", { userId: "uc1" })).toMatchObject({ status: 404, body: { code: "UserNotFound", message: 'User "uc1" has no connection.' } });
    expect(await status(call(createUserHandler, "GET", { userId: "uc2" }))).toBe(200);
    expect(await status(call(createConnectionHandler, "GET", { connectionId: bystander.connectionId }))).toBe(200);
  });

  it("closes a group's connections, then every connection", async () => {
    const [member, outsider] = [await connect("gx1", ["closing"]), await connect("gx2")];
    expect(await status(call(createGroupConnectionsHandler, "DELETE", { group: "closing" }))).toBe(204);
    await member.disconnected;
    expect(await status(call(createConnectionHandler, "GET", { connectionId: member.connectionId }))).toBe(404);
    expect(await status(call(createConnectionHandler, "GET", { connectionId: outsider.connectionId }))).toBe(200);
    expect(await status(call(createAllConnectionsHandler, "DELETE", {}))).toBe(204);
    await outsider.disconnected;
    expect(await status(call(createConnectionHandler, "GET", { connectionId: outsider.connectionId }))).toBe(404);
  });
});

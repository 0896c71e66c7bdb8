import { odata, WebPubSubServiceClient } from "@azure/web-pubsub";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createServer, type ServiceServer } from "../../../emulator/src/server";
import { barrier, JsonClient } from "./support/json-client";

let server: ServiceServer;
let hubCount = 0;
let hub: string;
let service: WebPubSubServiceClient;
let clients: JsonClient[] = [];

beforeAll(async () => {
  server = await createServer({ port: 0 });
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  for (const c of clients) c.close();
  clients = [];
});

/** Every test gets its own hub, so no connection of another test can receive its messages. */
async function setup(...users: Array<string | undefined>): Promise<JsonClient[]> {
  hub = `conformance${++hubCount}`;
  service = new WebPubSubServiceClient(server.connectionString, hub, { allowInsecureConnection: true });
  clients = await Promise.all(users.map((userId) => JsonClient.connect(service, userId ? { userId } : {})));
  return clients;
}

function withExcluded(excluded: string[], options: { reason?: string } = {}): { reason?: string } {
  return { ...options, excluded } as { reason?: string };
}

const serverMessage = (dataType: string, data: unknown) => ({ type: "message", from: "server", dataType, data });

describe("WebPubSubServiceClient sends", () => {
  it("sendToAll delivers json, text and binary to every connection", async () => {
    const all = await setup("alice", "bob", undefined);
    await service.sendToAll({ hello: "world", n: 1 });
    await service.sendToAll("plain text", { contentType: "text/plain" });
    await service.sendToAll(Buffer.from([0, 1, 2, 255]));
    await service.sendToAll("hi");
    await barrier(service, all);
    for (const c of all) {
      expect(c.serverMessages()).toEqual([
        serverMessage("json", { hello: "world", n: 1 }),
        serverMessage("text", "plain text"),
        serverMessage("binary", "AAEC/w=="),
        serverMessage("json", "hi"),
      ]);
    }
  });

  it("sendToAll skips excludedConnections", async () => {
    const [a, b, c] = await setup("alice", "bob", "carol");
    await service.sendToAll({ x: 1 }, { excludedConnections: [a.connectionId, c.connectionId] });
    await barrier(service, [a, b, c]);
    expect([a, b, c].map((k) => k.serverMessages().length)).toEqual([0, 1, 0]);
  });

  it("sendToAll honours an OData filter built with the SDK's odata tag, quotes included", async () => {
    const [a, v, anon] = await setup("alice", "vic's", undefined);
    await service.sendToAll("to vic", { contentType: "text/plain", filter: odata`userId eq ${"vic's"}` });
    await service.sendToAll("not vic", { contentType: "text/plain", filter: odata`userId ne ${"vic's"} and userId ne null` });
    await barrier(service, [a, v, anon]);
    expect(a.serverMessages()).toEqual([serverMessage("text", "not vic")]);
    expect(v.serverMessages()).toEqual([serverMessage("text", "to vic")]);
    expect(anon.serverMessages()).toEqual([]);
  });

  it("sendToAll accepts messageTtlSeconds 0-300 and refuses 301 with 400", async () => {
    const [a] = await setup("alice");
    await service.sendToAll("ttl", { contentType: "text/plain", messageTtlSeconds: 300 });
    await barrier(service, [a]);
    expect(a.serverMessages()).toEqual([serverMessage("text", "ttl")]);
    const error = await service.sendToAll("x", { contentType: "text/plain", messageTtlSeconds: 301 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ statusCode: 400, code: "InvalidQueryParameter", message: "Invalid messageTtlSeconds '301': it must be an integer between 0 and 300." });
  });

  it("sendToAll refuses a bad filter with 400 InvalidFilter", async () => {
    await setup();
    const error = await service.sendToAll({}, { filter: "userId eq" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ statusCode: 400, code: "InvalidFilter" });
  });

  it("sendToUser reaches every connection of the user, narrowed by filter", async () => {
    const [a1, a2, b] = await setup("alice", "alice", "bob");
    await service.sendToUser("alice", { to: "alice" });
    await service.sendToUser("alice", "one", { contentType: "text/plain", filter: odata`connectionId eq ${a2.connectionId}` });
    await service.sendToUser("nobody", { lost: true });
    await barrier(service, [a1, a2, b]);
    expect(a1.serverMessages()).toEqual([serverMessage("json", { to: "alice" })]);
    expect(a2.serverMessages()).toEqual([serverMessage("json", { to: "alice" }), serverMessage("text", "one")]);
    expect(b.serverMessages()).toEqual([]);
  });

  it("sendToConnection reaches only that connection; an unknown one still gets 202", async () => {
    const [a, b] = await setup("alice", "bob");
    await service.sendToConnection(b.connectionId, Buffer.from("bytes"));
    await service.sendToConnection("no-such-connection", "x", { contentType: "text/plain" });
    await barrier(service, [a, b]);
    expect(a.serverMessages()).toEqual([]);
    expect(b.serverMessages()).toEqual([serverMessage("binary", Buffer.from("bytes").toString("base64"))]);
  });
});

describe("WebPubSubGroup", () => {
  it("addConnection, addUser, sendToAll, listConnections (paged), removeConnection, removeUser", async () => {
    const [a, b1, b2, c] = await setup("alice", "bob", "bob", undefined);
    const group = service.group("room 1/x");
    await group.addConnection(a.connectionId);
    await group.addUser("bob");
    await group.addUser("user-without-connections");
    expect(await service.groupExists("room 1/x")).toBe(true);
    await group.sendToAll({ to: "group" });
    await group.sendToAll("not a", { contentType: "text/plain", excludedConnections: [a.connectionId] });
    await group.sendToAll("only b2", { contentType: "text/plain", filter: odata`connectionId eq ${b2.connectionId}` });
    await barrier(service, [a, b1, b2, c]);
    expect(a.serverMessages()).toEqual([serverMessage("json", { to: "group" })]);
    expect(b1.serverMessages()).toEqual([serverMessage("json", { to: "group" }), serverMessage("text", "not a")]);
    expect(b2.serverMessages()).toEqual([serverMessage("json", { to: "group" }), serverMessage("text", "not a"), serverMessage("text", "only b2")]);
    expect(c.serverMessages()).toEqual([]);

    const pages: string[][] = [];
    for await (const page of (await group.listConnections({ maxPageSize: 2 })).byPage()) {
      pages.push(page.map((m) => `${m.connectionId}:${m.userId}`));
    }
    const expected = [
      [a.connectionId, "alice"],
      [b1.connectionId, "bob"],
      [b2.connectionId, "bob"],
    ]
      .sort(([x], [y]) => (x < y ? -1 : 1))
      .map(([id, user]) => `${id}:${user}`);
    expect(pages).toEqual([expected.slice(0, 2), expected.slice(2)]);
    const capped: string[] = [];
    for await (const member of await group.listConnections({ maxPageSize: 1, top: 2 } as never)) capped.push(member.connectionId);
    expect(capped).toEqual(expected.slice(0, 2).map((e) => e.split(":")[0]));

    await group.removeConnection(a.connectionId);
    await group.removeUser("bob");
    expect(await service.groupExists("room 1/x")).toBe(false);
    const rest: string[] = [];
    for await (const member of await group.listConnections()) rest.push(member.connectionId);
    expect(rest).toEqual([]);
  });

  it("addConnection of an unknown connection is a 404 the SDK reports", async () => {
    await setup();
    const error = await service.group("g").addConnection("ghost").catch((e: unknown) => e);
    expect(error).toMatchObject({ statusCode: 404, code: "ConnectionNotFound" });
  });

  it("closeAllConnections closes the group's members except the excluded", async () => {
    const [a, b, c] = await setup("alice", "bob", "carol");
    const group = service.group("g");
    for (const k of [a, b]) await group.addConnection(k.connectionId);
    // `excluded` is missing from the public option types but the generated client sends it.
    await group.closeAllConnections(withExcluded([b.connectionId], { reason: "bye" }));
    await a.closed;
    expect(await service.connectionExists(a.connectionId)).toBe(false);
    expect([await service.connectionExists(b.connectionId), await service.connectionExists(c.connectionId)]).toEqual([true, true]);
  });
});

describe("WebPubSubServiceClient membership, existence and closes", () => {
  it("removeUserFromAllGroups and removeConnectionFromAllGroups (a missing connection is fine)", async () => {
    const [a, b] = await setup("alice", "bob");
    for (const g of ["g1", "g2"]) {
      await service.group(g).addUser("alice");
      await service.group(g).addConnection(b.connectionId);
    }
    await service.removeUserFromAllGroups("alice");
    await service.group("g1").sendToAll("after user removal", { contentType: "text/plain" });
    await service.removeConnectionFromAllGroups(b.connectionId);
    await service.removeConnectionFromAllGroups("ghost");
    await service.group("g2").sendToAll("after connection removal", { contentType: "text/plain" });
    await barrier(service, [a, b]);
    expect(a.serverMessages()).toEqual([]);
    expect(b.serverMessages()).toEqual([serverMessage("text", "after user removal")]);
    expect([await service.groupExists("g1"), await service.groupExists("g2")]).toEqual([false, false]);
  });

  it("connectionExists, userExists and groupExists answer true and false", async () => {
    const [a] = await setup("alice");
    await service.group("g").addConnection(a.connectionId);
    expect(await service.connectionExists(a.connectionId)).toBe(true);
    expect(await service.connectionExists("ghost")).toBe(false);
    expect(await service.userExists("alice")).toBe(true);
    expect(await service.userExists("bob")).toBe(false);
    expect(await service.groupExists("g")).toBe(true);
    expect(await service.groupExists("other")).toBe(false);
  });

  it("closeConnection, closeUserConnections and closeAllConnections close exactly their targets", async () => {
    const [a, b1, b2, c, d] = await setup("alice", "bob", "bob", "carol", "dave");
    await service.closeConnection(a.connectionId, { reason: "one" });
    expect((await a.closed).code).toBe(1000);
    await service.closeUserConnections("bob", withExcluded([b2.connectionId]));
    await b1.closed;
    await service.closeConnection("ghost");
    expect(await service.userExists("bob")).toBe(true);
    await service.closeAllConnections(withExcluded([d.connectionId]));
    await Promise.all([b2.closed, c.closed]);
    const alive = await Promise.all([a, b1, b2, c, d].map((k) => service.connectionExists(k.connectionId)));
    expect(alive).toEqual([false, false, false, false, true]);
  });
});

describe("permissions", () => {
  it("grantPermission lets a connection without roles join; revokePermission takes it back; hasPermission tracks both", async () => {
    const [a] = await setup("alice");
    const id = a.connectionId;
    expect(await service.hasPermission(id, "joinLeaveGroup", { targetName: "g" })).toBe(false);
    expect((await a.joinGroup("g")).success).toBe(false);
    await service.grantPermission(id, "joinLeaveGroup", { targetName: "g" });
    expect(await service.hasPermission(id, "joinLeaveGroup", { targetName: "g" })).toBe(true);
    expect(await service.hasPermission(id, "joinLeaveGroup", { targetName: "h" })).toBe(false);
    expect(await service.hasPermission(id, "sendToGroup", { targetName: "g" })).toBe(false);
    expect(await a.joinGroup("g")).toMatchObject({ type: "ack", success: true });
    await service.revokePermission(id, "joinLeaveGroup", { targetName: "g" });
    expect(await service.hasPermission(id, "joinLeaveGroup", { targetName: "g" })).toBe(false);
    await service.grantPermission(id, "sendToGroup");
    expect(await service.hasPermission(id, "sendToGroup", { targetName: "anything" })).toBe(true);
    const error = await service.grantPermission(id, "bogus" as never).catch((e: unknown) => e);
    expect(error).toMatchObject({ statusCode: 400, code: "InvalidPermission" });
  });
});

describe("addConnectionsToGroups / removeConnectionsFromGroups", () => {
  it("adds and removes the connections the filter selects", async () => {
    const [a1, a2, b] = await setup("alice", "alice", "bob");
    await service.addConnectionsToGroups(["g1", "g2"], odata`userId eq ${"alice"}`);
    await service.group("g1").sendToAll("g1", { contentType: "text/plain" });
    await service.group("g2").sendToAll("g2", { contentType: "text/plain" });
    await service.removeConnectionsFromGroups(["g2"], odata`connectionId eq ${a2.connectionId}`);
    await service.group("g2").sendToAll("g2 again", { contentType: "text/plain" });
    await barrier(service, [a1, a2, b]);
    expect(a1.serverMessages().map((m) => m.data)).toEqual(["g1", "g2", "g2 again"]);
    expect(a2.serverMessages().map((m) => m.data)).toEqual(["g1", "g2"]);
    expect(b.serverMessages()).toEqual([]);
    const error = await service.addConnectionsToGroups(["g"], "nonsense(").catch((e: unknown) => e);
    expect(error).toMatchObject({ statusCode: 400, code: "InvalidFilter" });
  });

  it("an empty filter selects every connection", async () => {
    const all = await setup("alice", undefined);
    await service.addConnectionsToGroups(["everyone"], "");
    const members: string[] = [];
    for await (const m of await service.group("everyone").listConnections()) members.push(m.connectionId);
    expect(members.sort()).toEqual(all.map((c) => c.connectionId).sort());
  });
});

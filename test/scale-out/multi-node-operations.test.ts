import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { WebPubSubServiceClient } from "@azure/web-pubsub";
import type { ServiceServer } from "../../emulator/src/server";
import { requiredBinary } from "../support/required-binary";
import { startRedisServer, type RedisServerProcess } from "../support/redis-server";
import { barrier, connectClient, restClient, startCluster, type TestClient } from "./cluster-harness";

const redisBinary = requiredBinary("redis-server", ["/usr/bin/redis-server"]);

/** Clients on node A, every REST call on node B: each operation must cross the backplane. */
describe.skipIf(!redisBinary)("scale-out: every REST operation on node B reaches clients on node A", () => {
  let redis: RedisServerProcess;
  let nodeA: ServiceServer;
  let nodeB: ServiceServer;
  let clients: TestClient[] = [];
  let hubCounter = 0;
  let hub: string;
  let rest: WebPubSubServiceClient;

  beforeAll(async () => {
    redis = await startRedisServer(redisBinary!);
    [nodeA, nodeB] = await startCluster(redis.url, 2);
  });
  afterAll(async () => {
    await Promise.all([nodeA?.close(), nodeB?.close()]);
    await redis?.stop();
  });
  // A fresh hub per test keeps tests independent on the shared nodes.
  beforeEach(() => {
    hub = `scale${++hubCounter}`;
    rest = restClient(nodeB, hub);
  });
  afterEach(async () => {
    await Promise.all(clients.map((c) => c.client.stop()));
    clients = [];
  });

  async function onA(options: Parameters<typeof connectClient>[2] = {}): Promise<TestClient> {
    const c = await connectClient(nodeA, hub, options);
    clients.push(c);
    return c;
  }

  it("sendToAll reaches every client on both nodes exactly once, honouring excluded", async () => {
    const a1 = await onA();
    const a2 = await onA();
    const a3 = await onA();
    const b1 = await connectClient(nodeB, hub);
    clients.push(b1);
    await rest.sendToAll({ n: 1 });
    await rest.sendToAll("text", { contentType: "text/plain" });
    await rest.sendToAll({ n: 2 }, { excludedConnections: [a2.connectionId] });
    await barrier(rest, [a1, a2, a3, b1]);
    expect(a1.server).toEqual([{ n: 1 }, "text", { n: 2 }]);
    expect(a2.server).toEqual([{ n: 1 }, "text"]);
    expect(a3.server).toEqual([{ n: 1 }, "text", { n: 2 }]);
    expect(b1.server).toEqual([{ n: 1 }, "text", { n: 2 }]);
  });

  it("sendToUser and sendToConnection reach exactly the addressed connections", async () => {
    const u1a = await onA({ userId: "u1" });
    const u1b = await onA({ userId: "u1" });
    const u2 = await onA({ userId: "u2" });
    await rest.sendToUser("u1", { to: "u1" });
    await rest.sendToConnection(u2.connectionId, { to: "u2" });
    await rest.sendToAll(new Uint8Array([1, 2, 3]).buffer, { filter: "userId eq 'u2'" });
    await barrier(rest, [u1a, u1b, u2]);
    expect(u1a.server).toEqual([{ to: "u1" }]);
    expect(u1b.server).toEqual([{ to: "u1" }]);
    expect(u2.server).toHaveLength(2);
    expect(u2.server[0]).toEqual({ to: "u2" });
    expect(Buffer.from(u2.server[1] as ArrayBuffer)).toEqual(Buffer.from([1, 2, 3]));
  });

  it("adds and removes connections and users to groups across nodes", async () => {
    const c1 = await onA({ userId: "u1" });
    const c2 = await onA({ userId: "u2" });
    const group = rest.group("room");
    await group.addConnection(c1.connectionId);
    await group.addUser("u2");
    expect(await rest.groupExists("room")).toBe(true);
    const listed = [];
    for await (const member of await group.listConnections()) listed.push(member);
    expect(listed.map((m) => m.connectionId).sort()).toEqual([c1.connectionId, c2.connectionId].sort());
    await group.sendToAll({ m: 1 });
    await group.sendToAll({ m: 2 }, { excludedConnections: [c1.connectionId] });
    await group.removeConnection(c1.connectionId);
    await group.sendToAll({ m: 3 });
    await group.removeUser("u2");
    await group.sendToAll({ m: 4 });
    expect(await rest.groupExists("room")).toBe(false);
    await barrier(rest, [c1, c2]);
    expect(c1.server).toEqual([{ m: 1 }]);
    expect(c2.server).toEqual([{ m: 1 }, { m: 2 }, { m: 3 }]);
  });

  it("removes a user and a connection from all groups, and adds and removes by filter", async () => {
    const c1 = await onA({ userId: "u1" });
    const c2 = await onA({ userId: "u2" });
    await rest.addConnectionsToGroups(["g1", "g2"], "userId eq 'u1'");
    await rest.group("g1").addConnection(c2.connectionId);
    await rest.group("g1").sendToAll({ s: 1 });
    await rest.group("g2").sendToAll({ s: 2 });
    await rest.removeUserFromAllGroups("u1");
    await rest.group("g1").sendToAll({ s: 3 });
    await rest.group("g2").sendToAll({ s: 4 });
    await rest.removeConnectionFromAllGroups(c2.connectionId);
    await rest.group("g1").sendToAll({ s: 5 });
    await rest.addConnectionsToGroups(["g3"], "");
    await rest.removeConnectionsFromGroups(["g3"], `connectionId eq '${c2.connectionId}'`);
    await rest.group("g3").sendToAll({ s: 6 });
    await barrier(rest, [c1, c2]);
    expect(c1.server).toEqual([{ s: 1 }, { s: 2 }, { s: 6 }]);
    expect(c2.server).toEqual([{ s: 1 }, { s: 3 }]);
  });

  it("answers exists checks for the whole cluster", async () => {
    const c1 = await onA({ userId: "alice" });
    await rest.group("lobby").addConnection(c1.connectionId);
    expect(await rest.connectionExists(c1.connectionId)).toBe(true);
    expect(await rest.connectionExists("no-such-connection")).toBe(false);
    expect(await rest.userExists("alice")).toBe(true);
    expect(await rest.userExists("bob")).toBe(false);
    expect(await rest.groupExists("lobby")).toBe(true);
    expect(await rest.groupExists("attic")).toBe(false);
  });

  it("grants, checks and revokes permissions of a connection held by the other node", async () => {
    const c1 = await onA();
    const receiver = await onA({ roles: ["webpubsub.joinLeaveGroup"] });
    await receiver.client.joinGroup("ops");
    await expect(c1.client.sendToGroup("ops", "denied", "text")).rejects.toThrow();
    expect(await rest.hasPermission(c1.connectionId, "sendToGroup", { targetName: "ops" })).toBe(false);
    await rest.grantPermission(c1.connectionId, "sendToGroup", { targetName: "ops" });
    expect(await rest.hasPermission(c1.connectionId, "sendToGroup", { targetName: "ops" })).toBe(true);
    expect(await rest.hasPermission(c1.connectionId, "sendToGroup", { targetName: "other" })).toBe(false);
    await c1.client.sendToGroup("ops", "allowed", "text");
    await rest.revokePermission(c1.connectionId, "sendToGroup", { targetName: "ops" });
    expect(await rest.hasPermission(c1.connectionId, "sendToGroup", { targetName: "ops" })).toBe(false);
    await receiver.received(1);
    await barrier(rest, [receiver]);
    expect(receiver.group).toEqual([{ group: "ops", data: "allowed" }]);
  });

  it("closes one connection, a user's connections, a group's connections and all connections", async () => {
    const single = await onA({ userId: "s" });
    const user1 = await onA({ userId: "closing-user" });
    const user2 = await onA({ userId: "closing-user" });
    const member = await onA({ userId: "m", groups: [] });
    const survivor = await onA({ userId: "keep" });
    await rest.group("doomed").addConnection(member.connectionId);
    await rest.closeConnection(single.connectionId, { reason: "bye single" });
    expect(await single.disconnected).toBe("bye single");
    await rest.closeUserConnections("closing-user", { reason: "bye user" });
    expect(await Promise.all([user1.disconnected, user2.disconnected])).toEqual(["bye user", "bye user"]);
    await rest.group("doomed").closeAllConnections({ reason: "bye group" });
    expect(await member.disconnected).toBe("bye group");
    expect(await rest.connectionExists(single.connectionId)).toBe(false);
    expect(await rest.userExists("closing-user")).toBe(false);
    expect(await rest.connectionExists(survivor.connectionId)).toBe(true);
    const last = await onA({ userId: "last" });
    // The SDK's option type omits `excluded`, but it forwards it as the `excluded` query parameter.
    const closeOptions = { excluded: [survivor.connectionId], reason: "bye all" };
    await rest.closeAllConnections(closeOptions);
    expect(await last.disconnected).toBe("bye all");
    expect(await rest.userExists("keep")).toBe(true);
    expect(await rest.userExists("last")).toBe(false);
  });
});

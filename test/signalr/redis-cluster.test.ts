import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RedisBackplane } from "../../emulator/src/backplane/redis-backplane";
import { createServer, type ServiceServer } from "../../emulator/src/server";
import { requiredBinary } from "../support/required-binary";
import { startRedisServer, type RedisServerProcess } from "../support/redis-server";
import { until } from "../support/until";
import { HttpTransportType } from "@microsoft/signalr";
import { SignalRFixture, type TestClient } from "./support/signalr-fixture";

const redisBinary = requiredBinary("redis-server", ["/usr/bin/redis-server"]);

/** SignalR clients on node A, every REST call on node B: each operation crosses Redis. */
describe.skipIf(!redisBinary)("SignalR scale-out over Redis: REST on node B reaches @microsoft/signalr clients on node A", () => {
  let redis: RedisServerProcess;
  let nodeA: ServiceServer;
  let nodeB: ServiceServer;
  const fixture = new SignalRFixture();
  let hubCounter = 0;

  beforeAll(async () => {
    redis = await startRedisServer(redisBinary!);
    const channelPrefix = `sr${randomUUID().slice(0, 8)}`;
    const node = (i: number) =>
      createServer({ port: 0, host: "127.0.0.1", service: "signalr", backplane: new RedisBackplane({ url: redis.url, nodeId: `node-${i}`, channelPrefix }) });
    nodeA = await node(0);
    nodeB = await node(1);
  });
  afterAll(async () => {
    await Promise.all([nodeA?.close(), nodeB?.close()]);
    await redis?.stop();
  });
  afterEach(() => fixture.cleanup());

  async function settled(expected: Array<[TestClient, number]>): Promise<number[]> {
    await until(() => (expected.every(([c, n]) => c.received.length >= n) ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 150));
    return expected.map(([c]) => c.received.length);
  }

  it("broadcast, user, connection and group sends, JSON and MessagePack clients, exact recipients", async () => {
    const hub = `cluster${++hubCounter}`;
    const a1 = await fixture.connect(nodeA, hub, { userId: "alice" });
    const a2 = await fixture.connect(nodeA, hub, { userId: "bob", protocol: "messagepack" });
    const b1 = await fixture.connect(nodeB, hub, { userId: "carol" });
    const send = (path: string, arg: unknown) => fixture.rest(nodeB, "POST", `/api/hubs/${hub}${path}`, { target: "message", arguments: [arg] });
    expect((await send(`/:send?excluded=${b1.connectionId}`, "all")).status).toBe(202);
    expect((await send("/users/bob/:send", "bob")).status).toBe(202);
    expect((await send(`/connections/${a1.connectionId}/:send`, "conn")).status).toBe(202);
    expect((await fixture.rest(nodeB, "PUT", `/api/hubs/${hub}/groups/room/connections/${a2.connectionId}`)).status).toBe(200);
    expect((await send("/groups/room/:send", "group")).status).toBe(202);
    expect(await settled([[a1, 2], [a2, 3], [b1, 0]])).toEqual([2, 3, 0]);
    expect(a1.received.map((r) => r.args[0])).toEqual(["all", "conn"]);
    expect(a2.received.map((r) => r.args[0])).toEqual(["all", "bob", "group"]);
  });

  it.each([
    ["Long Polling", HttpTransportType.LongPolling],
    ["Server-Sent Events", HttpTransportType.ServerSentEvents],
  ])("a %s client on node A gets what is sent through node B, to it, its group and everyone", async (_name, transport) => {
    const hub = `cluster${++hubCounter}`;
    const a1 = await fixture.connect(nodeA, hub, { userId: "lp-user", transport });
    const send = (path: string, arg: unknown) => fixture.rest(nodeB, "POST", `/api/hubs/${hub}${path}`, { target: "message", arguments: [arg] });
    expect((await fixture.rest(nodeB, "PUT", `/api/hubs/${hub}/groups/room/connections/${a1.connectionId}`)).status).toBe(200);
    expect((await send("/:send", "all")).status).toBe(202);
    expect((await send("/users/lp-user/:send", "user")).status).toBe(202);
    expect((await send("/groups/room/:send", "group")).status).toBe(202);
    expect(await settled([[a1, 3]])).toEqual([3]);
    expect(a1.received.map((r) => r.args[0])).toEqual(["all", "user", "group"]);
  });

  it("answers existence checks for the whole cluster and closes a connection held by the other node", async () => {
    const hub = `cluster${++hubCounter}`;
    const a1 = await fixture.connect(nodeA, hub, { userId: "dora" });
    const head = async (path: string) => {
      const r = await fixture.rest(nodeB, "HEAD", `/api/hubs/${hub}${path}`);
      return [r.status, r.headers.get("x-ms-error-code")];
    };
    expect(await head(`/connections/${a1.connectionId}`)).toEqual([200, null]);
    expect(await head("/users/dora")).toEqual([200, null]);
    expect(await head("/users/nobody")).toEqual([404, "Warning.User.NotExisted"]);
    expect((await fixture.rest(nodeB, "PUT", `/api/hubs/${hub}/users/dora/groups/vip`)).status).toBe(200);
    expect(await head("/groups/vip")).toEqual([200, null]);
    expect(await head("/users/dora/groups/vip")).toEqual([200, null]);
    expect((await fixture.rest(nodeB, "DELETE", `/api/hubs/${hub}/connections/${a1.connectionId}?reason=moved`)).status).toBe(200);
    await until(() => (a1.closes.length === 1 ? true : undefined));
    expect(a1.closes[0]?.message).toBe("Server returned an error on close: moved");
    expect(await head(`/connections/${a1.connectionId}`)).toEqual([404, "Warning.Connection.NotExisted"]);
  });

  it("adds a user to a group before any node holds a connection of the hub: the user's first connection, on either node, is in it", async () => {
    const hub = `cluster${++hubCounter}`;
    expect((await fixture.rest(nodeB, "PUT", `/api/hubs/${hub}/users/frank/groups/vip`)).status).toBe(200);
    // Answered at once, with no connection anywhere yet.
    expect((await fixture.rest(nodeB, "HEAD", `/api/hubs/${hub}/users/frank/groups/vip`)).status).toBe(200);
    const onA = await fixture.connect(nodeA, hub, { userId: "frank" });
    const onB = await fixture.connect(nodeB, hub, { userId: "frank" });
    expect((await fixture.rest(nodeA, "POST", `/api/hubs/${hub}/groups/vip/:send`, { target: "message", arguments: ["vip"] })).status).toBe(202);
    expect(await settled([[onA, 1], [onB, 1]])).toEqual([1, 1]);
    expect((await fixture.rest(nodeA, "DELETE", `/api/hubs/${hub}/users/frank/groups/vip`)).status).toBe(204);
    const later = await fixture.connect(nodeB, hub, { userId: "frank" });
    expect((await fixture.rest(nodeA, "POST", `/api/hubs/${hub}/groups/vip/:send`, { target: "message", arguments: ["gone"] })).status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect([onA.received.length, onB.received.length, later.received.length]).toEqual([1, 1, 0]);
  });

  it("keeps a user's group membership for the user's next connection on the other node", async () => {
    const hub = `cluster${++hubCounter}`;
    const first = await fixture.connect(nodeA, hub, { userId: "erin" });
    expect((await fixture.rest(nodeB, "PUT", `/api/hubs/${hub}/users/erin/groups/team`)).status).toBe(200);
    const second = await fixture.connect(nodeA, hub, { userId: "erin", protocol: "messagepack" });
    expect((await fixture.rest(nodeB, "POST", `/api/hubs/${hub}/groups/team/:send`, { target: "message", arguments: ["team"] })).status).toBe(202);
    expect(await settled([[first, 1], [second, 1]])).toEqual([1, 1]);
  });
});

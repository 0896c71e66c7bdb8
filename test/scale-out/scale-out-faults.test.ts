import { afterEach, describe, expect, it } from "vitest";
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { DEFAULT_ACCESS_KEY } from "../../emulator/src/options";
import type { ServiceServer } from "../../emulator/src/server";
import { requiredBinary } from "../support/required-binary";
import { startRedisServer, type RedisServerProcess } from "../support/redis-server";
import { barrier, connectClient, restClient, startCluster, type TestClient } from "./cluster-harness";
import { TcpSwitch } from "../support/tcp-switch";

const redisBinary = requiredBinary("redis-server", ["/usr/bin/redis-server"]);

describe.skipIf(!redisBinary)("scale-out faults", () => {
  let redis: RedisServerProcess | undefined;
  let nodes: ServiceServer[] = [];
  let clients: TestClient[] = [];
  let lb: TcpSwitch | undefined;

  afterEach(async () => {
    await Promise.all(clients.map((c) => c.client.stop()));
    await Promise.all(nodes.map((n) => n.close()));
    await lb?.close();
    await redis?.stop();
    clients = [];
    nodes = [];
    lb = undefined;
    redis = undefined;
  });

  async function track(client: Promise<TestClient>): Promise<TestClient> {
    const c = await client;
    clients.push(c);
    return c;
  }

  it("keeps local delivery going while Redis is down and resumes cross-node delivery within 2 s of its return", async () => {
    redis = await startRedisServer(redisBinary!);
    nodes = await startCluster(redis.url, 2);
    const [nodeA, nodeB] = nodes as [ServiceServer, ServiceServer];
    const hub = "faults";
    const onA = await track(connectClient(nodeA, hub));
    const onB = await track(connectClient(nodeB, hub));
    const rest = restClient(nodeB, hub);

    for (let i = 1; i <= 5; i++) await rest.sendToAll({ i });
    await barrier(rest, [onA, onB]);
    await redis.stop();
    // Mid-stream: every REST call still succeeds and node B's own client gets every message.
    for (let i = 6; i <= 15; i++) await rest.sendToAll({ i });
    await barrier(rest, [onB]);
    expect(onB.server).toEqual(Array.from({ length: 15 }, (_, k) => ({ i: k + 1 })));
    expect(await rest.connectionExists(onB.connectionId)).toBe(true);
    expect(await rest.connectionExists(onA.connectionId)).toBe(false); // node A is out of reach

    const restarted = Date.now();
    await redis.start();
    let probe = 0;
    while (onA.server.every((m) => (m as { probe?: number }).probe === undefined) && Date.now() - restarted < 5_000) {
      await rest.sendToAll({ probe: ++probe });
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const resumedAfterMs = Date.now() - restarted;
    expect(resumedAfterMs).toBeLessThan(2_000);
    await rest.sendToAll({ i: 16 });
    await barrier(rest, [onA, onB]);
    const iOf = (c: TestClient): number[] => c.server.flatMap((m) => ((m as { i?: number }).i === undefined ? [] : [(m as { i: number }).i]));
    // Node A missed exactly what was sent while Redis was down; nothing was duplicated.
    expect(iOf(onA)).toEqual([1, 2, 3, 4, 5, 16]);
    expect(iOf(onB)).toEqual([...Array.from({ length: 15 }, (_, k) => k + 1), 16]);
    expect(onB.server.filter((m) => (m as { probe?: number }).probe !== undefined)).toHaveLength(probe);
  });

  it("moves the reliable clients of a crashed node to the other node without losing an acked message", async () => {
    redis = await startRedisServer(redisBinary!);
    nodes = await startCluster(redis.url, 2);
    const [nodeA, nodeB] = nodes as [ServiceServer, ServiceServer];
    const hub = "failover";
    lb = new TcpSwitch(nodeA.port);
    await lb.listen();
    // Clients know one address, the load balancer's, as with pods behind one service.
    const viaLb = new WebPubSubServiceClient(`Endpoint=http://127.0.0.1:${lb.port};AccessKey=${DEFAULT_ACCESS_KEY};Version=1.0;`, hub);
    const urlFor = (userId: string) => async () =>
      (await viaLb.getClientAccessToken({ userId, groups: ["feed"], roles: ["webpubsub.sendToGroup.feed"] })).url;
    const sender = await track(connectClient(nodeA, hub, { reliable: true, urlFor: urlFor("sender") }));
    const receiver = await track(connectClient(nodeA, hub, { reliable: true, urlFor: urlFor("receiver") }));
    const watcher = await track(connectClient(nodeB, hub, { reliable: true, userId: "watcher", groups: ["feed"] }));
    const rest = restClient(nodeB, hub);

    for (let i = 1; i <= 10; i++) await sender.client.sendToGroup("feed", { i }, "json", { noEcho: true });
    await receiver.received(10);

    // Node A crashes: its sockets drop (1006), recovery through the balancer reaches node B,
    // which does not know the sessions (1008), and the clients reconnect there.
    lb.target = nodeB.port;
    lb.crashTarget(nodeA.port);
    await nodeA.close();
    await Promise.all([sender.connectedTimes(2), receiver.connectedTimes(2)]);
    expect(await rest.connectionExists(sender.connectionIds[1]!)).toBe(true);

    for (let i = 11; i <= 20; i++) await sender.client.sendToGroup("feed", { i }, "json", { noEcho: true });
    await barrier(rest, [watcher, { ...receiver, connectionId: receiver.connectionIds[1]! }]);
    const sent = Array.from({ length: 20 }, (_, k) => ({ group: "feed", data: { i: k + 1 } }));
    expect(watcher.group).toEqual(sent);
    expect(receiver.group).toEqual(sent);
  });
});

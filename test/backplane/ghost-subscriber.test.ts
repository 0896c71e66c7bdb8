/**
 * A subscriber socket that Redis still believes in but that belongs to no live node (a node that
 * reconnected while its old socket stayed half-open) must not hold up membership changes or
 * queries: they wait for one reply from each live node of the hub, not for PUBLISH's count.
 * The timeouts here are 8 s and the test has 5 s, so waiting for the ghost fails it.
 */
import net from "node:net";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { WebPubSubClient } from "@azure/web-pubsub-client";
import { RedisBackplane } from "../../emulator/src/backplane/redis-backplane";
import { createServer, type ServiceServer } from "../../emulator/src/server";
import { requiredBinary } from "../support/required-binary";
import { startRedisServer, type RedisServerProcess } from "../support/redis-server";

const redisBinary = requiredBinary("redis-server", ["/usr/bin/redis-server"]);

describe.skipIf(!redisBinary)("a ghost subscriber on a hub's channel", () => {
  let redis: RedisServerProcess;
  let nodeA: ServiceServer;
  let nodeB: ServiceServer;
  let ghost: net.Socket;
  const prefix = `g${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    redis = await startRedisServer(redisBinary!);
    const node = (id: string) =>
      createServer({ port: 0, backplane: new RedisBackplane({ url: redis.url, nodeId: id, channelPrefix: prefix, applyTimeoutMs: 8000, queryTimeoutMs: 8000 }) });
    nodeA = await node("node-a");
    nodeB = await node("node-b");
    // A bare socket subscribed to the hub's channel that never answers anything.
    ghost = net.connect(redis.port, "127.0.0.1");
    await new Promise((resolve) => ghost.once("connect", resolve));
    ghost.write(`*2\r\n$9\r\nSUBSCRIBE\r\n$${`${prefix}:hub:ghosted`.length}\r\n${prefix}:hub:ghosted\r\n`);
    await new Promise((resolve) => ghost.once("data", resolve));
  });

  afterAll(async () => {
    ghost?.destroy();
    await Promise.all([nodeA?.close(), nodeB?.close()]);
    await redis?.stop();
  });

  it("a group change and an existence query through node B finish without waiting for it", async () => {
    const serviceA = new WebPubSubServiceClient(nodeA.connectionString, "ghosted", { allowInsecureConnection: true });
    const serviceB = new WebPubSubServiceClient(nodeB.connectionString, "ghosted", { allowInsecureConnection: true });
    const client = new WebPubSubClient({ getClientAccessUrl: async () => (await serviceA.getClientAccessToken({ userId: "held-by-a" })).url }, { autoReconnect: false });
    let connectionId = "";
    client.on("connected", (event) => (connectionId = event.connectionId));
    const received: unknown[] = [];
    client.on("server-message", (event) => received.push(event.message.data));
    await client.start();
    try {
      const startedAt = Date.now();
      await serviceB.group("g").addConnection(connectionId);
      expect(await serviceB.connectionExists(connectionId)).toBe(true);
      expect(await serviceB.userExists("held-by-a")).toBe(true);
      await serviceB.group("g").sendToAll("after the change", { contentType: "text/plain" });
      while (received.length === 0 && Date.now() - startedAt < 4000) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(received).toEqual(["after the change"]);
      expect(Date.now() - startedAt).toBeLessThan(4000);
    } finally {
      client.stop();
    }
  }, 5000);
});

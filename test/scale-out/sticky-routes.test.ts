/**
 * Where a load-balanced cluster of local service nodes needs a sticky route, exactly: the state
 * that ties a client to one node is node-local, and a request that reaches another node gets a
 * defined answer, never a hang or a wrong connection.
 * - SignalR: negotiate and the socket that follows (`?id=`) must reach the same node: elsewhere 404.
 * - Web PubSub reliable recovery must reach the node holding the session: elsewhere 1008, and the
 *   official client then starts a new connection.
 * Everything else (REST, deliveries, queries, new connections) works through any node.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { RedisBackplane } from "../../emulator/src/backplane/redis-backplane";
import { createServer, type ServiceServer } from "../../emulator/src/server";
import { negotiate, upgradeStatus } from "../signalr/support/raw-signalr";
import { clientToken } from "../signalr/support/signalr-fixture";
import { requiredBinary } from "../support/required-binary";
import { startRedisServer, type RedisServerProcess } from "../support/redis-server";
import { WebPubSubServiceClient } from "@azure/web-pubsub";

const redisBinary = requiredBinary("redis-server", ["/usr/bin/redis-server"]);

describe.skipIf(!redisBinary)("sticky routes between Redis-linked nodes", () => {
  let redis: RedisServerProcess;
  const servers: ServiceServer[] = [];
  const prefix = `s${randomUUID().slice(0, 8)}`;
  const node = async (service: "webpubsub" | "signalr", id: string) => {
    const server = await createServer({ port: 0, service, backplane: new RedisBackplane({ url: redis.url, nodeId: id, channelPrefix: `${prefix}${service}` }) });
    servers.push(server);
    return server;
  };

  beforeAll(async () => {
    redis = await startRedisServer(redisBinary!);
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close()));
    await redis?.stop();
  });

  it("SignalR: a connection negotiated on node 1 is 404 on node 2 and opens on node 1", async () => {
    const [one, two] = [await node("signalr", "sr-1"), await node("signalr", "sr-2")];
    const { connectionToken } = await negotiate(one, "chat", clientToken("chat"));
    const auth = { authorization: `Bearer ${clientToken("chat")}` };
    expect(await upgradeStatus(`${two.url.replace(/^http/, "ws")}/client/?hub=chat&id=${connectionToken}`, auth)).toBe(404);
    expect(await upgradeStatus(`${one.url.replace(/^http/, "ws")}/client/?hub=chat&id=${connectionToken}`, auth)).toBe(101);
  });

  it("Web PubSub: a reliable session held by node 1 cannot be recovered through node 2 (1008), and recovers through node 1", async () => {
    const [one, two] = [await node("webpubsub", "wps-1"), await node("webpubsub", "wps-2")];
    const url = (await new WebPubSubServiceClient(one.connectionString, "chat", { allowInsecureConnection: true }).getClientAccessToken({ userId: "u" })).url;
    const first = new WebSocket(url, "json.reliable.webpubsub.azure.v1");
    const connected = await new Promise<Record<string, string>>((resolve) => first.once("message", (data) => resolve(JSON.parse(data.toString()) as Record<string, string>)));
    first.terminate();
    await new Promise((resolve) => first.once("close", resolve));
    const query = `&awps_connection_id=${connected.connectionId}&awps_reconnection_token=${encodeURIComponent(connected.reconnectionToken!)}`;
    const elsewhere = new WebSocket(url.replace(`:${one.port}/`, `:${two.port}/`) + query, "json.reliable.webpubsub.azure.v1");
    const refused = await new Promise<number>((resolve) => elsewhere.once("close", (code) => resolve(code)));
    expect(refused).toBe(1008);
    const home = new WebSocket(url + query, "json.reliable.webpubsub.azure.v1");
    const recovered = await new Promise<Record<string, string>>((resolve) => home.once("message", (data) => resolve(JSON.parse(data.toString()) as Record<string, string>)));
    expect([recovered.event, recovered.connectionId]).toEqual(["connected", connected.connectionId]);
    home.close(1000);
  });
});

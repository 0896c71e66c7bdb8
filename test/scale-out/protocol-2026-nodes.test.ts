/**
 * The 2026 client features across two local service nodes linked by a real Redis: a group stream
 * published on one node reaches receivers on both in order, an invoke through either node is
 * answered by the event handler, and group state set on one node is seen by subscribers on the other.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import express from "express";
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { WebPubSubClient, type GroupStream } from "@azure/web-pubsub-client";
import { WebPubSubEventHandler } from "@azure/web-pubsub-express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { RedisBackplane } from "../../emulator/src/backplane/redis-backplane";
import { createServer, type ServiceServer } from "../../emulator/src/server";
import { createUpstreamDispatcher } from "../../emulator/src/upstream/http-upstream-dispatcher";
import { parseUpstreamSettings } from "../../emulator/src/upstream/upstream-settings";
import { requiredBinary } from "../support/required-binary";
import { startRedisServer, type RedisServerProcess } from "../support/redis-server";
import { until } from "../support/until";

const redisBinary = requiredBinary("redis-server", ["/usr/bin/redis-server"]);
const KEY = "NODES-2026-KEY-0123456789-0123456789-abcdef";
const HUB = "live";
const ROLES = ["webpubsub.sendToGroup", "webpubsub.joinLeaveGroup"];

describe.skipIf(!redisBinary)("2026 client features across two Redis-linked nodes", () => {
  let redis: RedisServerProcess;
  let app: http.Server;
  const nodes: ServiceServer[] = [];
  const clients: WebPubSubClient[] = [];
  const sockets: WebSocket[] = [];

  beforeAll(async () => {
    redis = await startRedisServer(redisBinary!);
    const handler = new WebPubSubEventHandler(HUB, {
      path: "/eventhandler",
      handleUserEvent: (request, response) => {
        if (request.context.eventName === "echo") response.success(`${String(request.data)} via handler`, "text");
        else response.fail(400, "unknown event");
      },
    });
    const server = express();
    server.use(handler.getMiddleware());
    app = server.listen(0, "127.0.0.1");
    await new Promise((resolve) => app.once("listening", resolve));
    const url = `http://127.0.0.1:${(app.address() as AddressInfo).port}/eventhandler`;
    const settings = parseUpstreamSettings({ WebPubSub: { Hubs: { [HUB]: { EventHandlers: [{ UrlTemplate: url, EventPattern: "*", SystemEvents: [] }] } } } });
    const channelPrefix = `p26${randomUUID().slice(0, 8)}`;
    for (let i = 0; i < 2; i++) {
      let origin = "";
      const upstream = createUpstreamDispatcher({ settings, accessKeys: [KEY], origin: () => origin, log: () => {}, retryDelaysMs: [10], requestTimeoutMs: 3000, handshakeTimeoutMs: 3000 });
      const node = await createServer({ port: 0, accessKey: KEY, upstream, backplane: new RedisBackplane({ url: redis.url, nodeId: `n${i}`, channelPrefix }) });
      origin = new URL(node.url).host;
      nodes.push(node);
    }
  }, 30_000);

  afterAll(async () => {
    for (const client of clients) client.stop();
    for (const socket of sockets) socket.terminate();
    for (const node of nodes) await node.close();
    app?.close();
    await redis?.stop();
  });

  async function clientOn(node: number, userId: string): Promise<WebPubSubClient> {
    const { url } = await new WebPubSubServiceClient(nodes[node]!.connectionString, HUB, { allowInsecureConnection: true }).getClientAccessToken({ userId, roles: ROLES });
    const client = new WebPubSubClient(url);
    clients.push(client);
    await client.start();
    return client;
  }

  it("delivers a stream published on one node to receivers on both, in order, with its end", async () => {
    const receivers = [await clientOn(0, "near"), await clientOn(1, "far")];
    const seen = receivers.map(() => ({ fragments: [] as unknown[], done: false }));
    receivers.forEach((receiver, i) =>
      receiver.onGroupStream(async (stream: GroupStream) => {
        for await (const fragment of stream) seen[i]!.fragments.push(fragment.data);
        seen[i]!.done = true;
      }),
    );
    for (const receiver of receivers) await receiver.joinGroup("answers");
    const publisher = await clientOn(0, "model");
    const writer = await publisher.openGroupStream("answers");
    const tokens = Array.from({ length: 50 }, (_, i) => `t${i} `);
    for (const token of tokens) await writer.write(token, "text");
    await writer.end();
    await until(() => (seen.every((s) => s.done) ? true : undefined), 8000);
    expect(seen.map((s) => s.fragments)).toEqual([tokens, tokens]);
  });

  it("answers an invoke through either node", async () => {
    const onFirst = await clientOn(0, "a");
    const onSecond = await clientOn(1, "b");
    expect(await onFirst.invokeEvent("echo", "hi", "text")).toMatchObject({ dataType: "text", data: "hi via handler" });
    expect(await onSecond.invokeEvent("echo", "yo", "text")).toMatchObject({ dataType: "text", data: "yo via handler" });
    await expect(onSecond.invokeEvent("missing", "x", "text")).rejects.toMatchObject({ errorDetail: { name: "BadRequest" } });
  });

  it("shows group state set on one node to a subscriber on the other, in the snapshot and in updates", async () => {
    const open = async (node: number, userId: string) => {
      const { url } = await new WebPubSubServiceClient(nodes[node]!.connectionString, HUB, { allowInsecureConnection: true }).getClientAccessToken({ userId, groups: ["desk"] });
      const socket = new WebSocket(url, "json.reliable.webpubsub.azure.v1");
      sockets.push(socket);
      const frames: Array<Record<string, unknown>> = [];
      socket.on("message", (data) => frames.push(JSON.parse(data.toString()) as Record<string, unknown>));
      await until(() => frames.find((f) => f.event === "connected"));
      return { socket, frames, connectionId: frames[0]!.connectionId as string };
    };
    const setter = await open(0, "setter");
    setter.socket.send(JSON.stringify({ type: "setGroupState", group: "desk", ackId: 1, state: { light: "on" } }));
    await until(() => setter.frames.find((f) => f.type === "ack"));
    const watcher = await open(1, "watcher");
    watcher.socket.send(JSON.stringify({ type: "subscribeGroupState", group: "desk", ackId: 1 }));
    const snapshot = await until(() => watcher.frames.find((f) => f.type === "groupStateSnapshot"));
    expect(snapshot.items).toEqual([{ connectionId: setter.connectionId, userId: "setter", state: { light: "on" }, updatedAt: expect.any(Number) }]);
    setter.socket.send(JSON.stringify({ type: "setGroupState", group: "desk", state: { light: "off" } }));
    const update = await until(() => watcher.frames.find((f) => f.type === "groupStateUpdate"));
    expect(update.items).toEqual([{ connectionId: setter.connectionId, userId: "setter", state: { light: "off" }, updatedAt: expect.any(Number) }]);
    expect((update.items as Array<{ updatedAt: number }>)[0]!.updatedAt).toBeGreaterThan((snapshot.items as Array<{ updatedAt: number }>)[0]!.updatedAt);
  });
});

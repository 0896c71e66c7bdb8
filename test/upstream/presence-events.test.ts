/**
 * Group presence events (`azure.webpubsub.gp.joined` / `.left`) as `@azure/web-pubsub-express`
 * 1.1.0 dispatches them to `onGroupJoined` / `onGroupLeft`: on the token's groups, a client's own
 * join and leave, REST membership changes, and for each group before `disconnected`, in order.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { WebPubSubClient } from "@azure/web-pubsub-client";
import { WebPubSubEventHandler } from "@azure/web-pubsub-express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseUpstreamSettings } from "../../emulator/src/upstream/upstream-settings";
import type { ServiceServer } from "../../emulator/src/server";
import { startServiceWithUpstream, type ServiceWithUpstream } from "./support/upstream-stack";

let app: http.Server;
let stack: ServiceWithUpstream;
let service: ServiceServer;
const seen: string[] = [];

beforeAll(async () => {
  const handler = new WebPubSubEventHandler("presence", {
    path: "/eventhandler",
    onConnected: (request) => void seen.push(`${request.context.userId}: connected`),
    onGroupJoined: (request) => void seen.push(`${request.context.userId}: joined ${request.group}`),
    onGroupLeft: (request) => void seen.push(`${request.context.userId}: left ${request.group}`),
    onDisconnected: (request) => void seen.push(`${request.context.userId}: disconnected`),
  });
  const server = express();
  server.use(handler.getMiddleware());
  app = server.listen(0, "127.0.0.1");
  await new Promise((resolve) => app.once("listening", resolve));
  const url = `http://127.0.0.1:${(app.address() as AddressInfo).port}/eventhandler`;
  stack = await startServiceWithUpstream(
    parseUpstreamSettings({ WebPubSub: { Hubs: { presence: { EventHandlers: [{ UrlTemplate: url, EventPattern: "", SystemEvents: ["connected", "disconnected", "joined", "left"] }] } } } }),
  );
  service = stack.service;
});

afterAll(async () => {
  await stack?.close();
  app?.close();
});

async function settle(count: number): Promise<string[]> {
  const deadline = Date.now() + 5000;
  while (seen.length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  await new Promise((resolve) => setTimeout(resolve, 100));
  return [...seen];
}

describe("group presence events", () => {
  it("reach onGroupJoined / onGroupLeft for token groups, client joins and leaves, REST changes, and before disconnected", async () => {
    const rest = new WebPubSubServiceClient(service.connectionString, "presence", { allowInsecureConnection: true });
    const { url } = await rest.getClientAccessToken({ userId: "pia", groups: ["lobby"], roles: ["webpubsub.joinLeaveGroup"] });
    const client = new WebPubSubClient(url, { autoReconnect: false });
    let connectionId = "";
    client.on("connected", (event) => (connectionId = event.connectionId));
    await client.start();
    await client.joinGroup("room");
    await client.leaveGroup("room");
    await rest.group("vip").addConnection(connectionId);
    await rest.group("vip").removeConnection(connectionId);
    await rest.group("team").addConnection(connectionId);
    expect(await settle(7)).toEqual(["pia: connected", "pia: joined lobby", "pia: joined room", "pia: left room", "pia: joined vip", "pia: left vip", "pia: joined team"]);
    client.stop();
    const all = await settle(10);
    // The groups it was still in are left before its disconnected, in that order.
    expect(all.slice(7).slice(0, 2).sort()).toEqual(["pia: left lobby", "pia: left team"]);
    expect(all[9]).toBe("pia: disconnected");
  });

  it("a joinGroup that changes nothing sends nothing", async () => {
    seen.length = 0;
    const rest = new WebPubSubServiceClient(service.connectionString, "presence", { allowInsecureConnection: true });
    const { url } = await rest.getClientAccessToken({ userId: "quin", roles: ["webpubsub.joinLeaveGroup"] });
    const client = new WebPubSubClient(url, { autoReconnect: false });
    await client.start();
    await client.joinGroup("g");
    await client.joinGroup("g");
    await client.leaveGroup("other");
    expect(await settle(2)).toEqual(["quin: connected", "quin: joined g"]);
    client.stop();
  });
});

/**
 * The order the event handler sees a connection's system events in: `disconnected` is sent only
 * once that connection's `connected` has been delivered or given up, retries included, so a
 * handler never sees them reversed even when `connected` needs a retry and the client leaves at once.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { parseUpstreamSettings } from "../../emulator/src/upstream/upstream-settings";
import { startServiceWithUpstream, type ServiceWithUpstream } from "../upstream/support/upstream-stack";

let app: http.Server;
let stack: ServiceWithUpstream;
const seen: Array<{ connectionId: string; event: string }> = [];
const connectedAttempts = new Map<string, number>();

beforeAll(async () => {
  const server = express();
  server.use(express.raw({ type: "*/*" }));
  server.options("*splat", (_req, res) => {
    res.setHeader("WebHook-Allowed-Origin", "*");
    res.status(200).end();
  });
  server.post("/events", (req, res) => {
    const connectionId = String(req.headers["ce-connectionid"]);
    const type = String(req.headers["ce-type"]);
    if (type === "azure.webpubsub.sys.connected") {
      const attempt = (connectedAttempts.get(connectionId) ?? 0) + 1;
      connectedAttempts.set(connectionId, attempt);
      // The first attempt fails slowly, so the retry lands well after the client has left.
      if (attempt === 1) {
        setTimeout(() => res.status(503).end("busy"), 150);
        return;
      }
      seen.push({ connectionId, event: "connected" });
    } else if (type === "azure.webpubsub.sys.disconnected") {
      seen.push({ connectionId, event: "disconnected" });
    }
    res.status(204).end();
  });
  app = server.listen(0, "127.0.0.1");
  await new Promise((resolve) => app.once("listening", resolve));
  const url = `http://127.0.0.1:${(app.address() as AddressInfo).port}/events`;
  stack = await startServiceWithUpstream(
    parseUpstreamSettings({ WebPubSub: { Hubs: { order: { EventHandlers: [{ UrlTemplate: url, EventPattern: "", SystemEvents: ["connected", "disconnected"] }] } } } }),
  );
});

afterAll(async () => {
  await stack?.close();
  app?.close();
});

describe("system event order", () => {
  it("a client that leaves while its connected event is being retried: the handler sees connected, then disconnected", async () => {
    const { url } = await stack.serverClient("order").getClientAccessToken({ userId: "brief" });
    const socket = new WebSocket(url, "json.webpubsub.azure.v1");
    const connected = await new Promise<{ connectionId: string }>((resolve) => socket.once("message", (data) => resolve(JSON.parse(data.toString()) as { connectionId: string })));
    socket.close(1000);
    const deadline = Date.now() + 8000;
    while (seen.filter((entry) => entry.connectionId === connected.connectionId).length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seen.filter((entry) => entry.connectionId === connected.connectionId).map((entry) => entry.event)).toEqual(["connected", "disconnected"]);
    expect(connectedAttempts.get(connected.connectionId)).toBe(2);
  });
});

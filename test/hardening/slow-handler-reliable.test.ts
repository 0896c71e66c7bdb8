/**
 * A slow event handler (Microsoft's `@azure/web-pubsub-express` behind express) must not hold up
 * a reliable client's acks and pings: they are applied on arrival, outside the event queue and
 * its bound. And an ackId still running when the socket is cut runs once, even though the
 * client resends it after recovering.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { WebPubSubEventHandler } from "@azure/web-pubsub-express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { parseUpstreamSettings } from "../../emulator/src/upstream/upstream-settings";
import { startServiceWithUpstream, type ServiceWithUpstream } from "../upstream/support/upstream-stack";

const RELIABLE = "json.reliable.webpubsub.azure.v1";
let app: http.Server;
let stack: ServiceWithUpstream;
const slowEvents: string[] = [];
let slowMs = 3000;
/** Events named `gated` wait until the test opens the gate, however loaded the machine is. */
const gated: Array<() => void> = [];

beforeAll(async () => {
  const handler = new WebPubSubEventHandler("slow", {
    path: "/eventhandler",
    handleUserEvent: (request, response) => {
      slowEvents.push(`${request.context.eventName}:${String(request.data)}`);
      if (request.context.eventName === "gated") gated.push(() => response.success());
      else setTimeout(() => response.success(), slowMs);
    },
  });
  const server = express();
  server.use(handler.getMiddleware());
  app = server.listen(0, "127.0.0.1");
  await new Promise((resolve) => app.once("listening", resolve));
  const appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
  stack = await startServiceWithUpstream(
    parseUpstreamSettings({ WebPubSub: { Hubs: { slow: { EventHandlers: [{ UrlTemplate: `${appUrl}/eventhandler`, EventPattern: "*", SystemEvents: [] }] } } } }),
    { requestTimeoutMs: 10_000 },
  );
});

afterAll(async () => {
  await stack?.close();
  app?.close();
});

interface RawReliable {
  socket: WebSocket;
  frames: Array<Record<string, unknown>>;
  closed: Promise<{ code: number; reason: string }>;
  waitFor(predicate: (frame: Record<string, unknown>) => boolean, ms?: number): Promise<Record<string, unknown>>;
}

/** A reliable raw socket that acks every sequenced message, as the official client does. */
async function openReliable(url: string, ackEach = true): Promise<RawReliable> {
  const socket = new WebSocket(url, RELIABLE, { perMessageDeflate: false });
  const frames: Array<Record<string, unknown>> = [];
  const listeners = new Set<() => void>();
  socket.on("message", (data) => {
    const frame = JSON.parse(data.toString()) as Record<string, unknown>;
    frames.push(frame);
    if (ackEach && typeof frame.sequenceId === "number") socket.send(JSON.stringify({ type: "sequenceAck", sequenceId: frame.sequenceId }));
    for (const listener of listeners) listener();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.once("close", (code, reason) => resolve({ code, reason: reason.toString() })));
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  const waitFor = (predicate: (frame: Record<string, unknown>) => boolean, ms = 8000): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const found = frames.find(predicate);
        if (!found) return;
        listeners.delete(check);
        clearTimeout(timer);
        resolve(found);
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error("no such frame in time"));
      }, ms);
      listeners.add(check);
      check();
    });
  return { socket, frames, closed, waitFor };
}

describe("a reliable client while its event handler is slow", () => {
  it("acks 1,500 messages on time and answers pings at once; nothing is lost and the session is not closed", async () => {
    const { url } = await stack.serverClient("slow").getClientAccessToken({ userId: "reader" });
    const client = await openReliable(url);
    const connected = await client.waitFor((f) => f.type === "system" && f.event === "connected");
    client.socket.send(JSON.stringify({ type: "event", event: "gated", dataType: "text", data: "one", ackId: 1 }));
    const service = stack.serverClient("slow");
    // More than the 1,000-message unacked buffer while the handler sits on the event.
    for (let i = 0; i < 1500; i += 1) await service.sendToConnection(connected.connectionId as string, `m${i}`, { contentType: "text/plain" });
    // The handler holds the event until the gate opens, so a pong now proves pings do not wait for it.
    client.socket.send(JSON.stringify({ type: "ping" }));
    await client.waitFor((f) => f.type === "pong");
    await client.waitFor((f) => f.type === "message" && f.data === "m1499");
    expect(client.frames.some((f) => f.type === "ack")).toBe(false); // the handler has not answered yet
    expect(gated).toHaveLength(1);
    gated.shift()!();
    expect(await client.waitFor((f) => f.type === "ack" && f.ackId === 1)).toEqual({ type: "ack", ackId: 1, success: true });
    const messages = client.frames.filter((f) => f.type === "message").map((f) => f.data);
    expect(messages).toEqual(Array.from({ length: 1500 }, (_, i) => `m${i}`));
    expect(client.socket.readyState).toBe(WebSocket.OPEN);
    client.socket.close(1000);
  }, 60_000);

  it("200 sequenceAcks and pings while an event waits do not count as waiting frames (the bound is 64)", async () => {
    slowMs = 2000;
    const { url } = await stack.serverClient("slow").getClientAccessToken({ userId: "acker" });
    const client = await openReliable(url, false);
    await client.waitFor((f) => f.type === "system" && f.event === "connected");
    client.socket.send(JSON.stringify({ type: "event", event: "slow", dataType: "text", data: "two", ackId: 1 }));
    for (let i = 1; i <= 100; i += 1) {
      client.socket.send(JSON.stringify({ type: "sequenceAck", sequenceId: i }));
      client.socket.send(JSON.stringify({ type: "ping" }));
    }
    expect(await client.waitFor((f) => f.type === "ack" && f.ackId === 1)).toEqual({ type: "ack", ackId: 1, success: true });
    expect(client.frames.filter((f) => f.type === "pong")).toHaveLength(100);
    expect(client.socket.readyState).toBe(WebSocket.OPEN);
    client.socket.close(1000);
  }, 30_000);
});

describe("an ackId still running when the socket is cut", () => {
  it("runs once: the client's resend after recovery waits for the first outcome and is answered Duplicate", async () => {
    slowMs = 1500;
    slowEvents.length = 0;
    const { url } = await stack.serverClient("slow").getClientAccessToken({ userId: "payer" });
    const first = await openReliable(url);
    const connected = await first.waitFor((f) => f.type === "system" && f.event === "connected");
    first.socket.send(JSON.stringify({ type: "event", event: "pay", dataType: "text", data: "42 EUR", ackId: 42 }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    first.socket.terminate(); // a dropped line: the session waits for recovery
    const recoverUrl = `${url}&awps_connection_id=${connected.connectionId as string}&awps_reconnection_token=${connected.reconnectionToken as string}`;
    const second = await openReliable(recoverUrl);
    second.socket.send(JSON.stringify({ type: "event", event: "pay", dataType: "text", data: "42 EUR", ackId: 42 }));
    await second.waitFor((f) => f.type === "ack" && f.ackId === 42 && f.success === false);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const acks = second.frames.filter((f) => f.type === "ack");
    expect(acks).toEqual([
      { type: "ack", ackId: 42, success: true },
      { type: "ack", ackId: 42, success: false, error: { name: "Duplicate", message: "Message with ackId 42 was already processed." } },
    ]);
    expect(slowEvents).toEqual(["pay:42 EUR"]);
    second.socket.close(1000);
  }, 30_000);
});

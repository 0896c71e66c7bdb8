import http from "node:http";
import type { AddressInfo } from "node:net";
import { HubConnectionBuilder, LogLevel, type HubConnection } from "@microsoft/signalr";
import jwt from "jsonwebtoken";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { until } from "../support/until";
import { startServiceProcess, TEST_ACCESS_KEY, type ServiceProcess } from "./support/service-process";

// The SignalR face under the per-connection bounds: a client that never reads is closed once the
// outbound limit (16 MiB by default) waits for it, whether the bytes are deliveries or its own
// Completions; an upstream that never answers holds at most 32 invocations or 16 MiB of a
// connection, and those are cancelled when the connection ends.
const MiB = 1024 * 1024;
const RS = "\x1e";
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!();
});

function clientToken(userId: string): string {
  return jwt.sign({ aud: "http://localhost/client/?hub=feed", "asrs.s.uid": userId }, TEST_ACCESS_KEY, { algorithm: "HS256", expiresIn: 600 });
}

async function rest(service: ServiceProcess, method: string, path: string, body?: unknown): Promise<number> {
  const response = await fetch(`${service.url}${path}?api-version=2022-06-01`, {
    method,
    headers: {
      authorization: `Bearer ${jwt.sign({ aud: `http://localhost${path}?api-version=2022-06-01` }, TEST_ACCESS_KEY, { algorithm: "HS256", expiresIn: 600 })}`,
      "content-type": "application/json; charset=utf-8",
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  await response.arrayBuffer();
  return response.status;
}

/** A raw SignalR JSON client: handshake done, every text frame recorded. */
async function rawClient(service: ServiceProcess, userId: string): Promise<{ socket: WebSocket; text: () => string; closed: Promise<{ code: number; reason: string }> }> {
  const socket = new WebSocket(`${service.url.replace("http", "ws")}/client/?hub=feed&access_token=${clientToken(userId)}`, { perMessageDeflate: false });
  const chunks: string[] = [];
  socket.on("message", (data) => chunks.push(data.toString()));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.once("close", (code, reason) => resolve({ code, reason: reason.toString() })));
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  socket.send(`{"protocol":"json","version":1}${RS}`);
  await until(() => (chunks.length > 0 ? true : undefined), 10_000);
  expect(chunks[0]).toBe(`{}${RS}`);
  return { socket, text: () => chunks.join(""), closed };
}

async function bystander(service: ServiceProcess): Promise<{ connection: HubConnection; received: () => number }> {
  let received = 0;
  const connection = new HubConnectionBuilder()
    .withUrl(`${service.url}/client/?hub=feed`, { accessTokenFactory: () => clientToken("bystander") })
    .configureLogging(LogLevel.None)
    .build();
  connection.on("message", () => received++);
  await connection.start();
  cleanup.push(() => connection.stop());
  return { connection, received: () => received };
}

async function overLimitCount(service: ServiceProcess): Promise<number> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  const match = /webpubsub_connections_closed_over_limit_total\{face="signalr",hub="feed",limit="outboundLimit"\} (\d+)/.exec(text);
  return match ? Number(match[1]) : 0;
}

describe("SignalR per-connection bounds", () => {
  it("a client that never reads its deliveries is closed with a Close allowing reconnect; memory stays flat; a reading bystander gets every message", async () => {
    const service = await startServiceProcess(["--service", "signalr"]);
    cleanup.push(() => service.stop());
    const stalled = await rawClient(service, "stalled");
    stalled.socket.pause();
    const reader = await bystander(service);
    const payload = "a".repeat(MiB - 1024); // within the REST body limit (1 MiB)
    expect(await rest(service, "POST", "/api/hubs/feed/:send", { target: "message", arguments: [payload] })).toBe(202);
    await until(() => (reader.received() === 1 ? true : undefined), 20_000);
    const baseline = service.rssBytes();
    const broadcasts = 300;
    for (let i = 0; i < broadcasts; i++) await rest(service, "POST", "/api/hubs/feed/:send", { target: "message", arguments: [payload] });
    await until(() => (reader.received() === broadcasts + 1 ? true : undefined), 60_000);
    const grown = service.rssBytes() - baseline;
    console.log(`SignalR slow consumer: RSS grew ${(grown / MiB).toFixed(1)} MiB over ${broadcasts} broadcasts of 1 MiB`);
    expect(grown).toBeLessThan(120 * MiB);
    expect(await overLimitCount(service)).toBe(1);
    expect(await rest(service, "HEAD", "/api/hubs/feed/users/stalled")).toBe(404);
    stalled.socket.resume();
    expect(await stalled.closed).toEqual({ code: 1008, reason: "The client is not reading its messages fast enough." });
    expect(stalled.text().endsWith(`{"type":7,"error":"The client is not reading its messages fast enough.","allowReconnect":true}${RS}`)).toBe(true);
    expect(service.alive()).toBe(true);
  }, 120_000);

  it("a client that never reads its own Completions is closed the same way", async () => {
    // No upstream: every invocation is answered at once with an error Completion carrying its id.
    const service = await startServiceProcess(["--service", "signalr"]);
    cleanup.push(() => service.stop());
    const stalled = await rawClient(service, "stalled");
    stalled.socket.pause();
    const reader = await bystander(service);
    const baseline = service.rssBytes();
    const id = "i".repeat(512 * 1024);
    let sent = 0;
    for (; sent < 400 && stalled.socket.readyState === WebSocket.OPEN; sent++) {
      await new Promise<void>((resolve) => stalled.socket.send(`{"type":1,"invocationId":"${id}${sent}","target":"echo","arguments":[]}${RS}`, () => resolve()));
    }
    const deadline = Date.now() + 30_000;
    while ((await overLimitCount(service)) !== 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await overLimitCount(service)).toBe(1);
    const grown = service.rssBytes() - baseline;
    console.log(`SignalR unread Completions: RSS grew ${(grown / MiB).toFixed(1)} MiB after ${sent} invocations with 512 KiB ids`);
    expect(grown).toBeLessThan(120 * MiB);
    stalled.socket.resume();
    expect(await stalled.closed).toEqual({ code: 1008, reason: "The client is not reading its messages fast enough." });
    expect(await rest(service, "POST", "/api/hubs/feed/:send", { target: "message", arguments: ["still here"] })).toBe(202);
    await until(() => (reader.received() === 1 ? true : undefined), 10_000);
    expect(service.alive()).toBe(true);
  }, 120_000);

  it("a stuck upstream: at most 16 MiB of invocations wait, the rest are refused; memory stays flat; the waiting ones are cancelled when the client leaves", async () => {
    const open = new Set<http.IncomingMessage>();
    let invocations = 0;
    const events: string[] = [];
    const server = http.createServer((req, res) => {
      const event = String(req.headers["x-asrs-event"]);
      events.push(event);
      if (req.headers["x-asrs-category"] === "connections") return void (req.resume(), res.writeHead(200).end());
      invocations++;
      open.add(req);
      req.resume();
      res.on("close", () => open.delete(req)); // never answered: only the service can end it
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    cleanup.push(() => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))));
    const upstream = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const service = await startServiceProcess(["--service", "signalr", "--event-handler", `feed=${upstream}/{hub}/{category}/{event}`]);
    cleanup.push(() => service.stop());
    const reader = await bystander(service);
    const sender = await rawClient(service, "sender");
    const baseline = service.rssBytes();
    const argument = "b".repeat(MiB - 256);
    for (let i = 0; i < 250 && sender.socket.readyState === WebSocket.OPEN; i++) {
      await new Promise<void>((resolve) => sender.socket.send(`{"type":1,"invocationId":"${i}","target":"slow","arguments":["${argument}"]}${RS}`, () => resolve()));
    }
    // 16 invocations of just under 1 MiB fit in 16 MiB; every later one is refused at once.
    const refused = (): number => (sender.text().match(/Too many bytes of invocations in flight \(at most 16777216 per connection\)/g) ?? []).length;
    await until(() => (refused() === 250 - 16 ? true : undefined), 60_000).catch((error: Error) => {
      throw new Error(`${error.message}: ${refused()} refused, ${invocations} invocations, socket ${sender.socket.readyState}, ${sender.text().slice(-300)}`);
    });
    await until(() => (open.size === 16 ? true : undefined), 10_000);
    const grown = service.rssBytes() - baseline;
    console.log(`SignalR stuck upstream: RSS grew ${(grown / MiB).toFixed(1)} MiB while a client invoked 250 times with 1 MiB`);
    // Unbounded, all 250 MiB would wait. Bounded, 16 MiB wait; the refused frames are garbage the
    // collector has not always returned yet (about 100 MiB of RSS was seen on a busy machine).
    expect(grown).toBeLessThan(160 * MiB);
    expect(invocations).toBe(16);

    sender.socket.close(1000);
    // The upstream timeout is 30 s: the requests end now because the connection did.
    await until(() => (open.size === 0 && events.includes("disconnected") ? true : undefined), 10_000);
    expect(invocations).toBe(16);
    expect(await rest(service, "POST", "/api/hubs/feed/:send", { target: "message", arguments: ["still here"] })).toBe(202);
    await until(() => (reader.received() === 1 ? true : undefined), 10_000);
    expect(service.alive()).toBe(true);
  }, 120_000);
});

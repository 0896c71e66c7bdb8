import http from "node:http";
import type { AddressInfo } from "node:net";
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { until } from "../support/until";
import { startServiceProcess } from "./support/service-process";

// Frames used to queue without limit behind an event handler that does not answer (400 frames of
// 1 MiB took the service from 66 to 477 MB), and queued events still went upstream after the
// connection's `disconnected`.
const MiB = 1024 * 1024;
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!();
});

/** An event handler that records each request's ce-type as it arrives and answers user events after `answerMs` (never when Infinity). */
async function slowHandler(answerMs: number): Promise<{ url: string; types: string[] }> {
  const types: string[] = [];
  const server = http.createServer((req, res) => {
    if (req.method === "OPTIONS") return void res.writeHead(200, { "WebHook-Allowed-Origin": "*" }).end();
    const type = String(req.headers["ce-type"]);
    types.push(type);
    req.resume();
    if (!type.startsWith("azure.webpubsub.user.")) return void res.writeHead(200).end();
    if (Number.isFinite(answerMs)) setTimeout(() => res.writeHead(200).end(), answerMs);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanup.push(() => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, types };
}

async function open(url: string): Promise<WebSocket> {
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  return socket;
}

describe("frames waiting for the event handler", () => {
  it("a stuck handler: past 16 MiB of waiting frames the connection is closed with 1008; memory stays flat; a bystander is still served", async () => {
    const handler = await slowHandler(Infinity);
    const service = await startServiceProcess(["--event-handler", `chat=${handler.url}/{hub}/{event}`]);
    cleanup.push(() => service.stop());
    const client = new WebPubSubServiceClient(service.connectionString, "chat", { allowInsecureConnection: true });
    const bystander = await open((await client.getClientAccessToken({ userId: "bystander" })).url);
    let bystanderGot = 0;
    bystander.on("message", () => bystanderGot++);
    const sender = await open((await client.getClientAccessToken({ userId: "sender" })).url);
    const closed = new Promise<{ code: number; reason: string }>((resolve) => sender.once("close", (code, reason) => resolve({ code, reason: reason.toString() })));
    const frame = Buffer.alloc(MiB - 64, 0x62);
    sender.send(frame); // the first one is in flight (never answered)
    await until(() => (handler.types.includes("azure.webpubsub.user.message") ? true : undefined), 10_000);
    const baseline = service.rssBytes();
    for (let i = 0; i < 400 && sender.readyState === WebSocket.OPEN; i++) {
      sender.send(frame);
      if (i % 16 === 15) await new Promise<void>((resolve) => sender.send("", () => resolve()));
    }
    expect(await closed).toEqual({ code: 1008, reason: "Too many messages are waiting for the event handler." });
    const grown = service.rssBytes() - baseline;
    console.log(`stuck handler: RSS grew ${(grown / MiB).toFixed(1)} MiB while a client sent up to 400 frames of 1 MiB`);
    expect(grown).toBeLessThan(120 * MiB);
    await until(() => (handler.types.includes("azure.webpubsub.sys.disconnected") ? true : undefined), 10_000);
    expect(handler.types.filter((t) => t === "azure.webpubsub.user.message")).toHaveLength(1);
    expect(await (await fetch(`${service.url}/metrics`)).text()).toContain('webpubsub_connections_closed_over_limit_total{face="webpubsub",hub="chat",limit="inboundLimit"} 1');
    await client.sendToAll("still here", { contentType: "text/plain" });
    await until(() => (bystanderGot === 1 ? true : undefined), 10_000);
    expect(service.alive()).toBe(true);
    bystander.close();
  }, 120_000);

  it("no event reaches the handler after the connection's disconnected event", async () => {
    const handler = await slowHandler(300);
    const service = await startServiceProcess(["--event-handler", `chat=${handler.url}/{hub}/{event}`]);
    cleanup.push(() => service.stop());
    const client = new WebPubSubServiceClient(service.connectionString, "chat", { allowInsecureConnection: true });
    const sender = await open((await client.getClientAccessToken({ userId: "sender" })).url);
    for (let i = 0; i < 8; i++) sender.send(`event ${i}`);
    await until(() => (handler.types.includes("azure.webpubsub.user.message") ? true : undefined), 10_000);
    sender.close(1000);
    await until(() => (handler.types.includes("azure.webpubsub.sys.disconnected") ? true : undefined), 10_000);
    // The old queue sent one event every 300 ms; give it time to show.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const after = handler.types.slice(handler.types.indexOf("azure.webpubsub.sys.disconnected") + 1);
    expect(after).toEqual([]);
  }, 60_000);
});

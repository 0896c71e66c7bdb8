import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { until } from "../support/until";
import { startServiceProcess, type ServiceProcess } from "./support/service-process";

// A client that never reads used to make the service buffer every broadcast for it: 300 messages
// of 1 MiB grew the process by hundreds of MB. Now its socket may hold 16 MiB, then it is closed.
const MiB = 1024 * 1024;
const BROADCASTS = 300;
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!();
});

async function open(url: string, protocol?: string): Promise<WebSocket> {
  const socket = protocol ? new WebSocket(url, protocol) : new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  return socket;
}

async function metricValue(service: ServiceProcess, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  const match = pattern.exec(text);
  return match ? Number(match[1]) : 0;
}

describe.each([
  { protocol: undefined, name: "raw" },
  { protocol: "json.webpubsub.azure.v1", name: "json" },
])("a $name client that never reads", ({ protocol }) => {
  it("is closed with 1008 once 16 MiB wait for it; memory stays flat; a reading bystander gets every message", async () => {
    const service = await startServiceProcess();
    cleanup.push(() => service.stop());
    const client = new WebPubSubServiceClient(service.connectionString, "feed", { allowInsecureConnection: true });
    const stalled = await open((await client.getClientAccessToken({ userId: "stalled" })).url, protocol);
    const closed = new Promise<{ code: number; reason: string }>((resolve) => stalled.once("close", (code, reason) => resolve({ code, reason: reason.toString() })));
    stalled.pause(); // stops reading from the TCP socket: the kernel buffers fill, then the service's
    const bystander = await open((await client.getClientAccessToken({ userId: "bystander" })).url);
    let received = 0;
    bystander.on("message", () => received++);

    const payload = Buffer.alloc(MiB, 0x61).toString();
    await client.sendToAll(payload, { contentType: "text/plain" }); // warm-up: the first large message allocates pools
    await until(() => (received === 1 ? true : undefined), 20_000);
    const baseline = service.rssBytes();
    for (let i = 0; i < BROADCASTS; i++) await client.sendToAll(payload, { contentType: "text/plain" });
    await until(() => (received === BROADCASTS + 1 ? true : undefined), 60_000);
    const grown = service.rssBytes() - baseline;

    console.log(`slow consumer (${protocol ?? "raw"}): RSS grew ${(grown / MiB).toFixed(1)} MiB over ${BROADCASTS} broadcasts of 1 MiB`);
    expect(await client.userExists("stalled")).toBe(false);
    expect(await metricValue(service, /webpubsub_connections_closed_over_limit_total\{face="webpubsub",hub="feed",limit="outboundLimit"\} (\d+)/)).toBe(1);
    expect(grown).toBeLessThan(120 * MiB);
    stalled.resume();
    expect(await closed).toEqual({ code: 1008, reason: "The client is not reading its messages fast enough." });
    expect(service.alive()).toBe(true);
    bystander.close();
  }, 120_000);
});

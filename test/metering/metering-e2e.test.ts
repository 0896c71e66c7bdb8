/**
 * Azure's worked examples and the tier quotas, end to end: A's real service (`createServer`,
 * port 0) with this meter, the official SDKs as app server and clients, F's real HTTP upstream
 * dispatcher posting CloudEvents to a real `@azure/web-pubsub-express` handler whose code calls
 * the REST API back. Nothing here is mocked; counts are read from the meter the server used.
 */
import { WebPubSubClient, type WebPubSubClientOptions } from "@azure/web-pubsub-client";
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import WebSocket from "ws";
import { afterEach, describe, expect, it } from "vitest";
import { createUsageMeter, type UsageMeter } from "../../emulator/src/metering/usage-meter";
import type { UsageMeterOptions } from "../../emulator/src/metering/usage-meter";
import { createServer, type ServiceServer } from "../../emulator/src/server";
import { createUpstreamDispatcher } from "../../emulator/src/upstream/http-upstream-dispatcher";
import { settingsFromHandlers } from "../../emulator/src/upstream/upstream-settings";
import { startRelayAppServer } from "../support/relay-app-server";

const HUB = "metering";
const KB = 1024;
const cleanups: Array<() => Promise<unknown> | unknown> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startService(meterOptions: UsageMeterOptions = {}, extra: Parameters<typeof createServer>[0] = {}) {
  const meter = createUsageMeter(meterOptions);
  const server = await createServer({ port: 0, meter, ...extra });
  cleanups.push(() => server.close());
  const service = new WebPubSubServiceClient(server.connectionString, HUB, { allowInsecureConnection: true });
  return { meter, server, service };
}

async function connectClient(service: WebPubSubServiceClient, roles: string[] = [], options: WebPubSubClientOptions = {}): Promise<WebPubSubClient> {
  const client = new WebPubSubClient(
    { getClientAccessUrl: async () => (await service.getClientAccessToken({ roles })).url },
    { autoReconnect: false, ...options },
  );
  cleanups.push(() => client.stop());
  await client.start();
  return client;
}

function nextServerMessage(client: WebPubSubClient): Promise<string> {
  return new Promise((resolve) => client.on("server-message", (e) => resolve(String(e.message.data))));
}

function hubUsage(meter: UsageMeter) {
  return meter.snapshot().sinceStart.hubs[HUB];
}

describe("Azure's worked examples on the real service", () => {
  it("an app server broadcasts 1 KB to 3 clients: 3 billed, the REST send free", async () => {
    const { meter, service } = await startService();
    const clients = await Promise.all([0, 1, 2].map(() => connectClient(service)));
    const received = clients.map(nextServerMessage);
    await service.sendToAll("x".repeat(KB), { contentType: "text/plain" });
    expect(await Promise.all(received)).toEqual(["x".repeat(KB), "x".repeat(KB), "x".repeat(KB)]);

    const usage = hubUsage(meter);
    expect(usage.inbound).toEqual({ messages: 1, bytes: KB, fromClients: 0, fromRest: 1 });
    expect(usage.outbound).toEqual({ messages: 3, bytes: 3 * KB, billedUnits: 3, toClients: 3, toUpstream: 0 });
    expect(usage.connections).toEqual({ current: 3, peak: 3, opened: 3 });
  });

  it("client A sends 1 KB to client B without the app server: 1 billed", async () => {
    const { meter, service } = await startService();
    const roles = ["webpubsub.joinLeaveGroup.room", "webpubsub.sendToGroup.room"];
    const [a, b] = await Promise.all([connectClient(service, roles), connectClient(service, roles)]);
    await Promise.all([a.joinGroup("room"), b.joinGroup("room")]);
    const received = new Promise<string>((resolve) => b.on("group-message", (e) => resolve(String(e.message.data))));
    await a.sendToGroup("room", "y".repeat(KB), "text", { noEcho: true });
    expect(await received).toBe("y".repeat(KB));

    const usage = hubUsage(meter);
    expect(usage.inbound).toEqual({ messages: 1, bytes: KB, fromClients: 1, fromRest: 0 });
    expect(usage.outbound).toEqual({ messages: 1, bytes: KB, billedUnits: 1, toClients: 1, toUpstream: 0 });
  });

  it("a client sends 4 KB that the app server (upstream) broadcasts to 3 clients: 8 billed", async () => {
    const relay = await startRelayAppServer(HUB);
    cleanups.push(() => relay.close());

    const meter = createUsageMeter();
    let servicePort = 0;
    const upstream = createUpstreamDispatcher({
      settings: settingsFromHandlers([
        { hub: HUB, handler: { urlTemplate: relay.url, systemEvents: [], eventPattern: "*" } },
      ]),
      accessKeys: ["ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH"],
      origin: () => `localhost:${servicePort}`,
      meter,
      retryDelaysMs: [],
    });
    const server: ServiceServer = await createServer({ port: 0, meter, upstream });
    cleanups.push(() => server.close());
    servicePort = server.port;
    const service = new WebPubSubServiceClient(server.connectionString, HUB, { allowInsecureConnection: true });
    relay.useService(service);

    const clients = await Promise.all([0, 1, 2].map(() => connectClient(service)));
    const received = clients.map(nextServerMessage);
    await clients[0].sendEvent("broadcast", "z".repeat(4 * KB), "text");
    expect(await Promise.all(received)).toEqual(["z".repeat(4 * KB), "z".repeat(4 * KB), "z".repeat(4 * KB)]);

    const usage = hubUsage(meter);
    expect(usage.inbound).toEqual({ messages: 2, bytes: 8 * KB, fromClients: 1, fromRest: 1 });
    expect(usage.outbound).toEqual({ messages: 4, bytes: 16 * KB, billedUnits: 8, toClients: 3, toUpstream: 1 });
  });
});

describe("tier quotas on the real service", () => {
  it("refuses the connection over the limit with 429 and a one-line reason", async () => {
    const { meter, service } = await startService({ quota: { tier: "free", maxConnections: 2 } });
    await connectClient(service);
    await connectClient(service);

    const { url } = await service.getClientAccessToken();
    const refused = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const socket = new WebSocket(url);
      socket.on("open", () => reject(new Error("the third connection was accepted")));
      socket.on("unexpected-response", (_req, res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
    });
    expect(refused.status).toBe(429);
    expect(refused.body).toBe("ConnectionQuotaExceeded: Connection limit reached: the simulated free tier with 1 unit(s) allows 2 concurrent connections.");
    await expect(connectClient(service)).rejects.toThrow();
    expect(hubUsage(meter).connections).toEqual({ current: 2, peak: 2, opened: 2 });
    expect(await meter.metrics.text()).toContain('webpubsub_quota_refusals_total{face="webpubsub",hub="metering",kind="connection"} 2');
  });

  it("refuses messages once the daily units are used: REST 429 ErrorDetail and a client ack error", async () => {
    const { meter, service } = await startService({ quota: { tier: "free", maxDailyMessages: 3 } });
    const roles = ["webpubsub.joinLeaveGroup.room", "webpubsub.sendToGroup.room"];
    const client = await connectClient(service, roles, { messageRetryOptions: { maxRetries: 0 } });
    await client.joinGroup("room");
    let received = nextServerMessage(client);
    await service.sendToAll("a".repeat(4 * KB), { contentType: "text/plain" }); // 2 units
    await received;
    received = nextServerMessage(client);
    await service.sendToAll("b", { contentType: "text/plain" }); // 1 unit: 3 used
    await received;

    await expect(service.sendToAll("c", { contentType: "text/plain" })).rejects.toMatchObject({
      statusCode: 429,
      code: "MessageQuotaExceeded",
      message: "Daily message limit reached: the simulated free tier allows 3 messages (2 KB units) per UTC day.",
    });
    await expect(client.sendToGroup("room", "d", "text")).rejects.toMatchObject({
      errorDetail: { name: "Forbidden", message: "Daily message limit reached: the simulated free tier allows 3 messages (2 KB units) per UTC day." },
    });
    expect(hubUsage(meter).outbound).toEqual({ messages: 2, bytes: 4 * KB + 1, billedUnits: 3, toClients: 2, toUpstream: 0 });
  });
});

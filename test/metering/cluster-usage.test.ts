/**
 * `/api/usage` on the real service, summed over a cluster: two nodes linked by the in-process
 * backplane, and two linked by a real redis-server (D's RedisBackplane). Both use the service's
 * built-in meter, so this also checks the default wiring (`quota` option, routes, CORS).
 */
import { randomUUID } from "node:crypto";
import { WebPubSubClient } from "@azure/web-pubsub-client";
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Backplane } from "../../emulator/src/backplane/backplane";
import { InProcessBus } from "../../emulator/src/backplane/in-process-backplane";
import { RedisBackplane } from "../../emulator/src/backplane/redis-backplane";
import type { UsageReport } from "../../emulator/src/metering/usage-report";
import { createServer, type ServiceServer } from "../../emulator/src/server";
import { startRedisServer, type RedisServerProcess } from "../support/redis-server";
import { requiredBinary } from "../support/required-binary";

const HUB = "metered";
const KB = 1024;
const cleanups: Array<() => Promise<unknown> | unknown> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startNodes(backplanes: Backplane[]): Promise<ServiceServer[]> {
  const nodes: ServiceServer[] = [];
  for (const backplane of backplanes) {
    const node = await createServer({ port: 0, host: "127.0.0.1", backplane, quota: { tier: "free" } });
    cleanups.push(() => node.close());
    nodes.push(node);
  }
  return nodes;
}

async function connect(node: ServiceServer): Promise<{ client: WebPubSubClient; received: Promise<string> }> {
  const tokens = new WebPubSubServiceClient(node.connectionString, HUB, { allowInsecureConnection: true });
  const client = new WebPubSubClient({ getClientAccessUrl: async () => (await tokens.getClientAccessToken()).url }, { autoReconnect: false });
  cleanups.push(() => client.stop());
  const received = new Promise<string>((resolve) => client.on("server-message", (e) => resolve(String(e.message.data))));
  await client.start();
  return { client, received };
}

async function usage(node: ServiceServer): Promise<UsageReport> {
  const response = await fetch(`${node.url}/api/usage`);
  expect(response.status).toBe(200);
  expect(response.headers.get("access-control-allow-origin")).toBe("*");
  return (await response.json()) as UsageReport;
}

/** Two clients on the first node, one on the second; the app broadcasts 1 KB through the first node. */
async function broadcastAcross(nodes: ServiceServer[]): Promise<void> {
  const clients = [await connect(nodes[0]), await connect(nodes[0]), await connect(nodes[1])];
  const service = new WebPubSubServiceClient(nodes[0].connectionString, HUB, { allowInsecureConnection: true });
  await service.sendToAll("q".repeat(KB), { contentType: "text/plain" });
  expect(await Promise.all(clients.map((c) => c.received))).toEqual(["q".repeat(KB), "q".repeat(KB), "q".repeat(KB)]);
}

function expectClusterTotals(report: UsageReport): void {
  expect(report.nodes).toBe(2);
  expect(report.tier).toEqual({ tier: "free", units: 1, maxConnections: 20, maxDailyMessages: 20000 });
  expect(report.sinceStart.hubs[HUB]).toEqual({
    connections: { current: 3, peak: 3, opened: 3 },
    inbound: { messages: 1, bytes: KB, fromClients: 0, fromRest: 1 },
    outbound: { messages: 3, bytes: 3 * KB, billedUnits: 3, toClients: 3, toUpstream: 0, signalrMessages: 3, trafficUnits: 2 },
  });
  expect(report.perDay[report.today].total.outbound.billedUnits).toBe(3);
}

describe("cluster usage over the in-process backplane", () => {
  it("any node reports the sum of both; /metrics stays per node", async () => {
    const bus = new InProcessBus();
    const nodes = await startNodes([bus.createBackplane(), bus.createBackplane()]);
    await broadcastAcross(nodes);

    expectClusterTotals(await usage(nodes[1]));
    expectClusterTotals(await usage(nodes[0]));
    const metrics = await (await fetch(`${nodes[0].url}/metrics`)).text();
    expect(metrics.split("\n")).toContain(`webpubsub_outbound_billed_units_total{face="webpubsub",hub="${HUB}",target="client"} 2`);
    expect(metrics.split("\n")).toContain(`webpubsub_connections{face="webpubsub",hub="${HUB}"} 2`);
  });
});

const redisBinary = requiredBinary("redis-server", ["/usr/bin/redis-server"]);

describe.runIf(redisBinary)("cluster usage over Redis", () => {
  let redis: RedisServerProcess;
  beforeAll(async () => {
    redis = await startRedisServer(redisBinary!);
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it("any node reports the sum of both nodes linked by a real redis-server", async () => {
    const channelPrefix = `usage${randomUUID().slice(0, 8)}`;
    const nodes = await startNodes([0, 1].map((i) => new RedisBackplane({ url: redis.url, nodeId: `usage-node-${i}`, channelPrefix })));
    await broadcastAcross(nodes);

    expectClusterTotals(await usage(nodes[1]));
    expectClusterTotals(await usage(nodes[0]));
  });
});

import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { BackplaneNode } from "../../emulator/src/backplane/backplane";
import { InProcessBus } from "../../emulator/src/backplane/in-process-backplane";
import { createMeteringHttpHandler, type MeteringHttpDeps } from "../../emulator/src/metering/metering-http-handler";
import { createUsageMeter, type UsageMeter } from "../../emulator/src/metering/usage-meter";
import type { UsageReport } from "../../emulator/src/metering/usage-report";

const servers: http.Server[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A real HTTP server with only the metering handler mounted; anything else is a 404. */
async function serve(deps: MeteringHttpDeps): Promise<string> {
  const handler = createMeteringHttpHandler(deps);
  const server = http.createServer((req, res) => {
    if (!handler(req, res)) {
      res.writeHead(404);
      res.end();
    }
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A node of the in-process backplane that answers the `usage` query the way the service node does. */
function usageNode(meter: UsageMeter): BackplaneNode {
  return {
    applyRemoteCommand: () => {},
    answerQuery: (_hub, query) => (query.kind === "usage" ? { kind: "usage", value: meter.snapshot() } : { kind: "boolean", value: false }),
  };
}

describe("GET /api/usage", () => {
  it("reports per hub and total, since start and for today, with CORS for the web page", async () => {
    const meter = createUsageMeter({ now: () => Date.parse("2025-06-01T08:00:00.000Z"), quota: { tier: "free" } });
    meter.connectionOpened("chat");
    meter.inboundMessage("chat", "rest", 100);
    meter.outboundMessage("chat", "client", 2049);
    const base = await serve({ meter });

    const response = await fetch(`${base}/api/usage`, { headers: { origin: "http://localhost:5173" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
    const report = (await response.json()) as UsageReport;
    const expectedChat = {
      connections: { current: 1, peak: 1, opened: 1 },
      inbound: { messages: 1, bytes: 100, fromClients: 0, fromRest: 1 },
      outbound: { messages: 1, bytes: 2049, billedUnits: 2, toClients: 1, toUpstream: 0, signalrMessages: 2, trafficUnits: 2 },
    };
    expect(report).toMatchObject({
      startedAt: "2025-06-01T08:00:00.000Z",
      nodes: 1,
      tier: { tier: "free", units: 1, maxConnections: 20, maxDailyMessages: 20000 },
      today: "2025-06-01",
    });
    expect(report.sinceStart).toEqual({ total: expectedChat, hubs: { chat: expectedChat } });
    expect(report.perDay).toEqual({ "2025-06-01": { total: expectedChat, hubs: { chat: expectedChat } } });
    expect(Object.keys(report.rules).sort()).toEqual(["billedUnits", "signalrMessages", "trafficUnits"]);
  });

  it("answers the CORS preflight and refuses other methods with a coded error", async () => {
    const base = await serve({ meter: createUsageMeter() });
    const preflight = await fetch(`${base}/api/usage`, { method: "OPTIONS" });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-methods")).toBe("GET, HEAD, OPTIONS");
    const post = await fetch(`${base}/api/usage`, { method: "POST", body: "{}" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
    expect(await post.json()).toEqual({ code: "MethodNotAllowed", message: "/api/usage supports GET and HEAD only." });
    expect((await fetch(`${base}/api/hubs/chat/:send`)).status).toBe(404);
  });

  it("sums the usage of every node linked by the backplane", async () => {
    const bus = new InProcessBus();
    const meters = [createUsageMeter(), createUsageMeter(), createUsageMeter()];
    const backplanes = meters.map(() => bus.createBackplane());
    await Promise.all(backplanes.map((backplane, i) => backplane.attach(usageNode(meters[i]))));
    meters.forEach((meter, i) => {
      meter.connectionOpened("chat");
      for (let n = 0; n <= i; n++) meter.outboundMessage("chat", "client", 3000);
    });
    const base = await serve({
      meter: meters[0],
      otherNodesUsage: async () => (await backplanes[0].query("chat", { kind: "usage" })).map((answer) => (answer.kind === "usage" ? answer.value : undefined)),
    });

    const report = (await (await fetch(`${base}/api/usage`)).json()) as UsageReport;
    expect(report.nodes).toBe(3);
    expect(report.sinceStart.hubs.chat.connections.current).toBe(3);
    expect(report.sinceStart.hubs.chat.outbound).toMatchObject({ messages: 6, bytes: 18000, billedUnits: 12, trafficUnits: 9 });
    await Promise.all(backplanes.map((backplane) => backplane.close()));
  });

  it("ignores malformed answers from other nodes and falls back to its own usage when the backplane fails", async () => {
    const meter = createUsageMeter();
    meter.outboundMessage("chat", "client", 10);
    const malformed = await serve({ meter, otherNodesUsage: async () => [{ nodes: "x" }, null] });
    expect(((await (await fetch(`${malformed}/api/usage`)).json()) as UsageReport).nodes).toBe(1);

    const failing = await serve({ meter, otherNodesUsage: () => Promise.reject(new Error("redis down")) });
    const report = (await (await fetch(`${failing}/api/usage`)).json()) as UsageReport;
    expect(report.nodes).toBe(1);
    expect(report.sinceStart.total.outbound.billedUnits).toBe(1);
    expect(await meter.metrics.text()).toContain("webpubsub_backplane_errors_total 1\n");
  });
});

describe("GET /metrics", () => {
  it("serves Prometheus text from a registry of its own per meter", async () => {
    const meter = createUsageMeter();
    const other = createUsageMeter();
    meter.connectionOpened("chat");
    meter.inboundMessage("chat", "client", 4096);
    meter.outboundMessage("chat", "upstream", 4096);
    meter.outboundMessage("chat", "client", 10);
    meter.restLatency("sendToAll", 0.003);
    meter.upstreamLatency("message", 0.02);
    other.connectionOpened("chat");
    other.connectionOpened("chat");
    const base = await serve({ meter });

    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const text = await response.text();
    for (const line of [
      'webpubsub_connections{face="webpubsub",hub="chat"} 1',
      'webpubsub_inbound_messages_total{face="webpubsub",hub="chat",source="client"} 1',
      'webpubsub_inbound_bytes_total{face="webpubsub",hub="chat",source="client"} 4096',
      'webpubsub_outbound_messages_total{face="webpubsub",hub="chat",target="upstream"} 1',
      'webpubsub_outbound_billed_units_total{face="webpubsub",hub="chat",target="upstream"} 2',
      'webpubsub_outbound_billed_units_total{face="webpubsub",hub="chat",target="client"} 1',
      'webpubsub_rest_latency_seconds_bucket{le="0.005",operation="sendToAll"} 1',
      'webpubsub_rest_latency_seconds_bucket{le="0.0025",operation="sendToAll"} 0',
      'webpubsub_upstream_latency_seconds_count{event="message"} 1',
      "webpubsub_backplane_errors_total 0",
    ]) {
      expect(text.split("\n")).toContain(line);
    }
  });
});

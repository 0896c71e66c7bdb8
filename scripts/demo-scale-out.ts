/**
 * `npm run demo:scale-out [-- --clients N --messages M --json]`
 *
 * The "pod 1 / pod 2" problem, shown and solved. Two service nodes, each with its own function
 * host (as two pods of one deployment would be). N clients negotiate through host 1 and connect
 * to node 1; M broadcasts go through host 2, whose service client talks to node 2.
 *   independent: the nodes share nothing, so node 2 has no client to deliver to: all lost.
 *   redis:       the nodes share a Redis backplane: every delivery arrives.
 * Rows count deliveries: sent = M messages x N clients.
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import net from "node:net";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { WebPubSubClient, WebPubSubJsonProtocol } from "@azure/web-pubsub-client";
import { RedisBackplane, createServer, type ServiceServer } from "@serverless-pubsub-kit/emulator";
import { createBroadcastHandler } from "../functions/broadcast";
import { createNegotiateHandler } from "../functions/negotiate";
import type { RouteDefinition } from "../functions/route-table-types";
import type { TriggerDeps } from "../functions/trigger-deps";
import { createFunctionsHost, type FunctionsHost } from "../host/functions-host";
import { parseConfig } from "../shared/config";
import { createRealtimeService } from "../shared/realtime-service-factory";
import { freePort } from "./free-port";

type Mode = "independent" | "redis";
interface Row {
  mode: Mode;
  sent: number;
  delivered: number;
  lost: number;
  p50Ms: number | null;
  p99Ms: number | null;
}

const HUB = "demo";

function redisServerPath(): string {
  try {
    return execFileSync("which", ["redis-server"], { encoding: "utf8" }).trim();
  } catch {
    console.error("redis-server was not found on PATH. Install it (Debian/Ubuntu: sudo apt-get install -y redis-server) and run the demo again.");
    process.exit(1);
  }
}

async function startRedis(): Promise<{ url: string; process: ChildProcess }> {
  const port = await freePort();
  const child = spawn(redisServerPath(), ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  const deadline = Date.now() + 5000;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1", () => {
        socket.end();
        resolve(true);
      });
      socket.on("error", () => resolve(false));
    });
    if (up) break;
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`redis-server did not start on port ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url: `redis://127.0.0.1:${port}`, process: child };
}

/** A function host whose triggers talk to one node: the pod's own app settings. */
async function functionHostFor(node: ServiceServer): Promise<FunctionsHost> {
  const config = parseConfig({ WebPubSubConnectionString: node.connectionString, WebPubSubHub: HUB, IdentityMode: "anonymous" });
  const deps: TriggerDeps = { config, service: createRealtimeService(config) };
  const routes: RouteDefinition[] = [
    { name: "negotiate", methods: ["GET", "POST"], route: "negotiate", authLevel: "anonymous", handler: createNegotiateHandler(deps) },
    { name: "broadcast", methods: ["POST"], route: "broadcast", authLevel: "function", handler: createBroadcastHandler(deps) },
  ];
  return createFunctionsHost({ routes, port: 0, host: "127.0.0.1" });
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return Number(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!.toFixed(2));
}

async function runMode(mode: Mode, redisUrl: string, clientCount: number, messageCount: number): Promise<Row> {
  const backplane = (): RedisBackplane | undefined => (mode === "redis" ? new RedisBackplane({ url: redisUrl, channelPrefix: "demo" }) : undefined);
  const nodes: ServiceServer[] = [];
  const hosts: FunctionsHost[] = [];
  const clients: WebPubSubClient[] = [];
  try {
    for (let i = 0; i < 2; i++) {
      const bp = backplane();
      nodes.push(await createServer({ port: 0, host: "127.0.0.1", ...(bp ? { backplane: bp } : {}) }));
    }
    for (const node of nodes) hosts.push(await functionHostFor(node));
    const [host1, host2] = hosts as [FunctionsHost, FunctionsHost];

    const latencies: number[] = [];
    let lastDeliveryAt = performance.now();
    for (let i = 0; i < clientCount; i++) {
      const client = new WebPubSubClient(
        {
          getClientAccessUrl: async () => {
            const res = await fetch(`${host1.url}/api/negotiate?userId=client-${i}`);
            if (!res.ok) throw new Error(`negotiate on host 1 failed: ${res.status} ${await res.text()}`);
            return ((await res.json()) as { url: string }).url;
          },
        },
        { protocol: WebPubSubJsonProtocol(), autoReconnect: false },
      );
      client.on("server-message", (e) => {
        const now = performance.now();
        latencies.push(now - (e.message.data as { sentAt: number }).sentAt);
        lastDeliveryAt = now;
      });
      await client.start();
      clients.push(client);
    }

    for (let seq = 0; seq < messageCount; seq++) {
      const res = await fetch(`${host2.url}/api/broadcast`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ seq, sentAt: performance.now() }),
      });
      if (res.status !== 202) throw new Error(`broadcast on host 2 failed: ${res.status} ${await res.text()}`);
    }
    // Wait until everything arrived, or until nothing more has arrived for 500 ms.
    const expected = clientCount * messageCount;
    const sentAllAt = performance.now();
    while (latencies.length < expected && performance.now() - Math.max(lastDeliveryAt, sentAllAt) < 500) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    return { mode, sent: expected, delivered: latencies.length, lost: expected - latencies.length, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99) };
  } finally {
    await Promise.all(clients.map((c) => c.stop()));
    await Promise.all(hosts.map((h) => h.close()));
    await Promise.all(nodes.map((n) => n.close()));
  }
}

function printTable(rows: Row[], clients: number, messages: number): void {
  console.log(`pod 1 / pod 2: ${clients} clients on node 1, ${messages} broadcasts through the function host of node 2`);
  const header = ["mode", "sent", "delivered", "lost", "p50 ms", "p99 ms"];
  const cells = rows.map((r) => [r.mode, String(r.sent), String(r.delivered), String(r.lost), r.p50Ms === null ? "-" : r.p50Ms.toFixed(2), r.p99Ms === null ? "-" : r.p99Ms.toFixed(2)]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (values: string[]): string => values.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join("  ");
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const c of cells) console.log(line(c));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { clients: { type: "string", default: "20" }, messages: { type: "string", default: "100" }, json: { type: "boolean", default: false } },
    strict: true,
  });
  const clients = Number(values.clients);
  const messages = Number(values.messages);
  if (!Number.isInteger(clients) || clients < 1 || !Number.isInteger(messages) || messages < 1) {
    console.error("--clients and --messages must be positive integers");
    process.exit(1);
  }
  const redis = await startRedis();
  try {
    const rows = [await runMode("independent", redis.url, clients, messages), await runMode("redis", redis.url, clients, messages)];
    if (values.json) console.log(JSON.stringify(rows));
    else printTable(rows, clients, messages);
  } finally {
    redis.process.kill("SIGKILL");
  }
  // Everything is closed; don't wait for idle keep-alive sockets of the SDK clients to time out.
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(`demo failed: ${(error as Error).message}`);
  process.exit(1);
});

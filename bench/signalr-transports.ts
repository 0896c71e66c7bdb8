/**
 * The SignalR face's three transports side by side, in one run on this machine, with the service
 * in a child process and `@microsoft/signalr` clients (JSON) in this one:
 * - REST broadcast of 1 KB to 200 clients on WebSockets (the peer), Server-Sent Events and Long
 *   Polling: deliveries/s and the p99 of send-to-receipt latency, rounds alternating;
 * - the cost of 2 KB WebSocket frames: a 16 KB broadcast to 200 WebSocket clients from a service
 *   that fragments (2,048-byte frames) against one that does not (0), service CPU per delivery.
 * Run: `npm run bench -- signalr-transports [--quick]` or `npx tsx bench/signalr-transports.ts`
 * → bench/results/signalr-transports.json.
 */
import type { ChildProcess } from "node:child_process";
import os from "node:os";
import { performance } from "node:perf_hooks";
import { HttpTransportType, HubConnectionBuilder, LogLevel, type HubConnection } from "@microsoft/signalr";
import jwt from "jsonwebtoken";
import { DEFAULT_ACCESS_KEY } from "../emulator/src/options";
import { runBench } from "./bench-results";
import { cpuMicros, startBenchChild } from "./signalr-bench-control";

const quick = process.argv.includes("--quick");
const CLIENTS = quick ? 50 : 200;
const MESSAGES = quick ? 10 : 40;
const ROUNDS = quick ? 1 : 3;
const HUB = "bench";


const sign = (claims: object) => jwt.sign(claims, DEFAULT_ACCESS_KEY, { algorithm: "HS256", expiresIn: 3600 });

/** Clients of one transport, counting what arrives and when. */
class Clients {
  readonly connections: HubConnection[] = [];
  latencies: number[] = [];
  received = 0;
  private expected = 0;
  private done: (() => void) | undefined;

  constructor(private readonly transport: HttpTransportType) {}

  async open(port: number, count: number): Promise<void> {
    for (let start = 0; start < count; start += 25) {
      const batch = Array.from({ length: Math.min(25, count - start) }, async () => {
        const connection = new HubConnectionBuilder()
          .withUrl(`http://127.0.0.1:${port}/client/?hub=${HUB}`, { accessTokenFactory: () => sign({ aud: `http://127.0.0.1/client/?hub=${HUB}` }), transport: this.transport })
          .configureLogging(LogLevel.None)
          .build();
        connection.on("m", (sentAt: number) => {
          this.latencies.push(performance.now() - sentAt);
          this.received += 1;
          if (this.received === this.expected) this.done?.();
        });
        await connection.start();
        return connection;
      });
      this.connections.push(...(await Promise.all(batch)));
    }
  }

  expect(count: number): Promise<void> {
    this.received = 0;
    this.latencies = [];
    this.expected = count;
    return new Promise((resolve) => (this.done = resolve));
  }

  async stop(): Promise<void> {
    await Promise.all(this.connections.map((c) => c.stop()));
  }
}

async function broadcast(port: number, payload: string, count: number): Promise<void> {
  const path = `/api/hubs/${HUB}/:send`;
  const token = sign({ aud: `http://127.0.0.1${path}?api-version=2022-06-01` });
  for (let i = 0; i < count; i++) {
    const response = await fetch(`http://127.0.0.1:${port}${path}?api-version=2022-06-01`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ target: "m", arguments: [performance.now(), payload] }),
    });
    if (response.status !== 202) throw new Error(`broadcast answered ${response.status}`);
  }
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** One measured fan-out: `MESSAGES` broadcasts to `clients`, after a warm-up; deliveries/s and the service's CPU per delivery. */
async function measure(child: ChildProcess, port: number, clients: Clients, payload: string): Promise<{ deliveriesPerSecond: number; serviceCpuUsPerDelivery: number }> {
  await broadcast(port, payload, 2); // warm-up
  await new Promise((resolve) => setTimeout(resolve, 200));
  const deliveries = clients.connections.length * MESSAGES;
  const arrived = clients.expect(deliveries);
  const cpu = await cpuMicros(child);
  const started = performance.now();
  await broadcast(port, payload, MESSAGES);
  await arrived;
  const seconds = (performance.now() - started) / 1000;
  const cpuUs = (await cpuMicros(child)) - cpu;
  return { deliveriesPerSecond: Math.round(deliveries / seconds), serviceCpuUsPerDelivery: round2(cpuUs / deliveries) };
}
function p99(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return round2(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? NaN);
}

async function transports(): Promise<Record<string, unknown>> {
  const { child, port } = await startBenchChild(["signalr", "2048"]);
  const kinds = [
    ["WebSockets", HttpTransportType.WebSockets],
    ["ServerSentEvents", HttpTransportType.ServerSentEvents],
    ["LongPolling", HttpTransportType.LongPolling],
  ] as const;
  // One transport's clients at a time, so each fan-out goes to its own 200 clients only.
  const results: Record<string, { deliveriesPerSecond: number[]; p99Ms: number[]; serviceCpuUsPerDelivery: number[] }> = {};
  const payload = "x".repeat(1024);
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? kinds : [...kinds].reverse();
    for (const [name, transport] of order) {
      const clients = new Clients(transport);
      await clients.open(port, CLIENTS);
      const figures = await measure(child, port, clients, payload);
      const entry = (results[name] ??= { deliveriesPerSecond: [], p99Ms: [], serviceCpuUsPerDelivery: [] });
      entry.deliveriesPerSecond.push(figures.deliveriesPerSecond);
      entry.p99Ms.push(p99(clients.latencies));
      entry.serviceCpuUsPerDelivery.push(figures.serviceCpuUsPerDelivery);
      await clients.stop();
    }
  }
  child.disconnect(); // the child exits on its own, writing its CPU profile when asked to
  const best = (name: string) => Math.max(...results[name]!.deliveriesPerSecond);
  return {
    clients: CLIENTS,
    messagesPerRound: MESSAGES,
    payloadBytes: 1024,
    rounds: results,
    ratioToWebSockets: { ServerSentEvents: round2(best("ServerSentEvents") / best("WebSockets")), LongPolling: round2(best("LongPolling") / best("WebSockets")) },
  };
}

async function fragmentation(): Promise<Record<string, unknown>> {
  const payload = "y".repeat(16 * 1024);
  const figures: Record<string, { deliveriesPerSecond: number; serviceCpuUsPerDelivery: number }> = {};
  for (const fragmentBytes of [0, 2048]) {
    const { child, port } = await startBenchChild(["signalr", String(fragmentBytes)]);
    const clients = new Clients(HttpTransportType.WebSockets);
    await clients.open(port, CLIENTS);
    figures[fragmentBytes === 0 ? "oneFrame" : "frames2048"] = await measure(child, port, clients, payload);
    await clients.stop();
    child.disconnect(); // the child exits on its own, writing its CPU profile when asked to
  }
  return {
    clients: CLIENTS,
    messages: MESSAGES,
    payloadBytes: payload.length,
    ...figures,
    cpuRatio: round2(figures.frames2048!.serviceCpuUsPerDelivery / figures.oneFrame!.serviceCpuUsPerDelivery),
  };
}

async function main(): Promise<object> {
  const cpus = os.cpus();
  const results = {
    date: new Date().toISOString(),
    machine: { cpus: cpus.length, model: cpus[0]?.model ?? "unknown", node: process.version, platform: `${os.type()} ${os.release()}`, loadAverageAtStart: os.loadavg().map((n) => round2(n)) },
    quick,
    transports: await transports(),
    fragmentation: await fragmentation(),
  };
  return results;
}

runBench("signalr-transports", main);

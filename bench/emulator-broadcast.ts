/**
 * Emulator fan-out benchmark: REST broadcast of 1 KB JSON to 1,000 and 10,000 raw
 * clients, sendToGroup fan-out, memory per idle connection, and a plain `ws` broadcast loop (the
 * message framed once, the same bytes written to every socket) as
 * the baseline, all in one run on this machine. The server runs in a child process.
 * Run: `npm run bench` (all modules) or `npx tsx bench/emulator-broadcast.ts` → bench/results/emulator-broadcast.json.
 * Needs about 10,100 file descriptors per process (`bench/run.ts` raises `ulimit -n`).
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { WebSocket } from "ws";
import type { ChildReply, ChildRequest } from "./emulator-bench-child";

const HUB = "bench";
/** REST calls in flight: about 4,000 deliveries queued at a time (4 for 1,000 clients, 1 for 10,000). */
const IN_FLIGHT_DELIVERIES = 4000;
const RESULTS = join(__dirname, "results");

class ServerChild {
  private readonly child: ChildProcess;
  private waiting: Array<(reply: ChildReply) => void> = [];

  constructor(mode: "emulator" | "baseline") {
    this.child = fork(join(__dirname, "emulator-bench-child.ts"), [mode], { execArgv: ["--import", "tsx", "--expose-gc"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
    this.child.on("message", (reply: ChildReply) => this.waiting.shift()?.(reply));
  }

  next<K extends ChildReply["kind"]>(kind: K): Promise<Extract<ChildReply, { kind: K }>> {
    return new Promise((resolve, reject) =>
      this.waiting.push((reply) => (reply.kind === kind ? resolve(reply as Extract<ChildReply, { kind: K }>) : reject(new Error(`expected ${kind}, got ${reply.kind}`)))),
    );
  }

  ask<K extends ChildReply["kind"]>(request: ChildRequest, kind: K): Promise<Extract<ChildReply, { kind: K }>> {
    const reply = this.next(kind);
    this.child.send(request);
    return reply;
  }

  stop(): void {
    this.child.kill();
  }
}

/** Receives frames on many sockets; the message id is read from the frame's first bytes (`{"i":N,`). */
class Receivers {
  readonly sockets: WebSocket[] = [];
  received = 0;
  latencies: number[] = [];
  publishedAt = new Map<number, number>();
  private expected = 0;
  private done: (() => void) | undefined;

  async open(urls: string[], protocol?: string): Promise<void> {
    const batch = 250;
    for (let start = 0; start < urls.length; start += batch) {
      await Promise.all(
        urls.slice(start, start + batch).map(
          (url) =>
            new Promise<void>((resolve, reject) => {
              const ws = new WebSocket(url, protocol, { perMessageDeflate: false });
              ws.on("open", () => resolve());
              ws.on("error", reject);
              ws.on("message", (data: Buffer) => this.onFrame(data));
              this.sockets.push(ws);
            }),
        ),
      );
    }
  }

  private onFrame(data: Buffer): void {
    if (data[0] !== 0x7b || data[2] !== 0x69) return; // not a {"i": frame (system messages, acks)
    const end = data.indexOf(0x2c, 5);
    const id = Number(data.toString("latin1", 5, end));
    const sentAt = this.publishedAt.get(id);
    if (sentAt !== undefined) this.latencies.push(performance.now() - sentAt);
    this.received += 1;
    if (this.received >= this.expected) this.done?.();
  }

  expect(total: number): Promise<void> {
    this.received = 0;
    this.latencies = [];
    this.publishedAt.clear();
    this.expected = total;
    return new Promise((resolve) => (this.done = resolve));
  }

  async closeAll(): Promise<void> {
    for (const ws of this.sockets.splice(0)) ws.terminate();
  }
}

function payload(id: number): string {
  const head = `{"i":${id},"pad":"`;
  return `${head}${"x".repeat(1024 - head.length - 2)}"}`;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? Number(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!.toFixed(2)) : 0;
}

function summarise(label: string, clients: number, messages: number, receivers: Receivers, elapsedMs: number) {
  const sorted = receivers.latencies.sort((a, b) => a - b);
  const result = {
    clients,
    messages,
    deliveries: receivers.received,
    seconds: Number((elapsedMs / 1000).toFixed(3)),
    deliveriesPerSecond: Math.round(receivers.received / (elapsedMs / 1000)),
    latencyMs: { p50: percentile(sorted, 50), p99: percentile(sorted, 99) },
  };
  console.log(`${label}: ${JSON.stringify(result)}`);
  return result;
}

async function clientUrls(service: WebPubSubServiceClient, port: number, count: number, groupOf?: (i: number) => string[]): Promise<string[]> {
  const urls: string[] = [];
  const cache = new Map<string, string>();
  for (let i = 0; i < count; i++) {
    const groups = groupOf?.(i) ?? [];
    const key = groups.join(",");
    let url = cache.get(key);
    if (!url) {
      const token = await service.getClientAccessToken({ groups, roles: ["webpubsub.sendToGroup"], expirationTimeInMinutes: 120 });
      url = `ws://127.0.0.1:${port}/client/hubs/${HUB}?access_token=${token.token}`;
      cache.set(key, url);
    }
    urls.push(url);
  }
  return urls;
}

async function emulatorBroadcast(clients: number, messages: number) {
  const child = new ServerChild("emulator");
  const ready = await child.next("ready");
  const service = new WebPubSubServiceClient(ready.connectionString!, HUB, { allowInsecureConnection: true });
  const before = await child.ask({ kind: "memory" }, "memory");
  const receivers = new Receivers();
  await receivers.open(await clientUrls(service, ready.port, clients));
  const after = await child.ask({ kind: "memory" }, "memory");
  const memory = {
    connections: clients,
    rssBytesPerConnection: Math.round((after.rss - before.rss) / clients),
    heapBytesPerConnection: Math.round((after.heapUsed - before.heapUsed) / clients),
  };
  console.log(`emulator idle memory: ${JSON.stringify(memory)}`);
  const warmedUp = receivers.expect(clients);
  await service.sendToAll(JSON.parse(payload(-1)) as object); // warm-up (JIT, sockets)
  await warmedUp;
  const finished = receivers.expect(clients * messages);
  const started = performance.now();
  // A few REST calls in flight, as several app instances would publish; the baseline's trigger
  // is an IPC message, so a strictly serial REST loop would mostly measure HTTP round-trips.
  const inFlight = new Set<Promise<void>>();
  for (let i = 0; i < messages; i++) {
    if (inFlight.size >= Math.max(1, Math.floor(IN_FLIGHT_DELIVERIES / clients))) await Promise.race(inFlight);
    receivers.publishedAt.set(i, performance.now());
    const call: Promise<void> = service.sendToAll(JSON.parse(payload(i)) as object).then(() => void inFlight.delete(call)); // the SDK sends the same 1 KB of JSON
    inFlight.add(call);
  }
  await Promise.all(inFlight);
  await finished;
  const result = summarise(`emulator REST broadcast ${clients}`, clients, messages, receivers, performance.now() - started);
  await receivers.closeAll();
  child.stop();
  return { broadcast: result, memory };
}

async function baselineBroadcast(clients: number, messages: number) {
  const child = new ServerChild("baseline");
  const ready = await child.next("ready");
  const before = await child.ask({ kind: "memory" }, "memory");
  const receivers = new Receivers();
  await receivers.open(Array.from({ length: clients }, () => `ws://127.0.0.1:${ready.port}/`));
  const after = await child.ask({ kind: "memory" }, "memory");
  const memory = { connections: clients, rssBytesPerConnection: Math.round((after.rss - before.rss) / clients), heapBytesPerConnection: Math.round((after.heapUsed - before.heapUsed) / clients) };
  const warmedUp = receivers.expect(clients);
  await child.ask({ kind: "broadcast", payload: payload(-1) }, "broadcasted");
  await warmedUp;
  const finished = receivers.expect(clients * messages);
  const started = performance.now();
  for (let i = 0; i < messages; i++) {
    receivers.publishedAt.set(i, performance.now());
    await child.ask({ kind: "broadcast", payload: payload(i) }, "broadcasted");
  }
  await finished;
  const result = summarise(`baseline ws broadcast ${clients}`, clients, messages, receivers, performance.now() - started);
  await receivers.closeAll();
  child.stop();
  return { broadcast: result, memory };
}

/** A JSON-protocol client sends to 10 groups of clients/10 members in turn (the perf guide's "big group"). */
async function emulatorSendToGroup(clients: number, messages: number) {
  const groups = 10;
  const child = new ServerChild("emulator");
  const ready = await child.next("ready");
  const service = new WebPubSubServiceClient(ready.connectionString!, HUB, { allowInsecureConnection: true });
  const receivers = new Receivers();
  await receivers.open(await clientUrls(service, ready.port, clients, (i) => [`g${i % groups}`]));
  const sender = new Receivers();
  await sender.open(await clientUrls(service, ready.port, 1), "json.webpubsub.azure.v1");
  const ws = sender.sockets[0]!;
  const frame = (id: number, group: string) => `{"type":"sendToGroup","group":"${group}","noEcho":true,"dataType":"json","data":${payload(id)}}`;
  const warmedUp = receivers.expect(clients / groups);
  ws.send(frame(-1, "g0"));
  await warmedUp;
  const finished = receivers.expect((clients / groups) * messages);
  const started = performance.now();
  const members = clients / groups;
  for (let i = 0; i < messages; i++) {
    // Same flow control as the REST runs: about IN_FLIGHT_DELIVERIES deliveries outstanding.
    while (i * members - receivers.received > IN_FLIGHT_DELIVERIES) await new Promise((r) => setImmediate(r));
    receivers.publishedAt.set(i, performance.now());
    ws.send(frame(i, `g${i % groups}`));
  }
  await finished;
  const result = { groups, membersPerGroup: clients / groups, ...summarise(`emulator sendToGroup ${clients}`, clients, messages, receivers, performance.now() - started) };
  await receivers.closeAll();
  await sender.closeAll();
  child.stop();
  return result;
}

async function main(): Promise<void> {
  const results: Record<string, unknown> = { date: new Date().toISOString(), node: process.version, payloadBytes: 1024, restInFlightDeliveries: IN_FLIGHT_DELIVERIES };
  // `--quick` runs a small size only (a smoke test of the benchmark itself).
  const quick = process.argv.includes("--quick");
  const sizes = quick
    ? [{ clients: 200, messages: 20 }]
    : [
        { clients: 1000, messages: 300 },
        { clients: 10000, messages: 40 },
      ];
  for (const { clients, messages } of sizes) {
    const baseline = await baselineBroadcast(clients, messages);
    const emulator = await emulatorBroadcast(clients, messages);
    results[`broadcast-${clients}`] = {
      baseline: baseline.broadcast,
      emulator: emulator.broadcast,
      ratioToBaseline: Number((emulator.broadcast.deliveriesPerSecond / baseline.broadcast.deliveriesPerSecond).toFixed(3)),
    };
    results[`idle-memory-${clients}`] = { emulator: emulator.memory, baseline: baseline.memory };
  }
  results[quick ? "sendToGroup-200" : "sendToGroup-1000"] = await emulatorSendToGroup(quick ? 200 : 1000, quick ? 50 : 1000);
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, "emulator-broadcast.json"), `${JSON.stringify(results, null, 2)}\n`);
  console.log(`wrote ${join(RESULTS, "emulator-broadcast.json")}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);

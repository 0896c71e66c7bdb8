/**
 * Scale-out benchmark: what the Redis backplane costs.
 *
 * Each node runs in its own process (bench/scale-out-node.ts), as pods would; clients and the
 * REST sender share this process.
 *   throughput: C raw clients on node A; REST broadcasts with K in flight, sent to node A
 *               itself (single node) or to node B (cross-node, through Redis). deliveries/s.
 *   latency:    both paths interleaved tick by tick at a moderate fixed rate; per-delivery
 *               latency (send call to frame arrival, one clock); "added p99" = cross - single.
 * Targets: cross-node >= 50% of single-node deliveries/s; added p99 <= 2 ms.
 * Writes bench/results/scale-out.json. Run: `npx tsx bench/scale-out.ts [--quick]` (or via `npm run bench`).
 */
import { execFileSync, fork, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import net from "node:net";
import { performance } from "node:perf_hooks";
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import WebSocket from "ws";
import { decodeBackplaneMessage, encodeBackplaneMessage, type BackplaneMessage } from "../emulator/src/backplane/backplane-envelope";
import { freePort } from "../scripts/free-port";
import type { ScaleOutNodeReady } from "./scale-out-node";


export interface ScaleOutScenarioResult {
  deliveriesPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

export interface ScaleOutBenchResult {
  name: "scale-out";
  at: string;
  clients: number;
  throughput: { messages: number; inFlight: number; payloadBytes: number; single: ScaleOutScenarioResult; crossNode: ScaleOutScenarioResult; ratio: number };
  latency: { messagesPerSecPerPath: number; seconds: number; single: ScaleOutScenarioResult; crossNode: ScaleOutScenarioResult; addedP99Ms: number };
  /** Encode+decode round trips per second of one delivery: the binary envelope vs JSON with base64 data. */
  envelope: Array<{ payloadBytes: number; binaryOpsPerSec: number; jsonBase64OpsPerSec: number; binaryWireBytes: number; jsonBase64WireBytes: number }>;
  targets: { minThroughputRatio: number; maxAddedP99Ms: number };
  pass: { throughput: boolean; latency: boolean };
}

/** Why the envelope carries payload bytes raw: the alternative, measured on the same messages. */
export function measureEnvelope(sizes: number[] = [256, 4096, 65_536]): ScaleOutBenchResult["envelope"] {
  return sizes.map((payloadBytes) => {
    const data = Uint8Array.from({ length: payloadBytes }, (_, i) => i % 251);
    const message: BackplaneMessage = {
      kind: "command",
      origin: "bench-node",
      hub: "bench",
      command: { kind: "deliver", target: { kind: "group", group: "room", excluded: ["c1"] }, message: { from: "server", dataType: "binary", data } },
    };
    const jsonEncode = (): Buffer => {
      const { data: raw, ...rest } = (message.command as Extract<typeof message.command, { kind: "deliver" }>).message;
      return Buffer.from(JSON.stringify({ ...message, command: { ...message.command, message: { ...rest, data: Buffer.from(raw).toString("base64") } } }));
    };
    const jsonDecode = (wire: Buffer): unknown => {
      const parsed = JSON.parse(wire.toString("utf8")) as { command: { message: { data: string } } };
      return Buffer.from(parsed.command.message.data, "base64");
    };
    const opsPerSec = (fn: () => void): number => {
      for (let i = 0; i < 200; i++) fn();
      const iterations = Math.max(200, Math.floor(20_000_000 / (payloadBytes + 500)));
      const started = performance.now();
      for (let i = 0; i < iterations; i++) fn();
      return Math.round(iterations / ((performance.now() - started) / 1000));
    };
    return {
      payloadBytes,
      binaryOpsPerSec: opsPerSec(() => decodeBackplaneMessage(encodeBackplaneMessage(message))),
      jsonBase64OpsPerSec: opsPerSec(() => jsonDecode(jsonEncode())),
      binaryWireBytes: encodeBackplaneMessage(message).length,
      jsonBase64WireBytes: jsonEncode().length,
    };
  });
}

async function startRedis(): Promise<{ url: string; child: ChildProcess }> {
  let binary: string;
  try {
    binary = execFileSync("which", ["redis-server"], { encoding: "utf8" }).trim();
  } catch {
    throw new Error("redis-server not found on PATH (apt-get install -y redis-server)");
  }
  const port = await freePort();
  const child = spawn(binary, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  for (let i = 0; i < 200; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => (s.end(), resolve(true)));
      s.on("error", () => resolve(false));
    });
    if (up) return { url: `redis://127.0.0.1:${port}`, child };
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  child.kill("SIGKILL");
  throw new Error("redis-server did not start");
}

/** A service node in its own process (bench/scale-out-node.ts), like one pod. */
interface NodeProcess {
  child: ChildProcess;
  connectionString: string;
}

async function startNode(redisUrl: string, nodeId: string): Promise<NodeProcess> {
  const child = fork(join(__dirname, "scale-out-node.ts"), [redisUrl, nodeId], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const ready = await new Promise<ScaleOutNodeReady>((resolve, reject) => {
    child.once("message", (m: ScaleOutNodeReady) => resolve(m));
    child.once("exit", (code) => reject(new Error(`bench node ${nodeId} exited with ${code}`)));
  });
  return { child, connectionString: ready.connectionString };
}

async function stopNode(node: NodeProcess): Promise<void> {
  if (node.child.exitCode !== null) return;
  const exited = once(node.child, "exit");
  node.child.disconnect();
  await exited;
}

/** Raw WebSocket clients (no subprotocol): the cheapest receivers, so the service is what is measured. */
async function connectClients(node: NodeProcess, hub: string, count: number, onMessage: (sentAt: number) => void): Promise<WebSocket[]> {
  const tokens = new WebPubSubServiceClient(node.connectionString, hub, { allowInsecureConnection: true });
  const sockets: WebSocket[] = [];
  for (let i = 0; i < count; i++) {
    const { url } = await tokens.getClientAccessToken({ userId: `u${i}` });
    const ws = new WebSocket(url);
    ws.on("message", (data: Buffer) => {
      // Payload: {"t":<performance.now() at send>,"pad":"..."}
      const text = data.toString("utf8");
      onMessage(Number(text.slice(5, text.indexOf(","))));
    });
    await once(ws, "open");
    sockets.push(ws);
  }
  return sockets;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const round = (n: number): number => Math.round(n * 100) / 100;

interface Harness {
  sender: WebPubSubServiceClient;
  latencies: number[];
  delivered(): number;
}

/** Clients of their own hub on `receiver`; broadcasts sent through `via`'s REST API. */
async function scenario(receiver: NodeProcess, via: NodeProcess, hub: string, clients: number): Promise<{ harness: Harness; close: () => void }> {
  const latencies: number[] = [];
  const sockets = await connectClients(receiver, hub, clients, (sentAt) => latencies.push(performance.now() - sentAt));
  const sender = new WebPubSubServiceClient(via.connectionString, hub, { allowInsecureConnection: true });
  return { harness: { sender, latencies, delivered: () => latencies.length }, close: () => sockets.forEach((s) => s.terminate()) };
}

function payload(pad: string): string {
  return `{"t":${performance.now()},"pad":"${pad}"}`;
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error("benchmark: deliveries did not complete in time");
    await new Promise((resolve) => setImmediate(resolve));
  }
}

interface Round {
  deliveries: number;
  seconds: number;
  latencies: number[];
}

function summarize(rounds: Round[]): ScaleOutScenarioResult {
  const deliveries = rounds.reduce((n, r) => n + r.deliveries, 0);
  const seconds = rounds.reduce((n, r) => n + r.seconds, 0);
  const sorted = rounds.flatMap((r) => r.latencies).sort((a, b) => a - b);
  return { deliveriesPerSec: Math.round(deliveries / seconds), p50Ms: round(percentile(sorted, 50)), p99Ms: round(percentile(sorted, 99)) };
}

async function throughput(h: Harness, clients: number, messages: number, inFlight: number, pad: string): Promise<Round> {
  h.latencies.length = 0;
  const started = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < messages) {
      next += 1;
      await h.sender.sendToAll(payload(pad), { contentType: "text/plain" });
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  await waitFor(() => h.delivered() >= messages * clients, 60_000);
  return { deliveries: messages * clients, seconds: (performance.now() - started) / 1000, latencies: [...h.latencies] };
}

/**
 * Both paths in the same ticks: each tick sends one single-node and one cross-node broadcast
 * (alternating which goes first), so both see exactly the same machine load.
 */
async function latencyAtRate(paths: Harness[], clients: number, perSec: number, seconds: number, pad: string): Promise<Round[]> {
  for (const h of paths) h.latencies.length = 0;
  const ticks = Math.round(perSec * seconds);
  const interval = 1000 / perSec;
  const started = performance.now();
  const pending: Array<Promise<void>> = [];
  for (let i = 0; i < ticks; i++) {
    const due = started + i * interval;
    while (performance.now() < due) await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
    const order = i % 2 === 0 ? paths : [...paths].reverse();
    for (const h of order) pending.push(h.sender.sendToAll(payload(pad), { contentType: "text/plain" }));
  }
  await Promise.all(pending);
  await waitFor(() => paths.every((h) => h.delivered() >= ticks * clients), 30_000);
  const elapsed = (performance.now() - started) / 1000;
  return paths.map((h) => ({ deliveries: ticks * clients, seconds: elapsed, latencies: [...h.latencies] }));
}

export async function runScaleOutBench(
  options: { clients?: number; messages?: number; inFlight?: number; ratePerSec?: number; seconds?: number; payloadBytes?: number; rounds?: number } = {},
): Promise<ScaleOutBenchResult> {
  const clients = options.clients ?? 50;
  const messages = options.messages ?? 2000;
  const inFlight = options.inFlight ?? 16;
  // Moderate load: 25 broadcasts/s on each path x 50 clients = 2,500 deliveries/s in total.
  const ratePerSec = options.ratePerSec ?? 25;
  const seconds = options.seconds ?? 8;
  const payloadBytes = options.payloadBytes ?? 256;
  const pad = "x".repeat(Math.max(0, payloadBytes - 40));

  const redis = await startRedis();
  const nodes: NodeProcess[] = [];
  try {
    for (let i = 0; i < 2; i++) nodes.push(await startNode(redis.url, `bench-${i}`));
    const [nodeA, nodeB] = nodes as [NodeProcess, NodeProcess];
    // Both on node A's clients, each on its own hub: single node (REST on A) and cross-node
    // (REST on B, through Redis). Rounds alternate so drifting machine load hits both alike.
    const single = await scenario(nodeA, nodeA, "single", clients);
    const cross = await scenario(nodeA, nodeB, "cross", clients);
    await throughput(single.harness, clients, 200, inFlight, pad); // warm-up
    await throughput(cross.harness, clients, 200, inFlight, pad);
    const rounds = options.rounds ?? 4;
    const tput = { single: [] as Round[], cross: [] as Round[] };
    const lat = { single: [] as Round[], cross: [] as Round[] };
    for (let r = 0; r < rounds; r++) {
      tput.single.push(await throughput(single.harness, clients, Math.ceil(messages / rounds), inFlight, pad));
      tput.cross.push(await throughput(cross.harness, clients, Math.ceil(messages / rounds), inFlight, pad));
    }
    const [singleRound, crossRound] = await latencyAtRate([single.harness, cross.harness], clients, ratePerSec, seconds, pad);
    lat.single.push(singleRound!);
    lat.cross.push(crossRound!);
    single.close();
    cross.close();
    const singleThroughput = summarize(tput.single);
    const crossThroughput = summarize(tput.cross);
    const singleLatency = summarize(lat.single);
    const crossLatency = summarize(lat.cross);

    const ratio = round(crossThroughput.deliveriesPerSec / singleThroughput.deliveriesPerSec);
    const addedP99Ms = round(crossLatency.p99Ms - singleLatency.p99Ms);
    const targets = { minThroughputRatio: 0.5, maxAddedP99Ms: 2 };
    return {
      name: "scale-out",
      at: new Date().toISOString(),
      clients,
      throughput: { messages, inFlight, payloadBytes, single: singleThroughput, crossNode: crossThroughput, ratio },
      latency: { messagesPerSecPerPath: ratePerSec, seconds, single: singleLatency, crossNode: crossLatency, addedP99Ms },
      envelope: measureEnvelope(),
      targets,
      pass: { throughput: ratio >= targets.minThroughputRatio, latency: addedP99Ms <= targets.maxAddedP99Ms },
    };
  } finally {
    await Promise.all(nodes.map(stopNode));
    redis.child.kill("SIGKILL");
  }
}

export function writeScaleOutResult(result: ScaleOutBenchResult, dir = "bench/results"): string {
  mkdirSync(dir, { recursive: true });
  const file = `${dir}/scale-out.json`;
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

if (require.main === module) {
  const quick = process.argv.includes("--quick");
  runScaleOutBench(quick ? { messages: 800, seconds: 4 } : {})
    .then((result) => {
      const file = writeScaleOutResult(result);
      console.log(JSON.stringify(result, null, 2));
      console.log(`written to ${file}`);
      process.exit(0);
    })
    .catch((error: unknown) => {
      console.error(`scale-out bench failed: ${(error as Error).message}`);
      process.exit(1);
    });
}

/**
 * SignalR face vs Web PubSub face: REST broadcast of 1 KB to 1,000 clients, in one run on this
 * machine. Peers: the Web PubSub face with `json.webpubsub.azure.v1` clients (the same kind of
 * envelope per message) and, for reference, raw Web PubSub clients; SignalR with JSON and with
 * MessagePack clients. Each service runs alone in a child process; receivers are raw `ws`
 * sockets in this process for every face, REST calls are plain `fetch` for every face, with the
 * same number in flight. All faces stay connected for the whole run and take turns for five
 * rounds of 50 messages; the file keeps each face's best round, every round's ratios and their
 * median, and the service's CPU time per delivery. `--quick`: 200 clients, 20 messages, one round.
 * Run: `npx tsx bench/signalr-broadcast.ts [--quick]` → bench/results/signalr-broadcast.json.
 */
import type { ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import jwt from "jsonwebtoken";
import { WebSocket } from "ws";
import { DEFAULT_ACCESS_KEY } from "../emulator/src/options";
import { cpuMicros, startBenchChild } from "./signalr-bench-control";

const HUB = "bench";
const IN_FLIGHT_DELIVERIES = 4000;
const RESULTS = join(__dirname, "results");
const JSON_PING = Buffer.from('{"type":6}\x1e');
const MESSAGEPACK_PING = Buffer.from([0x02, 0x91, 0x06]);

type Face = "webpubsub-json" | "webpubsub-raw" | "signalr-json" | "signalr-messagepack";


function sign(claims: object): string {
  return jwt.sign(claims, DEFAULT_ACCESS_KEY, { algorithm: "HS256", expiresIn: 3600 });
}

/** Is this frame a data message of its face (not a handshake, ping or system message)? */
function isData(face: Face, data: Buffer, isBinary: boolean): boolean {
  switch (face) {
    case "webpubsub-raw":
      return data[0] === 0x7b;
    case "webpubsub-json":
      return data.length > 20 && data[9] === 0x6d; // {"type":"message"
    case "signalr-json":
      return data[8] === 0x31; // {"type":1
    case "signalr-messagepack": {
      if (!isBinary) return false;
      let i = 0;
      while (data[i]! & 0x80) i++;
      return data[i + 1] === 0x95 && data[i + 2] === 0x01;
    }
  }
}

/** Raw sockets counting data frames; each socket's n-th data frame is message n, so latency needs no parsing. */
class Receivers {
  readonly sockets: WebSocket[] = [];
  /** Data frames each socket has seen in the current measurement, minus one. */
  private readonly seen: number[] = [];
  received = 0;
  latencies: number[] = [];
  publishedAt: number[] = [];
  private expected = 0;
  private done: (() => void) | undefined;

  constructor(private readonly face: Face) {}

  async open(count: number, url: () => Promise<{ url: string; headers?: Record<string, string>; protocol?: string; handshake?: string }>): Promise<void> {
    for (let start = 0; start < count; start += 250) {
      await Promise.all(
        Array.from({ length: Math.min(250, count - start) }, async () => {
          const target = await url();
          await new Promise<void>((resolve, reject) => {
            // No UTF-8 check on the receivers: text frames (JSON faces) would pay for it and binary ones
            // (MessagePack) not, and the benchmark is about the service.
            const ws = new WebSocket(target.url, target.protocol, { perMessageDeflate: false, skipUTF8Validation: true, ...(target.headers ? { headers: target.headers } : {}) });
            const slot = this.seen.length;
            this.seen.push(-1);
            ws.on("open", () => {
              if (target.handshake) ws.send(target.handshake);
              resolve();
            });
            ws.on("error", reject);
            ws.on("message", (data: Buffer, isBinary) => {
              if (!isData(this.face, data, isBinary)) {
                // Like @microsoft/signalr, answer the service's keep-alive so it does not time the socket out.
                if (this.face === "signalr-json" && data.equals(JSON_PING)) ws.send(JSON_PING, { binary: false });
                else if (this.face === "signalr-messagepack" && data.equals(MESSAGEPACK_PING)) ws.send(MESSAGEPACK_PING, { binary: true });
                return;
              }
              const seen = (this.seen[slot] += 1);
              const sentAt = this.publishedAt[seen];
              if (sentAt !== undefined) this.latencies.push(performance.now() - sentAt);
              this.received += 1;
              if (this.received >= this.expected) this.done?.();
            });
            this.sockets.push(ws);
          });
        }),
      );
    }
  }

  expect(total: number): Promise<void> {
    this.seen.fill(-1);
    this.received = 0;
    this.latencies = [];
    this.expected = total;
    return new Promise((resolve) => (this.done = resolve));
  }

  closeAll(): void {
    for (const ws of this.sockets.splice(0)) ws.terminate();
  }
}

function payload(id: number): object {
  const head = `{"i":${id},"pad":"`;
  return { i: id, pad: "x".repeat(1024 - head.length - 2) };
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? Number(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!.toFixed(2)) : 0;
}

interface OpenFace {
  face: Face;
  child: ChildProcess;
  receivers: Receivers;
  publish(id: number): Promise<void>;
}

/** Starts the face's service and connects its clients; the first broadcast warms it up. */
async function openFace(face: Face, clients: number): Promise<OpenFace> {
  const signalr = face.startsWith("signalr");
  const { child, port } = await startBenchChild([signalr ? "signalr" : "webpubsub"]);
  const base = `http://127.0.0.1:${port}`;
  const receivers = new Receivers(face);
  if (signalr) {
    const token = sign({ aud: `http://127.0.0.1/client/?hub=${HUB}` });
    const protocol = face === "signalr-messagepack" ? "messagepack" : "json";
    await receivers.open(clients, async () => {
      const negotiated = (await (await fetch(`${base}/client/negotiate?hub=${HUB}&negotiateVersion=1`, { method: "POST", headers: { authorization: `Bearer ${token}` } })).json()) as { connectionToken: string };
      return { url: `ws://127.0.0.1:${port}/client/?hub=${HUB}&id=${negotiated.connectionToken}`, headers: { authorization: `Bearer ${token}` }, handshake: `{"protocol":"${protocol}","version":1}\x1e` };
    });
  } else {
    const token = sign({ aud: `${base}/client/hubs/${HUB}` });
    const url = `ws://127.0.0.1:${port}/client/hubs/${HUB}?access_token=${token}`;
    await receivers.open(clients, async () => ({ url, ...(face === "webpubsub-json" ? { protocol: "json.webpubsub.azure.v1" } : {}) }));
  }
  const restPath = `/api/hubs/${HUB}/:send`;
  const restUrl = `${base}${restPath}?api-version=2022-06-01`;
  const restToken = sign({ aud: signalr ? `http://127.0.0.1${restPath}?api-version=2022-06-01` : restUrl });
  const publish = async (id: number): Promise<void> => {
    const body = JSON.stringify(signalr ? { target: "message", arguments: [payload(id)] } : payload(id));
    const response = await fetch(restUrl, { method: "POST", headers: { authorization: `Bearer ${restToken}`, "content-type": "application/json" }, body });
    await response.arrayBuffer();
    if (response.status !== 202) throw new Error(`${face}: REST answered ${response.status}`);
  };
  await new Promise((resolve) => setTimeout(resolve, 200)); // handshakes answered
  const warmedUp = receivers.expect(clients);
  receivers.publishedAt = [];
  await publish(-1);
  await warmedUp;
  return { face, child, receivers, publish };
}

/** One measurement: `messages` REST broadcasts, the deliveries counted at the receivers. */
async function measure({ face, child, receivers, publish }: OpenFace, clients: number, messages: number) {
  receivers.publishedAt = [];
  const finished = receivers.expect(clients * messages);
  const cpuBefore = await cpuMicros(child);
  const started = performance.now();
  const inFlight = new Set<Promise<void>>();
  for (let i = 0; i < messages; i++) {
    if (inFlight.size >= Math.max(1, Math.floor(IN_FLIGHT_DELIVERIES / clients))) await Promise.race(inFlight);
    receivers.publishedAt[i] = performance.now();
    const call: Promise<void> = publish(i).then(() => void inFlight.delete(call));
    inFlight.add(call);
  }
  await Promise.all(inFlight);
  const progress = setInterval(() => console.log(`${face}: ${receivers.received} of ${clients * messages} delivered`), 5000);
  await finished;
  clearInterval(progress);
  const elapsed = performance.now() - started;
  const cpuAfter = await cpuMicros(child);
  const sorted = receivers.latencies.sort((a, b) => a - b);
  const result = {
    clients,
    messages,
    deliveries: receivers.received,
    seconds: Number((elapsed / 1000).toFixed(3)),
    deliveriesPerSecond: Math.round(receivers.received / (elapsed / 1000)),
    serviceCpuMicrosPerDelivery: Number(((cpuAfter - cpuBefore) / receivers.received).toFixed(2)),
    latencyMs: { p50: percentile(sorted, 50), p99: percentile(sorted, 99) },
  };
  console.log(`${face}: ${JSON.stringify(result)}`);
  return result;
}

async function main(): Promise<void> {
  const quick = process.argv.includes("--quick");
  const clients = quick ? 200 : 1000;
  const messages = Number(process.argv.find((a) => a.startsWith("--messages="))?.slice("--messages=".length) ?? (quick ? 20 : 50));
  const rounds = quick ? 1 : 5;
  const only = process.argv.find((a) => a.startsWith("--only="))?.slice("--only=".length);
  const faces = (["webpubsub-json", "signalr-json", "signalr-messagepack", "webpubsub-raw"] as Face[]).filter((f) => !only || f === only || f === "webpubsub-json");
  // Every face's service and clients stay up for the whole run; rounds then take turns, so load
  // from elsewhere on the machine falls on all faces alike.
  const open: OpenFace[] = [];
  for (const face of faces) open.push(await openFace(face, clients));
  const best: Partial<Record<Face, Awaited<ReturnType<typeof measure>>>> = {};
  const cpuBest: Partial<Record<Face, number>> = {};
  const roundRatios: Array<Partial<Record<Face, number>>> = [];
  for (let round = 0; round < rounds; round++) {
    const rates: Partial<Record<Face, number>> = {};
    for (const opened of open) {
      const result = await measure(opened, clients, messages);
      const face = opened.face;
      rates[face] = result.deliveriesPerSecond;
      if (!best[face] || result.deliveriesPerSecond > best[face].deliveriesPerSecond) best[face] = result;
      cpuBest[face] = Math.min(cpuBest[face] ?? Infinity, result.serviceCpuMicrosPerDelivery);
    }
    roundRatios.push(Object.fromEntries(faces.filter((f) => f !== "webpubsub-json").map((f) => [f, Number((rates[f]! / rates["webpubsub-json"]!).toFixed(3))])));
  }
  for (const opened of open) {
    opened.receivers.closeAll();
    opened.child.disconnect(); // the child exits on its own (and writes its CPU profile when BENCH_CPU_PROF names a folder)
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const medianRoundRatio = Object.fromEntries(faces.filter((f) => f !== "webpubsub-json").map((f) => [f, median(roundRatios.map((r) => r[f]!))]));
  const peer = best["webpubsub-json"]!.deliveriesPerSecond;
  const ratio = (face: Face) => Number((best[face]!.deliveriesPerSecond / peer).toFixed(3));
  // Service CPU per delivery, the lowest of the rounds: the peer's over the face's, so above 1 means cheaper than the peer.
  const cpuRatio = (face: Face) => Number((cpuBest["webpubsub-json"]! / cpuBest[face]!).toFixed(3));
  const results = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    payloadBytes: 1024,
    restInFlightDeliveries: IN_FLIGHT_DELIVERIES,
    rounds,
    peer: "webpubsub-json",
    [`broadcast-${clients}`]: best,
    roundRatios,
    medianRoundRatioToWebPubSubJson: medianRoundRatio,
    ratioToWebPubSubJson: Object.fromEntries(faces.filter((f) => f !== "webpubsub-json").map((f) => [f, ratio(f)])),
    serviceCpuMicrosPerDelivery: cpuBest,
    cpuEfficiencyRatioToWebPubSubJson: Object.fromEntries(faces.filter((f) => f !== "webpubsub-json").map((f) => [f, cpuRatio(f)])),
  };
  console.log(`best-round ratios to the Web PubSub face (json subprotocol): ${JSON.stringify(results.ratioToWebPubSubJson)}`);
  console.log(`median of the rounds' ratios: ${JSON.stringify(medianRoundRatio)}`);
  console.log(`service CPU efficiency (peer µs per delivery / face's): ${JSON.stringify(results.cpuEfficiencyRatioToWebPubSubJson)}`);
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, "signalr-broadcast.json"), `${JSON.stringify(results, null, 2)}\n`);
  console.log(`wrote ${join(RESULTS, "signalr-broadcast.json")}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);

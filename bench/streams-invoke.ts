/**
 * The 2026 client features against their nearest peers, side by side in one run on this machine,
 * with the service in a child process:
 * - group stream fan-out: one publisher streams N text fragments (64 bytes, like AI tokens) to a
 *   group of 1,000 receivers, against plain `sendToGroup` of the same payloads to the same group.
 *   Both publishers keep the same window of unacknowledged frames (a stream's `streamAck`, a
 *   `sendToGroup`'s ack), and the rounds alternate. Figure: fragments delivered per second, and
 *   the service's CPU time per thousand deliveries.
 * - invoke round trip: `invoke` answered by an event handler (one `invokeResponse`), against a
 *   `sendEvent` the same handler answers with a server message, p50 and p99 over the same rounds.
 * Run: `npm run bench -- streams-invoke [--quick]` or `npx tsx bench/streams-invoke.ts [--quick]`
 * → bench/results/streams-invoke.json.
 */
import { fork, type ChildProcess } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { WebSocket } from "ws";
import { runBench } from "./bench-results";
import type { StreamsChildReply, StreamsChildRequest } from "./streams-invoke-child";

const quick = process.argv.includes("--quick");
const RECEIVERS = quick ? 300 : 1000;
const FRAGMENTS = quick ? 300 : 1000;
const ROUNDS = quick ? 2 : 3;
const WINDOW = 32; // below the 64 frames a connection may have waiting for a sendToGroup
const INVOKE_ROUNDS = quick ? 300 : 2000;
const HUB = "bench";
const TOKEN = "x".repeat(64);

class ServiceChild {
  private readonly child: ChildProcess;
  private waiting: Array<(reply: StreamsChildReply) => void> = [];
  constructor(handlerUrl: string) {
    const profile = process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
    this.child = fork(join(__dirname, "streams-invoke-child.ts"), [handlerUrl], { execArgv: ["--import", "tsx", ...profile], stdio: ["ignore", "inherit", "inherit", "ipc"] });
    this.child.on("message", (reply: StreamsChildReply) => this.waiting.shift()?.(reply));
  }
  next<K extends StreamsChildReply["kind"]>(kind: K): Promise<Extract<StreamsChildReply, { kind: K }>> {
    return new Promise((resolve, reject) => this.waiting.push((reply) => (reply.kind === kind ? resolve(reply as never) : reject(new Error(`expected ${kind}, got ${reply.kind}`)))));
  }
  async cpuMs(): Promise<number> {
    const reply = this.next("cpu");
    this.child.send({ kind: "cpu" } satisfies StreamsChildRequest);
    const { userMs, systemMs } = await reply;
    return userMs + systemMs;
  }
  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.send({ kind: "stop" } satisfies StreamsChildRequest);
    await exited;
  }
}

/** The event handler: echoes the body with its Content-Type, and answers the abuse-protection handshake. */
async function startHandler(): Promise<{ url: string; close(): void }> {
  const server = http.createServer((req, res) => {
    if (req.method === "OPTIONS") return void res.writeHead(200, { "WebHook-Allowed-Origin": "*" }).end();
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => res.writeHead(200, { "content-type": req.headers["content-type"] ?? "text/plain" }).end(Buffer.concat(chunks)));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`, close: () => server.close() };
}

async function open(url: string, onFrame: (data: Buffer) => void): Promise<WebSocket> {
  const socket = new WebSocket(url, "json.webpubsub.azure.v1", { perMessageDeflate: false });
  let connected = false;
  await new Promise<void>((resolve, reject) => {
    socket.on("message", (data: Buffer) => {
      if (!connected) {
        connected = true; // the first frame is `connected`
        resolve();
        return;
      }
      onFrame(data);
    });
    socket.once("error", reject);
  });
  return socket;
}

/** Counts frames on every receiver and resolves once each has `expected` more. */
class Receivers {
  private counts: number[] = [];
  private expected = 0;
  private complete = 0;
  private done: (() => void) | undefined;
  readonly sockets: WebSocket[] = [];

  async open(urls: string[]): Promise<void> {
    for (let start = 0; start < urls.length; start += 100) {
      const batch = await Promise.all(
        urls.slice(start, start + 100).map((url, i) => {
          const index = start + i;
          this.counts[index] = 0;
          return open(url, () => {
            this.counts[index]! += 1;
            if (this.counts[index] === this.expected) {
              this.complete += 1;
              if (this.complete === this.sockets.length) this.done?.();
            }
          });
        }),
      );
      this.sockets.push(...batch);
    }
  }

  expect(count: number): Promise<void> {
    this.counts = this.counts.map(() => 0);
    this.complete = 0;
    this.expected = count;
    return new Promise((resolve) => (this.done = resolve));
  }
}

/** A publisher that keeps at most WINDOW frames unacknowledged; `ackOf` reads which frame an answer acknowledges. */
class WindowedPublisher {
  private acked = 0;
  private wake: (() => void) | undefined;
  constructor(
    readonly socket: WebSocket,
    private readonly ackOf: (frame: Record<string, unknown>) => number | undefined,
  ) {
    socket.on("message", (data: Buffer) => {
      const acked = this.ackOf(JSON.parse(data.toString()) as Record<string, unknown>);
      if (acked !== undefined && acked > this.acked) {
        this.acked = acked;
        this.wake?.();
      }
    });
  }
  reset(): void {
    this.acked = 0;
  }
  async send(count: number, frame: (i: number) => string): Promise<void> {
    for (let i = 1; i <= count; i++) {
      while (i - this.acked > WINDOW) await new Promise<void>((resolve) => (this.wake = resolve));
      this.socket.send(frame(i));
    }
    while (this.acked < count) await new Promise<void>((resolve) => (this.wake = resolve));
  }
}

function percentile(sorted: number[], p: number): number {
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]! * 1000) / 1000;
}

async function fanOut(service: ServiceChild, rest: WebPubSubServiceClient): Promise<Record<string, unknown>> {
  const receivers = new Receivers();
  const urls = await Promise.all(Array.from({ length: RECEIVERS }, async (_, i) => (await rest.getClientAccessToken({ userId: `r${i}`, groups: ["g"] })).url));
  await receivers.open(urls);
  const publisherUrl = (await rest.getClientAccessToken({ userId: "publisher", roles: ["webpubsub.sendToGroup.g"] })).url;
  const streamSocket = await open(publisherUrl, () => {});
  // A streamAck names the next id it expects: everything below it is acknowledged.
  const streamPublisher = new WindowedPublisher(streamSocket, (f) => (f.type === "streamAck" ? (f.expectedSequenceId as number) - 1 : undefined));
  const groupSocket = await open(publisherUrl, () => {});
  // ackIds are remembered per connection (a repeat is a Duplicate): each round numbers its own.
  let ackBase = 0;
  const groupPublisher = new WindowedPublisher(groupSocket, (f) => (f.type === "ack" && f.success === true ? (f.ackId as number) - ackBase : undefined));
  const data = JSON.stringify(TOKEN);

  const runStream = async (round: number): Promise<{ seconds: number; cpuMs: number }> => {
    const streamId = `s${round}`;
    streamSocket.send(JSON.stringify({ type: "sendToGroup", group: "g", noEcho: true, stream: { streamId } }));
    const arrived = receivers.expect(FRAGMENTS);
    streamPublisher.reset();
    const cpu = await service.cpuMs();
    const started = performance.now();
    await streamPublisher.send(FRAGMENTS, (i) => `{"type":"streamData","streamId":"${streamId}","streamSequenceId":${i},"dataType":"text","data":${data}}`);
    await arrived;
    const seconds = (performance.now() - started) / 1000;
    const cpuMs = (await service.cpuMs()) - cpu;
    const ended = receivers.expect(1);
    streamSocket.send(JSON.stringify({ type: "streamEnd", streamId }));
    await ended;
    return { seconds, cpuMs };
  };
  const runGroup = async (): Promise<{ seconds: number; cpuMs: number }> => {
    const arrived = receivers.expect(FRAGMENTS);
    groupPublisher.reset();
    ackBase += FRAGMENTS;
    const base = ackBase;
    const cpu = await service.cpuMs();
    const started = performance.now();
    await groupPublisher.send(FRAGMENTS, (i) => `{"type":"sendToGroup","group":"g","ackId":${base + i},"noEcho":true,"dataType":"text","data":${data}}`);
    await arrived;
    const seconds = (performance.now() - started) / 1000;
    return { seconds, cpuMs: (await service.cpuMs()) - cpu };
  };

  // Warm both paths up, then alternate which goes first.
  await runStream(0);
  await runGroup();
  const stream: Array<{ seconds: number; cpuMs: number }> = [];
  const group: Array<{ seconds: number; cpuMs: number }> = [];
  for (let round = 1; round <= ROUNDS; round++) {
    if (round % 2 === 1) {
      stream.push(await runStream(round));
      group.push(await runGroup());
    } else {
      group.push(await runGroup());
      stream.push(await runStream(round));
    }
  }
  for (const socket of [...receivers.sockets, streamSocket, groupSocket]) socket.terminate();
  const deliveries = FRAGMENTS * RECEIVERS;
  const summarize = (runs: Array<{ seconds: number; cpuMs: number }>) => {
    const seconds = runs.reduce((a, r) => a + r.seconds, 0);
    const cpuMs = runs.reduce((a, r) => a + r.cpuMs, 0);
    return {
      deliveriesPerSecond: Math.round((deliveries * runs.length) / seconds),
      serviceCpuMsPer1000Deliveries: Math.round((cpuMs / ((deliveries * runs.length) / 1000)) * 1000) / 1000,
      rounds: runs.map((r) => ({ seconds: Math.round(r.seconds * 1000) / 1000, serviceCpuMs: Math.round(r.cpuMs) })),
    };
  };
  const streamFigures = summarize(stream);
  const groupFigures = summarize(group);
  return {
    receivers: RECEIVERS,
    fragmentsPerRound: FRAGMENTS,
    payloadBytes: TOKEN.length,
    window: WINDOW,
    groupStream: streamFigures,
    sendToGroup: groupFigures,
    throughputRatio: Math.round((streamFigures.deliveriesPerSecond / groupFigures.deliveriesPerSecond) * 100) / 100,
    cpuRatio: Math.round((streamFigures.serviceCpuMsPer1000Deliveries / groupFigures.serviceCpuMsPer1000Deliveries) * 100) / 100,
  };
}

async function roundTrips(rest: WebPubSubServiceClient): Promise<Record<string, unknown>> {
  const url = (await rest.getClientAccessToken({ userId: "caller" })).url;
  let answer: (() => void) | undefined;
  const socket = await open(url, (data) => {
    // The invokeResponse, or the handler's answer to the event as a server message.
    const text = data.toString();
    if (text.startsWith('{"type":"invokeResponse"') || text.startsWith('{"type":"message"')) answer?.();
  });
  const once = async (frame: string): Promise<number> => {
    const started = performance.now();
    await new Promise<void>((resolve) => {
      answer = resolve;
      socket.send(frame);
    });
    return performance.now() - started;
  };
  const invoke: number[] = [];
  const event: number[] = [];
  for (let i = 0; i < 100; i++) {
    await once(`{"type":"invoke","invocationId":"w${i}","target":"event","event":"echo","dataType":"text","data":"hi"}`);
    await once(`{"type":"event","event":"echo","dataType":"text","data":"hi"}`);
  }
  for (let i = 0; i < INVOKE_ROUNDS; i++) {
    // Alternating, so drifting load hits both alike.
    invoke.push(await once(`{"type":"invoke","invocationId":"${i}","target":"event","event":"echo","dataType":"text","data":"hi"}`));
    event.push(await once(`{"type":"event","event":"echo","dataType":"text","data":"hi"}`));
  }
  socket.terminate();
  invoke.sort((a, b) => a - b);
  event.sort((a, b) => a - b);
  return {
    rounds: INVOKE_ROUNDS,
    invokeMs: { p50: percentile(invoke, 0.5), p99: percentile(invoke, 0.99) },
    sendEventAnsweredWithServerMessageMs: { p50: percentile(event, 0.5), p99: percentile(event, 0.99) },
    p50Ratio: Math.round((percentile(invoke, 0.5) / percentile(event, 0.5)) * 100) / 100,
  };
}

async function main(): Promise<object> {
  const handler = await startHandler();
  const service = new ServiceChild(handler.url);
  const ready = await service.next("ready");
  const rest = new WebPubSubServiceClient(ready.connectionString, HUB, { allowInsecureConnection: true });
  const cpus = os.cpus();
  const results = {
    date: new Date().toISOString(),
    machine: { cpus: cpus.length, model: cpus[0]?.model ?? "unknown", node: process.version, platform: `${os.type()} ${os.release()}` },
    quick,
    streamFanOut: await fanOut(service, rest),
    invokeRoundTrip: await roundTrips(rest),
  };
  await service.stop();
  handler.close();
  return results;
}

runBench("streams-invoke", main);

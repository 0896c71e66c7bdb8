/**
 * The serverless path against the stateful server it replaces, side by side in one run:
 *   - the project exactly as `npm start` runs it (built JavaScript: functions host + local service,
 *     one process), and
 *   - a stateful Node + Socket.IO server offering the same two calls (bench/socketio-peer.ts).
 * Phases: negotiate (GET /api/negotiate?userId=) and send-to-user (POST /api/send?userId=, small
 * JSON, one receiver connected, every accepted message must arrive), each with 32 concurrent HTTP
 * connections (autocannon); then a 1 KB broadcast to 1,000 clients of the local service, sent
 * through the function app (POST /api/broadcast) and as a REST call straight to the service.
 *
 * Each load result also carries the CPU time the side's server process spent per accepted request
 * (read from /proc around each round): when both sides are CPU-bound on one core each, their
 * requests/s ratio follows these, which is what the performance guide breaks down.
 *
 * Run alone: `npx tsx bench/serverless-path.ts [--quick]` → bench/results/serverless-path.json
 * (also part of `npm run bench`). `--profile DIR` runs the project under `node --cpu-prof` during
 * the send phase only and writes the profile to DIR (see bench/cpu-profile-top.ts to read it).
 */
import { execFileSync, fork, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import http from "node:http";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import autocannon from "autocannon";
import { io as socketIoClient, type Socket } from "socket.io-client";
import { WebSocket } from "ws";
import { freePort } from "../scripts/free-port";
import { parseConfig } from "../shared/config";
import { createServiceClient } from "../shared/service-client";

const ROOT = resolve(__dirname, "..");
const RESULTS = join(__dirname, "results");
const CONNECTIONS = 32;
const HUB = "chat";
const SEND_BODY = JSON.stringify({ text: "hello from the benchmark", n: 1 });
/** Broadcast calls in flight on each path (as concurrent function invocations would be): about 8,000 deliveries queued at 1,000 clients. */
const BROADCAST_IN_FLIGHT = 8;

interface Options {
  quick: boolean;
  profileDir: string | undefined;
}

function readOptions(argv: readonly string[]): Options {
  const at = argv.indexOf("--profile");
  return { quick: argv.includes("--quick"), profileDir: at >= 0 && argv[at + 1] ? resolve(argv[at + 1]!) : undefined };
}

/** Waits for `pattern` on the child's stdout; resolves with the whole output so far. */
async function waitForOutput(child: ChildProcess, pattern: RegExp, what: string): Promise<string> {
  let output = "";
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start within 60 s:\n${output}`)), 60_000);
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (pattern.test(output)) {
        clearTimeout(timer);
        resolvePromise(output);
      }
    });
    child.once("exit", (code) => reject(new Error(`${what} exited (${code}) before it was ready:\n${output}`)));
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  await exited;
}

/** A side of the comparison: where its two calls live and how a receiver joins it. */
interface Side {
  readonly name: string;
  readonly baseUrl: string;
  /** The side's server process, for its CPU time per request. */
  readonly pid: number | undefined;
  openReceiver(userId: string): Promise<Receiver>;
  stop(): Promise<void>;
}

interface Receiver {
  received: number;
  close(): void;
}

/** `node dist/host/start-cli.js`: what `npm start` runs once it has built. */
async function startProject(profileDir: string | undefined): Promise<Side & { connectionString: string }> {
  const functionsPort = await freePort();
  const emulatorPort = await freePort();
  const env = { ...process.env };
  delete env.WebPubSubConnectionString;
  const child = spawn(
    process.execPath,
    [
      ...(profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : []),
      join(ROOT, "dist/host/start-cli.js"),
      "--functions-port",
      String(functionsPort),
      "--emulator-port",
      String(emulatorPort),
      "--settings",
      join(ROOT, "local.settings.example.json"),
    ],
    { cwd: ROOT, env, stdio: ["ignore", "pipe", "inherit"] },
  );
  const output = await waitForOutput(child, /Press Ctrl-C to stop/, "npm start");
  const connectionString = /Connection string:\s+(\S+)/.exec(output)?.[1];
  if (!connectionString) throw new Error(`npm start printed no connection string:\n${output}`);
  const baseUrl = `http://127.0.0.1:${functionsPort}`;
  return {
    name: "project (npm start)",
    baseUrl,
    pid: child.pid,
    connectionString,
    openReceiver: async (userId) => openRawClient(await negotiateUrl(baseUrl, userId)),
    stop: () => stopChild(child),
  };
}

async function negotiateUrl(baseUrl: string, userId: string): Promise<string> {
  const response = await fetch(`${baseUrl}/api/negotiate?userId=${encodeURIComponent(userId)}`);
  if (response.status !== 200) throw new Error(`negotiate answered ${response.status}: ${await response.text()}`);
  const { url } = (await response.json()) as { url: string };
  return url.replace("//localhost:", "//127.0.0.1:");
}

/** A raw-protocol Web PubSub client: every frame is one delivered message. */
async function openRawClient(url: string): Promise<Receiver & { socket: WebSocket }> {
  const socket = new WebSocket(url, { perMessageDeflate: false });
  const receiver = { received: 0, socket, close: () => socket.terminate() };
  socket.on("message", () => (receiver.received += 1));
  await new Promise<void>((resolvePromise, reject) => {
    socket.once("open", () => resolvePromise());
    socket.once("error", reject);
  });
  return receiver;
}

async function startPeer(): Promise<Side> {
  const port = await freePort();
  const child = fork(join(__dirname, "socketio-peer.ts"), [String(port)], { execArgv: ["--import", "tsx"], stdio: ["ignore", "pipe", "inherit", "ipc"] });
  await waitForOutput(child, /ready/, "the Socket.IO peer");
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    name: "stateful Socket.IO server",
    baseUrl,
    pid: child.pid,
    openReceiver: async (userId) => {
      const socket: Socket = socketIoClient(baseUrl, { transports: ["websocket"], auth: { userId } });
      const receiver = { received: 0, close: () => socket.disconnect() };
      socket.on("message", () => (receiver.received += 1));
      await new Promise<void>((resolvePromise, reject) => {
        socket.once("joined", () => resolvePromise());
        socket.once("connect_error", reject);
      });
      return receiver;
    },
    stop: () => stopChild(child),
  };
}

interface LoadResult {
  requestsPerSecond: number;
  accepted: number;
  failed: number;
  latencyMs: { p50: number; p99: number };
  /**
   * CPU time (user + system) the side's server process spent per accepted request while the load
   * ran: when a side is CPU-bound on its one core, the ratio of requests/s follows these.
   * Undefined where /proc is not available.
   */
  cpuMicrosPerRequest: number | undefined;
}

const clockTicksPerSecond = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User + system CPU time of a process so far, in µs (Linux /proc), or undefined. */
function processCpuMicros(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / clockTicksPerSecond;
  } catch {
    return undefined;
  }
}

/** Rounds per comparison: the two sides take turns, so a busy spell on a shared machine hits both. */
const ROUNDS = 2;

type RoundResult = LoadResult & { seconds: number; cpuMicros: number | undefined };

async function load(side: Side, url: string, seconds: number, init: { method: "GET" | "POST"; body?: string }): Promise<RoundResult> {
  const cpuBefore = processCpuMicros(side.pid);
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    method: init.method,
    ...(init.body ? { body: init.body, headers: { "content-type": "application/json" } } : {}),
  });
  const cpuAfter = processCpuMicros(side.pid);
  const cpuMicros = cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore;
  const accepted = result["2xx"];
  return {
    cpuMicros,
    cpuMicrosPerRequest: cpuMicros === undefined || accepted === 0 ? undefined : Math.round(cpuMicros / accepted),
    requestsPerSecond: Math.round(accepted / result.duration),
    accepted,
    failed: result.non2xx + result.errors + result.timeouts,
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99 },
    seconds: result.duration,
  };
}

/** Sums rounds: requests/s over their total time; latency percentiles are the worst round's. */
function combine(rounds: readonly RoundResult[]): LoadResult {
  const accepted = rounds.reduce((sum, r) => sum + r.accepted, 0);
  const seconds = rounds.reduce((sum, r) => sum + r.seconds, 0);
  const cpuMicros = rounds.every((r) => r.cpuMicros !== undefined) ? rounds.reduce((sum, r) => sum + r.cpuMicros!, 0) : undefined;
  return {
    cpuMicrosPerRequest: cpuMicros === undefined || accepted === 0 ? undefined : Math.round(cpuMicros / accepted),
    requestsPerSecond: Math.round(accepted / seconds),
    accepted,
    failed: rounds.reduce((sum, r) => sum + r.failed, 0),
    latencyMs: { p50: Math.max(...rounds.map((r) => r.latencyMs.p50)), p99: Math.max(...rounds.map((r) => r.latencyMs.p99)) },
  };
}

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

async function negotiatePhase(sides: readonly Side[], seconds: number): Promise<LoadResult[]> {
  const url = (side: Side) => `${side.baseUrl}/api/negotiate?userId=bench-user`;
  for (const side of sides) await load(side, url(side), 1, { method: "GET" }); // warm-up
  const rounds: RoundResult[][] = sides.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, side] of sides.entries()) rounds[i]!.push(await load(side, url(side), seconds / ROUNDS, { method: "GET" }));
  }
  return sides.map((side, i) => {
    const result = combine(rounds[i]!);
    console.log(`negotiate, ${side.name}: ${JSON.stringify(result)}`);
    return result;
  });
}

type SendResult = LoadResult & { delivered: number; allDelivered: boolean };

/** One receiver per side; every accepted send must reach it (late ones from a run's cut-off requests count too). */
async function sendPhase(sides: readonly Side[], seconds: number): Promise<SendResult[]> {
  const url = (side: Side) => `${side.baseUrl}/api/send?userId=bench-receiver`;
  const receivers = await Promise.all(sides.map((side) => side.openReceiver("bench-receiver")));
  for (const [i, side] of sides.entries()) {
    const warm = await load(side, url(side), 1, { method: "POST", body: SEND_BODY });
    await waitUntil(() => receivers[i]!.received >= warm.accepted, 10_000);
    receivers[i]!.received = 0;
  }
  const rounds: RoundResult[][] = sides.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, side] of sides.entries()) rounds[i]!.push(await load(side, url(side), seconds / ROUNDS, { method: "POST", body: SEND_BODY }));
  }
  const results: SendResult[] = [];
  for (const [i, side] of sides.entries()) {
    const result = combine(rounds[i]!);
    const receiver = receivers[i]!;
    const allDelivered = await waitUntil(() => receiver.received >= result.accepted, 15_000);
    receiver.close();
    const measured = { ...result, delivered: receiver.received, allDelivered };
    console.log(`send, ${side.name}: ${JSON.stringify(measured)}`);
    results.push(measured);
  }
  return results;
}

function broadcastPayload(id: number): string {
  const head = `{"i":${id},"pad":"`;
  return `${head}${"x".repeat(1024 - head.length - 2)}"}`;
}

/** Sends `messages` publishes with a few in flight; resolves when every client got every one. */
async function timedBroadcast(clients: Array<{ received: number }>, messages: number, publish: (payload: string) => Promise<void>) {
  for (const client of clients) client.received = 0;
  const expected = clients.length * messages;
  const total = () => clients.reduce((sum, client) => sum + client.received, 0);
  const started = performance.now();
  const inFlight = new Set<Promise<void>>();
  for (let i = 0; i < messages; i++) {
    if (inFlight.size >= BROADCAST_IN_FLIGHT) await Promise.race(inFlight);
    const call: Promise<void> = publish(broadcastPayload(i)).then(() => void inFlight.delete(call));
    inFlight.add(call);
  }
  await Promise.all(inFlight);
  const complete = await waitUntil(() => total() >= expected, 30_000);
  const seconds = (performance.now() - started) / 1000;
  const deliveries = total();
  return { messages, deliveries, allDelivered: complete && deliveries === expected, seconds: Number(seconds.toFixed(3)), deliveriesPerSecond: Math.round(deliveries / seconds) };
}

function combineBroadcast(rounds: ReadonlyArray<Awaited<ReturnType<typeof timedBroadcast>>>) {
  const messages = rounds.reduce((sum, r) => sum + r.messages, 0);
  const deliveries = rounds.reduce((sum, r) => sum + r.deliveries, 0);
  const seconds = rounds.reduce((sum, r) => sum + r.seconds, 0);
  return { messages, deliveries, allDelivered: rounds.every((r) => r.allDelivered), seconds: Number(seconds.toFixed(3)), deliveriesPerSecond: Math.round(deliveries / seconds) };
}

async function broadcastPhase(project: Side & { connectionString: string }, clientCount: number, messages: number) {
  const url = await negotiateUrl(project.baseUrl, "bench-fan");
  const clients: Array<Receiver & { socket: WebSocket }> = [];
  for (let start = 0; start < clientCount; start += 250) {
    clients.push(...(await Promise.all(Array.from({ length: Math.min(250, clientCount - start) }, () => openRawClient(url)))));
  }
  // The same SDK client the function app builds, pointed straight at the service.
  const direct = createServiceClient(parseConfig({ WebPubSubConnectionString: project.connectionString, WebPubSubHub: HUB }));
  const agent = new http.Agent({ keepAlive: true, maxSockets: BROADCAST_IN_FLIGHT });
  const viaApp = (payload: string) =>
    new Promise<void>((resolvePromise, reject) => {
      const request = http.request(`${project.baseUrl}/api/broadcast`, { method: "POST", agent, headers: { "content-type": "application/json" } }, (response) => {
        response.resume();
        response.on("end", () => (response.statusCode === 202 ? resolvePromise() : reject(new Error(`broadcast answered ${response.statusCode}`))));
      });
      request.on("error", reject);
      request.end(payload);
    });
  const straight = (payload: string) => direct.sendToAll(JSON.parse(payload) as Record<string, unknown>);
  await timedBroadcast(clients, 10, straight); // warm-up both paths
  await timedBroadcast(clients, 10, viaApp);
  const restRounds = [];
  const appRounds = [];
  for (let round = 0; round < ROUNDS * 2; round++) {
    restRounds.push(await timedBroadcast(clients, messages / (ROUNDS * 2), straight));
    appRounds.push(await timedBroadcast(clients, messages / (ROUNDS * 2), viaApp));
  }
  const rest = combineBroadcast(restRounds);
  console.log(`broadcast to ${clientCount}, REST straight to the service: ${JSON.stringify(rest)}`);
  const app = combineBroadcast(appRounds);
  console.log(`broadcast to ${clientCount}, through the function app: ${JSON.stringify(app)}`);
  for (const client of clients) client.close();
  agent.destroy();
  return { clients: clientCount, payloadBytes: 1024, restInFlight: BROADCAST_IN_FLIGHT, directRest: rest, functionApp: app };
}

const ratio = (a: number, b: number): number => Number((a / b).toFixed(3));

function machine() {
  const cpus = os.cpus();
  return { cpus: cpus.length, model: cpus[0]?.model ?? "unknown", node: process.version, platform: `${os.type()} ${os.release()}`, loadAverageAtStart: os.loadavg().map((n) => Number(n.toFixed(2))) };
}

async function main(): Promise<void> {
  const options = readOptions(process.argv.slice(2));
  const seconds = options.quick ? 4 : 10;
  const results: Record<string, unknown> = { date: new Date().toISOString(), machine: machine(), connections: CONNECTIONS, secondsPerSide: seconds, roundsPerSide: ROUNDS, quick: options.quick };
  console.log("building (npm run build) so the project runs as npm start runs it");
  execFileSync("npm", ["run", "build"], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });

  if (options.profileDir) {
    mkdirSync(options.profileDir, { recursive: true });
    const project = await startProject(options.profileDir);
    try {
      results.send = { project: (await sendPhase([project], seconds))[0] };
    } finally {
      await project.stop();
    }
    console.log(`CPU profile written to ${options.profileDir}`);
    return;
  }

  const peer = await startPeer();
  const project = await startProject(undefined);
  try {
    const [negotiatePeer, negotiateProject] = (await negotiatePhase([peer, project], seconds)) as [LoadResult, LoadResult];
    results.negotiate = { peer: negotiatePeer, project: negotiateProject, ratio: ratio(negotiateProject.requestsPerSecond, negotiatePeer.requestsPerSecond), target: 0.8 };
    const [sendPeer, sendProject] = (await sendPhase([peer, project], seconds)) as [SendResult, SendResult];
    results.send = { peer: sendPeer, project: sendProject, ratio: ratio(sendProject.requestsPerSecond, sendPeer.requestsPerSecond), target: 0.5 };
    await peer.stop();
    const broadcast = await broadcastPhase(project, options.quick ? 200 : 1000, options.quick ? 40 : 200);
    results.broadcast = { ...broadcast, ratio: ratio(broadcast.functionApp.deliveriesPerSecond, broadcast.directRest.deliveriesPerSecond), target: 0.8 };
  } finally {
    await Promise.allSettled([peer.stop(), project.stop()]);
  }
  const table = ["negotiate", "send", "broadcast"].map((name) => `${name}: ${(results[name] as { ratio: number }).ratio}x`);
  console.log(`ratios (project / peer, app / direct): ${table.join(", ")}`);
  const cpu = ["negotiate", "send"].map((name) => {
    const phase = results[name] as { project: LoadResult; peer: LoadResult };
    return `${name} ${phase.project.cpuMicrosPerRequest ?? "?"} / ${phase.peer.cpuMicrosPerRequest ?? "?"}`;
  });
  console.log(`CPU µs per request in the server process (project / peer): ${cpu.join(", ")}`);
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, "serverless-path.json"), `${JSON.stringify(results, null, 2)}\n`);
  console.log(`wrote ${join(RESULTS, "serverless-path.json")}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

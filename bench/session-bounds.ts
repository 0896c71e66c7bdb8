/**
 * The memory and latency figures of the per-session bounds, each against the design it replaced,
 * measured side by side in one run:
 * - processed ackIds: the 4,096-id sliding window against a Set of the last 10,000 ids, for 500
 *   connections that each acked 10,000 messages;
 * - user-group expiry timers: one timer per membership, replaced on renewal, against a timer per
 *   renewal, for 100,000 renewals of one membership;
 * - Redis backplane: a membership change across two nodes with and without a ghost subscriber (a
 *   socket Redis believes in that never answers) on the hub's channel (needs redis-server).
 * Run: `npx tsx bench/session-bounds.ts [--quick]` (`node --expose-gc` is set up by re-running
 * itself) → bench/results/session-bounds.json.
 */
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import net from "node:net";
import { performance } from "node:perf_hooks";
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { WebPubSubClient } from "@azure/web-pubsub-client";
import { RedisBackplane } from "../emulator/src/backplane/redis-backplane";
import { AckTracker } from "../emulator/src/node/ack-tracker";
import { UserGroupMemberships } from "../emulator/src/node/user-group-memberships";
import { createServer } from "../emulator/src/server";
import { findRedisServer, startRedisServer } from "../host/redis-server-process";
import { runBench } from "./bench-results";

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  const rerun = spawnSync(process.execPath, ["--expose-gc", ...process.execArgv, __filename, ...process.argv.slice(2)], { stdio: "inherit" });
  process.exit(rerun.status ?? 1);
}
const quick = process.argv.includes("--quick");

/**
 * Heap plus ArrayBuffer backing stores: a typed array over 64 bytes (the ack window's 512-byte
 * bitmap) keeps its bytes outside the V8 heap, which heapUsed alone would not count.
 */
function heapUsed(): number {
  gc!();
  gc!();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

/** Memory retained by what `build` returns, in bytes (heap and ArrayBuffer stores). */
function retained(build: () => unknown): number {
  const before = heapUsed();
  const kept = build();
  const after = heapUsed();
  if (kept === undefined) throw new Error("nothing kept");
  return after - before;
}

/** The design the window replaced: a Set of the last `capacity` ids. */
class SetOfIds {
  private readonly seen = new Set<number>();
  record(id: number): void {
    this.seen.add(id);
    if (this.seen.size > 10_000) this.seen.delete(this.seen.values().next().value!);
  }
}

function ackWindow(): Record<string, unknown> {
  const connections = quick ? 100 : 500;
  const acks = 10_000;
  const window = retained(() => Array.from({ length: connections }, () => {
    const tracker = new AckTracker();
    for (let id = 1; id <= acks; id += 1) tracker.record(id);
    return tracker;
  }));
  const set = retained(() => Array.from({ length: connections }, () => {
    const ids = new SetOfIds();
    for (let id = 1; id <= acks; id += 1) ids.record(id);
    return ids;
  }));
  return {
    connections,
    acksPerConnection: acks,
    bytesPerConnection: { slidingWindow: Math.round(window / connections), setOfLast10000: Math.round(set / connections) },
    ratio: Math.round((set / window) * 10) / 10,
  };
}

function expiryTimers(): Record<string, unknown> {
  const renewals = quick ? 20_000 : 100_000;
  const timers = { now: () => Date.now(), setTimeout: (callback: () => void, ms: number) => setTimeout(callback, ms), clearTimeout: (handle: unknown) => clearTimeout(handle as NodeJS.Timeout) };
  let table: UserGroupMemberships | undefined;
  const one = retained(() => {
    table = new UserGroupMemberships(timers);
    for (let i = 0; i < renewals; i += 1) table.remember("alice", "vip", Date.now() + 3_600_000 + i);
    return table;
  });
  const armed = table!.timerCount;
  table!.clear();
  const handles: NodeJS.Timeout[] = [];
  const perRenewal = retained(() => {
    for (let i = 0; i < renewals; i += 1) handles.push(setTimeout(() => {}, 3_600_000 + i));
    return handles;
  });
  for (const handle of handles) clearTimeout(handle);
  return {
    renewals,
    timersArmed: { onePerMembership: armed, onePerRenewal: renewals },
    bytes: { onePerMembership: one, onePerRenewal: perRenewal },
  };
}

async function ghostLatency(): Promise<Record<string, unknown>> {
  const binary = findRedisServer();
  if (!binary) return { skipped: "redis-server not found" };
  const redis = await startRedisServer(binary);
  const prefix = `b${randomUUID().slice(0, 8)}`;
  const node = (id: string) => createServer({ port: 0, backplane: new RedisBackplane({ url: redis.url, nodeId: id, channelPrefix: prefix }) });
  const [one, two] = [await node("bench-1"), await node("bench-2")];
  const rounds = quick ? 100 : 400;
  const measure = async (hub: string): Promise<{ p50: number; p99: number }> => {
    const client = new WebPubSubClient({ getClientAccessUrl: async () => (await new WebPubSubServiceClient(one.connectionString, hub, { allowInsecureConnection: true }).getClientAccessToken({ userId: "u" })).url }, { autoReconnect: false });
    let connectionId = "";
    client.on("connected", (event) => (connectionId = event.connectionId));
    await client.start();
    const rest = new WebPubSubServiceClient(two.connectionString, hub, { allowInsecureConnection: true });
    const times: number[] = [];
    for (let i = 0; i < rounds; i += 1) {
      const started = performance.now();
      await rest.group(`g${i % 10}`).addConnection(connectionId);
      times.push(performance.now() - started);
    }
    client.stop();
    times.sort((a, b) => a - b);
    return { p50: Math.round(times[Math.floor(times.length / 2)]! * 100) / 100, p99: Math.round(times[Math.floor(times.length * 0.99)]! * 100) / 100 };
  };
  const clean = await measure("clean");
  const ghost = net.connect(redis.port, "127.0.0.1");
  await new Promise((resolve) => ghost.once("connect", resolve));
  const channel = `${prefix}:hub:ghosted`;
  ghost.write(`*2\r\n$9\r\nSUBSCRIBE\r\n$${channel.length}\r\n${channel}\r\n`);
  await new Promise((resolve) => ghost.once("data", resolve));
  const ghosted = await measure("ghosted");
  ghost.destroy();
  await Promise.all([one.close(), two.close()]);
  await redis.stop();
  return { rounds, addConnectionMs: { withoutGhost: clean, withGhostSubscriber: ghosted }, applyTimeoutMs: 1000 };
}

async function main(): Promise<object> {
  const results = {
    date: new Date().toISOString(),
    node: process.version,
    ackWindow: ackWindow(),
    expiryTimers: expiryTimers(),
    backplaneGhost: await ghostLatency(),
  };
  return results;
}

runBench("session-bounds", main);

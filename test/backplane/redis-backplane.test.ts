import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RedisBackplane, describeRedisUrl, type BackplaneLogger, type RedisBackplaneOptions } from "../../emulator/src/backplane/redis-backplane";
import type { ClusterCommand } from "../../emulator/src/cluster/commands";
import { requiredBinary } from "../support/required-binary";
import { freePort, redisCommand, startRedisServer, type RedisServerProcess } from "../support/redis-server";
import { RecordingNode } from "./recording-node";

const redisBinary = requiredBinary("redis-server", ["/usr/bin/redis-server"]);

/** Collects log lines and lets a test await one. */
class RecordingLogger implements BackplaneLogger {
  readonly lines: string[] = [];
  private waiters: Array<{ text: string; count: number; resolve: () => void }> = [];
  info(message: string): void {
    this.add(message);
  }
  warn(message: string): void {
    this.add(message);
  }
  private add(line: string): void {
    this.lines.push(line);
    this.waiters = this.waiters.filter((w) => {
      if (this.count(w.text) < w.count) return true;
      w.resolve();
      return false;
    });
  }
  private count(text: string): number {
    return this.lines.filter((l) => l.includes(text)).length;
  }
  /** Resolves when `text` has appeared in `count` lines. */
  seen(text: string, count = 1): Promise<void> {
    if (this.count(text) >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ text, count, resolve }));
  }
}

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("RedisBackplane options", () => {
  it.each<[string, RedisBackplaneOptions, string]>([
    ["a url that is no URL", { url: "localhost:6379" }, "`url` must use redis:// or rediss://, got localhost:"],
    ["an http url", { url: "http://localhost:6379" }, "`url` must use redis:// or rediss://, got http://"],
    ["a zero query timeout", { url: "redis://localhost:1", queryTimeoutMs: 0 }, "`queryTimeoutMs` must be a positive number of milliseconds"],
    ["a prefix with ':'", { url: "redis://localhost:1", channelPrefix: "a:b" }, "`channelPrefix` must be a non-empty string without ':'"],
    ["an empty node id", { url: "redis://localhost:1", nodeId: "" }, "`nodeId` must not be empty"],
  ])("rejects %s with a clear message", (_name, options, message) => {
    expect(() => new RedisBackplane(options)).toThrow(`RedisBackplane: ${message}`);
  });

  it("never puts credentials in what it logs", () => {
    expect(describeRedisUrl("redis://user:s3cret@cache.local:6380/2")).toBe("cache.local:6380");
    expect(describeRedisUrl("redis://:s3cret@cache.local")).toBe("cache.local:6379");
  });

  it("fails attach with the address when Redis is unreachable", async () => {
    const port = await freePort();
    const backplane = new RedisBackplane({ url: `redis://:pw@127.0.0.1:${port}`, connectTimeoutMs: 500 });
    const attempt = backplane.attach(new RecordingNode(backplane));
    await expect(attempt).rejects.toThrow(`backplane: cannot connect to redis at 127.0.0.1:${port}`);
    await expect(attempt).rejects.not.toThrow("pw");
    await backplane.close();
  });
});

describe.skipIf(!redisBinary)("RedisBackplane faults", () => {
  let redis: RedisServerProcess;
  let nodes: RecordingNode[] = [];
  beforeAll(async () => {
    redis = await startRedisServer(redisBinary!);
  });
  afterAll(async () => {
    await redis.stop();
  });
  afterEach(async () => {
    await Promise.all(nodes.map((n) => n.backplane.close()));
    nodes = [];
    await redis.start(); // a no-op unless a test left it stopped
  });

  async function node(nodeId: string, logger: BackplaneLogger, errors: Error[]): Promise<RecordingNode> {
    const backplane = new RedisBackplane({ url: redis.url, nodeId, channelPrefix: "fault", logger, queryTimeoutMs: 300 });
    backplane.onError((e) => errors.push(e));
    const recording = new RecordingNode(backplane);
    await backplane.attach(recording);
    nodes.push(recording);
    return recording;
  }

  it("keeps publishing without throwing while Redis is down, then resumes within 2 s with subscriptions restored", async () => {
    const logA = new RecordingLogger();
    const logB = new RecordingLogger();
    const errors: Error[] = [];
    const a = await node("a", logA, errors);
    const b = await node("b", logB, errors);
    b.backplane.hubActivated("h");
    b.backplane.groupActivated("h", "g");
    // Barrier: b has applied a membership command, so its subscriptions are in place.
    await a.backplane.publish("h", { kind: "removeUserFromAllGroups", userId: "u" });
    expect(b.received).toHaveLength(1);

    await redis.stop();
    await until(() => errors.filter((e) => e.message.startsWith("redis disconnected at 127.0.0.1:")).length >= 2);
    const during: ClusterCommand = { kind: "deliver", target: { kind: "group", group: "g" }, message: { from: "server", dataType: "text", data: Uint8Array.from([1]) } };
    for (let i = 0; i < 5; i++) await expect(a.backplane.publish("h", during)).resolves.toBeUndefined();
    await expect(a.backplane.query("h", { kind: "userExists", userId: "u" })).resolves.toEqual([]);
    await expect(a.backplane.publish("h", { kind: "addUserToGroup", userId: "u", group: "g" })).resolves.toBeUndefined();
    // One report per node and outage, not one per dropped message or reconnect attempt.
    expect(errors.map((e) => e.message.replace(/\((publisher|subscriber)\)/, "(link)"))).toEqual([
      `redis disconnected at 127.0.0.1:${redis.port} (link); local delivery continues, messages to other nodes are dropped until it reconnects`,
      `redis disconnected at 127.0.0.1:${redis.port} (link); local delivery continues, messages to other nodes are dropped until it reconnects`,
    ]);

    const restarted = Date.now();
    await redis.start();
    await Promise.all([logA.seen("backplane: redis reconnected"), logB.seen("backplane: redis reconnected")]);
    // Retry a group delivery until b gets it: b must have re-subscribed its group channel by itself.
    const after: ClusterCommand = { ...during, message: { ...during.message, data: Uint8Array.from([2]) } };
    while (b.received.length === 1 && Date.now() - restarted < 5_000) {
      await a.backplane.publish("h", after);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(Date.now() - restarted).toBeLessThan(2_000);
    expect(b.received.slice(1).map((r) => r.command)).toContainEqual(after);
    expect(b.received.slice(1).every((r) => r.command.kind === "deliver" && r.command.message.data[0] === 2)).toBe(true);
    expect(logA.lines.find((l) => l.includes("reconnected"))).toMatch(/^backplane: redis reconnected at 127\.0\.0\.1:\d+ after \d+ ms; [1-9]\d* messages to other nodes were dropped meanwhile$/);
  });

  it("answers queries without waiting for a node that left", async () => {
    const errors: Error[] = [];
    const a = await node("a", new RecordingLogger(), errors);
    const b = await node("b", new RecordingLogger(), errors);
    b.backplane.hubActivated("h");
    a.backplane.hubActivated("h");
    await a.backplane.publish("h", { kind: "removeUserFromAllGroups", userId: "barrier" });
    expect(await a.backplane.query("h", { kind: "connectionExists", connectionId: "c" })).toEqual([{ kind: "boolean", value: false }]);
    await b.backplane.close();
    expect(await a.backplane.query("h", { kind: "connectionExists", connectionId: "c" })).toEqual([]);
    expect(errors).toEqual([]);
  });

  it("reports a malformed bus message through onError and keeps working", async () => {
    const errors: Error[] = [];
    const a = await node("a", new RecordingLogger(), errors);
    const b = await node("b", new RecordingLogger(), errors);
    b.backplane.hubActivated("h");
    await a.backplane.publish("h", { kind: "removeUserFromAllGroups", userId: "barrier" });
    expect(await redisCommand(redis.port, ["PUBLISH", "fault:hub:h", Buffer.from([0, 0, 0, 50, 1, 2])])).toBe(":1");
    expect(await redisCommand(redis.port, ["PUBLISH", "fault:hub:h", Buffer.from([0, 0, 0, 2, 0x7b, 0x7d])])).toBe(":1");
    await a.backplane.publish("h", { kind: "removeUserFromAllGroups", userId: "after" });
    expect(b.received.map((r) => r.command)).toEqual([
      { kind: "removeUserFromAllGroups", userId: "barrier" },
      { kind: "removeUserFromAllGroups", userId: "after" },
    ]);
    expect(errors.map((e) => e.message)).toEqual(["bus message header length exceeds the message", "bus message header has no version"]);
  });
});

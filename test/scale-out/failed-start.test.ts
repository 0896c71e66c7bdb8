/**
 * A start that fails after the Redis link is made (the port is taken) tears everything down: the
 * CLI prints one line and exits 1 instead of hanging with its Redis connections open, and
 * `startLocalService()` rejects leaving Redis with no more clients than before.
 */
import { spawn } from "node:child_process";
import net from "node:net";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalService } from "../../emulator/src/start-local-service";
import { requiredBinary } from "../support/required-binary";
import { startRedisServer, type RedisServerProcess } from "../support/redis-server";

const redisBinary = requiredBinary("redis-server", ["/usr/bin/redis-server"]);

describe.skipIf(!redisBinary)("a failed start with --redis", () => {
  let redis: RedisServerProcess;
  let blocker: net.Server;
  let busyPort: number;
  let probe: Redis;

  const connectedClients = async (): Promise<number> => Number(/connected_clients:(\d+)/.exec(await probe.info("clients"))![1]);
  /** Redis notices a closed client a moment after the close: poll for up to 5 s. */
  const clientsSettleAt = async (expected: number): Promise<number> => {
    const deadline = Date.now() + 5000;
    let now = await connectedClients();
    while (now !== expected && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      now = await connectedClients();
    }
    return now;
  };

  beforeAll(async () => {
    redis = await startRedisServer(redisBinary!);
    probe = new Redis({ port: redis.port, host: "127.0.0.1" });
    blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    busyPort = (blocker.address() as net.AddressInfo).port;
  });

  afterAll(async () => {
    probe.disconnect();
    blocker.close();
    await redis.stop();
  });

  it("npm run emulator: says the port is taken and exits 1 within seconds, its Redis links closed", async () => {
    const before = await connectedClients();
    const child = spawn(process.execPath, ["--import", "tsx", "emulator/src/cli.ts", "--port", String(busyPort), "--redis", `redis://127.0.0.1:${redis.port}`, "--quiet"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    const timeout = new Promise<string>((resolve) => setTimeout(() => resolve("still running after 15 s"), 15_000).unref());
    const outcome = await Promise.race([exited, timeout]);
    if (outcome === "still running after 15 s") child.kill("SIGKILL");
    expect(outcome).toBe(1);
    expect(stderr.split("\n").filter((line) => line.length > 0)).toEqual([`Port ${busyPort} is already in use; pick another with --port (0 picks a free one).`]);
    expect(await clientsSettleAt(before)).toBe(before);
  });

  it("startLocalService() rejects with EADDRINUSE and leaves no Redis client behind, five times over", async () => {
    const before = await connectedClients();
    for (let attempt = 0; attempt < 5; attempt += 1) {
      await expect(startLocalService({ port: busyPort, redis: `redis://127.0.0.1:${redis.port}` })).rejects.toMatchObject({ code: "EADDRINUSE" });
    }
    expect(await clientsSettleAt(before)).toBe(before);
  });
});

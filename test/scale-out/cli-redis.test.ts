import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { afterEach, describe, expect, it } from "vitest";
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { WebPubSubClient, WebPubSubJsonProtocol } from "@azure/web-pubsub-client";
import { requiredBinary } from "../support/required-binary";
import { freePort, startRedisServer, type RedisServerProcess } from "../support/redis-server";

const redisBinary = requiredBinary("redis-server", ["/usr/bin/redis-server"]);
const tsx = "node_modules/.bin/tsx";

interface Emulator {
  child: ChildProcess;
  connectionString: string;
  stderr: string[];
}

/** Starts `emulator/src/cli.ts` and reads the two stdout lines it promises (url, connection string). */
async function startEmulator(args: string[]): Promise<Emulator> {
  const child = spawn(tsx, ["emulator/src/cli.ts", "--port", "0", "--host", "127.0.0.1", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const stderr: string[] = [];
  createInterface({ input: child.stderr! }).on("line", (line) => stderr.push(line));
  const lines: string[] = [];
  const reader = createInterface({ input: child.stdout! });
  await new Promise<void>((resolve, reject) => {
    reader.on("line", (line) => {
      lines.push(line);
      if (lines.length === 2) resolve();
    });
    child.once("exit", (code) => reject(new Error(`emulator exited with ${code}: ${stderr.join("\n")}`)));
  });
  return { child, connectionString: lines[1]!, stderr };
}

describe.skipIf(!redisBinary)("emulator CLI --redis", () => {
  const children: ChildProcess[] = [];
  let redis: RedisServerProcess | undefined;
  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await once(child, "exit");
      }
    }
    await redis?.stop();
  });

  it("joins two emulator processes through Redis and never logs the password", async () => {
    redis = await startRedisServer(redisBinary!);
    const url = `redis://:hunter2-not-a-real-password@127.0.0.1:${redis.port}`;
    const one = await startEmulator(["--redis", url]);
    children.push(one.child);
    const two = await startEmulator(["--redis", url]);
    children.push(two.child);

    const tokens = new WebPubSubServiceClient(one.connectionString, "cli", { allowInsecureConnection: true });
    const client = new WebPubSubClient({ getClientAccessUrl: async () => (await tokens.getClientAccessToken()).url }, { protocol: WebPubSubJsonProtocol(), autoReconnect: false });
    const received = new Promise((resolve) => client.on("server-message", (e) => resolve(e.message.data)));
    await client.start();
    await new WebPubSubServiceClient(two.connectionString, "cli", { allowInsecureConnection: true }).sendToAll({ via: "process two" });
    expect(await received).toEqual({ via: "process two" });
    await client.stop();
    expect(one.stderr.some((line) => line.startsWith(`[emulator] backplane: redis connected at 127.0.0.1:${redis!.port} as node `))).toBe(true);
    expect([...one.stderr, ...two.stderr].some((line) => line.includes("hunter2"))).toBe(false);
  });

  it("refuses to start when Redis is unreachable, saying where it looked", async () => {
    const port = await freePort();
    const child = spawn(tsx, ["emulator/src/cli.ts", "--port", "0", "--redis", `redis://127.0.0.1:${port}`], { stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = await once(child, "exit");
    expect(code).toBe(1);
    expect(stderr).toContain(`backplane: cannot connect to redis at 127.0.0.1:${port}`);
  });
});

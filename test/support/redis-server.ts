import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import net from "node:net";
import { freePort } from "../../scripts/free-port";

export { freePort };

/** A throw-away redis-server on a free port, with no persistence. Stop and restart it to inject faults. */
export interface RedisServerProcess {
  readonly port: number;
  readonly url: string;
  /** Kills the server (SIGKILL, like a crash) and waits until it is gone. */
  stop(): Promise<void>;
  /** Starts it again on the same port (empty: nothing was persisted); does nothing while it runs. */
  start(): Promise<void>;
}

/** Resolves once `PING` on the port answers `+PONG`; rejects after `timeoutMs`. */
export async function waitForRedis(port: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await pingOnce(port)) return;
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function pingOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.setTimeout(500);
    let reply = "";
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk) => {
      reply += chunk.toString("latin1");
      if (reply.includes("\r\n")) {
        socket.destroy();
        resolve(reply.startsWith("+PONG"));
      }
    });
    socket.on("error", () => resolve(false));
    socket.on("timeout", () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** Spawns `redis-server --port N --save '' --appendonly no` from `binary` and waits for PING. */
export async function startRedisServer(binary: string, port?: number): Promise<RedisServerProcess> {
  const chosenPort = port ?? (await freePort());
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    if (child && child.exitCode === null && child.signalCode === null) return; // already running
    const proc = spawn(binary, ["--port", String(chosenPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    proc.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = once(proc, "exit").then(() => {
      throw new Error(`redis-server exited before answering PING: ${stderr.trim()}`);
    });
    child = proc;
    await Promise.race([waitForRedis(chosenPort), exited]);
    exited.catch(() => {});
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = once(proc, "exit");
    proc.kill("SIGKILL");
    await exited;
  };

  await start();
  return { port: chosenPort, url: `redis://127.0.0.1:${chosenPort}`, stop, start };
}

/** Sends one command over a raw RESP connection and resolves with the first reply line (no client library). */
export function redisCommand(port: number, args: Array<string | Buffer>): Promise<string> {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = typeof arg === "string" ? Buffer.from(arg, "utf8") : arg;
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from("\r\n"));
  }
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let reply = "";
    socket.on("connect", () => socket.write(Buffer.concat(parts)));
    socket.on("data", (chunk) => {
      reply += chunk.toString("latin1");
      const end = reply.indexOf("\r\n");
      if (end >= 0) {
        socket.destroy();
        resolve(reply.slice(0, end));
      }
    });
    socket.on("error", reject);
  });
}

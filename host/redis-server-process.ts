/**
 * A throw-away `redis-server` child process on a free loopback port, with no persistence:
 * `npm start -- --redis` (no URL) runs one for its nodes, and the tests run theirs with it.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import net from "node:net";
import { freePort } from "../scripts/free-port";

export interface RedisServerProcess {
  readonly port: number;
  readonly url: string;
  /** Kills the server (SIGKILL, like a crash) and waits until it is gone. */
  stop(): Promise<void>;
  /** Starts it again on the same port (empty: nothing was persisted); does nothing while it runs. */
  start(): Promise<void>;
}

/** The `redis-server` binary on PATH, or undefined when it is not installed. */
export function findRedisServer(): string | undefined {
  try {
    const found = execFileSync("which", ["redis-server"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    return found === "" ? undefined : found;
  } catch {
    return undefined;
  }
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
      // A process group of its own: Ctrl-C in a terminal signals the whole foreground group, and
      // redis-server must outlive the nodes that use it until `stop`, or they log its loss.
      detached: true,
    });
    // Never left behind, however this process ends.
    const killOnExit = (): void => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
    };
    process.once("exit", killOnExit);
    void once(proc, "exit").then(() => process.off("exit", killOnExit));
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

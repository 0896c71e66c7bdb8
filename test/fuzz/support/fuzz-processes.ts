import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { UpstreamScript } from "./fuzz-target";

const root = join(__dirname, "..", "..", "..");

export interface ServiceProcessInfo {
  url: string;
  connectionString: string;
  pid: number;
}

export interface RunningProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  alive(): boolean;
  rssBytes(): number;
  stop(): Promise<void>;
}

function spawnTsx(args: string[], nodeFlags: string[] = []): { process: RunningProcess; stdout: () => string } {
  const env = { ...process.env };
  for (const name of ["WebPubSubConnectionString", "FUNCTIONS_PORT", "EMULATOR_PORT", "FUNCTION_KEYS"]) delete env[name];
  const child = spawn(process.execPath, [...nodeFlags, "--import", "tsx", ...args], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (err = (err + chunk.toString()).slice(-20_000)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;
  return {
    stdout: () => out,
    process: {
      child,
      stdout: () => out,
      stderr: () => err,
      alive,
      rssBytes: () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))![1]) * 1024,
      stop: async () => {
        if (!alive()) return;
        child.kill("SIGKILL");
        await exited;
      },
    },
  };
}

async function waitFor(read: () => string, pattern: RegExp, running: RunningProcess): Promise<RegExpMatchArray> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const match = read().match(pattern);
    if (match) return match;
    if (!running.alive() || Date.now() > deadline) throw new Error(`process did not start: ${read()}\n${running.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The service process, its event handler for hub `fuzz` (or, for SignalR, its upstream) pointed at `handlerUrl`. */
export async function startFuzzService(handlerUrl: string, service: "webpubsub" | "signalr" = "webpubsub"): Promise<{ info: ServiceProcessInfo; process: RunningProcess }> {
  const started = spawnTsx(["test/fuzz/support/fuzz-service-main.ts", handlerUrl, service], ["--expose-gc"]);
  const [, url, connectionString] = (await waitFor(started.stdout, /^(http:\S+)\n(Endpoint=\S+)\n/m, started.process)) as unknown as [string, string, string];
  return { info: { url, connectionString, pid: started.process.child.pid! }, process: started.process };
}

/** What the service retains after a full collection, JS heap plus external memory (it answers SIGUSR2 with a `heapUsed N` line). */
export async function heapAfterGc(service: RunningProcess): Promise<number> {
  const seen = service.stdout().split("heapUsed ").length;
  service.child.kill("SIGUSR2");
  const deadline = Date.now() + 10_000;
  while (service.stdout().split("heapUsed ").length === seen) {
    if (Date.now() > deadline) throw new Error("the service did not report its heap");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const lines = service.stdout().match(/heapUsed (\d+)/g)!;
  return Number(lines[lines.length - 1]!.slice("heapUsed ".length));
}

/** `npm start` from source: the functions host and its own local service, in one process. */
export async function startFunctionsStack(functionKey: string): Promise<{ functionsBase: string; process: RunningProcess }> {
  const started = spawnTsx([
    "host/start-cli.ts",
    "--settings",
    "local.settings.example.json",
    "--functions-port",
    "0",
    "--emulator-port",
    "0",
    "--function-key",
    functionKey,
  ]);
  const [, functionsBase] = (await waitFor(started.stdout, /Function base URL: +(\S+)[\s\S]*Press Ctrl-C to stop\./, started.process)) as unknown as [string, string];
  return { functionsBase, process: started.process };
}

/** An event handler answering the abuse-protection check, then each POST with the next scripted reply. */
export async function startScriptedHandler(script: UpstreamScript): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      if (req.method === "OPTIONS") return void res.writeHead(200, { "WebHook-Allowed-Origin": "*" }).end();
      // The SignalR face's upstream: 200 with no body (a void Completion for invocations).
      if (req.headers["x-asrs-hub"] !== undefined) return void res.writeHead(200).end();
      // Fire-and-forget events get a plain 200; only connect and user events take scripted replies.
      if (/^azure\.webpubsub\.sys\.(connected|disconnected)$/.test(String(req.headers["ce-type"]))) return void res.writeHead(200).end();
      const reply = script.queue.shift();
      if (!reply) return void res.writeHead(200).end();
      if (reply.hang) return;
      try {
        res.writeHead(reply.status, reply.headers).end(reply.body);
      } catch {
        res.writeHead(reply.status).end(reply.body);
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

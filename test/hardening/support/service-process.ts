import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const CLI = join(__dirname, "../../../emulator/src/cli.ts");

export const TEST_ACCESS_KEY = "HARDENING-TEST-KEY-0123456789-0123456789-01";

/** The local service as its own process (`npm run emulator`), so a crash or a memory leak shows. */
export interface ServiceProcess {
  url: string;
  connectionString: string;
  child: ChildProcess;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  /** Resident set size of the process, from /proc (bytes). */
  rssBytes(): number;
  /** True while the process runs. */
  alive(): boolean;
  stop(): Promise<void>;
}

export async function startServiceProcess(args: string[] = []): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", CLI, "--port", "0", "--access-key", TEST_ACCESS_KEY, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const deadline = Date.now() + 30_000;
  while (out.split("\n").filter(Boolean).length < 2) {
    if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode}: ${err}`);
    if (Date.now() > deadline) throw new Error(`the service did not start: ${err}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const [url, connectionString] = out.split("\n").filter(Boolean) as [string, string];
  return {
    url,
    connectionString,
    child,
    stderr: () => err,
    rssBytes: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
      const match = /VmRSS:\s+(\d+) kB/.exec(status);
      if (!match) throw new Error("no VmRSS in /proc status");
      return Number(match[1]) * 1024;
    },
    alive: () => child.exitCode === null && child.signalCode === null,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

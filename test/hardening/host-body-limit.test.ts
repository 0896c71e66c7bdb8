import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The local functions host used to read up to 100 MB of every request before the function ran,
// anonymous routes included: eight concurrent 95 MiB posts to /api/negotiate took it from 71 to
// 904 MB. It now stops at 2 MiB with 413.
const root = join(__dirname, "..", "..");
const MiB = 1024 * 1024;
let child: ChildProcess;
let functionsBase = "";

function rss(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) * 1024;
}

/** Streams `totalBytes` in 1 MiB chunks (chunked, so the host cannot refuse on Content-Length) and resolves with the status. */
function streamPost(url: string, totalBytes: number): Promise<number> {
  const chunk = Buffer.alloc(MiB, 0x78);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: "POST", headers: { "content-type": "application/json" } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
      req.destroy();
    });
    req.on("error", (error: NodeJS.ErrnoException) => (error.code === "ECONNRESET" || error.code === "EPIPE" ? undefined : reject(error)));
    let sent = 0;
    const pump = (): void => {
      while (sent < totalBytes && !req.destroyed) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once("drain", pump);
      }
      if (!req.destroyed) req.end();
    };
    pump();
  });
}

beforeAll(async () => {
  const env = { ...process.env };
  for (const name of ["WebPubSubConnectionString", "FUNCTIONS_PORT", "EMULATOR_PORT", "FUNCTION_KEYS"]) delete env[name];
  child = spawn(process.execPath, ["--import", "tsx", "host/start-cli.ts", "--settings", "local.settings.example.json", "--functions-port", "0", "--emulator-port", "0"], {
    cwd: root,
    env,
    stdio: ["ignore", "pipe", "ignore"],
  });
  let out = "";
  child.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const found = /Function base URL: +(\S+)/.exec(out);
    if (found && out.includes("Press Ctrl-C to stop.")) {
      functionsBase = found[1]!;
      break;
    }
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the stack did not start: ${out}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}, 90_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
  }
});

describe("the local functions host under oversized anonymous posts", () => {
  it("answers eight concurrent 95 MiB posts to /api/negotiate with 413, memory flat, and still negotiates", async () => {
    expect((await fetch(`${functionsBase}/negotiate?userId=warm`)).status).toBe(200);
    const baseline = rss(child.pid!);
    const statuses = await Promise.all(Array.from({ length: 8 }, () => streamPost(`${functionsBase}/negotiate`, 95 * MiB)));
    const grown = rss(child.pid!) - baseline;
    console.log(`host body limit: RSS grew ${(grown / MiB).toFixed(1)} MiB under eight concurrent 95 MiB posts`);
    expect(statuses).toEqual(Array(8).fill(413));
    expect(grown).toBeLessThan(100 * MiB);
    expect((await fetch(`${functionsBase}/negotiate?userId=after`)).status).toBe(200);
  }, 120_000);
});

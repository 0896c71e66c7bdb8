/**
 * Output meant for a machine, run the way the guides show it: `npm run -s` keeps npm's banner off
 * stdout, so the plan's JSON parses and the local service's stdout is exactly its two lines.
 */
import { execFile, spawn } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const ROOT = join(__dirname, "../..");
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";

describe("npm run -s for piped output", () => {
  it("npm run -s plan -- … --json prints JSON and nothing else", async () => {
    const { stdout } = await run(NPM, ["run", "-s", "plan", "--", "--connections", "5000", "--messages-per-second", "200", "--size", "300", "--fanout", "group:10", "--json"], { cwd: ROOT, timeout: 60_000 });
    const plan = JSON.parse(stdout) as { services: unknown[] };
    expect(plan.services).toHaveLength(2);
  }, 70_000);

  it("npm run -s emulator -- --port 0 prints exactly the URL and the connection string on stdout", async () => {
    // --ignore-scripts skips the pre-build only (the suite runs after `npm run build`): rebuilding
    // emulator/dist here would rewrite files that other suites' processes are loading.
    const child = spawn(NPM, ["run", "-s", "--ignore-scripts", "emulator", "--", "--port", "0", "--quiet"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    const deadline = Date.now() + 60_000;
    while (out.split("\n").filter(Boolean).length < 2 && Date.now() < deadline && child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 50));
    await new Promise((resolve) => setTimeout(resolve, 200));
    process.kill(-child.pid!, "SIGTERM");
    await new Promise((resolve) => child.once("exit", resolve));
    const lines = out.split("\n").filter(Boolean);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^http:\/\/localhost:\d+$/);
    expect(lines[1]).toMatch(/^Endpoint=http:\/\/localhost:\d+;AccessKey=.+;Version=1\.0;$/);
  }, 70_000);
});

import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { once } from "node:events";
import { join } from "node:path";

// `npm start` runs `node dist/host/start-cli.js` after a build; tests run the same entry from
// source through tsx, so they need no build and always test the current code.
export const repoRoot = join(__dirname, "..", "..");
const settingsNames = ["WebPubSubConnectionString", "FUNCTIONS_PORT", "EMULATOR_PORT", "FUNCTION_KEYS", "CorsAllowedOrigins", "AllowedGroups", "AllowedRoles", "IdentityMode"];

export interface StartedCommand {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

/** The page is served from web/dist; a fresh checkout gets it bundled here (under a second). */
export function ensureWebBuilt(): void {
  if (!existsSync(join(repoRoot, "web", "dist", "index.html"))) execFileSync(process.execPath, ["scripts/build-web.mjs"], { cwd: repoRoot });
}

/** Runs `npm start -- <args>` from source with the app settings cleared from the environment. */
export function runStartCommand(args: string[], extraEnv: Record<string, string> = {}, options: { processGroup?: boolean } = {}): StartedCommand {
  const env = { ...process.env };
  for (const name of settingsNames) delete env[name];
  Object.assign(env, extraEnv);
  // `processGroup`: a group of its own, so a test can signal the whole group as a terminal's Ctrl-C does.
  const child = spawn(process.execPath, ["--import", "tsx", "host/start-cli.ts", ...args], { cwd: repoRoot, env, stdio: ["ignore", "pipe", "pipe"], detached: options.processGroup === true });
  let out = "";
  let err = "";
  child.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString()));
  const exit = once(child, "exit").then(([code]) => code as number | null);
  return { child, stdout: () => out, stderr: () => err, exit };
}

/** Waits until stdout matches, failing with everything printed when the command ends first. */
export async function waitForOutput(started: StartedCommand, pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = started.stdout().match(pattern);
    if (found) return found;
    const ended = await Promise.race([started.exit.then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), 50))]);
    if (ended) throw new Error(`npm start exited early:\n${started.stdout()}\n${started.stderr()}`);
    if (Date.now() > deadline) throw new Error(`npm start printed no ${pattern} within ${timeoutMs} ms:\n${started.stdout()}\n${started.stderr()}`);
  }
}

/** Stops it as Ctrl-C would (the launcher stops its nodes) and resolves with the exit code. */
export async function stopStartCommand(started: StartedCommand): Promise<number | null> {
  if (started.child.exitCode === null && started.child.signalCode === null) started.child.kill("SIGINT");
  return started.exit;
}

/** Node i's four lines, in the order npm start prints them. */
export interface PrintedNode {
  webPage: string;
  functionsBase: string;
  service: string;
  connectionString: string;
}

export function printedNodes(stdout: string): PrintedNode[] {
  const pattern = /Node (\d+):\n +Web page: +(\S+)\n +Function base URL: +(\S+)\n +Service: +(\S+)\n +Connection string: +(\S+)/g;
  return [...stdout.matchAll(pattern)].map((match) => ({ webPage: match[2], functionsBase: match[3], service: match[4], connectionString: match[5] }));
}

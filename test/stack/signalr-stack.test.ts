import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { HubConnectionBuilder, LogLevel, type HubConnection } from "@microsoft/signalr";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// `npm start -- --service signalr`, run from source as local-stack.test.ts runs `npm start`.
const root = join(__dirname, "..", "..");
const clearedSettings = ["RealtimeService", "AzureSignalRConnectionString", "WebPubSubConnectionString", "FUNCTIONS_PORT", "EMULATOR_PORT", "FUNCTION_KEYS", "CorsAllowedOrigins", "IdentityMode"];

/** Runs the stack to its exit, for starts that must fail. */
async function failedStart(args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env };
  for (const name of clearedSettings) delete env[name];
  const started = spawn(process.execPath, ["--import", "tsx", "host/start-cli.ts", "--settings", "local.settings.example.json", "--functions-port", "0", "--emulator-port", "0", ...args], {
    cwd: root,
    env: { ...env, ...extraEnv },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  started.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  started.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(started, "exit")) as [number | null];
  return { code, stdout, stderr };
}

let child: ChildProcess;
let out = "";
let err = "";
let exit: Promise<number | null>;

async function waitForOutput(pattern: RegExp): Promise<string[]> {
  for (;;) {
    const found = out.match(pattern);
    if (found) return [...found];
    const ended = await Promise.race([exit.then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), 50))]);
    if (ended) throw new Error(`stack exited early:\n${out}\n${err}`);
  }
}

describe("npm start -- --service signalr --events", () => {
  let functionsBase = "";
  let serviceUrl = "";
  let connectionString = "";
  let client: HubConnection | undefined;

  beforeAll(async () => {
    const env = { ...process.env };
    for (const name of clearedSettings) delete env[name];
    child = spawn(
      process.execPath,
      ["--import", "tsx", "host/start-cli.ts", "--settings", "local.settings.example.json", "--service", "signalr", "--functions-port", "0", "--emulator-port", "0", "--events", "--function-key", "stack-key"],
      { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] },
    );
    child.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString()));
    exit = once(child, "exit").then(([code]) => code as number | null);
    [, functionsBase, serviceUrl, connectionString] = await waitForOutput(
      /Web page: +\S+\n +Function base URL: +(\S+)\n +Service: +(\S+)\n +Connection string: +(\S+)\n[\s\S]*Press Ctrl-C to stop\./,
    );
  });
  afterAll(async () => {
    await client?.stop();
    if (child.exitCode === null) {
      child.kill("SIGKILL");
      await exit;
    }
  });

  it("prints the same four lines, with the SignalR connection string and the upstream template", () => {
    expect(out).toMatch(/^Local stack is running\.\n {2}Web page: {11}http:\/\/localhost:\d+\/api\/web\/\n/);
    const port = new URL(serviceUrl).port;
    expect(connectionString).toBe(`Endpoint=http://localhost;Port=${port};AccessKey=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH;Version=1.0;`);
    expect(out).toContain(`Event handler:      ${functionsBase}/signalr/{hub}/{category}/{event} (every hub, SignalR upstream)`);
  });

  it("the app says it is on SignalR; a @microsoft/signalr client negotiates through it and receives what the send trigger sends", async () => {
    expect(await (await fetch(`${functionsBase}/realtime-service`)).json()).toEqual({ service: "signalr", hub: "chat" });
    client = new HubConnectionBuilder().withUrl(`${functionsBase}?userId=alice`).configureLogging(LogLevel.None).build();
    const received = new Promise<unknown>((resolve) => client!.on("newMessage", resolve));
    await client.start();
    const sent = await fetch(`${functionsBase}/send?userId=alice`, { method: "POST", headers: { "content-type": "text/plain", "x-functions-key": "stack-key" }, body: "hello alice" });
    expect(sent.status).toBe(202);
    expect(await received).toBe("hello alice");
    const unkeyed = await fetch(`${functionsBase}/send?userId=alice`, { method: "POST", headers: { "content-type": "text/plain" }, body: "x" });
    expect(unkeyed.status).toBe(401);
  });

  it("--events: the service's upstream reaches the SignalR trigger (with the function key) and the Completion comes back", async () => {
    expect(await client!.invoke("echo", ["round", 1])).toEqual(["round", 1]);
  });

  it("stops cleanly on Ctrl-C (SIGINT)", async () => {
    await client?.stop();
    child.kill("SIGINT");
    expect(await exit).toBe(0);
    expect(err).toContain("[stack] stopped");
  });
});

describe("npm start refuses a bad service choice or SignalR connection string, naming it", () => {
  it.each([
    [["--service", "pusher"], {}, 'npm start: --service must be webpubsub or signalr, got "pusher".'],
    // The setting's refusal is the function app's own sentence, as under func start.
    [[], { RealtimeService: "pusher" }, 'npm start: App setting RealtimeService is "pusher"; use webpubsub or signalr.'],
    [["--service", "signalr"], { AzureSignalRConnectionString: "Endpoint=http://localhost;AccessKey=k;Version=2.0;" }, 'npm start: AzureSignalRConnectionString is not valid: Version "2.0" is not supported; use 1.0'],
    [[], { RealtimeService: "signalr", AzureSignalRConnectionString: "Endpoint=https://x.service.signalr.net;AuthType=azure.msi;Version=1.0;" }, "npm start: AzureSignalRConnectionString is not valid: AuthType (Microsoft Entra ID) is not supported by this app"],
  ])("%j %j", async (args, env: Record<string, string>, message) => {
    const result = await failedStart(args, env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(message);
    expect(result.stdout).toBe("");
  });
});

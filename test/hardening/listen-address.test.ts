import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { isLoopbackHost, listenRefusal } from "../../common/listen-address";
import { createServer } from "../../emulator/src/server";
import { DEFAULT_ACCESS_KEY } from "../../emulator/src/options";

// `npm start` and the local service used to listen on every interface with the well-known key, so
// anyone on the network could call the REST API. Now: loopback by default, and no other interface
// with the default key.
const root = join(__dirname, "..", "..");
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await new Promise((resolve) => child.once("exit", resolve));
    }
  }
});

function run(entry: string, args: string[]): { child: ChildProcess; out: () => string; err: () => string; exit: Promise<number | null> } {
  const env = { ...process.env };
  for (const name of ["WebPubSubConnectionString", "FUNCTIONS_PORT", "EMULATOR_PORT", "FUNCTION_KEYS", "PUBSUB_EMULATOR_HOST", "PUBSUB_EMULATOR_ACCESS_KEY", "PUBSUB_EMULATOR_SECONDARY_ACCESS_KEY"]) delete env[name];
  const child = spawn(process.execPath, ["--import", "tsx", entry, ...args], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let out = "";
  let err = "";
  child.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, out: () => out, err: () => err, exit };
}

async function waitFor(read: () => string, pattern: RegExp, exit: Promise<unknown>): Promise<RegExpMatchArray> {
  let ended = false;
  void exit.then(() => (ended = true));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const match = read().match(pattern);
    if (match) return match;
    if (ended || Date.now() > deadline) throw new Error(`no ${pattern} in ${JSON.stringify(read())}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The local addresses a process's listening TCP sockets are bound to for `port`, read from /proc (hex, as the kernel writes them). */
function listeningAddresses(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  const found: string[] = [];
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of readFileSync(file, "utf8").split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 4 || fields[3] !== "0A") continue;
      const [address, p] = fields[1]!.split(":");
      if (p === hexPort) found.push(address!);
    }
  }
  return found;
}
const IPV4_LOOPBACK = "0100007F";
const IPV4_ANY = "00000000";

describe("listen address policy", () => {
  it.each([
    ["localhost", true],
    ["127.0.0.1", true],
    ["127.1.2.3", true],
    ["::1", true],
    ["[::1]", true],
    ["::ffff:127.0.0.1", true],
    ["0.0.0.0", false],
    ["::", false],
    ["192.0.2.2", false],
    ["example.com", false],
  ])("%s is loopback: %s", (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
    expect(listenRefusal(host, true, "--access-key KEY") === undefined).toBe(loopback);
    expect(listenRefusal(host, false, "--access-key KEY")).toBeUndefined();
  });

  it("the service library refuses another interface with the default key, and accepts it with a key of its own", async () => {
    await expect(createServer({ port: 0, host: "0.0.0.0" })).rejects.toThrow(/Refusing to listen on 0\.0\.0\.0 with the well-known default access key/);
    await expect(createServer({ port: 0, host: "0.0.0.0", accessKey: DEFAULT_ACCESS_KEY })).rejects.toThrow(/Set a key of your own with the accessKey option \(and a secondaryAccessKey other than the default\)/);
    // The well-known key as the secondary signs REST calls just as well, so it is refused too.
    await expect(createServer({ port: 0, host: "0.0.0.0", accessKey: "MY-OWN-KEY-0123456789-0123456789", secondaryAccessKey: DEFAULT_ACCESS_KEY })).rejects.toThrow(
      /Refusing to listen on 0\.0\.0\.0 with the well-known default access key/,
    );
    const server = await createServer({ port: 0 });
    try {
      expect(listeningAddresses(server.port)).toEqual([IPV4_LOOPBACK]);
    } finally {
      await server.close();
    }
  });

  it("npm run emulator: loopback by default; --host 0.0.0.0 with the default key exits 1 saying how to set one; with a key it listens there", async () => {
    const local = run("emulator/src/cli.ts", ["--port", "0", "--quiet"]);
    const [, port] = (await waitFor(local.out, /^http:\/\/localhost:(\d+)$/m, local.exit)) as unknown as [string, string];
    expect(listeningAddresses(Number(port))).toEqual([IPV4_LOOPBACK]);

    const refused = run("emulator/src/cli.ts", ["--port", "0", "--host", "0.0.0.0"]);
    expect(await refused.exit).toBe(1);
    expect(refused.out()).toBe("");
    expect(refused.err().split("\n")[0]).toBe(
      "Refusing to listen on 0.0.0.0 with the well-known default access key: anyone who can reach this machine could call the service's REST API and sign client tokens. " +
        "Set a key of your own with --access-key KEY (or PUBSUB_EMULATOR_ACCESS_KEY), and a --secondary-access-key other than the default, or leave --host unset to listen on loopback only.",
    );
    const secondary = run("emulator/src/cli.ts", ["--port", "0", "--host", "0.0.0.0", "--access-key", "MY-OWN-KEY-0123456789-0123456789", "--secondary-access-key", DEFAULT_ACCESS_KEY]);
    expect(await secondary.exit).toBe(1);
    expect(secondary.err().split("\n")[0]).toMatch(/^Refusing to listen on 0\.0\.0\.0 with the well-known default access key/);

    const open = run("emulator/src/cli.ts", ["--port", "0", "--host", "0.0.0.0", "--access-key", "MY-OWN-KEY-0123456789-0123456789-0123456789", "--quiet"]);
    const [, openPort] = (await waitFor(open.out, /^http:\/\/localhost:(\d+)$/m, open.exit)) as unknown as [string, string];
    expect(listeningAddresses(Number(openPort))).toEqual([IPV4_ANY]);
  }, 90_000);

  it("npm start: both servers on loopback by default; --host 0.0.0.0 with the example settings' default key exits 1 naming the setting", async () => {
    const stack = run("host/start-cli.ts", ["--settings", "local.settings.example.json", "--functions-port", "0", "--emulator-port", "0"]);
    const [, functionsPort, servicePort] = (await waitFor(stack.out, /Function base URL: +http:\/\/localhost:(\d+)\/api\n +Service: +http:\/\/localhost:(\d+)/, stack.exit)) as unknown as [
      string,
      string,
      string,
    ];
    expect(listeningAddresses(Number(functionsPort))).toEqual([IPV4_LOOPBACK]);
    expect(listeningAddresses(Number(servicePort))).toEqual([IPV4_LOOPBACK]);

    const refused = run("host/start-cli.ts", ["--settings", "local.settings.example.json", "--functions-port", "0", "--emulator-port", "0", "--host", "0.0.0.0"]);
    expect(await refused.exit).toBe(1);
    expect(refused.err()).toContain(
      "npm start: Refusing to listen on 0.0.0.0 with the well-known default access key: anyone who can reach this machine could call the service's REST API and sign client tokens. " +
        "Set a key of your own with an AccessKey in WebPubSubConnectionString (local.settings.json)",
    );
  }, 90_000);

  it("the example settings answer CORS for the page's own origin only", () => {
    const settings = JSON.parse(readFileSync(join(root, "local.settings.example.json"), "utf8")) as { Host: { CORS: string }; Values: { CorsAllowedOrigins: string } };
    expect(settings.Host.CORS.split(",")).toEqual(["http://localhost:7071", "http://127.0.0.1:7071"]);
    expect(settings.Values.CorsAllowedOrigins.split(",")).toEqual(["http://localhost:7071", "http://127.0.0.1:7071"]);
  });
});

/**
 * The local service as other projects get it: `npm pack` in emulator/, `npm install` of the
 * tarball into an empty folder (registry packages only), then `npx pubsub-emulator` for both
 * faces, over HTTP and TLS, used by the official SDKs; and `startLocalService()` from that
 * folder's own test (node's test runner) and from the guide's vitest globalSetup.
 */
import { execFile, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { WebPubSubClient } from "@azure/web-pubsub-client";
import * as signalR from "@microsoft/signalr";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_ACCESS_KEY } from "../../emulator/src/options";
import { selfSignedCertificate } from "../support/self-signed-cert";
import { startServiceCli, type RunningServiceCli } from "../support/service-cli";
import { clientToken, restToken } from "../signalr/support/signalr-fixture";

const run = promisify(execFile);
const ROOT = join(__dirname, "../..");
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";
const NPX = process.platform === "win32" ? "npx.cmd" : "npx";
/** The Jest the guide's Jest form is tested with (Jest is not a dependency of this repository). */
const JEST_VERSION = "30.5.2";

let work: string;
let project: string;
let tarball: string;
const running: RunningServiceCli[] = [];

/** The official packages the scratch project's own tests use, at the versions this repository tests. */
function rootVersion(name: string): string {
  return (JSON.parse(readFileSync(join(ROOT, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "pubsub-emulator-pack-"));
  // The package's prepack builds dist/; the suite runs after `npm run build`, and rebuilding here
  // would rewrite files that other suites' processes are loading, so the built dist/ is packed.
  const packed = await run(NPM, ["pack", "--json", "--ignore-scripts", "--pack-destination", work], { cwd: join(ROOT, "emulator"), maxBuffer: 16 * 1024 * 1024 });
  const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf("["))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = join(work, info!.filename.replace(/^@[^/]+\//, "").replace("/", "-"));
  project = join(work, "project");
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "scratch-app", version: "1.0.0", private: true }));
  await run(
    NPM,
    ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel", "error", tarball, `@azure/web-pubsub@${rootVersion("@azure/web-pubsub")}`],
    { cwd: project, maxBuffer: 16 * 1024 * 1024, timeout: 240_000 },
  );
}, 300_000);

afterAll(async () => {
  await Promise.all(running.map((cli) => cli.stop()));
  if (work) rmSync(work, { recursive: true, force: true });
});

async function npxEmulator(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<RunningServiceCli> {
  const cli = await startServiceCli(args, 30_000, { command: NPX, commandArgs: ["--no-install", "pubsub-emulator"], cwd: project, env });
  running.push(cli);
  return cli;
}

/** One Web PubSub round trip: a client connects with the SDK's token, the SDK's REST call reaches it. */
async function webPubSubRoundTrip(connectionString: string, clientOptions: { allowInsecureConnection?: boolean } = {}): Promise<unknown> {
  const service = new WebPubSubServiceClient(connectionString, "chat", clientOptions);
  const client = new WebPubSubClient({ getClientAccessUrl: async () => (await service.getClientAccessToken({ userId: "alice" })).url });
  const received = new Promise<unknown>((resolve) => client.on("server-message", (event) => resolve(event.message.data)));
  await client.start();
  try {
    await service.sendToAll({ hello: "packed" });
    return await received;
  } finally {
    client.stop();
  }
}

describe("the packed tarball", () => {
  it("holds the built service and its manifest only: no function app, no sources, no tests", async () => {
    const { stdout } = await run("tar", ["-tzf", tarball]);
    const files = stdout.trim().split("\n").map((line) => line.replace(/^package\//, ""));
    expect(files).toContain("package.json");
    expect(files).toContain("dist/emulator/src/cli.js");
    expect(files).toContain("dist/emulator/src/index.js");
    expect(files).toContain("dist/emulator/src/index.d.ts");
    expect(files.filter((file) => !/^(package\.json|README\.md|dist\/(emulator\/src|common)\/.+\.(js|d\.ts))$/.test(file))).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(project, "node_modules/@serverless-pubsub-kit/emulator/package.json"), "utf8")) as {
      bin: Record<string, string>;
      dependencies: Record<string, string>;
    };
    expect(Object.keys(manifest.bin)).toEqual(["pubsub-emulator"]);
    expect(Object.keys(manifest.dependencies).sort()).toEqual(["@msgpack/msgpack", "ioredis", "jsonwebtoken", "prom-client", "ws"]);
  });
});

describe("npx pubsub-emulator in a project that installed the tarball", () => {
  it("--port 0 binds a free port, prints it in the connection string, and the official SDKs use it", async () => {
    const cli = await npxEmulator(["--port", "0", "--quiet"]);
    const port = /^http:\/\/localhost:(\d+)$/.exec(cli.url)?.[1];
    expect(Number(port)).toBeGreaterThan(0);
    expect(cli.connectionString).toBe(`Endpoint=http://localhost:${port};AccessKey=${DEFAULT_ACCESS_KEY};Version=1.0;`);
    expect(await webPubSubRoundTrip(cli.connectionString, { allowInsecureConnection: true })).toEqual({ hello: "packed" });
    const health = await fetch(`${cli.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok", service: "webpubsub", version: "0.1.0" });
  });

  it("takes every flag from PUBSUB_EMULATOR_* variables: --service signalr as PUBSUB_EMULATOR_SERVICE, with @microsoft/signalr", async () => {
    const cli = await npxEmulator(["--quiet"], { ...process.env, PUBSUB_EMULATOR_SERVICE: "signalr", PUBSUB_EMULATOR_PORT: "0" });
    const port = /^http:\/\/localhost:(\d+)$/.exec(cli.url)?.[1];
    expect(cli.connectionString).toBe(`Endpoint=http://localhost;Port=${port};AccessKey=${DEFAULT_ACCESS_KEY};Version=1.0;`);
    expect(await (await fetch(`${cli.url}/health`)).json()).toEqual({ status: "ok", service: "signalr", version: "0.1.0" });
    const connection = new signalR.HubConnectionBuilder()
      .withUrl(`${cli.url}/client/?hub=chat`, { accessTokenFactory: () => clientToken("chat", { nameid: "bob" }) })
      .configureLogging(signalR.LogLevel.None)
      .build();
    const received = new Promise<unknown[]>((resolve) => connection.on("newMessage", (...args: unknown[]) => resolve(args)));
    await connection.start();
    try {
      const rest = await fetch(`${cli.url}/api/v1/hubs/chat/users/bob`, {
        method: "POST",
        headers: { authorization: `Bearer ${restToken("/api/v1/hubs/chat/users/bob")}`, "content-type": "application/json" },
        body: JSON.stringify({ target: "newMessage", arguments: ["from", "the tarball"] }),
      });
      expect(rest.status).toBe(202);
      expect(await received).toEqual(["from", "the tarball"]);
    } finally {
      await connection.stop();
    }
  });

  it("a flag wins over its variable, and a bad variable is named in the error", async () => {
    const flagWins = await npxEmulator(["--port", "0", "--quiet"], { ...process.env, PUBSUB_EMULATOR_PORT: "1" });
    expect(flagWins.url).toMatch(/^http:\/\/localhost:\d+$/);
    expect(flagWins.url).not.toBe("http://localhost:1");
    const bad = spawn(NPX, ["--no-install", "pubsub-emulator"], { cwd: project, env: { ...process.env, PUBSUB_EMULATOR_PORT: "eighty" }, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    bad.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => bad.once("exit", resolve));
    expect(code).toBe(1);
    expect(stderr.split("\n")[0]).toBe('PUBSUB_EMULATOR_PORT must be a non-negative integer, got "eighty"');
  });
});

describe("npx pubsub-emulator --cert --key (HTTPS and WSS on one port)", () => {
  const pair = selfSignedCertificate();

  /** A child node process that trusts the certificate through NODE_EXTRA_CA_CERTS, as a user's test would. */
  async function trustingChild(script: string, env: Record<string, string>): Promise<string> {
    const { stdout } = await run(process.execPath, ["-e", script], {
      cwd: ROOT,
      env: { ...process.env, NODE_EXTRA_CA_CERTS: pair.certFile, ...env },
      timeout: 40_000,
    });
    return stdout.trim();
  }

  it("says https in the connection string; the SDK works without allowInsecureConnection, and so does the client over wss", async () => {
    const cli = await npxEmulator(["--port", "0", "--quiet", "--cert", pair.certFile, "--key", pair.keyFile]);
    expect(cli.url).toMatch(/^https:\/\/localhost:\d+$/);
    expect(cli.connectionString).toMatch(/^Endpoint=https:\/\/localhost:\d+;AccessKey=/);
    const script = `
      const { WebPubSubServiceClient } = require("@azure/web-pubsub");
      const { WebPubSubClient } = require("@azure/web-pubsub-client");
      (async () => {
        const service = new WebPubSubServiceClient(process.env.CS, "chat");
        const { url } = await service.getClientAccessToken({ userId: "alice" });
        const client = new WebPubSubClient({ getClientAccessUrl: async () => url });
        const got = new Promise((resolve) => client.on("server-message", (e) => resolve(e.message.data)));
        await client.start();
        await service.sendToAll("over tls");
        console.log(JSON.stringify({ scheme: new URL(url).protocol, data: await got }));
        client.stop();
        process.exit(0);
      })().catch((e) => { console.error(e); process.exit(1); });`;
    expect(JSON.parse(await trustingChild(script, { CS: cli.connectionString }))).toEqual({ scheme: "wss:", data: "over tls" });
  }, 60_000);

  it("the SignalR face over TLS: @microsoft/signalr negotiates over https and connects over wss", async () => {
    const cli = await npxEmulator(["--service", "signalr", "--port", "0", "--quiet", "--cert", pair.certFile, "--key", pair.keyFile]);
    expect(cli.connectionString).toMatch(/^Endpoint=https:\/\/localhost;Port=\d+;AccessKey=/);
    const script = `
      const signalR = require("@microsoft/signalr");
      const jwt = require("jsonwebtoken");
      const token = jwt.sign({ aud: "https://localhost/client/?hub=chat", nameid: "bob" }, process.env.KEY, { algorithm: "HS256", expiresIn: 600 });
      (async () => {
        const connection = new signalR.HubConnectionBuilder()
          .withUrl(process.env.URL + "/client/?hub=chat", { accessTokenFactory: () => token, transport: signalR.HttpTransportType.WebSockets })
          .configureLogging(signalR.LogLevel.None).build();
        await connection.start();
        console.log(connection.state);
        await connection.stop();
        process.exit(0);
      })().catch((e) => { console.error(e); process.exit(1); });`;
    expect(await trustingChild(script, { URL: cli.url, KEY: DEFAULT_ACCESS_KEY })).toBe("Connected");
  }, 60_000);

  it("the function app's own service client reaches both faces over https", async () => {
    const fixture = join(__dirname, "support/function-app-over-tls.ts");
    const answers: Record<string, unknown> = {};
    for (const kind of ["webpubsub", "signalr"] as const) {
      const cli = await npxEmulator(["--service", kind, "--port", "0", "--quiet", "--cert", pair.certFile, "--key", pair.keyFile]);
      const { stdout } = await run(process.execPath, ["--import", "tsx", fixture], {
        cwd: ROOT,
        env: { ...process.env, NODE_EXTRA_CA_CERTS: pair.certFile, CS: cli.connectionString, KIND: kind },
        timeout: 40_000,
      });
      answers[kind] = JSON.parse(stdout.trim());
    }
    // Web PubSub hands out a wss:// client URL; SignalR's negotiate answer points at https://.
    expect(answers).toEqual({ webpubsub: { scheme: "wss:", userExists: false }, signalr: { scheme: "https:", userExists: false } });
  }, 90_000);

  it("a bad certificate or key file is an error at start that names the file", async () => {
    const garbage = join(pair.dir, "garbage.pem");
    writeFileSync(garbage, "not a certificate\n");
    for (const [args, message] of [
      [["--cert", garbage, "--key", pair.keyFile], `the TLS certificate file ${garbage} is not a PEM certificate`],
      [["--cert", pair.certFile, "--key", garbage], `the TLS key file ${garbage} is not the PEM private key of ${pair.certFile}`],
      [["--cert", join(pair.dir, "missing.pem"), "--key", pair.keyFile], `cannot read the TLS certificate file ${join(pair.dir, "missing.pem")}: ENOENT`],
    ] as const) {
      const child = spawn(NPX, ["--no-install", "pubsub-emulator", "--port", "0", ...args], { cwd: project, stdio: ["ignore", "pipe", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      expect(await new Promise<number | null>((resolve) => child.once("exit", resolve))).toBe(1);
      expect(stderr.split("\n")[0]).toContain(message);
    }
  });
});

describe("startLocalService() from the scratch project's own tests", () => {
  it("node's test runner: starts on a free port, the SDK sends through it, close() frees the port", async () => {
    writeFileSync(
      join(project, "service.test.js"),
      `const { test } = require("node:test");
const assert = require("node:assert");
const net = require("node:net");
const { WebPubSubServiceClient } = require("@azure/web-pubsub");
const { startLocalService } = require("@serverless-pubsub-kit/emulator");

test("the local service answers the SDK and frees its port", async () => {
  const local = await startLocalService();
  assert.match(local.connectionString, new RegExp("^Endpoint=http://localhost:" + local.port + ";AccessKey="));
  const service = new WebPubSubServiceClient(local.connectionString, "chat", { allowInsecureConnection: true });
  assert.strictEqual(await service.userExists("nobody"), false);
  const ws = new (require("ws"))((await service.getClientAccessToken({ userId: "u1" })).url);
  await new Promise((resolve) => ws.once("open", resolve));
  const closed = new Promise((resolve) => ws.once("close", (code) => resolve(code)));
  await local.close();
  assert.strictEqual(await closed, 1001);
  await new Promise((resolve, reject) => {
    const probe = net.createServer().once("error", reject).listen(local.port, "127.0.0.1", () => probe.close(resolve));
  });
});
`,
    );
    const { stdout } = await run(process.execPath, ["--test", "service.test.js"], { cwd: project, timeout: 60_000 });
    expect(stdout).toMatch(/^# pass 1$/m);
    expect(stdout).toMatch(/^# fail 0$/m);
  });

  it("the guide's vitest globalSetup, copied as it is shown, gives the tests a connection string", async () => {
    const guide = readFileSync(join(ROOT, "docs/local-service.md"), "utf8");
    const setup = /<!-- vitest-global-setup -->\s*```ts\n([\s\S]*?)```/.exec(guide)?.[1];
    const usage = /<!-- vitest-global-setup-test -->\s*```ts\n([\s\S]*?)```/.exec(guide)?.[1];
    expect(setup).toBeDefined();
    expect(usage).toBeDefined();
    const dir = join(project, "vitest-demo");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "global-setup.ts"), setup!);
    writeFileSync(join(dir, "chat.test.ts"), usage!);
    writeFileSync(join(dir, "vitest.config.mjs"), `export default { test: { globalSetup: ["./global-setup.ts"], include: ["*.test.ts"] } };\n`);
    const vitest = join(ROOT, "node_modules/vitest/vitest.mjs");
    const { stdout } = await run(process.execPath, [vitest, "run", "--root", dir], { cwd: dir, timeout: 90_000, env: { ...process.env, NO_COLOR: "1" } });
    expect(stdout).toMatch(/Tests\s+1 passed \(1\)/);
  });

  it("the guide's Jest globalSetup and globalTeardown, copied as shown, give the tests a connection string and close the service", async () => {
    const guide = readFileSync(join(ROOT, "docs/local-service.md"), "utf8");
    const block = (marker: string) => new RegExp(`<!-- ${marker} -->\\s*\`\`\`js\\n([\\s\\S]*?)\`\`\``).exec(guide)?.[1];
    const files = { "jest.global-setup.js": block("jest-global-setup"), "jest.global-teardown.js": block("jest-global-teardown"), "chat.test.js": block("jest-global-setup-test") };
    for (const text of Object.values(files)) expect(text).toBeDefined();
    // Jest is no dependency of this repository: the scratch project installs it from the registry,
    // as a user's project has it, beside the tarball already installed one folder up.
    const dir = join(project, "jest-demo");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "package.json"),
      JSON.stringify({ name: "jest-demo", private: true, jest: { globalSetup: "./jest.global-setup.js", globalTeardown: "./jest.global-teardown.js" } }),
    );
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text!);
    await run(NPM, ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel", "error", `jest@${JEST_VERSION}`], { cwd: dir, maxBuffer: 16 * 1024 * 1024, timeout: 240_000 });
    // Jest's own process holds the service; it exits only once globalTeardown has closed it
    // (an open server would keep it running past the timeout, failing the run).
    const jest = await run(process.execPath, [join(dir, "node_modules/jest/bin/jest.js"), "--ci"], { cwd: dir, timeout: 90_000, env: { ...process.env, NO_COLOR: "1" } });
    expect(jest.stderr).toMatch(/^Tests:\s+1 passed, 1 total$/m);
  }, 300_000);
});

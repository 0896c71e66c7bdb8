import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { requiredBinary } from "../support/required-binary";
import { freePort, waitForRedis } from "../support/redis-server";
import { ensureWebBuilt, printedNodes, runStartCommand, stopStartCommand, waitForOutput, type StartedCommand } from "../support/start-command";

const redisBinary = requiredBinary("redis-server", ["/usr/bin/redis-server"]);
const dir = mkdtempSync(join(tmpdir(), "nodes-"));
// No CORS entry of its own: the node origins the launcher adds are the only ones allowed.
const settingsFile = join(dir, "local.settings.json");
writeFileSync(settingsFile, JSON.stringify({ Values: { WebPubSubHub: "chat", IdentityMode: "anonymous", AllowedGroups: "lobby" }, Host: {} }));

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1", () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}

/** Polls an async check every 50 ms until it is true; fails after `timeoutMs`. */
async function eventually(check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const portOf = (url: string): number => Number(new URL(url).port);

describe("npm start -- --nodes 2 (independent nodes)", () => {
  let stack: StartedCommand;

  beforeAll(async () => {
    ensureWebBuilt();
    stack = runStartCommand(["--nodes", "2", "--functions-port", "0", "--emulator-port", "0", "--settings", settingsFile, "--function-key", "cluster-key"]);
    await waitForOutput(stack, /Press Ctrl-C to stop\./);
  });
  afterAll(async () => {
    if (stack) await stopStartCommand(stack);
  });

  it("prints each node's four lines in order, then one backplane line", () => {
    const nodes = printedNodes(stack.stdout());
    expect(nodes).toHaveLength(2);
    for (const node of nodes) {
      expect(node.webPage).toBe(`${node.functionsBase}/web/`);
      expect(node.connectionString).toMatch(new RegExp(`^Endpoint=${node.service};AccessKey=`));
    }
    expect(new Set(nodes.map((node) => node.service)).size).toBe(2);
    const lines = stack.stdout().split("\n");
    expect(lines[0]).toBe("Local stack is running: 2 nodes.");
    expect(lines.filter((line) => line.startsWith("  Backplane:"))).toEqual([
      "  Backplane:          none: the nodes share nothing, so a message sent through one node reaches only the sockets on that node",
    ]);
  });

  it("each node's function host points at its own service and tells the page the same node list", async () => {
    const nodes = printedNodes(stack.stdout());
    const directories = await Promise.all(nodes.map(async (node) => (await fetch(`${node.functionsBase}/local/nodes`)).json()));
    const list = nodes.map((node, index) => ({ node: index + 1, functionsPort: portOf(node.functionsBase), servicePort: portOf(node.service) }));
    expect(directories).toEqual([
      { self: 1, backplane: "none", nodes: list },
      { self: 2, backplane: "none", nodes: list },
    ]);
    for (const node of nodes) {
      const negotiated = (await (await fetch(`${node.functionsBase}/negotiate?userId=u`)).json()) as { url: string };
      expect(negotiated.url.startsWith(`${node.service.replace("http:", "ws:")}/client/hubs/chat?`)).toBe(true);
    }
  });

  it("lets a page served by node 1 call node 2 (and no other origin)", async () => {
    const [one, two] = printedNodes(stack.stdout());
    const origin = new URL(one.functionsBase).origin;
    const allowed = await fetch(`${two.functionsBase}/negotiate?userId=u`, { headers: { origin } });
    expect(allowed.headers.get("access-control-allow-origin")).toBe(origin);
    const other = await fetch(`${two.functionsBase}/negotiate?userId=u`, { headers: { origin: "http://elsewhere.example" } });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("passes the flags it does not own to every node: both require the function key", async () => {
    for (const node of printedNodes(stack.stdout())) {
      const refused = await fetch(`${node.functionsBase}/send?userId=u`, { method: "POST", headers: { "content-type": "text/plain" }, body: "x" });
      expect(refused.status).toBe(401);
      const accepted = await fetch(`${node.functionsBase}/send?userId=u`, { method: "POST", headers: { "content-type": "text/plain", "x-functions-key": "cluster-key" }, body: "x" });
      expect(accepted.status).toBe(202);
    }
  });

  it("keeps the other node serving when one node dies, and says which", async () => {
    // Linux lists a process's children in /proc; the launcher's are the two nodes.
    const launcher = stack.child.pid!;
    const children = readFileSync(`/proc/${launcher}/task/${launcher}/children`, "utf8").trim().split(/\s+/).map(Number);
    expect(children).toHaveLength(2);
    const [one, two] = printedNodes(stack.stdout());
    const nodeOfPid = readFileSync(`/proc/${children[1]}/environ`, "utf8").includes('"self":2') ? 2 : 1;
    process.kill(children[1], "SIGKILL");
    await eventually(() => stack.stderr().includes(`[stack] node ${nodeOfPid} stopped (SIGKILL); the other nodes keep running.`), 10_000);
    const survivor = nodeOfPid === 2 ? one : two;
    expect((await fetch(`${survivor.functionsBase}/negotiate?userId=u`)).status).toBe(200);
  });

  it("stops every node on Ctrl-C and exits 0", async () => {
    const ports = printedNodes(stack.stdout()).flatMap((node) => [portOf(node.functionsBase), portOf(node.service)]);
    expect(await stopStartCommand(stack)).toBe(0);
    expect(await Promise.all(ports.map(listening))).toEqual([false, false, false, false]);
  });
});

describe.skipIf(!redisBinary)("npm start -- --nodes 2 --redis, stopped with Ctrl-C", () => {
  it("stops the nodes, then the redis-server it started, printing no error, with clients connected", async () => {
    const stack = runStartCommand(["--nodes", "2", "--redis", "--functions-port", "0", "--emulator-port", "0", "--settings", settingsFile], {}, { processGroup: true });
    await waitForOutput(stack, /Press Ctrl-C to stop\./);
    const nodes = printedNodes(stack.stdout());
    const sockets: WebSocket[] = [];
    for (const node of nodes) {
      const { url } = (await (await fetch(`${node.functionsBase}/negotiate?userId=ctrl-c`)).json()) as { url: string };
      const socket = new WebSocket(url, "json.webpubsub.azure.v1");
      await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
      socket.on("error", () => {});
      sockets.push(socket);
    }
    // As a terminal does: SIGINT to the whole foreground process group, redis-server's included.
    process.kill(-stack.child.pid!, "SIGINT");
    expect(await stack.exit).toBe(0);
    expect(stack.stderr().split("\n").filter((line) => /error/i.test(line))).toEqual([]);
    for (const socket of sockets) socket.terminate();
  }, 90_000);
});

describe("npm start -- --nodes with a problem", () => {
  it("stops its nodes when the launcher itself is killed", async () => {
    const stack = runStartCommand(["--nodes", "2", "--functions-port", "0", "--emulator-port", "0", "--settings", settingsFile]);
    await waitForOutput(stack, /Press Ctrl-C to stop\./);
    const ports = printedNodes(stack.stdout()).flatMap((node) => [portOf(node.functionsBase), portOf(node.service)]);
    stack.child.kill("SIGKILL");
    await stack.exit;
    await eventually(async () => (await Promise.all(ports.map(listening))).every((open) => !open), 15_000);
  });

  it("names the taken port when a node cannot start, and exits 1", async () => {
    const blocker = net.createServer();
    const taken = await freePort();
    await new Promise<void>((resolve) => blocker.listen(taken, resolve));
    try {
      // Node 1's service gets the taken port (node 2's the next one, which may be free or not).
      const stack = runStartCommand(["--nodes", "2", "--functions-port", "0", "--emulator-port", String(taken), "--settings", settingsFile]);
      expect(await stack.exit).toBe(1);
      expect(stack.stderr()).toContain(`[node 1] npm start: Port ${taken} is already in use, so the local Web PubSub service cannot start.`);
      expect(stack.stderr().trim().split("\n").at(-1)).toBe("npm start: node 1 stopped before it was ready (exit code 1); its messages are above.");
      expect(stack.stdout()).toBe("");
    } finally {
      blocker.close();
    }
  });

  it.each([
    [["--nodes", "5"], 'npm start: --nodes must be a whole number 1-4, got "5".'],
    [["--nodes", "two"], 'npm start: --nodes must be a whole number 1-4, got "two".'],
    [["--nodes", "2", "--functions-port", "65535"], "npm start: --functions-port 65535 leaves no room for 2 consecutive ports."],
    [["--nodes", "2", "--redis", "http://x"], 'npm start: --redis must be a redis:// or rediss:// URL, got "http://x".'],
  ])("refuses %j with a clear message and exit code 1", async (args, message) => {
    const stack = runStartCommand([...args, "--settings", settingsFile]);
    expect(await stack.exit).toBe(1);
    expect(stack.stderr().trim().split("\n").at(-1)).toBe(message);
  });

  it.each([[[]], [["--nodes", "2"]]])("treats a missing --settings file as an error naming it (%j)", async (args) => {
    const missing = join(dir, "nowhere.json");
    const stack = runStartCommand([...args, "--functions-port", "0", "--emulator-port", "0", "--settings", missing]);
    expect(await stack.exit).toBe(1);
    expect(stack.stderr()).toContain(`npm start: --settings ${missing}: no such file (${missing}).`);
  });

  it("says how to get redis-server when --redis has no URL and it is not installed", async () => {
    const emptyPath = mkdtempSync(join(tmpdir(), "no-redis-"));
    const stack = runStartCommand(["--nodes", "2", "--redis", "--functions-port", "0", "--emulator-port", "0", "--settings", settingsFile], { PATH: emptyPath });
    expect(await stack.exit).toBe(1);
    expect(stack.stderr()).toContain(
      "npm start: --redis without a URL starts a local redis-server, but redis-server is not installed. Install it (Debian/Ubuntu: sudo apt-get install -y redis-server), or pass --redis redis://host:port.",
    );
    expect(stack.stdout()).toBe("");
  });
});

describe.skipIf(!redisBinary)("npm start -- --nodes 2 --redis (a redis-server for the run)", () => {
  it("starts redis-server, links the nodes through it, and stops it on exit", async () => {
    const stack = runStartCommand(["--nodes", "2", "--redis", "--functions-port", "0", "--emulator-port", "0", "--settings", settingsFile]);
    try {
      await waitForOutput(stack, /Press Ctrl-C to stop\./);
      const line = stack.stdout().split("\n").find((text) => text.startsWith("  Backplane:")) ?? "";
      const match = /^ {2}Backplane: {10}Redis at redis:\/\/127\.0\.0\.1:(\d+) \(started for this run, stopped with it\): every node delivers to every socket$/.exec(line);
      expect(match).not.toBeNull();
      const redisPort = Number(match![1]);
      await waitForRedis(redisPort);
      const [one, two] = printedNodes(stack.stdout());
      expect(((await (await fetch(`${two.functionsBase}/local/nodes`)).json()) as { backplane: string }).backplane).toBe("redis");
      // Delivery across nodes through the shared Redis: negotiate on node 1, send through node 2.
      const { url } = (await (await fetch(`${one.functionsBase}/negotiate?userId=r1`)).json()) as { url: string };
      const socket = new WebSocket(url, "json.webpubsub.azure.v1");
      const frames: string[] = [];
      socket.on("message", (data: Buffer) => frames.push(data.toString()));
      await eventually(() => frames.some((frame) => frame.includes('"connected"')), 10_000);
      await eventually(async () => {
        await fetch(`${two.functionsBase}/send?userId=r1`, { method: "POST", headers: { "content-type": "text/plain" }, body: "across" });
        return frames.some((frame) => frame.includes('"data":"across"'));
      }, 10_000);
      socket.close();
      expect(await stopStartCommand(stack)).toBe(0);
      expect(await listening(redisPort)).toBe(false);
    } finally {
      await stopStartCommand(stack);
    }
  });
});

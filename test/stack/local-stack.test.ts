import { once } from "node:events";
import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { ensureWebBuilt, runStartCommand, waitForOutput, type StartedCommand } from "../support/start-command";

type Started = StartedCommand;

function startStack(args: string[], extraEnv: Record<string, string> = {}): Started {
  return runStartCommand(["--settings", "local.settings.example.json", ...args], extraEnv);
}

describe("npm start's local stack", () => {
  let stack: Started;
  let functionsBase = "";
  let webPage = "";
  let serviceUrl = "";

  beforeAll(async () => {
    ensureWebBuilt();
    stack = startStack(["--functions-port", "0", "--emulator-port", "0", "--function-key", "stack-test-key"]);
    const found = await waitForOutput(stack, /Web page: +(\S+)\n +Function base URL: +(\S+)\n +Service: +(\S+)\n +Connection string: +(\S+)\n[\s\S]*Press Ctrl-C to stop\./);
    [, webPage, functionsBase, serviceUrl] = found as unknown as string[];
  });
  afterAll(async () => {
    if (stack.child.exitCode === null) {
      stack.child.kill("SIGKILL");
      await stack.exit;
    }
  });

  it("prints where everything is, pointing the functions at the started service", () => {
    expect(webPage).toBe(`${functionsBase}/web/`);
    expect(functionsBase).toMatch(/^http:\/\/localhost:\d+\/api$/);
    expect(stack.stdout()).toContain(`Connection string:  Endpoint=${serviceUrl};AccessKey=`);
  });

  it("negotiate → WebSocket → send over HTTP → the message arrives", async () => {
    const negotiated = await fetch(`${functionsBase}/negotiate?userId=alice`);
    expect(negotiated.status).toBe(200);
    const { url } = (await negotiated.json()) as { url: string };
    expect(url.startsWith(`${serviceUrl.replace("http:", "ws:")}/client/hubs/chat?access_token=`)).toBe(true);

    const socket = new WebSocket(url, "json.webpubsub.azure.v1");
    const frames: unknown[] = [];
    const connected = new Promise<void>((resolve) => {
      socket.on("message", (data) => {
        const frame = JSON.parse(data.toString()) as { type: string; event?: string };
        frames.push(frame);
        if (frame.type === "system" && frame.event === "connected") resolve();
      });
    });
    await connected;
    const arrived = new Promise<unknown>((resolve) => socket.on("message", (data) => resolve(JSON.parse(data.toString()))));

    const refused = await fetch(`${functionsBase}/send?userId=alice`, { method: "POST", headers: { "content-type": "text/plain" }, body: "hello" });
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { code: string }).code).toBe("FunctionKeyRequired");

    const sent = await fetch(`${functionsBase}/send?userId=alice`, {
      method: "POST",
      headers: { "content-type": "text/plain", "x-functions-key": "stack-test-key" },
      body: "hello",
    });
    expect(sent.status).toBe(202);
    expect(await arrived).toEqual({ type: "message", from: "server", dataType: "text", data: "hello" });
    socket.close();
    await once(socket, "close");
  });

  it("serves the web page from the function app", async () => {
    const page = await fetch(webPage);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await page.text()).toContain("<title>Serverless PubSub test client</title>");
  });

  it("stops cleanly on Ctrl-C (SIGINT)", async () => {
    stack.child.kill("SIGINT");
    expect(await stack.exit).toBe(0);
    expect(stack.stderr()).toContain("[stack] stopped");
  });
});

describe("a taken port", () => {
  let blocker: Server;
  beforeAll(async () => {
    blocker = createServer();
    blocker.listen(0);
    await once(blocker, "listening");
  });
  afterAll(() => new Promise<void>((resolve) => blocker.close(() => resolve())));

  it("gets a clear message naming the port and how to change it", async () => {
    const port = (blocker.address() as { port: number }).port;
    const started = startStack(["--functions-port", "0", "--emulator-port", String(port)]);
    expect(await started.exit).toBe(1);
    expect(started.stderr()).toContain(
      `npm start: Port ${port} is already in use, so the local Web PubSub service cannot start. Stop whatever uses it, or pick another port: EMULATOR_PORT=<port> npm start, or npm start -- --emulator-port <port>.`,
    );
    expect(started.stdout()).toBe("");
  });
});

describe("bad settings", () => {
  it("stop the start with a message naming the setting, and free the service's port", async () => {
    const started = startStack(["--functions-port", "0", "--emulator-port", "0"], { IdentityMode: "bogus" });
    expect(await started.exit).toBe(1);
    expect(started.stderr()).toMatch(/^npm start: App setting IdentityMode is "bogus"/m);
    expect(started.stdout()).toBe("");
  });

  it.each([
    [["--functions-port", "abc"], 'npm start: --functions-port (FUNCTIONS_PORT) must be a port number 0-65535, got "abc".'],
    [["--emulator-port", "70000"], 'npm start: --emulator-port (EMULATOR_PORT) must be a port number 0-65535, got "70000".'],
  ])("reject %j", async (args, message) => {
    const started = startStack(args);
    expect(await started.exit).toBe(1);
    expect(started.stderr()).toContain(message);
  });
});

describe("npm start --events", () => {
  let stack: Started;
  afterAll(async () => {
    if (stack.child.exitCode === null) {
      stack.child.kill("SIGINT");
      expect(await stack.exit).toBe(0);
    }
  });

  it("sends the service's events to the functions' events trigger: an echo event comes back", async () => {
    stack = startStack(["--functions-port", "0", "--emulator-port", "0", "--events"]);
    const [, functionsBase] = (await waitForOutput(stack, /Function base URL: +(\S+)\n[\s\S]*Event handler: +(\S+) \(every hub\)\n[\s\S]*Press Ctrl-C/)) as unknown as string[];
    expect(stack.stdout()).toContain(`Event handler:      ${functionsBase}/events/{hub} (every hub)`);
    const { url } = (await (await fetch(`${functionsBase}/negotiate?userId=eve`)).json()) as { url: string };
    const socket = new WebSocket(url, "json.webpubsub.azure.v1");
    const frames: unknown[] = [];
    await new Promise<void>((resolve) => {
      socket.on("message", (data) => {
        const frame = JSON.parse(data.toString()) as { type: string; connectionId?: string };
        frames.push(frame.type === "system" ? { type: "system", event: "connected" } : frame);
        if (frame.type === "system") socket.send(JSON.stringify({ type: "event", event: "echo", dataType: "text", data: "ping", ackId: 1 }));
        if (frame.type === "ack") resolve();
      });
    });
    expect(frames).toEqual([
      { type: "system", event: "connected" },
      { type: "message", from: "server", dataType: "text", data: "ping" },
      { type: "ack", ackId: 1, success: true },
    ]);
    // The event sent to the functions is billed like Azure's: 1 to upstream plus the echo to the client.
    const serviceUrl = stack.stdout().match(/Service: +(\S+)/)![1];
    const usage = (await (await fetch(`${serviceUrl}/api/usage`)).json()) as { sinceStart: { total: { outbound: Record<string, number> } } };
    expect(usage.sinceStart.total.outbound).toMatchObject({ messages: 2, billedUnits: 2, toClients: 1, toUpstream: 1 });
    socket.close();
    await once(socket, "close");
  });

  it("answers the official client's invokeEvent through the app's events trigger: echo comes back typed", async () => {
    const functionsBase = stack.stdout().match(/Function base URL: +(\S+)/)![1];
    const { WebPubSubClient } = await import("@azure/web-pubsub-client");
    const client = new WebPubSubClient({ getClientAccessUrl: async () => ((await (await fetch(`${functionsBase}/negotiate?userId=ivan`)).json()) as { url: string }).url }, { autoReconnect: false });
    await client.start();
    try {
      expect(await client.invokeEvent("echo", "hi", "text")).toMatchObject({ dataType: "text", data: "hi" });
      expect(await client.invokeEvent("echo", { n: 1 }, "json")).toMatchObject({ dataType: "json", data: { n: 1 } });
      expect(await client.invokeEvent("memberCount", "lobby", "text")).toMatchObject({ dataType: "json", data: { group: "lobby", count: 0 } });
    } finally {
      client.stop();
    }
  });

  it("tells a group's members who joined and left (the service's joined/left go to the events trigger), and carries a group stream", async () => {
    const functionsBase = stack.stdout().match(/Function base URL: +(\S+)/)![1];
    const { WebPubSubClient } = await import("@azure/web-pubsub-client");
    const connect = async (userId: string) => {
      const negotiate = `${functionsBase}/negotiate?userId=${userId}&group=room-9&role=webpubsub.sendToGroup.room-9`;
      const client = new WebPubSubClient({ getClientAccessUrl: async () => ((await (await fetch(negotiate)).json()) as { url: string }).url }, { autoReconnect: false });
      const notices: unknown[] = [];
      client.on("server-message", (e) => notices.push(e.message.data));
      await client.start();
      return { client, notices };
    };
    const first = await connect("wendy");
    const second = await connect("xavier");
    try {
      const deadline = Date.now() + 10_000;
      while (first.notices.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(first.notices).toEqual([
        { presence: { group: "room-9", change: "joined", userId: "wendy" } },
        { presence: { group: "room-9", change: "joined", userId: "xavier" } },
      ]);
      const fragments: unknown[] = [];
      let ended = false;
      first.client.onGroupStream(async (stream) => {
        for await (const fragment of stream) fragments.push(fragment.data);
        ended = true;
      });
      const writer = await second.client.openGroupStream("room-9", { noEcho: true });
      for (const token of ["stream", "ing ", "works"]) await writer.write(token, "text");
      await writer.end();
      while (!ended && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(fragments).toEqual(["stream", "ing ", "works"]);
      second.client.stop();
      while (first.notices.length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(first.notices[2]).toEqual({ presence: { group: "room-9", change: "left", userId: "xavier" } });
    } finally {
      first.client.stop();
      second.client.stop();
    }
  });

  it("bills the metering guide's relay example: a 4,000-byte event to three clients bills 8; a 4,096-byte one bills 11 (the envelope crosses 4 KB)", async () => {
    const functionsBase = stack.stdout().match(/Function base URL: +(\S+)/)![1];
    const serviceUrl = stack.stdout().match(/Service: +(\S+)/)![1];
    const billed = async (): Promise<number> =>
      ((await (await fetch(`${serviceUrl}/api/usage`)).json()) as { sinceStart: { total: { outbound: { billedUnits: number } } } }).sinceStart.total.outbound.billedUnits;
    const clients: Array<{ socket: WebSocket; received: string[] }> = [];
    for (const userId of ["alice", "bob", "carol"]) {
      const { url } = (await (await fetch(`${functionsBase}/negotiate?userId=${userId}`)).json()) as { url: string };
      const socket = new WebSocket(url); // a raw client: every frame goes upstream as the user event `message`
      const received: string[] = [];
      socket.on("message", (data) => received.push(data.toString()));
      await once(socket, "open");
      clients.push({ socket, received });
    }
    for (const [size, expected] of [[4000, 8], [4096, 11]] as const) {
      const before = await billed();
      clients[0]!.socket.send("x".repeat(size));
      const deadline = Date.now() + 10_000;
      while (clients.some((c) => c.received.length === 0) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      // Each client got {"from":"alice","text":"xx…"}: the text plus 26 bytes of envelope.
      for (const client of clients) expect(Buffer.byteLength(client.received.shift()!)).toBe(size + 26);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await billed()).toBe(before + expected);
    }
    for (const client of clients) client.socket.close();
  });
});

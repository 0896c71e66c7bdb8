import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer as createService, type ServiceServer } from "../../emulator/src/server";
import { createFunctionsHost, type FunctionsHost } from "../../host/functions-host";
import { requiredBinary } from "../support/required-binary";

// The web page with the function app on RealtimeService=signalr: the local SignalR service, the
// real route table on the local functions host, two Chromium pages (JSON and MessagePack).
const chromiumPath = requiredBinary("chromium", ["/usr/bin/chromium"]);
const root = join(__dirname, "..", "..");

let service: ServiceServer;
let host: FunctionsHost;
let browser: Browser;
let alice: Page;
let bob: Page;

async function openClient(userId: string, protocol: "JSON" | "MessagePack"): Promise<Page> {
  const page = await browser.newPage();
  page.setDefaultTimeout(10_000);
  page.on("pageerror", (error) => console.error(`[${userId} page] ${error.message}`));
  await page.goto(`${host.url}/api/web/`);
  await page.waitForSelector("body[data-ready=true]");
  await page.getByLabel("User id", { exact: true }).fill(userId);
  await page.getByLabel("SignalR protocol (used when the app is on Azure SignalR Service)", { exact: true }).selectOption({ label: protocol });
  return page;
}

async function connect(page: Page): Promise<string> {
  await page.getByRole("button", { name: "Connect", exact: true }).click();
  await page.waitForSelector("#connection-status[data-state=connected]");
  return (await page.locator("#connection-id").textContent()) ?? "";
}

async function send(page: Page, kind: string, target: string, dataType: string, text: string, stampSender = false): Promise<void> {
  await page.getByLabel("Send to", { exact: true }).selectOption(kind);
  if (kind !== "everyone") await page.getByLabel("User id or group", { exact: true }).fill(target);
  await page.getByLabel("Data type", { exact: true }).selectOption(dataType);
  await page.getByLabel("Message", { exact: true }).fill(text);
  // Most tests check the data as sent; the sender stamp (the page's default) has its own test.
  await page.getByLabel("Tell recipients who sent it and through which node").setChecked(stampSender);
  await page.getByRole("button", { name: "Send", exact: true }).click();
}

async function messages(page: Page): Promise<{ sender: string; type: string; data: string }[]> {
  return page.locator("#messages li").evaluateAll((items) =>
    items.map((item) => ({
      sender: (item as HTMLElement).dataset.sender ?? "",
      type: (item as HTMLElement).dataset.type ?? "",
      data: item.querySelector(".message-data")?.textContent ?? "",
    })),
  );
}

async function waitForMessages(page: Page, count: number): Promise<void> {
  await page.waitForFunction((n) => document.querySelectorAll("#messages li").length >= n, count);
}

describe.skipIf(!chromiumPath)("web test client in chromium, app on Azure SignalR Service (local)", () => {
  beforeAll(async () => {
    if (!existsSync(join(root, "web", "dist", "index.html"))) execFileSync(process.execPath, ["scripts/build-web.mjs"], { cwd: root });
    // The route table reads its settings on first use, so the host can listen before the service exists.
    const { routes } = await import("../../functions/routes");
    host = await createFunctionsHost({ routes, port: 0 });
    service = await createService({ port: 0, service: "signalr", signalr: { upstream: [{ urlTemplate: `${host.url}/api/signalr/{hub}/{category}/{event}` }] } });
    // The function app's one settings source is process.env (this worker's own copy).
    Object.assign(process.env, {
      RealtimeService: "signalr",
      AzureSignalRConnectionString: service.connectionString,
      SignalRHub: "chat",
      IdentityMode: "anonymous",
      AllowedGroups: "lobby,room-*",
    });
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    });
    alice = await openClient("alice", "JSON");
    bob = await openClient("bob", "MessagePack");
  });

  afterAll(async () => {
    await browser?.close();
    await host?.close();
    await service?.close();
  });

  it("says which service and protocol the page is on, learnt from the app", async () => {
    await alice.waitForSelector("#service-kind[data-service=signalr]");
    expect(await alice.locator("#service-kind").textContent()).toBe("Azure SignalR Service, hub chat, JSON");
    await bob.waitForSelector("#service-kind[data-service=signalr]");
    expect(await bob.locator("#service-kind").textContent()).toBe("Azure SignalR Service, hub chat, MessagePack");
    expect(await bob.locator("#presence-panel").textContent()).toBe("Member lists are not available on Azure SignalR Service: its REST API cannot list a group's connections.");
  });

  it("user A sends to user B and to a group B joined through the function; B sees both exactly, A neither", async () => {
    const aliceId = await connect(alice);
    const bobId = await connect(bob);
    expect(aliceId).not.toBe("none");
    expect(bobId).not.toBe(aliceId);
    await bob.getByLabel("Group name", { exact: true }).fill("lobby");
    await bob.getByRole("button", { name: "Join", exact: true }).click();
    await bob.waitForSelector("#joined-groups li:text-is('lobby')");

    await send(alice, "user", "bob", "text", "hello bob");
    await waitForMessages(bob, 1);
    await send(alice, "group", "lobby", "json", '{"n":1,"text":"hi lobby"}');
    await waitForMessages(bob, 2);
    expect(await messages(bob)).toEqual([
      { sender: "server", type: "text", data: "hello bob" },
      { sender: "server", type: "json", data: '{"n":1,"text":"hi lobby"}' },
    ]);
    expect(await messages(alice)).toEqual([]);
  });

  it("a page's group message goes through the app's upstream relay to the group's members only", async () => {
    await send(alice, "client-group", "lobby", "text", "from alice's page");
    await waitForMessages(bob, 3);
    expect((await messages(bob))[2]).toEqual({ sender: "server", type: "json", data: '{"from":"alice","text":"from alice\'s page","group":"lobby"}' });
    await send(alice, "everyone", "", "text", "to all");
    await waitForMessages(alice, 1);
    await waitForMessages(bob, 4);
    expect(await messages(alice)).toEqual([{ sender: "server", type: "text", data: "to all" }]);
  });

  it("with the sender stamp (the page's default) the recipient sees who sent the message and through which host", async () => {
    await send(alice, "user", "bob", "text", "stamped hello", true);
    await waitForMessages(bob, 5);
    const stamped = (await messages(bob))[4]!;
    expect(stamped.type).toBe("text");
    expect(stamped.data).toBe("stamped hello");
    expect(stamped.sender).toMatch(/^alice via (localhost|127\.0\.0\.1):\d+$/);
  });

  it("shows the local service's usage, found from the SignalR socket's origin", async () => {
    // The service labels its SignalR hubs itself (e.g. "signalr:chat"); the chat hub is the one row besides Total.
    const row = bob.locator('#usage-panel tbody tr:not([data-hub="Total"])');
    await row.waitFor();
    expect(await row.getAttribute("data-hub")).toMatch(/chat$/);
    // Hub, connections, peak, …: both pages are connected to the hub.
    await expect.poll(async () => (await row.locator("td").allTextContents())[0], { timeout: 5000 }).toBe("2");
  });

  it("shows what SignalR cannot carry as a plain error, and the Send status no longer shows the previous success", async () => {
    await send(alice, "user", "bob", "text", "before binary");
    await expect.poll(() => alice.locator("#send-status").textContent()).toBe("Sent 13 bytes of text to user bob.");
    await send(alice, "user", "bob", "binary", "AB");
    await alice.waitForSelector("#errors li");
    expect(await alice.locator("#errors li .error-text").first().textContent()).toBe(
      "Sending failed (415 UnsupportedContentType): That data type is not accepted. Azure SignalR Service delivers hub invocations with JSON arguments: send application/json or text/plain, not application/octet-stream.",
    );
    expect(await alice.locator("#send-status").textContent()).toBe("Not sent: see the error below.");
  });

  it("binary with the sender stamp travels inside the stamp's JSON envelope and arrives as the bytes sent", async () => {
    const before = (await messages(bob)).length;
    await send(alice, "user", "bob", "binary", "AB", true);
    await expect.poll(() => alice.locator("#send-status").textContent()).toMatch(/^Sent \d+ bytes of binary to user bob\.$/);
    await waitForMessages(bob, before + 1);
    const arrived = (await messages(bob)).at(-1)!;
    expect(arrived.type).toBe("binary");
    expect(arrived.data).toBe("41 42 (“AB”)");
    expect(arrived.sender).toMatch(/^alice via (localhost|127\.0\.0\.1):\d+$/);
  });

  it.each([
    ["carol", "JSON", "ServerSentEvents", "Server-Sent Events"],
    ["dave", "MessagePack", "LongPolling", "Long Polling"],
  ] as const)("%s's page over the picked transport (%s, %s) says so, receives a send, and invokes the app's echo", async (user, protocol, transport, label) => {
    const page = await openClient(user, protocol);
    await page.getByLabel("SignalR transport (Server-Sent Events carry JSON only)", { exact: true }).selectOption(transport);
    await connect(page);
    expect(await page.locator("#service-kind").textContent()).toBe(`Azure SignalR Service, hub chat, ${protocol} over ${label}`);
    expect(await page.locator("#service-kind").getAttribute("data-transport")).toBe(transport);
    await send(alice, "user", user, "text", `hello ${user}`);
    await waitForMessages(page, 1);
    expect(await messages(page)).toEqual([{ sender: "server", type: "text", data: `hello ${user}` }]);
    await page.getByLabel("Event name", { exact: true }).fill("echo");
    await page.getByLabel("Invoke payload", { exact: true }).fill(`ping from ${user}`);
    await page.getByRole("button", { name: "Invoke", exact: true }).click();
    await page.waitForSelector("#invoke-result[data-state=succeeded]");
    expect(await page.locator("#invoke-result").textContent()).toMatch(new RegExp(`^Answered in \\d+ ms, text: ping from ${user}$`));
    await page.close();
  });

  it("reassembles a 5 KB message that the service split into 2 KB WebSocket frames", async () => {
    const before = (await messages(bob)).length;
    await send(alice, "user", "bob", "text", "w".repeat(5000));
    await waitForMessages(bob, before + 1);
    expect((await messages(bob)).at(-1)).toEqual({ sender: "server", type: "text", data: "w".repeat(5000) });
  });

  it("asks for stateful reconnect when the switch is on, and says so once connected over WebSockets", async () => {
    const page = await openClient("erin", "JSON");
    await page.getByLabel("SignalR transport (Server-Sent Events carry JSON only)", { exact: true }).selectOption("WebSockets");
    await page.getByLabel("Stateful reconnect (SignalR over WebSockets: a dropped socket resumes with nothing lost)").check();
    await connect(page);
    expect(await page.locator("#service-kind").textContent()).toBe("Azure SignalR Service, hub chat, JSON over WebSockets, stateful reconnect");
    await send(alice, "user", "erin", "text", "hello erin");
    await waitForMessages(page, 1);
    expect(await messages(page)).toEqual([{ sender: "server", type: "text", data: "hello erin" }]);
    await page.close();
  });
});

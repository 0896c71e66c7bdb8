import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer as createService, type ServiceServer } from "../../emulator/src/server";
import { createFunctionsHost, type FunctionsHost } from "../../host/functions-host";
import { requiredBinary } from "../support/required-binary";
import { WebSocketLineCutter } from "./websocket-line-cutter";
import { recordFailedRequests } from "./support/failed-requests";

const chromiumPath = requiredBinary("chromium", ["/usr/bin/chromium"]);
const root = join(__dirname, "..", "..");
const screenshots = join(root, "test-results", "browser");
const accessKey = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH";

let service: ServiceServer;
let cutter: WebSocketLineCutter;
let host: FunctionsHost;
let browser: Browser;
let alice: Page;
let bob: Page;
/** Every request a page made while loading that failed or answered 400 or more (the favicon 404 was one). */
const failedOnLoad: string[] = [];

async function openClient(userId: string): Promise<Page> {
  const page = await browser.newPage();
  page.setDefaultTimeout(10_000);
  page.on("pageerror", (error) => console.error(`[${userId} page] ${error.message}`));
  const stopRecording = recordFailedRequests(page, failedOnLoad);
  await page.goto(`${host.url}/api/web/`);
  await page.waitForSelector("body[data-ready=true]");
  stopRecording();
  // Record every state the page shows, to prove "recovering" appeared even if only briefly.
  await page.evaluate(() => {
    const status = document.getElementById("connection-status")!;
    const seen: string[] = [];
    (window as unknown as { seenStates: string[] }).seenStates = seen;
    new MutationObserver(() => {
      const state = status.dataset.state ?? "";
      if (seen[seen.length - 1] !== state) seen.push(state);
    }).observe(status, { attributes: true, attributeFilter: ["data-state"] });
  });
  await page.getByLabel("User id", { exact: true }).fill(userId);
  return page;
}

async function connect(page: Page): Promise<string> {
  await page.getByRole("button", { name: "Connect", exact: true }).click();
  await page.waitForSelector("#connection-status[data-state=connected]");
  return (await page.locator("#connection-id").textContent()) ?? "";
}

async function send(page: Page, kind: string, target: string, dataType: string, text: string, padTo = ""): Promise<void> {
  await page.getByLabel("Send to", { exact: true }).selectOption(kind);
  if (kind !== "everyone") await page.getByLabel("User id or group", { exact: true }).fill(target);
  await page.getByLabel("Data type", { exact: true }).selectOption(dataType);
  await page.getByLabel("Message", { exact: true }).fill(text);
  await page.getByLabel("Pad with spaces to bytes (optional)", { exact: true }).fill(padTo);
  // These tests check the data types as sent; the sender stamp (JSON) is tested in nodes-page.test.ts.
  await page.getByLabel("Tell recipients who sent it and through which node").setChecked(false);
  await page.getByRole("button", { name: "Send", exact: true }).click();
}

async function messages(page: Page): Promise<{ sender: string; type: string; size: string; data: string }[]> {
  return page.locator("#messages li").evaluateAll((items) =>
    items.map((item) => ({
      sender: (item as HTMLElement).dataset.sender ?? "",
      type: (item as HTMLElement).dataset.type ?? "",
      size: (item as HTMLElement).dataset.size ?? "",
      data: item.querySelector(".message-data")?.textContent ?? "",
    })),
  );
}

async function waitForMessages(page: Page, count: number): Promise<void> {
  await page.waitForFunction((n) => document.querySelectorAll("#messages li").length >= n, count);
}

async function firstError(page: Page): Promise<string> {
  await page.waitForSelector("#errors li");
  return (await page.locator("#errors li .error-text").first().textContent()) ?? "";
}

describe.skipIf(!chromiumPath)("web test client in chromium", () => {
  beforeAll(async () => {
    if (!existsSync(join(root, "web", "dist", "index.html"))) execFileSync(process.execPath, ["scripts/build-web.mjs"], { cwd: root });
    mkdirSync(screenshots, { recursive: true });
    service = await createService({ port: 0, accessKey });
    cutter = new WebSocketLineCutter(service.port);
    const proxyPort = await cutter.listen();
    // The function app's one settings source is process.env (this worker's own copy).
    Object.assign(process.env, {
      WebPubSubConnectionString: `Endpoint=http://localhost:${proxyPort};AccessKey=${accessKey};Version=1.0;`,
      WebPubSubHub: "chat",
      IdentityMode: "anonymous",
      AllowedGroups: "lobby,room-*",
      AllowedRoles: "webpubsub.sendToGroup.lobby,webpubsub.joinLeaveGroup.lobby",
    });
    const { routes } = await import("../../functions/routes");
    host = await createFunctionsHost({ routes, port: 0 });
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    });
    alice = await openClient("alice");
    bob = await openClient("bob");
  });

  afterAll(async () => {
    await browser?.close();
    await host?.close();
    await cutter?.close();
    await service?.close();
  });

  it("loads with no failed request but the node directory's, which only npm start serves", async () => {
    // This host is the function app alone, as under func start or on Azure: the page's one-node
    // signal is the 404 of GET /api/local/nodes, once per page, and nothing else fails.
    expect(failedOnLoad).toEqual([`404 ${host.url}/api/local/nodes`, `404 ${host.url}/api/local/nodes`]);
    // Headless Chromium never asks for /favicon.ico, but a desktop browser does: the page names an
    // empty icon so that no browser's console shows that 404.
    const html = await (await fetch(`${host.url}/api/web/`)).text();
    expect(html).toContain('<link rel="icon" href="data:,">');
  });

  it("shows a refused negotiate (403 forbidden group) in plain words", async () => {
    await alice.getByText("Token options").click();
    await alice.getByLabel("Groups at connect (comma-separated)", { exact: true }).fill("vip");
    await alice.getByRole("button", { name: "Connect", exact: true }).click();
    expect(await firstError(alice)).toBe(
      'Connecting failed (403 GroupNotAllowed): Forbidden: you are not allowed to do this. Group "vip" is not in the allow-list (AllowedGroups).',
    );
    expect(await alice.locator("#connection-status").getAttribute("data-state")).toBe("disconnected");
    await alice.getByLabel("Groups at connect (comma-separated)", { exact: true }).fill("");
  });

  it("user A sends to user B and to a group; B sees both exactly", async () => {
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
    await send(alice, "everyone", "", "binary", "AB");
    await waitForMessages(bob, 3);

    expect(await messages(bob)).toEqual([
      { sender: "server", type: "text", size: "9", data: "hello bob" },
      { sender: "server", type: "json", size: "25", data: '{"n":1,"text":"hi lobby"}' },
      { sender: "server", type: "binary", size: "2", data: "41 42 (“AB”)" },
    ]);
    // Alice was not in the group and is not bob: only the broadcast reached her.
    await waitForMessages(alice, 1);
    expect(await messages(alice)).toEqual([{ sender: "server", type: "binary", size: "2", data: "41 42 (“AB”)" }]);
    // The usage panel polls the service the page negotiated with: two connections in hub chat.
    await bob.waitForFunction(() => document.querySelector("#usage-panel tr[data-hub=chat] td")?.textContent === "2");
    await alice.getByLabel("Pad with spaces to bytes (optional)", { exact: true }).fill("2049");
    expect(await alice.locator("#outgoing-size").textContent()).toMatch(/^Warning: 2,049 bytes crosses a 2 KB boundary: 2 billed units per recipient/);
    await bob.screenshot({ path: join(screenshots, "bob-received.png"), fullPage: true });
  });

  it("shows forbidden client-to-group sends and oversized messages as plain errors", async () => {
    // Errors are listed newest first, and the refused negotiate's is already there: wait for a new one.
    const before = await alice.locator("#errors li").count();
    await send(alice, "client-group", "lobby", "text", "no role");
    await alice.waitForFunction((count) => document.querySelectorAll("#errors li").length > count, before);
    expect(await firstError(alice)).toMatch(/^Sending failed \(403 Forbidden\): your connection has no permission for this\./);
    await send(alice, "user", "bob", "text", "x", "1048577");
    await alice.waitForFunction((count) => document.querySelectorAll("#errors li").length > count + 1, before);
    expect(await firstError(alice)).toBe(
      "Sending failed (413 PayloadTooLarge): The message is too large: the limit is 1,048,576 bytes (1 MB). The body is larger than 1,048,576 bytes.",
    );
    await alice.screenshot({ path: join(screenshots, "alice-errors.png"), fullPage: true });
  });

  it("survives a cut socket: recovering, then connected on the same connection, nothing lost", async () => {
    const bobId = (await bob.locator("#connection-id").textContent()) ?? "";
    const before = (await messages(bob)).length;
    const upgradesBefore = cutter.acceptedUpgrades;
    cutter.cutAll(true);
    await bob.waitForSelector("#connection-status[data-state=recovering]");
    await bob.screenshot({ path: join(screenshots, "bob-recovering.png"), fullPage: true });

    // Sent while bob's line is down: the service keeps it for the reliable session.
    await send(alice, "user", "bob", "text", "sent during the outage");
    await alice.waitForSelector("#send-status:text-is('Sent 22 bytes of text to user bob.')");
    cutter.resume();

    await bob.waitForSelector("#connection-status[data-state=connected]");
    await waitForMessages(bob, before + 1);
    expect(await bob.locator("#connection-id").textContent()).toBe(bobId);
    expect((await messages(bob)).slice(before)).toEqual([{ sender: "server", type: "text", size: "22", data: "sent during the outage" }]);
    const states = await bob.evaluate(() => (window as unknown as { seenStates: string[] }).seenStates);
    expect(states.slice(states.lastIndexOf("recovering"))).toEqual(["recovering", "connected"]);
    expect(cutter.acceptedUpgrades).toBeGreaterThan(upgradesBefore);
    // Still in the group after recovery: a group message reaches bob exactly once.
    await send(alice, "group", "lobby", "text", "after recovery");
    await waitForMessages(bob, before + 2);
    expect((await messages(bob)).slice(before + 1)).toEqual([{ sender: "server", type: "text", size: "14", data: "after recovery" }]);
    await bob.screenshot({ path: join(screenshots, "bob-recovered.png"), fullPage: true });
  });

  it("is operable by label and keyboard: every control is labelled, the log is live", async () => {
    const unlabelled = await alice.evaluate(() =>
      Array.from(document.querySelectorAll("input, select, textarea")).filter((control) => (control as HTMLInputElement).labels?.length === 0).map((control) => control.id),
    );
    expect(unlabelled).toEqual([]);
    expect(await alice.locator("#messages").getAttribute("role")).toBe("log");
    expect(await alice.locator("#messages").getAttribute("aria-live")).toBe("polite");
    expect(await alice.locator("#errors").getAttribute("role")).toBe("alert");
    // Keyboard only: focus the message box, type, and submit with Enter on the Send button.
    await alice.getByLabel("Send to", { exact: true }).selectOption("user");
    await alice.getByLabel("User id or group", { exact: true }).fill("bob");
    await alice.getByLabel("Pad with spaces to bytes (optional)", { exact: true }).fill("");
    await alice.getByLabel("Message", { exact: true }).fill("typed");
    await alice.getByRole("button", { name: "Send", exact: true }).focus();
    const before = (await messages(bob)).length;
    await alice.keyboard.press("Enter");
    await waitForMessages(bob, before + 1);
    expect((await messages(bob)).at(-1)).toEqual({ sender: "server", type: "text", size: "5", data: "typed" });
  });

  it("disconnects on request without trying to recover", async () => {
    await bob.getByRole("button", { name: "Disconnect", exact: true }).click();
    await bob.waitForSelector("#connection-status[data-state=disconnected]");
    await bob.evaluate(() => ((window as unknown as { seenStates: string[] }).seenStates.length = 0));
    await send(alice, "user", "bob", "text", "nobody home");
    await alice.waitForSelector("#send-status:text-is('Sent 11 bytes of text to user bob.')");
    expect(await bob.evaluate(() => (window as unknown as { seenStates: string[] }).seenStates)).toEqual([]);
    expect(await bob.getByRole("button", { name: "Connect", exact: true }).isEnabled()).toBe(true);
  });
});

/**
 * The web page's "Invoke" and "Stream to a group" panels in real chromium, two pages at phone
 * width (390 px): the page (bundled from web/, served from its own origin) talks to the real
 * functions host, whose events trigger answers invocations, and to the real local service.
 */
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requiredBinary } from "../support/required-binary";
import { startEventsStack, type EventsStack } from "./support/events-stack";
import { servePage, type PageOrigin } from "./support/page-origin";
import type { FunctionsHost } from "../../host/functions-host";

const chromiumPath = requiredBinary("chromium", ["/usr/bin/chromium"]);

describe.skipIf(!chromiumPath)("the Invoke and Stream panels in chromium, at 390 px", () => {
  let site: PageOrigin;
  let pageOrigin: string;
  let stack: EventsStack;
  let host: FunctionsHost;
  let browser: Browser;

  beforeAll(async () => {
    site = await servePage("live-panels-");
    pageOrigin = site.origin;

    stack = await startEventsStack({
      eventPattern: "*",
      systemEvents: [],
      settings: { AllowedGroups: "room-*", AllowedRoles: "webpubsub.sendToGroup.room-*" },
      pageOrigin,
    });
    ({ host } = stack);
    browser = await chromium.launch({ executablePath: chromiumPath, args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"] });
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await site?.close();
  });

  async function openAs(userId: string, token: { groups: string; roles?: string }): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    page.setDefaultTimeout(10_000);
    page.on("pageerror", (error) => console.error(`[${userId} page] ${error.message}`));
    await page.goto(`${pageOrigin}/?api=${encodeURIComponent(`${host.url}/api`)}`);
    await page.waitForSelector("body[data-ready=true]");
    await page.getByLabel("User id", { exact: true }).fill(userId);
    await page.getByText("Token options", { exact: true }).click();
    await page.getByLabel("Groups at connect", { exact: false }).fill(token.groups);
    if (token.roles) await page.getByLabel("Roles", { exact: false }).fill(token.roles);
    await page.getByRole("button", { name: "Connect", exact: true }).click();
    await page.waitForSelector("#connection-status[data-state=connected]");
    return page;
  }

  async function invoke(page: Page, event: string, dataType: string, payload: string): Promise<string> {
    await page.getByLabel("Event name", { exact: true }).fill(event);
    await page.getByLabel("Invoke data type", { exact: true }).selectOption(dataType);
    await page.getByLabel("Invoke payload", { exact: true }).fill(payload);
    await page.getByRole("button", { name: "Invoke", exact: true }).click();
    await page.waitForSelector("#invoke-result:not([data-state=waiting])[data-state]");
    return (await page.locator("#invoke-result").textContent())!;
  }

  const noSideways = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

  it("invokes the app's handlers and shows the answer or the error with the round trip", async () => {
    const page = await openAs("ivy", { groups: "room-1" });
    expect(await invoke(page, "echo", "text", "hello there")).toMatch(/^Answered in \d+ ms, text: hello there$/);
    expect(await invoke(page, "echo", "json", '{"n":[1,2]}')).toMatch(/^Answered in \d+ ms, json: \{"n":\[1,2\]\}$/);
    expect(await invoke(page, "memberCount", "text", "room-1")).toMatch(/^Answered in \d+ ms, json: \{"group":"room-1","count":1,"capped":false,"cap":10000\}$/);
    expect(await invoke(page, "launchMissiles", "text", "now")).toMatch(/^Failed in \d+ ms: NotFound: The function app has no handler for event "launchMissiles"\.$/);
    expect(await noSideways(page)).toBe(true);
    await page.close();
  });

  it("streams a reply word by word to another page, which renders it as it arrives, and a cancel ends it with the sender's error", async () => {
    const writer = await openAs("writer", { groups: "room-2", roles: "webpubsub.sendToGroup.room-2" });
    const reader = await openAs("reader", { groups: "room-2" });
    await writer.getByLabel("Stream to group", { exact: true }).fill("room-2");
    await writer.getByLabel("Reply to stream", { exact: true }).fill("Tokens arrive one by one, like an answer being written.");
    await writer.getByLabel("Milliseconds between fragments", { exact: true }).fill("40");
    await writer.getByRole("button", { name: "Stream", exact: true }).click();
    // Part-way, the reader already shows some words but not all.
    await expect.poll(() => reader.locator("#streams-received li .stream-text").first().textContent()).toMatch(/^Tokens arrive/);
    const firstStream = reader.locator("#streams-received li").first();
    await expect.poll(() => firstStream.getAttribute("data-state")).toBe("ended");
    expect(await firstStream.textContent()).toBe("group room-2 from writer: Tokens arrive one by one, like an answer being written. (ended)");
    await expect.poll(() => writer.locator("#stream-status").textContent()).toBe("Streamed 10 fragment(s) to room-2.");
    // The writer is in the group too: it sees its own stream, and it is not logged as messages.
    await expect.poll(() => writer.locator("#streams-received li").first().getAttribute("data-state")).toBe("ended");
    expect(await reader.locator("#messages li").count()).toBe(0);

    await writer.getByLabel("Milliseconds between fragments", { exact: true }).fill("400");
    await writer.getByRole("button", { name: "Stream", exact: true }).click();
    await expect.poll(() => reader.locator("#streams-received li").count()).toBe(2);
    await writer.getByRole("button", { name: "Cancel", exact: true }).click();
    const second = reader.locator("#streams-received li").first();
    await expect.poll(() => second.getAttribute("data-state")).toBe("failed");
    expect(await second.locator(".stream-state").textContent()).toBe(" (ended with UserError SenderCancelled: The sender cancelled the stream.)");
    expect(await writer.locator("#stream-status").textContent()).toMatch(/^Cancelled after \d of 10 fragment\(s\): receivers see the stream end with an error\.$/);

    // Without the send role the start is refused, and the page says why.
    await reader.getByLabel("Stream to group", { exact: true }).fill("room-2");
    await reader.getByRole("button", { name: "Stream", exact: true }).click();
    await expect.poll(() => reader.locator("#stream-status").getAttribute("data-state")).toBe("failed");
    expect(await reader.locator("#stream-status").textContent()).toMatch(/^The stream failed: Forbidden: /);
    for (const page of [writer, reader]) expect(await noSideways(page)).toBe(true);
  });
});

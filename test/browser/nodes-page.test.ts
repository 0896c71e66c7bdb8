import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedisServer, type RedisServerProcess } from "../support/redis-server";
import { requiredBinary } from "../support/required-binary";
import { ensureWebBuilt, repoRoot, stopStartCommand, type StartedCommand } from "../support/start-command";
import { connectThrough, failedWhileLoading, freePortPair, openPage as openPageIn, runCheck, startTwoNodes as startNodes } from "./nodes-page-driver";

const chromiumPath = requiredBinary("chromium", ["/usr/bin/chromium"]);
const redisBinary = requiredBinary("redis-server", ["/usr/bin/redis-server"]);
const screenshots = join(repoRoot, "test-results", "browser");

let browser: Browser;
/** The story's page: opened on node 1, kept open while the stack restarts with Redis on the same ports. */
let page: Page;
let functionsBase = 0;

const startTwoNodes = (extra: string[]) => startNodes(functionsBase, extra);
const openPage = (url: string, width = 1280) => openPageIn(browser, url, width);

describe.skipIf(!chromiumPath || !redisBinary)("the page with two nodes (npm start -- --nodes 2)", () => {
  beforeAll(async () => {
    ensureWebBuilt();
    mkdirSync(screenshots, { recursive: true });
    browser = await chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox"] });
    functionsBase = await freePortPair();
  });
  afterAll(async () => {
    await page?.close();
    await browser?.close();
  });

  describe("without a backplane", () => {
    let stack: StartedCommand;
    let pageUrl = "";
    beforeAll(async () => {
      const started = await startTwoNodes([]);
      stack = started.stack;
      pageUrl = started.pageUrl;
      page = await openPage(pageUrl);
    });
    afterAll(async () => {
      if (stack) expect(await stopStartCommand(stack)).toBe(0);
    });

    it("loads under npm start without a failed request: the node directory answers", () => {
      expect(failedWhileLoading).toEqual([]);
    });

    it("says where the socket is and where messages go, in plain words", async () => {
      await connectThrough(page, "1", "pod-story");
      await page.getByLabel("Send through node", { exact: true }).selectOption("2");
      await expect.poll(() => page.locator("#node-status").textContent()).toBe("Your socket is on node 1. Sending through node 2. Nodes share: nothing.");
    });

    it("a socket on node 1 gets every message sent through node 1 and none sent through node 2", async () => {
      const rows = await runCheck(page);
      expect(rows.map(({ node, backplane, run, sent, delivered, lost }) => ({ node, backplane, run, sent, delivered, lost }))).toEqual([
        { node: "1", backplane: "none", run: "this", sent: "20", delivered: "20", lost: "0" },
        { node: "2", backplane: "none", run: "this", sent: "20", delivered: "0", lost: "20" },
      ]);
      expect(rows[0].shared).toBe("nothing");
      expect(rows[0].latency).toMatch(/^\d+\.\d ms \/ \d+\.\d ms$/);
      expect(rows[1].latency).toBe("none arrived");
      await page.screenshot({ path: join(screenshots, "nodes-without-backplane.png"), fullPage: true });
    });

    it("names who sent an HTTP message and the node it came through", async () => {
      await page.getByLabel("Send to", { exact: true }).selectOption("user");
      await page.getByLabel("User id or group", { exact: true }).fill("pod-story");
      await page.getByLabel("Send through node", { exact: true }).selectOption("1");
      await page.getByLabel("Data type", { exact: true }).selectOption("text");
      await page.getByLabel("Message", { exact: true }).fill("hello me");
      await page.getByRole("button", { name: "Send", exact: true }).click();
      await page.waitForSelector("#messages li");
      const item = page.locator("#messages li").last();
      expect(await item.getAttribute("data-sender")).toBe("pod-story via node 1");
      expect(await item.getAttribute("data-type")).toBe("text");
      expect(await item.locator(".message-data").textContent()).toBe("hello me");
    });

    it("lists groups joined at connect, joins allowed groups through the user route, and refuses the rest under Groups", async () => {
      const other = await openPage(pageUrl);
      try {
        await other.getByLabel("User id", { exact: true }).fill("grouper");
        await other.locator("summary", { hasText: "Token options" }).click();
        await other.getByLabel("Groups at connect (comma-separated)").fill("lobby");
        await other.getByRole("button", { name: "Connect", exact: true }).click();
        await other.waitForSelector("#connection-status[data-state=connected]");
        await other.waitForSelector("#joined-groups li:text-is('lobby')");

        await other.getByLabel("Group name", { exact: true }).fill("admins");
        await other.getByRole("button", { name: "Join", exact: true }).click();
        await expect
          .poll(() => other.locator("#group-status").textContent())
          .toBe('Joining group admins failed (403 GroupNotAllowed): Forbidden: you are not allowed to do this. Group "admins" is not in the allow-list (AllowedGroups).');

        await other.getByLabel("Group name", { exact: true }).fill("room-1");
        await other.getByRole("button", { name: "Join", exact: true }).click();
        await expect.poll(() => other.locator("#group-status").textContent()).toBe("Joined group room-1.");
        expect(await other.locator("#joined-groups li").allTextContents()).toEqual(["lobby", "room-1"]);
        expect(await other.locator("#send-status").textContent()).toBe("");
      } finally {
        await other.close();
      }
    });

    it("fits a 390 px phone screen with the node panel and its results showing", async () => {
      const phone = await openPage(pageUrl, 390);
      try {
        await connectThrough(phone, "1", "phone-user");
        await runCheck(phone);
        await phone.waitForSelector(".usage-table");
        const widths = await phone.evaluate(() => ({
          document: document.documentElement.scrollWidth,
          widest: Math.max(...Array.from(document.querySelectorAll("body *")).map((element) => element.getBoundingClientRect().right)),
        }));
        expect(widths.document).toBeLessThanOrEqual(390);
        expect(widths.widest).toBeLessThanOrEqual(390);
        await phone.screenshot({ path: join(screenshots, "nodes-phone-390.png"), fullPage: true });
      } finally {
        await phone.close();
      }
    });
  });

  describe("the same nodes restarted with Redis", () => {
    let redis: RedisServerProcess;
    let stack: StartedCommand;
    beforeAll(async () => {
      redis = await startRedisServer(redisBinary!);
      const started = await startTwoNodes(["--redis", redis.url]);
      stack = started.stack;
      expect(stack.stdout()).toContain(`  Backplane:          Redis at ${redis.url}: every node delivers to every socket\n`);
      // The same page reloaded: same origin, so the run without a backplane is still there.
      await page.reload();
      await page.waitForSelector("body[data-ready=true]");
    });
    afterAll(async () => {
      if (stack) expect(await stopStartCommand(stack)).toBe(0);
      await redis?.stop();
    });

    it("shows the earlier run without a backplane before anything is sent", async () => {
      const rows = await page.locator("#check-results tbody tr").evaluateAll((items) => items.map((row) => `${(row as HTMLElement).dataset.node}/${(row as HTMLElement).dataset.backplane}/${(row as HTMLElement).dataset.run}`));
      expect(rows).toEqual(["1/none/earlier", "2/none/earlier"]);
    });

    it("the same socket on node 1 gets every message, whichever node sends, shown beside the loss without Redis", async () => {
      await connectThrough(page, "1", "pod-story");
      await page.getByLabel("Send through node", { exact: true }).selectOption("2");
      await expect.poll(() => page.locator("#node-status").textContent()).toBe("Your socket is on node 1. Sending through node 2. Nodes share: Redis.");
      const rows = await runCheck(page);
      expect(rows.map(({ node, backplane, run, sent, delivered, lost }) => ({ node, backplane, run, sent, delivered, lost }))).toEqual([
        { node: "1", backplane: "none", run: "earlier", sent: "20", delivered: "20", lost: "0" },
        { node: "1", backplane: "redis", run: "this", sent: "20", delivered: "20", lost: "0" },
        { node: "2", backplane: "none", run: "earlier", sent: "20", delivered: "0", lost: "20" },
        { node: "2", backplane: "redis", run: "this", sent: "20", delivered: "20", lost: "0" },
      ]);
      expect(rows[0].shared).toMatch(/^nothing \(earlier run, .+\)$/);
      expect(rows[1].shared).toBe("Redis");
      await page.screenshot({ path: join(screenshots, "nodes-with-redis.png"), fullPage: true });
    });
  });
});

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedisServer, type RedisServerProcess } from "../support/redis-server";
import { requiredBinary } from "../support/required-binary";
import { ensureWebBuilt, repoRoot, stopStartCommand } from "../support/start-command";
import { connectThrough, freePortPair, openPage, runCheck, startTwoNodes } from "./nodes-page-driver";

const chromiumPath = requiredBinary("chromium", ["/usr/bin/chromium"]);
const redisBinary = requiredBinary("redis-server", ["/usr/bin/redis-server"]);
const screenshots = join(repoRoot, "test-results", "browser");

let browser: Browser;
/** Opened on node 1 and kept open while the stack restarts with Redis on the same ports. */
let page: Page;
let functionsBase = 0;

const counts = (rows: Awaited<ReturnType<typeof runCheck>>) => rows.map(({ node, backplane, run, sent, delivered, lost }) => ({ node, backplane, run, sent, delivered, lost }));

describe.skipIf(!chromiumPath || !redisBinary)("the page on SignalR with two nodes (npm start -- --nodes 2 --service signalr)", () => {
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

  it("without a backplane, a socket on node 1 loses every message sent through node 2", async () => {
    const { stack, pageUrl } = await startTwoNodes(functionsBase, ["--service", "signalr"]);
    try {
      page = await openPage(browser, pageUrl);
      await page.waitForSelector("#service-kind[data-service=signalr]");
      await connectThrough(page, "1", "pod-story");
      await page.getByLabel("Send through node", { exact: true }).selectOption("2");
      await expect.poll(() => page.locator("#node-status").textContent()).toBe("Your socket is on node 1. Sending through node 2. Nodes share: nothing.");
      expect(counts(await runCheck(page))).toEqual([
        { node: "1", backplane: "none", run: "this", sent: "20", delivered: "20", lost: "0" },
        { node: "2", backplane: "none", run: "this", sent: "20", delivered: "0", lost: "20" },
      ]);
      await page.screenshot({ path: join(screenshots, "signalr-nodes-without-backplane.png"), fullPage: true });
    } finally {
      expect(await stopStartCommand(stack)).toBe(0);
    }
  }, 120_000);

  it("with Redis, the same socket gets every message, whichever node sends", async () => {
    const redis: RedisServerProcess = await startRedisServer(redisBinary!);
    const { stack } = await startTwoNodes(functionsBase, ["--service", "signalr", "--redis", redis.url]);
    try {
      await page.reload();
      await page.waitForSelector("body[data-ready=true]");
      await page.waitForSelector("#service-kind[data-service=signalr]");
      await connectThrough(page, "1", "pod-story");
      await page.getByLabel("Send through node", { exact: true }).selectOption("2");
      await expect.poll(() => page.locator("#node-status").textContent()).toBe("Your socket is on node 1. Sending through node 2. Nodes share: Redis.");
      expect(counts(await runCheck(page))).toEqual([
        { node: "1", backplane: "none", run: "earlier", sent: "20", delivered: "20", lost: "0" },
        { node: "1", backplane: "redis", run: "this", sent: "20", delivered: "20", lost: "0" },
        { node: "2", backplane: "none", run: "earlier", sent: "20", delivered: "0", lost: "20" },
        { node: "2", backplane: "redis", run: "this", sent: "20", delivered: "20", lost: "0" },
      ]);
      await page.screenshot({ path: join(screenshots, "signalr-nodes-with-redis.png"), fullPage: true });
    } finally {
      expect(await stopStartCommand(stack)).toBe(0);
      await redis.stop();
    }
  }, 120_000);
});

/**
 * The usage panel in real chromium (playwright-core): the page is served from one origin, the
 * service from another (CORS), the panel is bundled with esbuild exactly as written, and the
 * traffic is real (official SDKs against the real service).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { WebPubSubClient } from "@azure/web-pubsub-client";
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { build } from "esbuild";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type ServiceServer } from "../../emulator/src/server";
import { requiredBinary } from "../support/required-binary";

const chromiumPath = requiredBinary("chromium", ["/usr/bin/chromium"]);
const HUB = "panel";

describe.runIf(chromiumPath)("usage panel in chromium", () => {
  let browser: Browser;
  let service: ServiceServer;
  let page: http.Server;
  let pageUrl: string;
  let client: WebPubSubClient;

  beforeAll(async () => {
    const bundle = await build({
      stdin: {
        contents: 'import { mountUsagePanel, describeCost } from "./web/src/usage-panel"; Object.assign(window, { mountUsagePanel, describeCost });',
        resolveDir: process.cwd(),
        loader: "ts",
      },
      bundle: true,
      format: "iife",
      write: false,
    });
    const script = bundle.outputFiles[0].text;
    page = http.createServer((req, res) => {
      if (req.url === "/panel.js") {
        res.writeHead(200, { "content-type": "text/javascript" });
        res.end(script);
        return;
      }
      res.writeHead(200, { "content-type": "text/html" });
      res.end('<!doctype html><div id="usage"></div><script src="/panel.js"></script>');
    });
    await new Promise<void>((resolve) => page.listen(0, "127.0.0.1", resolve));
    pageUrl = `http://127.0.0.1:${(page.address() as AddressInfo).port}/`;
    service = await createServer({ port: 0, quota: { tier: "free" } });
    browser = await chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox"] });
  });

  afterAll(async () => {
    await client?.stop();
    await browser?.close();
    await service?.close();
    await new Promise((resolve) => page?.close(resolve));
  });

  it("shows live connections, messages and billed units per hub, read cross-origin", async () => {
    const rest = new WebPubSubServiceClient(service.connectionString, HUB, { allowInsecureConnection: true });
    client = new WebPubSubClient({ getClientAccessUrl: async () => (await rest.getClientAccessToken()).url }, { autoReconnect: false });
    const received = new Promise<void>((resolve) => client.on("server-message", () => resolve()));
    await client.start();
    await rest.sendToAll("w".repeat(2049), { contentType: "text/plain" });
    await received;

    const tab = await browser.newPage();
    await tab.goto(pageUrl);
    const usageUrl = `${service.url.replace("localhost", "127.0.0.1")}/api/usage`;
    await tab.evaluate((url) => {
      const w = window as unknown as { mountUsagePanel: (el: HTMLElement, o: { usageUrl: () => string; intervalMs: number }) => unknown };
      w.mountUsagePanel(document.getElementById("usage")!, { usageUrl: () => url, intervalMs: 200 });
    }, usageUrl);

    const row = tab.locator(`tr[data-hub="${HUB}"]`);
    await row.waitFor();
    // Hub, connections, peak, inbound, outbound messages, billed units, billed today.
    expect(await row.locator("th, td").allTextContents()).toEqual([HUB, "1", "1", "1", "1", "2", "2"]);
    expect(await tab.locator(".usage-summary").textContent()).toContain("Simulated free tier, 1 unit(s): up to 20 connections, 20,000 messages a day.");

    await rest.sendToAll("v", { contentType: "text/plain" });
    await expect.poll(async () => (await row.locator("td").allTextContents())[4], { timeout: 5000 }).toBe("3");

    const warning = await tab.evaluate(() => (window as unknown as { describeCost: (b: number) => { text: string } }).describeCost(2049).text);
    expect(warning).toBe("Warning: 2,049 bytes crosses a 2 KB boundary: 2 billed units per recipient; 1 byte fewer would cost 1.");
    await tab.close();
  });
});

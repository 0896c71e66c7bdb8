/**
 * The web page's member lists and planner line in real chromium: the page (bundled from web/
 * into a temporary folder, served from its own origin) talks to the real functions host (CORS,
 * function keys) and the real local service, whose group presence events go to the function
 * app's events trigger, which tells the group; the billed cost each refresh shows is checked
 * against the service's own meter.
 */
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { UsageReport } from "../../emulator/src/metering/usage-report";
import { measuredPlan } from "../../planner/measured-plan";
import { resolvePriceSheet } from "../../planner/price-sheet";
import { requiredBinary } from "../support/required-binary";
import { startEventsStack, type EventsStack } from "./support/events-stack";
import { servePage, type PageOrigin } from "./support/page-origin";
import type { ServiceServer } from "../../emulator/src/server";
import type { FunctionsHost } from "../../host/functions-host";

const chromiumPath = requiredBinary("chromium", ["/usr/bin/chromium"]);
const functionKey = "page-test-key";

describe.skipIf(!chromiumPath)("member lists and the planner line in chromium", () => {
  let site: PageOrigin;
  let pageOrigin: string;
  let stack: EventsStack;
  let service: ServiceServer;
  let host: FunctionsHost;
  let browser: Browser;

  beforeAll(async () => {
    site = await servePage("presence-page-");
    pageOrigin = site.origin;

    // The service's joined/left events go to the events trigger, as `npm start -- --events` wires them.
    stack = await startEventsStack({ eventPattern: "", systemEvents: ["joined", "left"], settings: { AllowedGroups: "room-*" }, pageOrigin, functionKeys: [functionKey] });
    ({ service, host } = stack);
    browser = await chromium.launch({ executablePath: chromiumPath, args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"] });
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await site?.close();
  });

  async function openAs(userId: string): Promise<Page> {
    const page = await browser.newPage();
    page.setDefaultTimeout(10_000);
    page.on("pageerror", (error) => console.error(`[${userId} page] ${error.message}`));
    await page.goto(`${pageOrigin}/?api=${encodeURIComponent(`${host.url}/api`)}`);
    await page.waitForSelector("body[data-ready=true]");
    await page.getByLabel("Function key (optional)", { exact: true }).fill(functionKey);
    await page.getByLabel("User id", { exact: true }).fill(userId);
    await page.getByRole("button", { name: "Connect", exact: true }).click();
    await page.waitForSelector("#connection-status[data-state=connected]");
    return page;
  }

  async function group(page: Page, action: "Join" | "Leave", name: string): Promise<void> {
    await page.getByLabel("Group name", { exact: true }).fill(name);
    await page.getByRole("button", { name: action, exact: true }).click();
  }

  // Sorted by connection id (code units), whatever order the service lists them in.
  const members = async (page: Page, name: string) =>
    (await page.locator(`.presence-group[data-group="${name}"] .presence-members li`).evaluateAll((items) => items.map((item) => [item.textContent ?? "", (item as HTMLElement).dataset.connectionId ?? ""])))
      .sort((a, b) => (a[1]! < b[1]! ? -1 : 1))
      .map(([text]) => text);
  const costLine = (page: Page, name: string) => page.locator(`.presence-group[data-group="${name}"] .presence-cost`);

  async function billed(): Promise<number> {
    const report = (await (await fetch(`${service.url}/api/usage`)).json()) as UsageReport;
    return report.sinceStart.total.outbound.billedUnits;
  }

  it("shows the members of joined groups, refreshed on the function app's join and leave notices, with each refresh's billed cost", async () => {
    const alice = await openAs("alice");
    const bob = await openAs("bob");
    const aliceId = (await alice.locator("#connection-id").textContent())!;
    const bobId = (await bob.locator("#connection-id").textContent())!;
    const sorted = (entries: Array<[string, string]>) => entries.sort((a, b) => (a[1] < b[1] ? -1 : 1)).map(([user, id]) => `${user} (${id})`);

    await group(alice, "Join", "room-1");
    await expect.poll(() => members(alice, "room-1")).toEqual([`alice (${aliceId})`]);
    await expect.poll(() => costLine(alice, "room-1").textContent()).toBe(
      "Refreshed after alice joined: the 66-byte notice went to 1 connection(s) × 1 = 1 billed message(s); listing the members is a REST call, not a billed message.",
    );
    const before = await billed();

    await group(bob, "Join", "room-1");
    const both = sorted([["alice", aliceId], ["bob", bobId]]);
    await expect.poll(() => members(alice, "room-1")).toEqual(both);
    await expect.poll(() => members(bob, "room-1")).toEqual(both);
    const joinCost =
      "Refreshed after bob joined: the 64-byte notice went to 2 connection(s) × 1 = 2 billed message(s); listing the members is a REST call, not a billed message.";
    await expect.poll(() => costLine(alice, "room-1").textContent()).toBe(joinCost);
    await expect.poll(() => costLine(bob, "room-1").textContent()).toBe(joinCost);
    // The meter agrees: the notice to two members billed 2, the listings nothing.
    expect((await billed()) - before).toBe(2);

    await group(bob, "Leave", "room-1");
    await expect.poll(() => members(alice, "room-1")).toEqual([`alice (${aliceId})`]);
    await expect.poll(() => costLine(alice, "room-1").textContent()).toBe(
      "Refreshed after bob left: the 62-byte notice went to 1 connection(s) × 1 = 1 billed message(s); listing the members is a REST call, not a billed message.",
    );
    expect(await bob.locator(".presence-group").count()).toBe(0);
    expect((await billed()) - before).toBe(3);
    // Notices refresh the lists; they are not chat messages.
    expect(await alice.locator("#messages li").count()).toBe(0);
  });

  it("shows the planner's line for the measured traffic beside the usage panel", async () => {
    const page = await openAs("carol");
    const line = page.locator("#plan-line");
    await expect.poll(() => line.textContent(), { timeout: 8000 }).toMatch(/^At this rate for a day: /);
    const text = (await line.textContent())!;
    expect(text).toMatch(
      /^At this rate for a day: [\d,]+ billed messages; Azure Web PubSub: 1 (Free|Standard) unit\(s\), about \$(0\.00|1\.61)\/day; Azure SignalR Service: 1 (Free|Standard) unit\(s\), about \$(0\.00|1\.61)\/day\.$/,
    );
    // The same figure the planner gives for the service's meter (both scale the same counters to a day).
    const usage = (await (await fetch(`${service.url}/api/usage`)).json()) as UsageReport;
    const plan = measuredPlan(usage, resolvePriceSheet());
    const onPage = Number(/day: ([\d,]+) billed/.exec(text)![1]!.replaceAll(",", ""));
    const perDayNow = plan.profile.billedMessagesPerDay;
    // The page's figure was taken a moment earlier, so over a shorter time: at least today's rate.
    expect(onPage).toBeGreaterThanOrEqual(perDayNow);
    expect(await billed()).toBe(4); // the 1 + 2 + 1 notices of the test above
  });
});

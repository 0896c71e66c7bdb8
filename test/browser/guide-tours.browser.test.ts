import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/free-port";
import { requiredBinary } from "../support/required-binary";
import { ensureWebBuilt, repoRoot, runStartCommand, stopStartCommand, waitForOutput, type StartedCommand } from "../support/start-command";
import { fencedBlocks, runAndCheck, shownSteps } from "./support/guide-tour";

/**
 * The README's quick start curl lines and the guides' curl tours, run as a reader runs them top
 * to bottom against `npm start`: the function app guide's with one tab of the page as alice in `lobby`, then two more tabs for its
 * presence lines; the SignalR guide's with its Node client connected. Every output must be the
 * one the guide shows (ids, tokens, dates and ports may differ).
 */
const chromiumPath = requiredBinary("chromium", ["/usr/bin/chromium"]);
const readGuide = (name: string): string => readFileSync(join(repoRoot, "docs", name), "utf8");
const curlPath = requiredBinary("curl", ["/usr/bin/curl"]);

let stack: StartedCommand | undefined;

async function startStack(args: string[]): Promise<{ base: string; servicePort: string; functionsPort: number }> {
  const functionsPort = await freePort();
  stack = runStartCommand(["--functions-port", String(functionsPort), "--emulator-port", "0", "--settings", "local.settings.example.json", ...args]);
  await waitForOutput(stack, /Press Ctrl-C to stop\./);
  const base = /Function base URL: +(\S+)/.exec(stack.stdout())![1]!;
  const servicePort = new URL(/Service: +(\S+)/.exec(stack.stdout())![1]!).port;
  return { base, servicePort, functionsPort };
}

afterEach(async () => {
  if (stack) expect(await stopStartCommand(stack)).toBe(0);
  stack = undefined;
});

describe.skipIf(!curlPath)("the README's quick start curl lines", () => {
  it("give the outputs the README shows", async () => {
    const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
    const block = shownSteps(fencedBlocks(readme, "sh", "## Quick start", "## Tests").find((text) => text.includes("curl"))!);
    expect(block.steps).toHaveLength(3);
    const { base, servicePort } = await startStack([]);
    expect(base).toMatch(/^http:\/\/localhost:\d+\/api$/);
    const local = (command: string) => command.replaceAll("http://localhost:7071/api", base);
    runAndCheck({ ...block, steps: block.steps.map((step) => ({ ...step, command: local(step.command) })) }, {}, { "localhost:8080": `localhost:${servicePort}` });
  }, 90_000);
});

describe.skipIf(!chromiumPath || !curlPath)("the function app guide's curl tour, top to bottom", () => {
  let browser: Browser;

  beforeAll(async () => {
    ensureWebBuilt();
    browser = await chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox"] });
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function openTab(pageUrl: string, userId: string): Promise<Page> {
    const page = await browser.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(pageUrl);
    await page.waitForSelector("body[data-ready=true]");
    await page.getByLabel("User id", { exact: true }).fill(userId);
    await page.getByRole("button", { name: "Connect", exact: true }).click();
    await page.waitForSelector("#connection-status[data-state=connected]");
    await page.getByLabel("Group name", { exact: true }).fill("lobby");
    await page.getByRole("button", { name: "Join", exact: true }).click();
    await expect.poll(() => page.locator("#joined-groups").textContent()).toContain("lobby");
    return page;
  }

  it("every line of the tour, its errors and the presence section gives the output shown", async () => {
    const guide = readGuide("function-app.md");
    const tour = fencedBlocks(guide, "sh", "## Try every trigger with curl", "## Presence routes");
    expect(tour).toHaveLength(2);
    const main = shownSteps(tour[0]!);
    const errors = shownSteps(tour[1]!);
    const presence = shownSteps(fencedBlocks(guide, "sh", "## Presence routes", "\n## ")[0]!);
    expect(main.steps).toHaveLength(20);
    expect(errors.steps).toHaveLength(4);
    expect(presence.steps).toHaveLength(3);
    expect(main.variables.B).toBe("http://localhost:7071/api");

    const { base, servicePort } = await startStack([]);
    const alice = await openTab(`${base}/web/`, "alice");
    const cid = (await alice.locator("#connection-id").textContent())!;
    const env = { B: base, CID: cid, KEY: "" };
    const substitutions = { [main.variables.CID!]: cid, "localhost:8080": `localhost:${servicePort}` };
    runAndCheck(main, env, substitutions);
    runAndCheck(errors, env, substitutions);

    // As the guide says: the page came back after the closes, with a new id, and joined lobby again.
    await alice.waitForSelector("#connection-status[data-state=connected]");
    await expect.poll(() => alice.locator("#connection-id").textContent()).not.toBe(cid);
    await openTab(`${base}/web/`, "bob");
    await openTab(`${base}/web/`, "carol");
    // alice's page joins lobby again on its own once reconnected; a reader sees it on the page first.
    const count = async () => ((await (await fetch(`${base}/groups/lobby/members/count`)).json()) as { count: number }).count;
    await expect.poll(count, { timeout: 10_000 }).toBe(3);
    runAndCheck(presence, env, substitutions);
  }, 120_000);
});

describe.skipIf(!curlPath)("the SignalR guide's curl tour, top to bottom", () => {
  let client: ChildProcess | undefined;
  afterEach(() => {
    client?.kill();
  });

  it("with the guide's client connected, every line gives the output shown and the client prints what the guide says", async () => {
    const guide = readGuide("signalr.md");
    const [clientSource] = fencedBlocks(guide, "js", "### Try it with curl", "### Tests");
    const [block] = fencedBlocks(guide, "sh", "### Try it with curl", "### Tests");
    const tour = shownSteps(block!);
    expect(tour.steps).toHaveLength(19);
    expect(tour.variables.B).toBe("http://localhost:7071/api");

    const { base, servicePort, functionsPort } = await startStack(["--service", "signalr", "--events"]);
    // Saved in the project folder, as the guide says, so that it finds @microsoft/signalr.
    const dir = join(repoRoot, "test-results", "guide-tour");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, "client.mjs");
    writeFileSync(file, clientSource!.replaceAll("localhost:7071", `localhost:${functionsPort}`));
    client = spawn(process.execPath, [file], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    let printed = "";
    client.stdout!.on("data", (chunk: Buffer) => (printed += chunk.toString()));
    client.stderr!.on("data", (chunk: Buffer) => (printed += chunk.toString()));
    await expect.poll(() => /connection id: (\S+)/.exec(printed)?.[1], { timeout: 20_000 }).toBeDefined();
    const cid = /connection id: (\S+)/.exec(printed)![1]!;

    runAndCheck(tour, { B: base, CID: cid }, { [tour.variables.CID!]: cid, "localhost:8888": `localhost:${servicePort}` });

    // What the guide says the client printed, in that order, beside its logger's lines.
    const shown = /The client printed ([\s\S]*?) and, on the close, `([^`]+)`/.exec(guide)!;
    const lines = [...shown[1]!.matchAll(/`([^`]+)`/g)].map((match) => match[1]!).concat(shown[2]!);
    await expect.poll(() => printed.includes(lines.at(-1)!), { timeout: 10_000 }).toBe(true);
    const own = printed.split("\n").filter((line) => !line.startsWith("[") && !line.startsWith("connection id:") && line.length > 0);
    expect(own).toEqual(lines);
    const logger = printed.split("\n").filter((line) => line.startsWith("["));
    const loggerShown = /Its logger also prints ([\s\S]*?), which is/.exec(guide);
    expect(loggerShown, "the guide says what the client's logger prints").not.toBeNull();
    const loggerLines = [...loggerShown![1]!.matchAll(/`\[…\] ([^`]+?)(?:…)?`/g)].map((match) => match[1]!);
    expect(loggerLines).toHaveLength(2);
    for (const text of loggerLines) expect(logger.some((line) => line.includes(text)), text).toBe(true);
  }, 120_000);
});

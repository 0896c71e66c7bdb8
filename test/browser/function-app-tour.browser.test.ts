import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/free-port";
import { requiredBinary } from "../support/required-binary";
import { ensureWebBuilt, repoRoot, runStartCommand, stopStartCommand, waitForOutput, type StartedCommand } from "../support/start-command";

/**
 * The function app guide's curl tour, run as a reader runs it top to bottom: `npm start`, one tab
 * of the page connected as alice in `lobby`, every curl line of the tour and of its errors as
 * written (with the guide's B and CID), then two more tabs and the presence lines. Each output
 * must be the one the guide shows, where ids, tokens, dates and the service port may differ.
 */
const chromiumPath = requiredBinary("chromium", ["/usr/bin/chromium"]);
const curlPath = requiredBinary("curl", ["/usr/bin/curl"]);
const guide = readFileSync(join(repoRoot, "docs", "function-app.md"), "utf8");

interface Step {
  command: string;
  expected: string | undefined;
}

/** The ```sh blocks of the guide between two headings (or to the next heading of that level). */
function shellBlocks(fromHeading: string, toHeading: string): string[] {
  const section = guide.slice(guide.indexOf(fromHeading), guide.indexOf(toHeading, guide.indexOf(fromHeading) + 1));
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]!);
}

/** Each command line with what the guide shows for it: the next `# ` line, or its own trailing `# N`. */
function steps(block: string): { variables: Record<string, string>; steps: Step[] } {
  const lines = block.split("\n");
  const variables: Record<string, string> = {};
  const found: Step[] = [];
  lines.forEach((line, i) => {
    const assignment = /^([A-Z]+)=(\S+)/.exec(line);
    if (assignment) variables[assignment[1]!] = assignment[2]!;
    if (!/^(curl|head) /.test(line)) return;
    const inline = /\s+# (\d{3})\b.*$/.exec(line);
    const next = lines[i + 1]?.startsWith("# ") ? lines[i + 1]!.slice(2) : undefined;
    found.push({ command: inline ? line.slice(0, inline.index) : line, expected: inline ? inline[1] : next });
  });
  return { variables, steps: found };
}

/** The guide's shown output as a pattern: `…` stands for anything, and the recorded ids, date and port for today's. */
function shownAs(expected: string, recorded: { cid: string; servicePort: string }, actual: { cid: string; servicePort: string }): RegExp {
  const escaped = expected
    .split("…")
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*?")
    .replaceAll(recorded.cid, actual.cid)
    .replaceAll(`localhost:${recorded.servicePort}`, `localhost:${actual.servicePort}`)
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\\\.\d{3}Z/g, "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
  return new RegExp(`^${escaped}$`);
}

let stack: StartedCommand;
let browser: Browser;
let base = "";
let servicePort = "";
const pages: Page[] = [];

async function openTab(pageUrl: string, userId: string): Promise<Page> {
  const page = await browser.newPage();
  page.setDefaultTimeout(15_000);
  pages.push(page);
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

function runLine(command: string, env: Record<string, string>): string {
  // As the reader's shell runs it; `-w` output and bodies go to stdout, nothing is in stderr.
  return execFileSync("bash", ["-c", command], { env: { ...process.env, ...env }, encoding: "utf8", maxBuffer: 4 * 1024 * 1024 }).trimEnd();
}

function check(step: Step, output: string, recorded: { cid: string; servicePort: string }, actual: { cid: string; servicePort: string }): void {
  if (step.expected === undefined) return;
  // `curl -sI` prints the headers; the guide shows the status line.
  const shown = step.command.startsWith("curl -sI") ? output.split("\r\n")[0]! : output;
  expect(shown, step.command).toMatch(shownAs(step.expected, recorded, actual));
}

describe.skipIf(!chromiumPath || !curlPath)("the function app guide's curl tour, top to bottom", () => {
  beforeAll(async () => {
    ensureWebBuilt();
    const functionsPort = await freePort();
    stack = runStartCommand(["--functions-port", String(functionsPort), "--emulator-port", "0", "--settings", "local.settings.example.json"]);
    await waitForOutput(stack, /Press Ctrl-C to stop\./);
    base = /Function base URL: +(\S+)/.exec(stack.stdout())![1]!;
    servicePort = new URL(/Service: +(\S+)/.exec(stack.stdout())![1]!).port;
    browser = await chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox"] });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    if (stack) expect(await stopStartCommand(stack)).toBe(0);
  });

  it("every line of the tour, its errors and the presence section gives the output shown", async () => {
    const tour = shellBlocks("## Try every trigger with curl", "## Presence routes");
    expect(tour).toHaveLength(2);
    const main = steps(tour[0]!);
    const errors = steps(tour[1]!);
    const presence = steps(shellBlocks("## Presence routes", "\n## ")[0]!);
    expect(main.steps).toHaveLength(20);
    expect(errors.steps).toHaveLength(4);
    expect(presence.steps).toHaveLength(3);
    const recorded = { cid: main.variables.CID!, servicePort: "8080" };
    expect(main.variables.B).toBe("http://localhost:7071/api");

    const pageUrl = `${base}/web/`;
    const alice = await openTab(pageUrl, "alice");
    const cid = (await alice.locator("#connection-id").textContent())!;
    const actual = { cid, servicePort };
    const env = { B: base, CID: cid, KEY: "" };
    for (const step of [...main.steps, ...errors.steps]) check(step, runLine(step.command, env), recorded, actual);

    // The page came back after the closes, with a new id, and joined lobby again.
    await alice.waitForSelector("#connection-status[data-state=connected]");
    await expect.poll(() => alice.locator("#connection-id").textContent()).not.toBe(cid);
    await openTab(pageUrl, "bob");
    await openTab(pageUrl, "carol");
    for (const step of presence.steps) check(step, runLine(step.command, env), recorded, actual);
    const listed = JSON.parse(runLine(`curl -s "$B/groups/lobby/members"`, env)) as { members: Array<{ userId: string }> };
    expect(listed.members.map((member) => member.userId).sort()).toEqual(["alice", "bob", "carol"]);
  }, 120_000);
});

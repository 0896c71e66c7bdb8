import net from "node:net";
import type { Browser, Page } from "playwright-core";
import { expect } from "vitest";
import { freePort } from "../support/redis-server";
import { printedNodes, runStartCommand, waitForOutput, type StartedCommand } from "../support/start-command";
import { recordFailedRequests } from "./support/failed-requests";

/** Drives the page's node picker and delivery test (`npm start -- --nodes 2`), for both services. */

export interface Row {
  node: string;
  backplane: string;
  run: string;
  shared: string;
  sent: string;
  delivered: string;
  lost: string;
  latency: string;
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** A base port with its neighbour free too: the two nodes' function hosts, the same in both runs. */
export async function freePortPair(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port < 65535 && (await portIsFree(port + 1))) return port;
  }
}

export async function startTwoNodes(functionsBase: number, extra: string[]): Promise<{ stack: StartedCommand; pageUrl: string }> {
  const stack = runStartCommand(["--nodes", "2", "--functions-port", String(functionsBase), "--emulator-port", "0", "--settings", "local.settings.example.json", ...extra]);
  await waitForOutput(stack, /Press Ctrl-C to stop\./);
  const nodes = printedNodes(stack.stdout());
  expect(nodes).toHaveLength(2);
  return { stack, pageUrl: nodes[0].webPage };
}

/** Requests that failed, or answered 400 or more, while a page opened by openPage was loading. */
export const failedWhileLoading: string[] = [];

export async function openPage(browser: Browser, url: string, width = 1280): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  page.setDefaultTimeout(15_000);
  page.on("pageerror", (error) => console.error(`[page] ${error.message}`));
  const stopRecording = recordFailedRequests(page, failedWhileLoading);
  await page.goto(url);
  await page.waitForSelector("body[data-ready=true]");
  stopRecording();
  return page;
}

export async function connectThrough(page: Page, node: string, userId: string): Promise<void> {
  await page.getByLabel("Connect through node", { exact: true }).selectOption(node);
  await page.getByLabel("User id", { exact: true }).fill(userId);
  await page.getByRole("button", { name: "Connect", exact: true }).click();
  await page.waitForSelector("#connection-status[data-state=connected]");
}

export async function runCheck(page: Page): Promise<Row[]> {
  await page.getByRole("button", { name: "Send test messages through every node" }).click();
  await page.waitForSelector("#check-results[data-state=done]", { timeout: 30_000 });
  return page.locator("#check-results tbody tr").evaluateAll((rows) =>
    rows.map((row) => {
      const field = (name: string): string => row.querySelector(`[data-field=${name}]`)?.textContent ?? "";
      const data = (row as HTMLElement).dataset;
      return { node: data.node ?? "", backplane: data.backplane ?? "", run: data.run ?? "", shared: field("shared"), sent: field("sent"), delivered: field("delivered"), lost: field("lost"), latency: field("latency") };
    }),
  );
}

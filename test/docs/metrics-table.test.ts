import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type ServiceServer } from "../../emulator/src/server";

/**
 * The metering guide's `/metrics` table lists exactly what a running service exposes: every
 * metric a scrape shows, once, with its type. Adding a metric means adding a row.
 */
const guide = readFileSync(join(__dirname, "..", "..", "docs", "metering.md"), "utf8");

/** `{ name: type }` for every metric the guide's table names (a row may name several). */
function documentedMetrics(): Record<string, string> {
  const lines = guide.split("\n");
  const start = lines.indexOf("## `GET /metrics`");
  expect(start).toBeGreaterThan(-1);
  const rows = lines.slice(start).filter((line) => line.startsWith("| `webpubsub_"));
  const documented: Record<string, string> = {};
  for (const row of rows) {
    const [names, type] = row.split("|").slice(1, 3).map((cell) => cell.trim());
    for (const [, name] of names!.matchAll(/`([a-z_]+)`/g)) {
      expect(documented[name!], `${name} is listed twice`).toBeUndefined();
      documented[name!] = type!;
    }
  }
  return documented;
}

let service: ServiceServer;

describe("docs/metering.md's /metrics table", () => {
  beforeAll(async () => {
    service = await createServer({ port: 0 });
  });
  afterAll(async () => {
    await service?.close();
  });

  it("names every metric a scrape exposes, with its type, and nothing else", async () => {
    const text = await (await fetch(`http://127.0.0.1:${service.port}/metrics`)).text();
    const exposed = Object.fromEntries([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]));
    expect(Object.keys(exposed).length).toBeGreaterThan(5);
    expect(documentedMetrics()).toEqual(exposed);
  });
});

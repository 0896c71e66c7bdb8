import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { requiredBinary } from "../support/required-binary";

const redisBinary = requiredBinary("redis-server", ["/usr/bin/redis-server"]);

describe.skipIf(!redisBinary)("npm run demo:scale-out", () => {
  it("loses every delivery with independent nodes and delivers every one through Redis", async () => {
    const { stdout } = await promisify(execFile)("node_modules/.bin/tsx", ["scripts/demo-scale-out.ts", "--json", "--clients", "3", "--messages", "7"], { timeout: 60_000 });
    const rows = JSON.parse(stdout) as Array<{ mode: string; sent: number; delivered: number; lost: number; p50Ms: number | null; p99Ms: number | null }>;
    expect(rows.map(({ mode, sent, delivered, lost }) => ({ mode, sent, delivered, lost }))).toEqual([
      { mode: "independent", sent: 21, delivered: 0, lost: 21 },
      { mode: "redis", sent: 21, delivered: 21, lost: 0 },
    ]);
    expect(rows[0]!.p50Ms).toBeNull();
    expect(rows[0]!.p99Ms).toBeNull();
    expect(rows[1]!.p50Ms).toBeGreaterThan(0);
    expect(rows[1]!.p99Ms).toBeGreaterThanOrEqual(rows[1]!.p50Ms!);
  });
});

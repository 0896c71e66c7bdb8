/**
 * What metering costs the service: the meter is called once per recipient of every
 * delivery, so its per-call cost matters; snapshots and scrapes are per request.
 * Run: `npx tsx bench/metering-overhead.ts` → bench/results/metering-overhead.json.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createUsageMeter } from "../emulator/src/metering/usage-meter";

function timeNsPerOp(ops: number, run: () => void): number {
  const started = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - started) / ops;
}

async function timeMsAsync(run: () => Promise<unknown>, repeat: number): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < repeat; i++) await run();
  return Number(process.hrtime.bigint() - started) / 1e6 / repeat;
}

async function main(): Promise<void> {
  const results: Record<string, unknown> = { date: new Date().toISOString(), node: process.version };
  for (const hubs of [1, 10, 100]) {
    const meter = createUsageMeter();
    const names = Array.from({ length: hubs }, (_, i) => `hub${i}`);
    const calls = 1_000_000;
    // Warm-up, then the measured run: round-robin over the hubs, 100-byte payloads.
    for (let i = 0; i < 50_000; i++) meter.outboundMessage(names[i % hubs], "client", 100);
    const outboundNs = timeNsPerOp(calls, () => {
      for (let i = 0; i < calls; i++) meter.outboundMessage(names[i % hubs], "client", 100);
    });
    const connectionNs = timeNsPerOp(200_000, () => {
      for (let i = 0; i < 100_000; i++) meter.connectionOpened(names[i % hubs]);
      for (let i = 0; i < 100_000; i++) meter.connectionClosed(names[i % hubs]);
    });
    const snapshotMs = await timeMsAsync(async () => meter.snapshot(), 100);
    const scrapeMs = await timeMsAsync(() => meter.metrics.text(), 100);
    results[`hubs=${hubs}`] = {
      outboundMessageNsPerCall: Math.round(outboundNs),
      connectionEventNsPerCall: Math.round(connectionNs),
      snapshotMs: Number(snapshotMs.toFixed(3)),
      metricsScrapeMs: Number(scrapeMs.toFixed(3)),
    };
  }
  const file = join(dirname(fileURLToPath(import.meta.url)), "results", "metering-overhead.json");
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(JSON.stringify(results, null, 2));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

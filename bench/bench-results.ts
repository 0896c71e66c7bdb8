/**
 * How a benchmark module ends: its results written to bench/results/<name>.json and printed,
 * then exit 0; any error printed, then exit 1 (so `npm run bench` marks the module failed).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export function runBench(name: string, produce: () => Promise<object>): void {
  produce().then(
    (results) => {
      const dir = join(__dirname, "results");
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(results, null, 2)}\n`);
      console.log(JSON.stringify(results, null, 2));
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}

import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // Tests run the local service from its source, as the host and scripts import it by name.
    alias: { "@serverless-pubsub-kit/emulator": fileURLToPath(new URL("./emulator/src/index.ts", import.meta.url)) },
  },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Suites start real servers on port 0; a few files at once fits a 2-core machine.
    maxWorkers: 2,
    fileParallelism: true,
  },
});

import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Suites start real servers on port 0; a few files at once fits a 2-core machine.
    maxWorkers: 2,
    fileParallelism: true,
  },
});

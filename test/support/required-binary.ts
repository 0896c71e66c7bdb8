import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

/**
 * Finds a system binary a suite needs (redis-server, chromium). In CI a missing binary is a
 * failure, never a skip; locally the suite is skipped with a printed reason.
 * Returns the path, or undefined when the suite should skip.
 */
export function requiredBinary(name: string, candidates: string[] = []): string | undefined {
  for (const path of candidates) if (existsSync(path)) return path;
  try {
    const found = execFileSync("which", [name], { encoding: "utf8" }).trim();
    if (found) return found;
  } catch {
    // not on PATH
  }
  if (process.env.CI) {
    throw new Error(`${name} is required in CI but was not found (install it with apt-get; see .ci/run)`);
  }
  console.warn(`[skip] ${name} not found: skipping the suites that need it (they run in CI)`);
  return undefined;
}

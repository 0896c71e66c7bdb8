import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";

const PACKAGE_NAME = "@serverless-pubsub-kit/emulator";

/**
 * This package's version, read from its package.json: the nearest one above this file that names
 * the package (the source tree and the built `dist/` sit at different depths below it).
 */
function readVersion(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string; version?: string };
      if (manifest.name === PACKAGE_NAME && typeof manifest.version === "string") return manifest.version;
    } catch {
      // no package.json here: keep climbing
    }
    if (dirname(dir) === dir) return "0.0.0";
  }
}

export const PACKAGE_VERSION = readVersion();

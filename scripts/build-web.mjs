// Bundles the web test client (web/src, with @azure/web-pubsub-client, @microsoft/signalr and its
// MessagePack protocol) for the browser into web/dist (or --out DIR), next to a copy of index.html
// and styles.css. No CDN: the page works offline.
import { build } from "esbuild";
import { copyFile, mkdir, rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const webDir = join(root, "web");
const { values } = parseArgs({ options: { out: { type: "string" } }, strict: true });
const outDir = values.out ? resolve(values.out) : join(webDir, "dist");

await rm(outDir, { recursive: true, force: true });
await mkdir(outDir, { recursive: true });
await build({
  entryPoints: [join(webDir, "src", "main.ts")],
  outfile: join(outDir, "app.js"),
  bundle: true,
  platform: "browser",
  format: "iife",
  target: ["es2022"],
  minify: true,
  sourcemap: true,
  legalComments: "linked",
  logLevel: "warning",
});
await Promise.all(["index.html", "styles.css"].map((name) => copyFile(join(webDir, name), join(outDir, name))));
console.log(`web client built into ${outDir}`);

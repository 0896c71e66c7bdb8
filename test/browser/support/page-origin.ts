import { copyFile, mkdtemp, readFile, rm } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { extname, join } from "node:path";
import { build } from "esbuild";

const root = join(__dirname, "..", "..", "..");

/** The web page bundled from web/ into a temporary folder and served from an origin of its own. */
export interface PageOrigin {
  readonly origin: string;
  close(): Promise<void>;
}

export async function servePage(prefix: string): Promise<PageOrigin> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await build({ entryPoints: [join(root, "web", "src", "main.ts")], outfile: join(dir, "app.js"), bundle: true, platform: "browser", format: "iife", target: ["es2022"], logLevel: "warning" });
  await Promise.all(["index.html", "styles.css"].map((name) => copyFile(join(root, "web", name), join(dir, name))));
  const types: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css" };
  const server = http.createServer((req, res) => {
    const name = new URL(req.url ?? "/", "http://x").pathname.slice(1) || "index.html";
    if (!["index.html", "app.js", "styles.css"].includes(name)) return void res.writeHead(404).end();
    readFile(join(dir, name)).then((body) => res.writeHead(200, { "content-type": types[extname(name)]! }).end(body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { extname, join, relative, resolve, sep } from "node:path";
import type { HttpRequest, HttpResponseInit } from "@azure/functions";
import { AppError, toErrorResponse } from "../shared/errors";
import type { RouteDefinition } from "./route-table-types";

/**
 * Serves the built web test client (`web/dist`) from the function app itself, so the page works
 * under the local host, `func start` and in Azure: `GET /api/web/` and its files.
 * Deployments must ship `web/dist` beside `dist/` (the build puts it there).
 */

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

/** `web/dist` seen from `functions/` (ts source, tests) or from `dist/functions/` (compiled). */
export function findWebRoot(fromDir: string = __dirname): string | undefined {
  const candidates = [join(fromDir, "..", "web", "dist"), join(fromDir, "..", "..", "web", "dist")];
  return candidates.find((dir) => existsSync(join(dir, "index.html")));
}

/**
 * Maps the `{*path}` parameter to a file under `root`, or undefined when the path tries to leave
 * it (`..`, absolute paths, backslashes, NUL) or names a hidden file.
 */
export function resolveWebAsset(root: string, path: string): string | undefined {
  const segments = path === "" ? ["index.html"] : path.split("/");
  if (segments.some((segment) => segment === "" || segment.startsWith(".") || /[\\\0:]/.test(segment))) return undefined;
  const file = resolve(root, ...segments);
  const inside = relative(root, file);
  if (inside === "" || inside.startsWith("..") || inside.split(sep).includes("..")) return undefined;
  return file;
}

function notFound(path: string): HttpResponseInit {
  return toErrorResponse(new AppError("WebAssetNotFound", `No file ${JSON.stringify(path)} in the web test client.`));
}

export async function serveWebClient(request: HttpRequest, root: string | undefined): Promise<HttpResponseInit> {
  const path = request.params.path ?? "";
  // `/api/web` without the slash: redirect so the page's relative links (app.js) resolve under /api/web/.
  if (path === "" && !new URL(request.url).pathname.endsWith("/")) {
    const url = new URL(request.url);
    return { status: 301, headers: { location: `${url.pathname}/${url.search}` } };
  }
  if (!root) {
    return toErrorResponse(new AppError("WebAssetNotFound", "The web test client is not built: run npm run build (it writes web/dist)."));
  }
  const file = resolveWebAsset(root, path);
  if (!file) return notFound(path);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch {
    return notFound(path);
  }
  return {
    status: 200,
    headers: {
      "content-type": contentTypes[extname(file).toLowerCase()] ?? "application/octet-stream",
      "cache-control": "no-cache",
      "x-content-type-options": "nosniff",
    },
    body: bytes,
  };
}

/** Routes serving the web test client. */
const webRoute: RouteDefinition = {
  name: "web",
  methods: ["GET", "HEAD"],
  route: "web/{*path}",
  authLevel: "anonymous",
  handler: (request: HttpRequest) => serveWebClient(request, findWebRoot()),
};

export const webRoutes: RouteDefinition[] = [Object.freeze(webRoute)];

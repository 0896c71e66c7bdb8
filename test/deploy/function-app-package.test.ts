import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = join(__dirname, "..", "..");

/** Packages the function app never imports: the local service's, the local host's and the tools'. */
const mustNotShip = [
  "@serverless-pubsub-kit/emulator",
  "ioredis",
  "ws",
  "prom-client",
  "playwright-core",
  "socket.io",
  "autocannon",
  "fast-check",
  "vitest",
  "typescript",
  "tsx",
  "esbuild",
  "express",
  "azure-functions-core-tools",
  "@azure/web-pubsub-client",
  "@azure/web-pubsub-express",
];

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? [path + "/", ...walk(path)] : [path];
  });
}

/** The bare packages a compiled file requires, found independently of the packaging script. */
function requiredBy(files: string[]): string[] {
  const names = new Set<string>();
  for (const file of files) {
    for (const [, specifier] of readFileSync(file, "utf8").matchAll(/\brequire\("([^"]+)"\)/g)) {
      if (specifier.startsWith(".") || specifier.startsWith("node:") || builtinModules.includes(specifier)) continue;
      const parts = specifier.split("/");
      names.add(specifier.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]);
    }
  }
  return [...names].sort();
}

describe("npm run package: the deployable function app", () => {
  // Outside the repository, so Node cannot fall back on the project's own node_modules.
  const work = mkdtempSync(join(tmpdir(), "function-app-package-"));
  const app = join(work, "function-app");
  let files: string[] = [];
  let log = "";

  beforeAll(async () => {
    const { stdout } = await run(process.execPath, [join(root, "scripts", "package-function-app.mjs"), "--out", app], { cwd: root });
    log = stdout;
    files = walk(app).map((path) => relative(app, path));
  }, 180_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("holds host.json, package.json, the compiled functions and shared code, the web page and node_modules, nothing else", () => {
    expect(readdirSync(app).sort()).toEqual(["dist", "host.json", "node_modules", "package.json", "web"]);
    expect(readdirSync(join(app, "dist")).sort()).toEqual(["common", "functions", "shared"]);
    for (const folder of ["common", "functions", "shared"]) {
      const sources = readdirSync(join(root, folder)).filter((name) => name.endsWith(".ts")).map((name) => name.replace(/\.ts$/, ".js"));
      const compiled = readdirSync(join(app, "dist", folder)).filter((name) => name.endsWith(".js"));
      expect(compiled.sort()).toEqual(sources.sort());
    }
    for (const name of ["index.html", "app.js", "styles.css"]) expect(existsSync(join(app, "web", "dist", name))).toBe(true);
    expect(readFileSync(join(app, "host.json"), "utf8")).toBe(readFileSync(join(root, "host.json"), "utf8"));
  });

  it("leaves out the local service, the local host and their dependencies", () => {
    expect(files.filter((path) => /(^|\/)(emulator|host)\//.test(path) && !path.startsWith("node_modules/"))).toEqual([]);
    const shipped = files.filter((path) => path.endsWith("/package.json")).map((path) => path.replace(/(^|.*\/)node_modules\/(.*)\/package\.json$/, "$2"));
    for (const name of mustNotShip) expect(shipped, name).not.toContain(name);
  });

  it("declares exactly the packages its compiled code requires, at their installed versions", () => {
    const manifest = JSON.parse(readFileSync(join(app, "package.json"), "utf8")) as { main: string; dependencies: Record<string, string>; engines: unknown };
    const project = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { dependencies: Record<string, string>; engines: unknown };
    const required = requiredBy(files.filter((path) => path.startsWith("dist/") && path.endsWith(".js")).map((path) => join(app, path)));
    expect(required).toContain("@azure/functions");
    expect(required).toContain("@azure/web-pubsub");
    expect(Object.keys(manifest.dependencies).sort()).toEqual(required);
    for (const name of required) {
      expect(project.dependencies[name], `${name} in the project's dependencies`).toBeDefined();
      const installed = JSON.parse(readFileSync(join(root, "node_modules", name, "package.json"), "utf8")) as { version: string };
      expect(manifest.dependencies[name]).toBe(installed.version);
    }
    expect(manifest.main).toBe("dist/functions/index.js");
    expect(manifest.engines).toEqual(project.engines);
    expect(log).toContain(`requires: ${required.join(", ")}`);
  });

  it("runs from its own folder: negotiate signs a token and the web trigger serves the page", async () => {
    const smoke = join(app, "smoke.cjs");
    writeFileSync(
      smoke,
      `process.env.WebPubSubConnectionString = "Endpoint=http://localhost:1;AccessKey=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH;Version=1.0;";
const { HttpRequest, InvocationContext } = require("@azure/functions");
require("./dist/functions/index.js");
const { routes } = require("./dist/functions/routes.js");
const call = (name, url) => routes.find((r) => r.name === name).handler(new HttpRequest({ method: "GET", url }), new InvocationContext());
(async () => {
  const negotiate = await call("negotiate", "http://localhost/api/negotiate?userId=alice");
  const web = await call("web", "http://localhost/api/web/");
  const payload = JSON.parse(Buffer.from(negotiate.jsonBody.token.split(".")[1], "base64url").toString());
  console.log(JSON.stringify({ negotiate: negotiate.status ?? 200, sub: payload.sub, url: negotiate.jsonBody.baseUrl, web: web.status ?? 200, type: web.headers["content-type"] }));
})();
`,
    );
    try {
      const { stdout } = await run(process.execPath, [smoke], { cwd: app, env: { PATH: process.env.PATH ?? "" } });
      expect(JSON.parse(stdout.trim().split("\n").at(-1) as string)).toEqual({
        negotiate: 200,
        sub: "alice",
        url: "ws://localhost:1/client/hubs/chat",
        web: 200,
        type: "text/html; charset=utf-8",
      });
    } finally {
      rmSync(smoke);
    }
  });

  it("builds into a git-ignored folder by default", () => {
    expect(readFileSync(join(root, ".gitignore"), "utf8").split("\n")).toContain(".build/");
    const script = readFileSync(join(root, "scripts", "package-function-app.mjs"), "utf8");
    expect(script).toContain('join(root, ".build", "function-app")');
  });
});

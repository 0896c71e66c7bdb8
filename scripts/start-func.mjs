#!/usr/bin/env node
// `npm run start:func`: run the function app under Azure Functions Core Tools (`func start`).
// Core Tools is an optional dependency; when it is missing, say how to get it, and point at
// `npm start`, which runs the same triggers on the project's own local host.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";

const exe = process.platform === "win32" ? "func.cmd" : "func";
const candidates = [join(process.cwd(), "node_modules", ".bin", exe), ...(process.env.PATH ?? "").split(delimiter).map((dir) => join(dir, exe))];
const func = candidates.find((path) => existsSync(path));

if (!func) {
  console.error(`Azure Functions Core Tools ("func") was not found on PATH or in node_modules/.bin.
Install it with one of:
  npm install --global azure-functions-core-tools@4 --unsafe-perm true
  (or see https://learn.microsoft.com/azure/azure-functions/functions-run-local)
Without Core Tools, \`npm start\` runs the same triggers on the project's local host, next to the local Web PubSub service.`);
  process.exit(1);
}
if (!existsSync("local.settings.json")) {
  console.error("local.settings.json is missing: copy local.settings.example.json to local.settings.json first.");
  process.exit(1);
}
const build = spawnSync(process.execPath, [join("node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], { stdio: "inherit" });
if (build.status !== 0) process.exit(build.status ?? 1);
const child = spawn(func, ["start", ...process.argv.slice(2)], { stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

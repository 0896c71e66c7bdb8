#!/usr/bin/env node
// `npm run package`: builds the deployable function app, and only it, into .build/function-app/:
//   host.json, package.json, dist/functions + dist/shared (compiled), web/dist (the web page) and
//   node_modules holding exactly the packages the compiled code requires, with their own
//   dependencies, copied from this project's installed node_modules (no network).
// The local service (emulator/), the local host (host/) and their dependencies are never included.
// Flags: --out DIR (default .build/function-app), --zip (also writes DIR.zip with the zip tool).
import { execFileSync } from "node:child_process";
import { builtinModules } from "node:module";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

class PackageError extends Error {}

/** Folders of the compiled app that may be shipped; anything else under dist/ means a bad import. */
const shippedSourceFolders = ["functions", "shared", "common"];

function compile(out) {
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  execFileSync(process.execPath, [tsc, "-p", join(root, "tsconfig.function-app.json"), "--outDir", join(out, "dist")], { stdio: "inherit", cwd: root });
  const folders = readdirSync(join(out, "dist"));
  const stray = folders.filter((folder) => !shippedSourceFolders.includes(folder));
  if (stray.length > 0) {
    throw new PackageError(`functions/ or shared/ import code from ${stray.map((f) => `${f}/`).join(", ")}; the function app must not ship it.`);
  }
}

/** Bundles the web page straight into the package, leaving the work tree's web/dist alone. */
function buildWebPage(out) {
  execFileSync(process.execPath, [join(root, "scripts", "build-web.mjs"), "--out", join(out, "web", "dist")], { stdio: "inherit", cwd: root });
}

function jsFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return jsFiles(path);
    return entry.name.endsWith(".js") ? [path] : [];
  });
}

/** Package names the compiled code requires (`@scope/name` or `name`), builtins left out. */
function requiredPackages(distDir) {
  const names = new Set();
  for (const file of jsFiles(distDir)) {
    for (const match of readFileSync(file, "utf8").matchAll(/\brequire\(\s*["']([^"'./][^"']*)["']\s*\)/g)) {
      const specifier = match[1];
      if (specifier.startsWith("node:") || builtinModules.includes(specifier.split("/")[0])) continue;
      const parts = specifier.split("/");
      names.add(specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]);
    }
  }
  return [...names].sort();
}

function readJson(path) {
  return JSON.parse(readFileSync(path, "utf8"));
}

/** The installed directory `name` resolves to from `fromDir`, as Node's resolution walks up. */
function resolvePackageDir(name, fromDir) {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    if (dir === root || dirname(dir) === dir) return undefined;
  }
}

/** Copies each required package and its dependencies, keeping their place in node_modules. */
function copyDependencies(names, out) {
  const copied = new Set();
  const queue = names.map((name) => ({ name, from: root, required: true }));
  while (queue.length > 0) {
    const { name, from, required } = queue.shift();
    const dir = resolvePackageDir(name, from);
    if (!dir) {
      if (required) throw new PackageError(`${name} is required but not installed; run npm ci first.`);
      continue;
    }
    if (copied.has(dir)) continue;
    copied.add(dir);
    const target = join(out, relative(root, dir));
    const nested = join(dir, "node_modules");
    cpSync(dir, target, { recursive: true, filter: (path) => path !== nested && !path.startsWith(nested + sep) });
    const manifest = readJson(join(dir, "package.json"));
    for (const dep of Object.keys(manifest.dependencies ?? {})) queue.push({ name: dep, from: dir, required: true });
    for (const dep of Object.keys(manifest.optionalDependencies ?? {})) queue.push({ name: dep, from: dir, required: false });
  }
  return [...copied].map((dir) => relative(root, dir)).sort();
}

function writeManifest(out, names) {
  const project = readJson(join(root, "package.json"));
  const dependencies = {};
  for (const name of names) {
    if (!project.dependencies?.[name]) {
      throw new PackageError(`the function app requires ${name}, which is not in package.json "dependencies".`);
    }
    dependencies[name] = readJson(join(root, "node_modules", name, "package.json")).version;
  }
  const manifest = {
    name: `${project.name}-function-app`,
    version: project.version,
    private: true,
    description: "The deployable function app: compiled functions, shared code, the web page and their dependencies.",
    license: project.license,
    main: "dist/functions/index.js",
    engines: project.engines,
    dependencies,
  };
  writeFileSync(join(out, "package.json"), JSON.stringify(manifest, null, 2) + "\n");
}

function folderBytes(dir) {
  return readdirSync(dir, { withFileTypes: true }).reduce((sum, entry) => {
    const path = join(dir, entry.name);
    return sum + (entry.isDirectory() ? folderBytes(path) : statSync(path).size);
  }, 0);
}

function main() {
  const { values } = parseArgs({ options: { out: { type: "string" }, zip: { type: "boolean", default: false } }, strict: true });
  const out = resolve(values.out ?? join(root, ".build", "function-app"));
  if (out === root || root.startsWith(out + sep)) throw new PackageError(`--out ${out} would overwrite the project.`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });

  compile(out);
  buildWebPage(out);
  cpSync(join(root, "host.json"), join(out, "host.json"));
  const names = requiredPackages(join(out, "dist"));
  writeManifest(out, names);
  const installed = copyDependencies(names, out);

  console.log(`function app packaged in ${out} (${(folderBytes(out) / 1048576).toFixed(1)} MiB)`);
  console.log(`  requires: ${names.join(", ")}`);
  console.log(`  node_modules: ${installed.length} packages`);
  if (values.zip) {
    const zipFile = `${out}.zip`;
    rmSync(zipFile, { force: true });
    execFileSync("zip", ["-qr", zipFile, "."], { cwd: out, stdio: "inherit" });
    console.log(`  zip: ${zipFile}`);
  }
}

try {
  main();
} catch (error) {
  console.error(`npm run package: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}

/**
 * `npm run bench`: runs every benchmark module, one child process each, then writes
 * bench/results/summary.json. A module is a script that writes bench/results/<name>.json;
 * add yours to MODULES. Arguments after `--` go to every module (e.g. `npm run bench -- --quick`),
 * except module names, which pick the modules to run (`npm run bench -- serverless-path --quick`).
 *
 * The emulator broadcast needs ~10,100 sockets per process, so the runner re-executes itself
 * under `ulimit -n 65536` when the soft limit is lower (the hard limit must allow it).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const MODULES: string[] = ["emulator-broadcast", "metering-overhead", "scale-out", "serverless-path", "session-bounds", "signalr-broadcast", "signalr-transports", "streams-invoke"];
const REQUIRED_FDS = 25_000;
const RESULTS = join(__dirname, "results");

function softFdLimit(): number {
  const text = execFileSync("sh", ["-c", "ulimit -n"], { encoding: "utf8" }).trim();
  return text === "unlimited" ? Infinity : Number(text);
}

function main(): number {
  const args = process.argv.slice(2);
  if (softFdLimit() < REQUIRED_FDS && !process.argv.includes("--fd-raised")) {
    const self = [process.execPath, ...process.execArgv, __filename, ...args, "--fd-raised"].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
    const raised = spawnSync("sh", ["-c", `ulimit -n 65536 2>/dev/null || ulimit -n ${REQUIRED_FDS} 2>/dev/null; exec ${self}`], { stdio: "inherit" });
    return raised.status ?? 1;
  }
  mkdirSync(RESULTS, { recursive: true });
  const summary: Record<string, unknown> = { date: new Date().toISOString(), node: process.version, fdLimit: softFdLimit() };
  let failed = 0;
  const picked = MODULES.filter((name) => args.includes(name));
  const modules = picked.length > 0 ? picked : MODULES;
  const moduleArgs = args.filter((a) => a !== "--fd-raised" && !MODULES.includes(a));
  for (const name of modules) {
    const file = join(__dirname, `${name}.ts`);
    if (!existsSync(file)) {
      summary[name] = { status: "missing" };
      continue;
    }
    console.log(`\n=== ${name} ===`);
    const started = Date.now();
    const run = spawnSync(process.execPath, ["--import", "tsx", file, ...moduleArgs], { stdio: "inherit" });
    const resultFile = join(RESULTS, `${name}.json`);
    const ok = run.status === 0 && existsSync(resultFile);
    if (!ok) failed += 1;
    summary[name] = {
      status: ok ? "ok" : `failed (exit ${run.status ?? run.signal})`,
      seconds: Math.round((Date.now() - started) / 100) / 10,
      ...(ok ? { results: JSON.parse(readFileSync(resultFile, "utf8")) as unknown } : {}),
    };
  }
  writeFileSync(join(RESULTS, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
  console.log(`\nwrote ${join(RESULTS, "summary.json")} (${modules.length - failed}/${modules.length} ok)`);
  return failed === 0 ? 0 : 1;
}

process.exitCode = main();

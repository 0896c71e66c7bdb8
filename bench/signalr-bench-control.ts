/**
 * The parent's side of bench/signalr-bench-child.ts: start one service process (its arguments are
 * the child's) and read its CPU time. `BENCH_CPU_PROF=DIR` runs it under `node --cpu-prof`.
 */
import { fork, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import type { SignalRBenchReply } from "./signalr-bench-child";

export function startBenchChild(args: string[]): Promise<{ child: ChildProcess; port: number }> {
  const profile = process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const child = fork(join(__dirname, "signalr-bench-child.ts"), args, { execArgv: ["--import", "tsx", ...profile], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  return new Promise((resolve, reject) => {
    child.once("message", (reply: SignalRBenchReply) => resolve({ child, port: reply.kind === "ready" ? reply.port : 0 }));
    child.once("exit", (code) => reject(new Error(`bench child exited with ${code}`)));
  });
}

/** The service process's CPU time so far, user and system, in µs. */
export function cpuMicros(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.once("message", (reply: SignalRBenchReply) => resolve(reply.kind === "cpu" ? reply.micros : NaN));
    child.send({ kind: "cpu" });
  });
}

import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";

const CLI = join(__dirname, "../../emulator/src/cli.ts");

export interface CliProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** `npm run emulator -- <args>` as a child process; `killAll()` in afterEach ends what is left. */
export class EmulatorCli {
  private readonly children: ChildProcess[] = [];

  start(args: string[]): CliProcess {
    const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    this.children.push(child);
    let out = "";
    let err = "";
    child.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    return { child, stdout: () => out, stderr: () => err, exited };
  }

  killAll(): void {
    for (const child of this.children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
  }
}

/** Waits until `read()` holds `count` non-empty lines (20 s at most) and returns them. */
export async function lines(read: () => string, count: number): Promise<string[]> {
  const deadline = Date.now() + 20_000;
  while (read().split("\n").filter(Boolean).length < count) {
    if (Date.now() > deadline) throw new Error(`timed out; got ${JSON.stringify(read())}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return read().split("\n").filter(Boolean);
}

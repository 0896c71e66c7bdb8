import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";

const CLI = join(__dirname, "../../emulator/src/cli.ts");

export interface RunningServiceCli {
  readonly url: string;
  readonly connectionString: string;
  readonly child: ChildProcess;
  stderr(): string;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
}

/**
 * Starts `npm run emulator -- <args>` as users run it (a child process through tsx, or `launch`'s
 * command, such as an installed `pubsub-emulator`) and waits for its two stdout lines: the URL and
 * the connection string. Pass `--port 0`.
 */
export async function startServiceCli(
  args: readonly string[],
  timeoutMs = 20_000,
  launch: { command?: string; commandArgs?: readonly string[]; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<RunningServiceCli> {
  const command = launch.command ?? process.execPath;
  const commandArgs = launch.commandArgs ?? ["--import", "tsx", CLI];
  const child = spawn(command, [...commandArgs, ...args], { stdio: ["ignore", "pipe", "pipe"], env: launch.env ?? process.env, ...(launch.cwd ? { cwd: launch.cwd } : {}) });
  let out = "";
  let err = "";
  child.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  };
  const lines = await new Promise<string[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the service CLI did not start in ${timeoutMs} ms; stderr: ${err}`)), timeoutMs);
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const got = out.split("\n").filter((line) => line.length > 0);
      if (got.length >= 2) {
        clearTimeout(timer);
        resolve(got);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the service CLI exited with ${code}; stderr: ${err}`));
    });
  }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return { url: lines[0]!, connectionString: lines[1]!, child, stderr: () => err, stop };
}

/**
 * `npm start -- --nodes N [--redis [url]]`: N local nodes, each a process of its own like a pod
 * behind a load balancer, each with its own service and its own function host pointed at it.
 * The launcher plans the ports, starts the nodes with the same start command (every flag it does
 * not own passes through unchanged), waits for each to report ready, and stops them together.
 * No environment or flag reading here: `start-cli.ts` passes everything in.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { freePort } from "../scripts/free-port";
import { maxLocalNodes, type BackplaneKind, type DirectoryNode, type NodeDirectory } from "./node-directory";

/** What a node process sends its launcher over IPC once it serves. */
export interface NodeReadyMessage {
  kind: "node-ready";
  node: number;
  /** The lines a lone `npm start` prints between its first line and "Press Ctrl-C to stop.". */
  lines: string[];
}

/** The variable carrying the node directory (JSON) to each node process. */
export const nodeDirectoryVariable = "LOCAL_STACK_NODES";

export interface NodeClusterOptions {
  /** 1..4 */
  count: number;
  /** Node i's function host listens on `functionsPort + i - 1`; 0 gives each node a free port. */
  functionsPort: number;
  /** Node i's service listens on `emulatorPort + i - 1`; 0 gives each node a free port. */
  emulatorPort: number;
  /** Every node joins this Redis; undefined leaves them independent. */
  redisUrl: string | undefined;
  /** Start-command flags each node gets as they are (e.g. `--settings f`, `--events`, `--service x`). */
  passThroughArgs: readonly string[];
  /** How to run the start command again: the Node binary, its flags (e.g. a TypeScript loader) and the script. */
  command: { execPath: string; execArgv: readonly string[]; script: string };
  env: NodeJS.ProcessEnv;
  /** Where each node's stderr goes, one line at a time, prefixed with its number. */
  log(line: string): void;
  /** How long a node may take to start. @default 60000 */
  startTimeoutMs?: number;
}

export interface RunningNode {
  readonly node: number;
  readonly lines: readonly string[];
}

export interface NodeCluster {
  readonly nodes: readonly RunningNode[];
  readonly directory: NodeDirectory;
  close(): Promise<void>;
}

export class NodeClusterError extends Error {
  override readonly name = "NodeClusterError";
}

/** Consecutive ports from the bases; a base of 0 means a free port for every node. */
export async function planNodePorts(count: number, functionsPort: number, emulatorPort: number): Promise<DirectoryNode[]> {
  if (!Number.isInteger(count) || count < 1 || count > maxLocalNodes) throw new NodeClusterError(`--nodes must be 1-${maxLocalNodes}, got ${String(count)}.`);
  for (const [flag, base] of [["--functions-port", functionsPort], ["--emulator-port", emulatorPort]] as const) {
    if (base !== 0 && base + count - 1 > 65535) throw new NodeClusterError(`${flag} ${base} leaves no room for ${count} consecutive ports.`);
  }
  const nodes: DirectoryNode[] = [];
  for (let index = 0; index < count; index++) {
    nodes.push({
      node: index + 1,
      functionsPort: functionsPort === 0 ? await freePort() : functionsPort + index,
      servicePort: emulatorPort === 0 ? await freePort() : emulatorPort + index,
    });
  }
  const ports = nodes.flatMap((node) => [node.functionsPort, node.servicePort]);
  const clash = ports.find((port, index) => ports.indexOf(port) !== index);
  if (clash !== undefined) throw new NodeClusterError(`Port ${clash} would be used twice; pick bases at least ${count} apart.`);
  return nodes;
}

function isReady(message: unknown, node: number): message is NodeReadyMessage {
  const ready = message as Partial<NodeReadyMessage> | null;
  return typeof ready === "object" && ready !== null && ready.kind === "node-ready" && ready.node === node && Array.isArray(ready.lines);
}

function forwardLines(stream: NodeJS.ReadableStream | null, prefix: string, log: (line: string) => void): void {
  let pending = "";
  stream?.on("data", (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) if (line !== "") log(`${prefix}${line}`);
  });
  stream?.on("end", () => pending !== "" && log(`${prefix}${pending}`));
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

function startNode(options: NodeClusterOptions, directory: NodeDirectory, node: DirectoryNode): { child: ChildProcess; ready: Promise<RunningNode> } {
  const args = [
    ...options.command.execArgv,
    options.command.script,
    ...options.passThroughArgs,
    "--functions-port",
    String(node.functionsPort),
    "--emulator-port",
    String(node.servicePort),
    ...(options.redisUrl ? [`--redis=${options.redisUrl}`] : []),
  ];
  const env = { ...options.env, [nodeDirectoryVariable]: JSON.stringify({ ...directory, self: node.node }) };
  // Detached: Ctrl-C reaches the launcher alone, which stops the nodes in order; a node whose
  // launcher dies sees its IPC channel close and stops itself.
  const child = spawn(options.command.execPath, args, { env, stdio: ["ignore", "ignore", "pipe", "ipc"], detached: true });
  forwardLines(child.stderr, `[node ${node.node}] `, options.log);
  const ready = new Promise<RunningNode>((resolve, reject) => {
    const timer = setTimeout(() => reject(new NodeClusterError(`node ${node.node} did not start within ${options.startTimeoutMs ?? 60000} ms.`)), options.startTimeoutMs ?? 60000);
    child.on("message", (message) => {
      if (!isReady(message, node.node)) return;
      clearTimeout(timer);
      resolve({ node: node.node, lines: Object.freeze([...message.lines]) });
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new NodeClusterError(`node ${node.node} stopped before it was ready (${signal ?? `exit code ${String(code)}`}); its messages are above.`));
    });
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(new NodeClusterError(`node ${node.node} could not start: ${error.message}`));
    });
  });
  return { child, ready };
}

/** Starts every node and resolves once all serve; if one fails, the others are stopped and it rejects. */
export async function startNodeCluster(options: NodeClusterOptions): Promise<NodeCluster> {
  const planned = await planNodePorts(options.count, options.functionsPort, options.emulatorPort);
  const backplane: BackplaneKind = options.redisUrl ? "redis" : "none";
  const directory: NodeDirectory = Object.freeze({ self: 1, backplane, nodes: Object.freeze(planned) });
  const started = planned.map((node) => startNode(options, directory, node));
  const children = started.map((entry) => entry.child);
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => (closing ??= Promise.allSettled(children.map(stopChild)).then(() => undefined));
  const results = await Promise.allSettled(started.map((entry) => entry.ready));
  const failed = results.find((result): result is PromiseRejectedResult => result.status === "rejected");
  if (failed) {
    await close();
    throw failed.reason;
  }
  const nodes = results.map((result) => (result as PromiseFulfilledResult<RunningNode>).value);
  // A node that stops on its own is like a pod gone: the others keep serving; say so once.
  for (const [index, child] of children.entries()) {
    child.once("exit", (code, signal) => {
      if (!closing) options.log(`[stack] node ${index + 1} stopped (${signal ?? `exit code ${String(code)}`}); the other nodes keep running.`);
    });
  }
  return { nodes, directory, close };
}

/** `redis://user:secret@host:6379` → `redis://user:***@host:6379`, for printing. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString().replace(/\/$/, "");
  } catch {
    return "(not a URL)";
  }
}

/** The one line saying whether the nodes share a backplane. */
export function backplaneLine(redisUrl: string | undefined, startedHere: boolean): string {
  if (!redisUrl) return "  Backplane:          none: the nodes share nothing, so a message sent through one node reaches only the sockets on that node";
  const where = redactRedisUrl(redisUrl);
  return `  Backplane:          Redis at ${where}${startedHere ? " (started for this run, stopped with it)" : ""}: every node delivers to every socket`;
}

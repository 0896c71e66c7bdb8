/**
 * `npm start`: the local service plus the functions host on one machine, no Core Tools needed.
 * The only place this deployable reads `process.env` and flags:
 *   FUNCTIONS_PORT / --functions-port (default 7071, or local.settings.json Host.LocalHttpPort)
 *   EMULATOR_PORT / --emulator-port (default 8080, or 8888 for SignalR)
 *   FUNCTION_KEYS / --function-key (comma-separated / repeatable; unset = keys not enforced)
 *   --settings PATH (default ./local.settings.json, falling back to local.settings.example.json)
 *   --events: the service sends every hub's events to the functions' /api/events/{hub} trigger
 *     (SignalR: its upstream to /api/signalr/{hub}/{category}/{event})
 *   --service webpubsub|signalr (default: the RealtimeService setting, else webpubsub)
 *   --nodes N (1-4): N nodes, each a process with its own service and function host on consecutive ports
 *   --redis [URL]: the service(s) share this Redis; without a URL a redis-server is started on a free port
 *   --host ADDRESS (default 127.0.0.1): where the servers listen; off loopback needs an access key of your own
 *   LOCAL_STACK_NODES: set by the launcher of --nodes for each node it starts (the node directory)
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { loadAppConfig } from "../functions/app-config";
import { routes } from "../functions/routes";
import { isLocalEndpoint, parseConnectionString } from "../shared/connection-string";
import type { RealtimeServiceKind } from "../shared/realtime-service";
import { parseSignalRConnectionString } from "../shared/signalr/signalr-connection-string";
import { isLoopbackHost } from "../common/listen-address";
import { applySettingValues, readLocalSettings, splitOrigins, type LocalSettings } from "./local-settings";
import { startLocalStack, StackStartError, type LocalStack } from "./local-stack";
import { backplaneLine, nodeDirectoryVariable, NodeClusterError, startNodeCluster, type NodeReadyMessage } from "./node-cluster";
import { maxLocalNodes, nodeDirectoryRoute, nodeOrigins, parseNodeDirectory, type NodeDirectory } from "./node-directory";
import { findRedisServer, startRedisServer, type RedisServerProcess } from "./redis-server-process";
import { startCliOptions } from "./start-cli-options";

const usage = `Usage: npm start -- [--service webpubsub|signalr] [--functions-port 7071] [--emulator-port 8080 (8888 for signalr)] [--host 127.0.0.1] [--function-key KEY]... [--settings local.settings.json] [--events] [--verbose]
                    [--nodes N]          run N nodes (1-4) on consecutive ports, like pods behind a load balancer
                    [--redis [URL]]      link the nodes through Redis; without a URL a redis-server is started
Environment: FUNCTIONS_PORT, EMULATOR_PORT, FUNCTION_KEYS (comma-separated).`;

class CliError extends Error {}

function port(name: string, setting: string, value: string | number | undefined, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  const text = String(value);
  if (!/^\d+$/.test(text) || Number(text) > 65535) throw new CliError(`${name} (${setting}) must be a port number 0-65535, got "${text}".`);
  return Number(text);
}

function settingsFile(explicit: string | undefined): string | undefined {
  if (explicit !== undefined) {
    const file = resolve(explicit);
    if (!existsSync(file)) throw new CliError(`--settings ${explicit}: no such file (${file}).`);
    return file;
  }
  const local = resolve("local.settings.json");
  if (existsSync(local)) return local;
  const example = resolve("local.settings.example.json");
  if (existsSync(example)) {
    console.error("[stack] no local.settings.json: using local.settings.example.json (copy it to local.settings.json to change settings)");
    return example;
  }
  return undefined;
}

/** `--service`, else the `RealtimeService` setting, else webpubsub. */
function realtimeService(flag: string | undefined, env: NodeJS.ProcessEnv): RealtimeServiceKind {
  const raw = flag ?? env.RealtimeService ?? "webpubsub";
  const text = raw.trim().toLowerCase();
  if (text === "webpubsub" || text === "signalr") return text;
  // The setting's refusal is the function app's own sentence, so both starts say the same.
  if (flag === undefined) throw new CliError(`App setting RealtimeService is ${JSON.stringify(raw)}; use webpubsub or signalr.`);
  throw new CliError(`--service must be webpubsub or signalr, got ${JSON.stringify(raw)}.`);
}

/** The app setting that holds each service's connection string. */
const connectionStringSetting = { webpubsub: "WebPubSubConnectionString", signalr: "AzureSignalRConnectionString" } as const satisfies Record<RealtimeServiceKind, string>;

/** Decides which service the functions talk to; a local endpoint always means the one we start. */
function serviceTarget(env: NodeJS.ProcessEnv, service: RealtimeServiceKind): { useLocal: true; accessKey: string | undefined } | { useLocal: false; endpoint: string } {
  const setting = connectionStringSetting[service];
  const configured = env[setting]?.trim();
  if (!configured) return { useLocal: true, accessKey: undefined };
  const parsed = service === "signalr" ? parseSignalRConnectionString(configured) : parseConnectionString(configured);
  if ("error" in parsed) throw new CliError(`${setting} is not valid: ${parsed.error}`);
  if (isLocalEndpoint(parsed.endpoint)) return { useLocal: true, accessKey: parsed.accessKey };
  return { useLocal: false, endpoint: parsed.endpoint };
}

function portAdvice(error: StackStartError, service: RealtimeServiceKind): string {
  const [setting, flag] = error.part === "service" ? ["EMULATOR_PORT", "--emulator-port"] : ["FUNCTIONS_PORT", "--functions-port"];
  const what = error.part === "service" ? `local ${service === "signalr" ? "SignalR" : "Web PubSub"} service` : "functions host";
  switch (error.failure.code) {
    case "EADDRINUSE":
      return `Port ${error.port} is already in use, so the ${what} cannot start. Stop whatever uses it, or pick another port: ${setting}=<port> npm start, or npm start -- ${flag} <port>.`;
    case "EACCES":
      return `Not allowed to listen on port ${error.port} for the ${what}; pick a port above 1023 with ${setting} or ${flag}.`;
    default:
      return `The ${what} could not start on port ${error.port}: ${error.failure.message}`;
  }
}

type CliValues = ReturnType<typeof parseCli>["values"];

/** `--redis` takes an optional URL: alone (last, or before another flag) it means "start one". */
function withOptionalRedisUrl(args: readonly string[]): string[] {
  return args.map((arg, index) => (arg === "--redis" && (index === args.length - 1 || args[index + 1].startsWith("-")) ? "--redis=" : arg));
}

function parseCli(args: readonly string[]) {
  return parseArgs({ args: withOptionalRedisUrl(args), options: startCliOptions, strict: true, tokens: true });
}

function readSettings(values: CliValues): LocalSettings {
  const file = settingsFile(values.settings);
  return file ? readLocalSettings(file) : readLocalSettings("local.settings.json");
}

/** The Redis the nodes share: the given URL, or a redis-server started here (stopped with the stack). */
async function sharedRedis(value: string | undefined): Promise<{ url: string | undefined; started: RedisServerProcess | undefined }> {
  if (value === undefined) return { url: undefined, started: undefined };
  if (value !== "") {
    if (!/^rediss?:\/\//.test(value)) throw new CliError(`--redis must be a redis:// or rediss:// URL, got "${value}".`);
    return { url: value, started: undefined };
  }
  const binary = findRedisServer();
  if (!binary) {
    throw new CliError("--redis without a URL starts a local redis-server, but redis-server is not installed. Install it (Debian/Ubuntu: sudo apt-get install -y redis-server), or pass --redis redis://host:port.");
  }
  const started = await startRedisServer(binary);
  return { url: started.url, started };
}

function stopOnSignals(what: string, close: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      console.error("[stack] stopping now");
      process.exit(1);
    }
    stopping = true;
    console.error(`[stack] ${signal}: stopping ${what}`);
    close().then(
      () => {
        console.error("[stack] stopped");
        process.exit(0);
      },
      (error: unknown) => {
        console.error(`[stack] error while stopping: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  // A node started by `--nodes` stops when its launcher goes away, however it went.
  if (process.send) process.on("disconnect", () => stop("SIGTERM"));
}

/** `--nodes N`: every flag but the ones the launcher owns goes to each node unchanged. */
async function runNodeCluster(values: CliValues, tokens: ReturnType<typeof parseCli>["tokens"]): Promise<void> {
  const env = process.env;
  const count = Number(values.nodes);
  if (!/^\d+$/.test(values.nodes ?? "") || count < 1 || count > maxLocalNodes) {
    throw new CliError(`--nodes must be a whole number 1-${maxLocalNodes}, got "${values.nodes ?? ""}".`);
  }
  const file = settingsFile(values.settings);
  const settings = file ? readLocalSettings(file) : readLocalSettings("local.settings.json");
  const functionsPort = port("--functions-port", "FUNCTIONS_PORT", values["functions-port"] ?? env.FUNCTIONS_PORT, settings.localHttpPort ?? 7071);
  const service = realtimeService(values.service, { ...settings.values, ...env });
  const emulatorPort = port("--emulator-port", "EMULATOR_PORT", values["emulator-port"] ?? env.EMULATOR_PORT, service === "signalr" ? 8888 : 8080);
  const owned = new Set(["nodes", "redis", "functions-port", "emulator-port", "settings", "help"]);
  const passThroughArgs = [
    ...(file ? [`--settings=${file}`] : []),
    ...tokens.flatMap((token) =>
      token.kind !== "option" || owned.has(token.name) ? [] : [token.value === undefined ? `--${token.name}` : `--${token.name}=${token.value}`],
    ),
  ];
  const redis = await sharedRedis(values.redis);
  const stopRedis = async (): Promise<void> => await redis.started?.stop();
  let cluster;
  try {
    cluster = await startNodeCluster({
      count,
      functionsPort,
      emulatorPort,
      redisUrl: redis.url,
      passThroughArgs,
      command: { execPath: process.execPath, execArgv: process.execArgv, script: process.argv[1] },
      env,
      log: (line) => console.error(line),
    });
  } catch (error) {
    await stopRedis();
    if (error instanceof NodeClusterError) throw new CliError(error.message);
    throw error;
  }
  console.log(`Local stack is running: ${count} node${count === 1 ? "" : "s"}.`);
  for (const node of cluster.nodes) console.log([`Node ${node.node}:`, ...node.lines].join("\n"));
  console.log(backplaneLine(redis.url, redis.started !== undefined));
  console.log("Press Ctrl-C to stop.");
  const running = cluster;
  stopOnSignals(`the ${count} nodes${redis.started ? " and redis-server" : ""}`, async () => {
    await running.close();
    await stopRedis();
  });
}

/** The lines between "Local stack is running." and "Press Ctrl-C to stop.", the form scripts read. */
function stackLines(stack: LocalStack, target: ReturnType<typeof serviceTarget>, functionKeys: readonly string[], service: RealtimeServiceKind): string[] {
  // The connection string holds the local service's access key; printing it is the point here.
  const lines = [
    `  Web page:           ${stack.webPageUrl}`,
    `  Function base URL:  ${stack.functionsBaseUrl}`,
    `  Service:            ${stack.serviceUrl}`,
    `  Connection string:  ${stack.connectionString}`,
  ];
  if (stack.eventHandlerUrl) lines.push(`  Event handler:      ${stack.eventHandlerUrl} (every hub${service === "signalr" ? ", SignalR upstream" : ""})`);
  if (!target.useLocal) lines.push(`  Note: the functions use the configured service ${target.endpoint}, not the local one.`);
  if (functionKeys.length > 0) lines.push(`  Function keys are required for non-anonymous triggers (${functionKeys.length} configured).`);
  return lines;
}

/** One node: today's `npm start`, or one of the nodes a `--nodes` launcher started (`directory` given). */
async function runNode(values: CliValues, directory: NodeDirectory | undefined): Promise<void> {
  const env = process.env;
  const settings = readSettings(values);
  applySettingValues(settings.values, env);

  const functionsPort = port("--functions-port", "FUNCTIONS_PORT", values["functions-port"] ?? env.FUNCTIONS_PORT, settings.localHttpPort ?? 7071);
  const service = realtimeService(values.service, env);
  const emulatorPort = port("--emulator-port", "EMULATOR_PORT", values["emulator-port"] ?? env.EMULATOR_PORT, service === "signalr" ? 8888 : 8080);
  const functionKeys = [...(values["function-key"] ?? []), ...splitOrigins(env.FUNCTION_KEYS ?? "")];
  // A page served by one node calls the others' function hosts, so they are allowed origins.
  const allowedOrigins = [...new Set([...settings.cors, ...splitOrigins(env.CorsAllowedOrigins ?? ""), ...(directory ? nodeOrigins(directory) : [])])];
  const target = serviceTarget(env, service);
  const verbose = values.verbose;
  // A lone node runs its own redis-server for `--redis` alone; a launcher's node is given the URL.
  const redis = await sharedRedis(values.redis);

  let stack: LocalStack | undefined;
  const lone = (): NodeDirectory => {
    const ports = stack ? [{ node: 1, functionsPort: Number(new URL(stack.functionsBaseUrl).port), servicePort: Number(new URL(stack.serviceUrl).port) }] : [];
    return { self: 1, backplane: redis.url ? "redis" : "none", nodes: ports };
  };
  try {
    stack = await startLocalStack({
      routes: [...routes, nodeDirectoryRoute(() => directory ?? lone())],
      service,
      functionsPort,
      emulatorPort,
      ...(values.host ? { host: values.host } : {}),
      ...(target.useLocal && target.accessKey ? { accessKey: target.accessKey } : {}),
      ...(redis.url ? { redisUrl: redis.url } : {}),
      functionKeys,
      cors: { allowedOrigins, supportCredentials: settings.corsCredentials && !allowedOrigins.includes("*") },
      hostLogger: {
        info: (message) => verbose && console.error(`[functions] ${message}`),
        warn: (message) => console.error(`[functions] warning: ${message}`),
        error: (message) => console.error(`[functions] error: ${message}`),
      },
      serviceLogger: {
        info: (message) => verbose && console.error(`[service] ${message}`),
        warn: (message) => console.error(`[service] warning: ${message}`),
        error: (message) => console.error(`[service] error: ${message}`),
      },
      events: values.events,
      configureFunctions: (started) => {
        env.RealtimeService = service;
        if (target.useLocal) env[connectionStringSetting[service]] = started.connectionString;
        loadAppConfig();
      },
    });
  } catch (error) {
    await redis.started?.stop();
    if (error instanceof StackStartError) throw new CliError(portAdvice(error, service));
    throw error;
  }

  const lines = stackLines(stack, target, functionKeys, service);
  const running = stack;
  const close = async (): Promise<void> => {
    await running.close();
    await redis.started?.stop();
  };
  if (directory && process.send) {
    const ready: NodeReadyMessage = { kind: "node-ready", node: directory.self, lines };
    process.send(ready);
    stopOnSignals(`node ${directory.self}`, close);
    return;
  }
  if (values.host && !isLoopbackHost(values.host) && functionKeys.length === 0) {
    console.error(`[stack] warning: listening on ${values.host} without function keys: anyone who can reach this machine can call every trigger. Set --function-key KEY.`);
  }
  console.log(["Local stack is running.", ...lines].join("\n"));
  if (values.redis !== undefined) console.log(backplaneLine(redis.url, redis.started !== undefined));
  console.log("Press Ctrl-C to stop.");
  stopOnSignals(`the functions host and the service${redis.started ? " and redis-server" : ""}`, close);
}

async function main(): Promise<void> {
  const { values, tokens } = parseCli(process.argv.slice(2));
  if (values.help) {
    console.log(usage);
    return;
  }
  const directoryText = process.env[nodeDirectoryVariable];
  if (directoryText !== undefined) return runNode(values, parseNodeDirectory(directoryText));
  if (values.nodes !== undefined) return runNodeCluster(values, tokens);
  return runNode(values, undefined);
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`npm start: ${message}`);
  if (error instanceof TypeError && /parseArgs|Unknown option|unexpected argument/i.test(message)) console.error(usage);
  process.exitCode = 1;
});

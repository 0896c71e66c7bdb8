/**
 * `npm start`: the local service plus the functions host on one machine, no Core Tools needed.
 * The only place this deployable reads `process.env` and flags:
 *   FUNCTIONS_PORT / --functions-port (default 7071, or local.settings.json Host.LocalHttpPort)
 *   EMULATOR_PORT / --emulator-port (default 8080)
 *   FUNCTION_KEYS / --function-key (comma-separated / repeatable; unset = keys not enforced)
 *   --settings PATH (default ./local.settings.json, falling back to local.settings.example.json)
 *   --events: the service sends every hub's events to the functions' /api/events/{hub} trigger
 *     (SignalR: its upstream to /api/signalr/{hub}/{category}/{event})
 *   --service webpubsub|signalr (default: the RealtimeService setting, else webpubsub)
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { loadAppConfig } from "../functions/app-config";
import { routes } from "../functions/routes";
import { isLocalEndpoint, parseConnectionString } from "../shared/connection-string";
import type { RealtimeServiceKind } from "../shared/realtime-service";
import { parseSignalRConnectionString } from "../shared/signalr/signalr-connection-string";
import { applySettingValues, readLocalSettings, splitOrigins, type LocalSettings } from "./local-settings";
import { startLocalStack, StackStartError, type LocalStack } from "./local-stack";
import { startCliOptions } from "./start-cli-options";

const usage = `Usage: npm start -- [--service webpubsub|signalr] [--functions-port 7071] [--emulator-port 8080 (8888 for signalr)] [--function-key KEY]... [--settings local.settings.json] [--events] [--verbose]
Environment: FUNCTIONS_PORT, EMULATOR_PORT, FUNCTION_KEYS (comma-separated).`;

class CliError extends Error {}

function port(name: string, setting: string, value: string | number | undefined, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  const text = String(value);
  if (!/^\d+$/.test(text) || Number(text) > 65535) throw new CliError(`${name} (${setting}) must be a port number 0-65535, got "${text}".`);
  return Number(text);
}

function settingsFile(explicit: string | undefined): string | undefined {
  if (explicit) return resolve(explicit);
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
  const text = (flag ?? env.RealtimeService ?? "webpubsub").trim().toLowerCase();
  if (text !== "webpubsub" && text !== "signalr") throw new CliError(`--service (RealtimeService) must be webpubsub or signalr, got "${text}".`);
  return text;
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

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: startCliOptions,
    strict: true,
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const env = process.env;
  const file = settingsFile(values.settings);
  const settings: LocalSettings = file ? readLocalSettings(file) : readLocalSettings("local.settings.json");
  applySettingValues(settings.values, env);

  const functionsPort = port("--functions-port", "FUNCTIONS_PORT", values["functions-port"] ?? env.FUNCTIONS_PORT, settings.localHttpPort ?? 7071);
  const service = realtimeService(values.service, env);
  const emulatorPort = port("--emulator-port", "EMULATOR_PORT", values["emulator-port"] ?? env.EMULATOR_PORT, service === "signalr" ? 8888 : 8080);
  const functionKeys = [...(values["function-key"] ?? []), ...splitOrigins(env.FUNCTION_KEYS ?? "")];
  const allowedOrigins = [...new Set([...settings.cors, ...splitOrigins(env.CorsAllowedOrigins ?? "")])];
  const target = serviceTarget(env, service);
  const verbose = values.verbose;

  let stack: LocalStack;
  try {
    stack = await startLocalStack({
      routes,
      service,
      functionsPort,
      emulatorPort,
      ...(target.useLocal && target.accessKey ? { accessKey: target.accessKey } : {}),
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
    if (error instanceof StackStartError) throw new CliError(portAdvice(error, service));
    throw error;
  }

  // The connection string holds the local service's access key; printing it is the point here.
  console.log(`Local stack is running.
  Web page:           ${stack.webPageUrl}
  Function base URL:  ${stack.functionsBaseUrl}
  Service:            ${stack.serviceUrl}
  Connection string:  ${stack.connectionString}`);
  if (stack.eventHandlerUrl) console.log(`  Event handler:      ${stack.eventHandlerUrl} (every hub${service === "signalr" ? ", SignalR upstream" : ""})`);
  if (!target.useLocal) console.log(`  Note: the functions use the configured service ${target.endpoint}, not the local one.`);
  if (functionKeys.length > 0) console.log(`  Function keys are required for non-anonymous triggers (${functionKeys.length} configured).`);
  console.log("Press Ctrl-C to stop.");

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      console.error("[stack] stopping now");
      process.exit(1);
    }
    stopping = true;
    console.error(`[stack] ${signal}: stopping the functions host and the service`);
    stack.close().then(
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
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`npm start: ${message}`);
  if (error instanceof TypeError && /parseArgs|Unknown option|unexpected argument/i.test(message)) console.error(usage);
  process.exitCode = 1;
});

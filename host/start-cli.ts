/**
 * `npm start`: the local service plus the functions host on one machine, no Core Tools needed.
 * The only place this deployable reads `process.env` and flags:
 *   FUNCTIONS_PORT / --functions-port (default 7071, or local.settings.json Host.LocalHttpPort)
 *   EMULATOR_PORT / --emulator-port (default 8080)
 *   FUNCTION_KEYS / --function-key (comma-separated / repeatable; unset = keys not enforced)
 *   --settings PATH (default ./local.settings.json, falling back to local.settings.example.json)
 *   --events: the service sends every hub's events to the functions' /api/events/{hub} trigger
 *   --host ADDRESS (default 127.0.0.1): where both servers listen; off loopback needs an access key of your own
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { loadAppConfig } from "../functions/app-config";
import { routes } from "../functions/routes";
import { isLocalEndpoint, parseConnectionString } from "../shared/connection-string";
import { isLoopbackHost } from "../shared/listen-address";
import { applySettingValues, readLocalSettings, splitOrigins, type LocalSettings } from "./local-settings";
import { startLocalStack, StackStartError, type LocalStack } from "./local-stack";

const usage = `Usage: npm start -- [--functions-port 7071] [--emulator-port 8080] [--host 127.0.0.1] [--function-key KEY]... [--settings local.settings.json] [--events] [--verbose]
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

/** Decides which service the functions talk to; a local endpoint always means the one we start. */
function serviceTarget(env: NodeJS.ProcessEnv): { useLocal: true; accessKey: string | undefined } | { useLocal: false; endpoint: string } {
  const configured = env.WebPubSubConnectionString?.trim();
  if (!configured) return { useLocal: true, accessKey: undefined };
  const parsed = parseConnectionString(configured);
  if ("error" in parsed) throw new CliError(`WebPubSubConnectionString is not valid: ${parsed.error}`);
  if (isLocalEndpoint(parsed.endpoint)) return { useLocal: true, accessKey: parsed.accessKey };
  return { useLocal: false, endpoint: parsed.endpoint };
}

function portAdvice(error: StackStartError): string {
  const [setting, flag] = error.part === "service" ? ["EMULATOR_PORT", "--emulator-port"] : ["FUNCTIONS_PORT", "--functions-port"];
  const what = error.part === "service" ? "local Web PubSub service" : "functions host";
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
    options: {
      "functions-port": { type: "string" },
      "emulator-port": { type: "string" },
      "function-key": { type: "string", multiple: true },
      settings: { type: "string" },
      events: { type: "boolean", default: false },
      host: { type: "string" },
      verbose: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
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
  const emulatorPort = port("--emulator-port", "EMULATOR_PORT", values["emulator-port"] ?? env.EMULATOR_PORT, 8080);
  const functionKeys = [...(values["function-key"] ?? []), ...splitOrigins(env.FUNCTION_KEYS ?? "")];
  const allowedOrigins = [...new Set([...settings.cors, ...splitOrigins(env.CorsAllowedOrigins ?? "")])];
  const target = serviceTarget(env);
  const verbose = values.verbose;

  let stack: LocalStack;
  try {
    stack = await startLocalStack({
      routes,
      functionsPort,
      emulatorPort,
      ...(values.host ? { host: values.host } : {}),
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
      configureFunctions: (service) => {
        if (target.useLocal) env.WebPubSubConnectionString = service.connectionString;
        loadAppConfig();
      },
    });
  } catch (error) {
    if (error instanceof StackStartError) throw new CliError(portAdvice(error));
    throw error;
  }

  // The connection string holds the local service's access key; printing it is the point here.
  console.log(`Local stack is running.
  Web page:           ${stack.webPageUrl}
  Function base URL:  ${stack.functionsBaseUrl}
  Service:            ${stack.serviceUrl}
  Connection string:  ${stack.connectionString}`);
  if (stack.eventHandlerUrl) console.log(`  Event handler:      ${stack.eventHandlerUrl} (every hub)`);
  if (!target.useLocal) console.log(`  Note: the functions use the configured service ${target.endpoint}, not the local one.`);
  if (functionKeys.length > 0) console.log(`  Function keys are required for non-anonymous triggers (${functionKeys.length} configured).`);
  if (values.host && !isLoopbackHost(values.host) && functionKeys.length === 0) {
    console.error(`[stack] warning: listening on ${values.host} without function keys: anyone who can reach this machine can call every trigger. Set --function-key KEY.`);
  }
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

#!/usr/bin/env node
/**
 * `pubsub-emulator [--service webpubsub|signalr] [--port 8080] [--access-key K] …`
 * (`npm run emulator -- …` in this repository). The only place the local service reads
 * process.env: every flag is also `PUBSUB_EMULATOR_<FLAG>`, and the flag wins.
 */
import { parseArgs } from "node:util";
import { emulatorCliOptions } from "./cli-options";
import { envNameOf, FlagValueError, withEnvironment, type FlagSources } from "./cli-environment";
import type { TierName } from "./metering/tier-quota";
import { DEFAULT_ACCESS_KEY, InvalidOptionsError, type ServiceLogger } from "./options";
import { UpstreamTemplatesError } from "./signalr/upstream-templates";
import { startLocalService, type LimitOptions, type LocalService, type LocalServiceOptions, type SignalRTransportOptions } from "./start-local-service";
import { runInitSettings, UPSTREAM_USAGE } from "./upstream/upstream-cli";
import { UpstreamSettingsError } from "./upstream/upstream-settings";
import { DEFAULT_LISTEN_HOST, listenRefusal } from "../../common/listen-address";

const USAGE = `Usage: pubsub-emulator [--service webpubsub|signalr]  which managed service to speak (default webpubsub)
                            [--port 8080 (8888 for signalr); 0 picks a free port] [--host 127.0.0.1] [--access-key KEY] [--secondary-access-key KEY]
                            [--cert cert.pem --key key.pem]      serve HTTPS and WSS on the same port
                            [--max-client-frame-bytes N] [--max-rest-body-bytes N] [--quiet]
                            [--max-outbound-bytes N] [--max-pending-inbound-frames N] [--max-pending-inbound-bytes N]
                            [--invoke-timeout-ms 30000] [--max-invocations-per-connection 64]
                            [--max-streams-per-connection 100] [--max-stream-id-length 256] [--max-stream-idle-timeout-ms 3600000]
                            [--max-group-state-keys 64] [--max-group-state-bytes 4096] [--max-group-state-subscribers 1000]
                            [--websocket-fragment-bytes 2048] [--long-poll-timeout-ms 90000] [--long-poll-grace-ms 5000] [--stateful-reconnect-buffer-bytes 1048576]   (signalr)
                            [--tier free|standard [--units N]]   simulate a tier's connection and daily message limits
                            [--redis redis://host:port]          join the nodes sharing this Redis (scale-out; off by default)
${UPSTREAM_USAGE}
Every flag is also an environment variable: ${envNameOf("port")}=0, ${envNameOf("service")}=signalr, …; a flag wins over its variable.`;

type Values = ReturnType<typeof parseCommandLine>;

function parseCommandLine(args: string[]) {
  return parseArgs({ args, options: emulatorCliOptions, strict: true }).values;
}

function integer(sources: FlagSources, name: keyof Values, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new InvalidOptionsError(`${sources[name]} must be a non-negative integer, got "${value}"`);
  return Number(value);
}

type IntegerFlag = { [F in keyof Values]-?: Values[F] extends string | undefined ? F : never }[keyof Values];

/** The flag of every limit `startLocalService` takes, by the option it sets (the type makes a new limit need its flag). */
const LIMIT_FLAGS = {
  maxClientFrameBytes: "max-client-frame-bytes",
  maxRestBodyBytes: "max-rest-body-bytes",
  maxOutboundBytesPerConnection: "max-outbound-bytes",
  maxPendingInboundFrames: "max-pending-inbound-frames",
  maxPendingInboundBytes: "max-pending-inbound-bytes",
  invokeTimeoutMs: "invoke-timeout-ms",
  maxInvocationsPerConnection: "max-invocations-per-connection",
  maxStreamsPerConnection: "max-streams-per-connection",
  maxStreamIdLength: "max-stream-id-length",
  maxStreamIdleTimeoutMs: "max-stream-idle-timeout-ms",
  maxGroupStateKeys: "max-group-state-keys",
  maxGroupStateBytes: "max-group-state-bytes",
  maxGroupStateSubscribers: "max-group-state-subscribers",
} as const satisfies { [K in keyof LimitOptions]-?: IntegerFlag };

/** The flag of every SignalR transport option `startLocalService` takes. */
const TRANSPORT_FLAGS = {
  webSocketFragmentBytes: "websocket-fragment-bytes",
  longPollTimeoutMs: "long-poll-timeout-ms",
  longPollGraceMs: "long-poll-grace-ms",
  statefulReconnectBufferBytes: "stateful-reconnect-buffer-bytes",
} as const satisfies { [K in keyof SignalRTransportOptions]-?: IntegerFlag };

/** The options whose flags were given: a missing one leaves its option to the service's default. */
function integerFlags<K extends string>(sources: FlagSources, values: Values, flags: Readonly<Record<K, IntegerFlag>>): Partial<Record<K, number>> {
  const given: Partial<Record<K, number>> = {};
  for (const [option, flag] of Object.entries(flags) as Array<[K, IntegerFlag]>) {
    const value = integer(sources, flag, values[flag]);
    if (value !== undefined) given[option] = value;
  }
  return given;
}

function logger(quiet: boolean): ServiceLogger {
  return {
    info: (message) => {
      if (!quiet) console.error(`[emulator] ${message}`);
    },
    warn: (message) => console.error(`[emulator] warning: ${message}`),
    error: (message) => console.error(`[emulator] error: ${message}`),
  };
}

/** Flags and variables to `startLocalService` options; every message names where a bad value came from. */
function toOptions(values: Values, sources: FlagSources): LocalServiceOptions {
  const service = values.service ?? "webpubsub";
  if (service !== "webpubsub" && service !== "signalr") throw new InvalidOptionsError(`${sources.service} must be webpubsub or signalr, got "${service}"`);
  const tier = values.tier;
  if (tier !== undefined && tier !== "free" && tier !== "standard") throw new InvalidOptionsError(`${sources.tier} must be free or standard, got "${tier}"`);
  const units = integer(sources, "units", values.units);
  if (units !== undefined && tier === undefined) throw new InvalidOptionsError(`${sources.units} needs --tier free|standard`);
  const port = integer(sources, "port", values.port) ?? (service === "signalr" ? 8888 : 8080);
  if (port > 65535) throw new InvalidOptionsError(`${sources.port} must be a port number 0-65535, got ${port}`);
  const accessKey = values["access-key"];
  const secondaryAccessKey = values["secondary-access-key"];
  // Checked here too, so the message names this CLI's own flags and variables.
  const usesDefaultKey = !accessKey || accessKey === DEFAULT_ACCESS_KEY || secondaryAccessKey === DEFAULT_ACCESS_KEY;
  const refusal = listenRefusal(values.host || DEFAULT_LISTEN_HOST, usesDefaultKey, `--access-key KEY (or ${envNameOf("access-key")}), and a --secondary-access-key other than the default`);
  if (refusal) throw new InvalidOptionsError(refusal);
  const limits = integerFlags(sources, values, LIMIT_FLAGS);
  const signalrTransports = integerFlags(sources, values, TRANSPORT_FLAGS);
  return {
    service,
    port,
    logger: logger(values.quiet === true),
    ...(Object.keys(signalrTransports).length > 0 ? { signalrTransports } : {}),
    ...limits,
    ...(values.host ? { host: values.host } : {}),
    ...(accessKey ? { accessKey } : {}),
    ...(secondaryAccessKey ? { secondaryAccessKey } : {}),
    ...(values.redis ? { redis: values.redis } : {}),
    ...(values.settings ? { settingsFile: values.settings } : {}),
    ...(values["event-handler"] ? { eventHandlers: values["event-handler"] } : {}),
    ...(values.cert ? { certFile: values.cert } : {}),
    ...(values.key ? { keyFile: values.key } : {}),
    ...(tier ? { tier: tier as TierName } : {}),
    ...(units === undefined ? {} : { units }),
  };
}

function startFailure(error: NodeJS.ErrnoException, port: number | undefined): string {
  if (error.code === "EADDRINUSE") return `Port ${port} is already in use; pick another with --port (0 picks a free one).`;
  if (error.code === "EACCES") return `Not allowed to listen on port ${port}.`;
  return error.message;
}

async function main(): Promise<void> {
  // `init-settings [file]` writes a starter event-handler settings file and exits.
  if (process.argv[2] === "init-settings") return runInitSettings(process.argv.slice(3), (line) => console.log(line));
  const { values, sources } = withEnvironment(emulatorCliOptions, parseCommandLine(process.argv.slice(2)), process.env, ["help"]);
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const options = toOptions(values, sources);
  let service: LocalService;
  try {
    service = await startLocalService(options);
  } catch (error) {
    if (error instanceof InvalidOptionsError || error instanceof UpstreamSettingsError || error instanceof UpstreamTemplatesError) throw error;
    console.error(startFailure(error as NodeJS.ErrnoException, options.port));
    process.exitCode = 1;
    return;
  }
  // Exactly these two lines on stdout, so scripts can read them.
  console.log(service.endpoint);
  console.log(service.connectionString);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    options.logger?.info(`${signal} received, shutting down`);
    service.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`shutdown failed: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

main().catch((error: unknown) => {
  const known = [InvalidOptionsError, FlagValueError, TypeError, UpstreamSettingsError, UpstreamTemplatesError].some((kind) => error instanceof kind);
  console.error(known ? (error as Error).message : String(error));
  console.error(USAGE);
  process.exitCode = 1;
});

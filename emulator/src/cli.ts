/**
 * `npm run emulator -- [--service webpubsub|signalr] --port 8080 --access-key K`
 * The only place the service reads process.env (fallbacks: WEBPUBSUB_EMULATOR_PORT,
 * WEBPUBSUB_EMULATOR_ACCESS_KEY, WEBPUBSUB_EMULATOR_SECONDARY_ACCESS_KEY, WEBPUBSUB_EMULATOR_HOST,
 * WEBPUBSUB_EMULATOR_REDIS).
 */
import { parseArgs } from "node:util";
import { createServer, type ServiceServer } from "./server";
import { DEFAULT_ACCESS_KEY, InvalidOptionsError, type ServiceLogger } from "./options";
import type { TierName } from "./metering/tier-quota";
import { createUsageMeter, type UsageMeter } from "./metering/usage-meter";
import { RedisBackplane } from "./backplane/redis-backplane";
import { runInitSettings, upstreamFromCli, UPSTREAM_USAGE } from "./upstream/upstream-cli";
import { emulatorCliOptions } from "./cli-options";
import { UpstreamSettingsError } from "./upstream/upstream-settings";
import { describeTemplates, signalrTemplatesFromCli } from "./signalr/upstream-cli";
import { UpstreamTemplatesError } from "./signalr/upstream-templates";
import { DEFAULT_LISTEN_HOST, listenRefusal } from "../../shared/listen-address";

const USAGE = `Usage: npm run emulator -- [--service webpubsub|signalr]  which managed service to speak (default webpubsub)
                            [--port 8080 (8888 for signalr)] [--host 127.0.0.1] [--access-key KEY] [--secondary-access-key KEY]
                            [--max-client-frame-bytes N] [--max-rest-body-bytes N] [--quiet]
                            [--max-outbound-bytes N] [--max-pending-inbound-frames N] [--max-pending-inbound-bytes N]
                            [--tier free|standard [--units N]]   simulate a tier's connection and daily message limits
                            [--redis redis://host:port]          join the nodes sharing this Redis (scale-out; off by default)
${UPSTREAM_USAGE}`;

function integer(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new InvalidOptionsError(`--${name} must be a non-negative integer, got "${value}"`);
  return Number(value);
}

async function main(): Promise<void> {
  // `init-settings [file]` writes a starter event-handler settings file and exits.
  if (process.argv[2] === "init-settings") return runInitSettings(process.argv.slice(3), (line) => console.log(line));
  const { values } = parseArgs({
    options: emulatorCliOptions,
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const env = process.env;
  const service = values.service;
  if (service !== "webpubsub" && service !== "signalr") throw new InvalidOptionsError(`--service must be webpubsub or signalr, got "${service}"`);
  const logger: ServiceLogger = {
    info: (message) => {
      if (!values.quiet) console.error(`[emulator] ${message}`);
    },
    warn: (message) => console.error(`[emulator] warning: ${message}`),
    error: (message) => console.error(`[emulator] error: ${message}`),
  };
  const port = integer("port", values.port ?? env.WEBPUBSUB_EMULATOR_PORT);
  const maxClientFrameBytes = integer("max-client-frame-bytes", values["max-client-frame-bytes"]);
  const maxRestBodyBytes = integer("max-rest-body-bytes", values["max-rest-body-bytes"]);
  const maxOutboundBytesPerConnection = integer("max-outbound-bytes", values["max-outbound-bytes"]);
  const maxPendingInboundFrames = integer("max-pending-inbound-frames", values["max-pending-inbound-frames"]);
  const maxPendingInboundBytes = integer("max-pending-inbound-bytes", values["max-pending-inbound-bytes"]);
  const host = values.host ?? env.WEBPUBSUB_EMULATOR_HOST;
  const accessKey = values["access-key"] ?? env.WEBPUBSUB_EMULATOR_ACCESS_KEY;
  const secondaryAccessKey = values["secondary-access-key"] ?? env.WEBPUBSUB_EMULATOR_SECONDARY_ACCESS_KEY;

  // Opt-in tier simulation; the limits themselves are validated by the meter.
  const units = integer("units", values.units);
  if (units !== undefined && values.tier === undefined) throw new InvalidOptionsError("--units needs --tier free|standard");
  const quota = values.tier === undefined ? undefined : { tier: values.tier as TierName, ...(units === undefined ? {} : { units }) };
  // One meter for the service and its event dispatcher, so upstream traffic is billed as in Azure
  // (a client event relayed to the app server is outbound too).
  let meter: UsageMeter;
  try {
    meter = createUsageMeter(quota === undefined ? {} : { quota });
  } catch (error) {
    throw new InvalidOptionsError(`quota: ${(error as Error).message}`);
  }

  // Off by default; one node needs no Redis. The URL's password is never logged.
  const redisUrl = values.redis ?? env.WEBPUBSUB_EMULATOR_REDIS;
  const backplane = redisUrl ? new RedisBackplane({ url: redisUrl, logger }) : undefined;

  // Event handlers from --settings <file> and --event-handler <hub>=<url>; the SignalR face reads
  // the same flags as its upstream URL templates.
  const upstream =
    service === "webpubsub"
      ? await upstreamFromCli(values, {
          accessKeys: [accessKey || DEFAULT_ACCESS_KEY, ...(secondaryAccessKey ? [secondaryAccessKey] : [])],
          log: (line) => logger.warn(line),
          meter,
        })
      : { upstream: undefined, setServiceUrl: () => {}, summary: [] };
  const signalrTemplates = service === "signalr" ? await signalrTemplatesFromCli(values) : [];
  for (const line of [...upstream.summary, ...describeTemplates(signalrTemplates)]) logger.info(line);

  // Checked here too, so the message names this CLI's own flag.
  const refusal = listenRefusal(host || DEFAULT_LISTEN_HOST, !accessKey || accessKey === DEFAULT_ACCESS_KEY, "--access-key KEY (or WEBPUBSUB_EMULATOR_ACCESS_KEY)");
  if (refusal) throw new InvalidOptionsError(refusal);

  let server: ServiceServer;
  try {
    server = await createServer({
      logger,
      service,
      ...(signalrTemplates.length > 0 ? { signalr: { upstream: signalrTemplates } } : {}),
      ...(port === undefined ? {} : { port }),
      ...(host ? { host } : {}),
      ...(accessKey ? { accessKey } : {}),
      ...(secondaryAccessKey ? { secondaryAccessKey } : {}),
      ...(maxClientFrameBytes === undefined ? {} : { maxClientFrameBytes }),
      ...(maxRestBodyBytes === undefined ? {} : { maxRestBodyBytes }),
      ...(maxOutboundBytesPerConnection === undefined ? {} : { maxOutboundBytesPerConnection }),
      ...(maxPendingInboundFrames === undefined ? {} : { maxPendingInboundFrames }),
      ...(maxPendingInboundBytes === undefined ? {} : { maxPendingInboundBytes }),
      meter,
      ...(backplane === undefined ? {} : { backplane }),
      ...(upstream.upstream === undefined ? {} : { upstream: upstream.upstream }),
    });
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    const shownPort = port ?? (service === "signalr" ? 8888 : 8080);
    if (err.code === "EADDRINUSE") console.error(`Port ${shownPort} is already in use; pick another with --port.`);
    else if (err.code === "EACCES") console.error(`Not allowed to listen on port ${shownPort}.`);
    else console.error(err.message);
    process.exitCode = 1;
    return;
  }
  upstream.setServiceUrl(server.url);
  // Exactly these two lines on stdout, so scripts can read them.
  console.log(server.url);
  console.log(server.connectionString);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal} received, shutting down`);
    server.close().then(
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
  console.error(error instanceof InvalidOptionsError || error instanceof TypeError || error instanceof UpstreamSettingsError || error instanceof UpstreamTemplatesError ? (error as Error).message : String(error));
  console.error(USAGE);
  process.exitCode = 1;
});

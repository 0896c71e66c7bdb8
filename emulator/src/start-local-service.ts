/**
 * `startLocalService()`: the whole local service from one options object, as the CLI runs it
 * (meter, optional Redis backplane, event handlers, TLS files). Test setups call it directly; the
 * CLI turns its flags and environment variables into these options and calls it too.
 */
import { readFile } from "node:fs/promises";
import { createSecureContext } from "node:tls";
import { RedisBackplane } from "./backplane/redis-backplane";
import type { TierName } from "./metering/tier-quota";
import { createUsageMeter, type UsageMeter } from "./metering/usage-meter";
import { DEFAULT_ACCESS_KEY, InvalidOptionsError, type ServiceKind, type ServiceLogger, type ServiceOptions } from "./options";
import { createServer, type ServiceServer } from "./server";
import type { ServiceApi } from "./service-api";
import { describeTemplates, signalrTemplatesFromCli } from "./signalr/upstream-cli";
import { upstreamFromCli } from "./upstream/upstream-cli";
import type { SignalROptions } from "./signalr/signalr-options";

/** The per-connection limits a caller may change; each keeps `createServer`'s default when absent. */
const LIMIT_NAMES = [
  "maxClientFrameBytes",
  "maxRestBodyBytes",
  "maxOutboundBytesPerConnection",
  "maxPendingInboundFrames",
  "maxPendingInboundBytes",
  "invokeTimeoutMs",
  "maxInvocationsPerConnection",
  "maxStreamsPerConnection",
  "maxStreamIdLength",
  "maxStreamIdleTimeoutMs",
  "maxGroupStateKeys",
  "maxGroupStateBytes",
  "maxGroupStateSubscribers",
] as const satisfies ReadonlyArray<keyof ServiceOptions>;
export type LimitOptions = Pick<ServiceOptions, (typeof LIMIT_NAMES)[number]>;

/** SignalR transport settings a caller may change (the SignalR face only). */
const TRANSPORT_NAMES = ["webSocketFragmentBytes", "longPollTimeoutMs", "longPollGraceMs", "statefulReconnectBufferBytes"] as const satisfies ReadonlyArray<keyof SignalROptions>;
export type SignalRTransportOptions = Pick<SignalROptions, (typeof TRANSPORT_NAMES)[number]>;

export interface LocalServiceOptions extends LimitOptions {
  /** SignalR face: WebSocket fragment size, Long Polling poll timeout and grace window. @default their `createServer` defaults */
  signalrTransports?: SignalRTransportOptions;
  /** Which service to speak. @default "webpubsub" */
  service?: ServiceKind;
  /** TCP port; 0 picks a free one and the answer carries the real one. @default 0 */
  port?: number;
  /** Interface to listen on; anything but loopback needs keys of your own. @default "127.0.0.1" */
  host?: string;
  /** @default DEFAULT_ACCESS_KEY, the well-known key of Microsoft's emulators */
  accessKey?: string;
  /** A second key also accepted. @default undefined */
  secondaryAccessKey?: string;
  /** Join the nodes sharing this Redis, e.g. `redis://127.0.0.1:6379`. @default undefined (one node) */
  redis?: string;
  /** Event handlers (Web PubSub) or upstream templates (SignalR) from a settings file. @default undefined */
  settingsFile?: string;
  /** `<hub|*>=<url template>` entries, added after the settings file's. @default [] */
  eventHandlers?: readonly string[];
  /** PEM certificate (chain) file: serve HTTPS and WSS. Needs `keyFile`. @default undefined */
  certFile?: string;
  /** PEM private key file of `certFile`. @default undefined */
  keyFile?: string;
  /** Simulate a tier's limits. @default undefined (no limits) */
  tier?: TierName;
  /** Units of the simulated tier (needs `tier`). @default 1 */
  units?: number;
  /** @default a logger that writes nothing */
  logger?: ServiceLogger;
}

export interface LocalService {
  /** The connection string the SDKs take, with the real port and `https` under TLS. */
  readonly connectionString: string;
  /** `http(s)://localhost:<port>`. */
  readonly endpoint: string;
  readonly port: number;
  /** The service core, cluster-wide. */
  readonly service: ServiceApi;
  /** Ends every connection, frees the port, closes Redis and the event handler client. */
  close(): Promise<void>;
}

const silent: ServiceLogger = { info: () => {}, warn: () => {}, error: () => {} };

async function readPem(kind: "certificate" | "key", file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    throw new InvalidOptionsError(`cannot read the TLS ${kind} file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** Reads and checks the PEM pair, so a bad file is an error at start that names it. */
async function loadTls(certFile: string | undefined, keyFile: string | undefined): Promise<ServiceOptions["tls"]> {
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) throw new InvalidOptionsError("TLS needs both a certificate and a key (--cert FILE --key FILE)");
  const [cert, key] = await Promise.all([readPem("certificate", certFile), readPem("key", keyFile)]);
  try {
    createSecureContext({ cert });
  } catch (error) {
    throw new InvalidOptionsError(`the TLS certificate file ${certFile} is not a PEM certificate: ${(error as Error).message}`);
  }
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    throw new InvalidOptionsError(`the TLS key file ${keyFile} is not the PEM private key of ${certFile}: ${(error as Error).message}`);
  }
  return { cert, key };
}

/**
 * Starts a local service and resolves once it listens. Everything it created is torn down again
 * when any step fails (a taken port, a bad file, Redis unreachable), so a failed start leaks nothing.
 */
export async function startLocalService(options: LocalServiceOptions = {}): Promise<LocalService> {
  const logger = options.logger ?? silent;
  const service = options.service ?? "webpubsub";
  if (service !== "webpubsub" && service !== "signalr") throw new InvalidOptionsError(`service must be webpubsub or signalr, got "${String(service)}"`);
  if (options.units !== undefined && options.tier === undefined) throw new InvalidOptionsError("units needs a tier (free or standard)");
  const tls = await loadTls(options.certFile, options.keyFile);
  let meter: UsageMeter;
  try {
    meter = createUsageMeter(options.tier === undefined ? {} : { quota: { tier: options.tier, ...(options.units === undefined ? {} : { units: options.units }) } });
  } catch (error) {
    throw new InvalidOptionsError(`quota: ${(error as Error).message}`);
  }
  const handlerFlags = { ...(options.settingsFile ? { settings: options.settingsFile } : {}), "event-handler": [...(options.eventHandlers ?? [])] };
  const accessKeys = [options.accessKey || DEFAULT_ACCESS_KEY, ...(options.secondaryAccessKey ? [options.secondaryAccessKey] : [])];
  const upstream =
    service === "webpubsub"
      ? await upstreamFromCli(handlerFlags, { accessKeys, log: (line) => logger.warn(line), meter })
      : { upstream: undefined, setServiceUrl: () => {}, summary: [] as string[] };
  const signalrTemplates = service === "signalr" ? await signalrTemplatesFromCli(handlerFlags) : [];
  for (const line of [...upstream.summary, ...describeTemplates(signalrTemplates)]) logger.info(line);

  // Created last, after every check that needs no I/O; createServer closes it if the start fails.
  const backplane = options.redis ? new RedisBackplane({ url: options.redis, logger }) : undefined;
  let server: ServiceServer;
  try {
    server = await createServer({
      logger,
      service,
      port: options.port ?? 0,
      meter,
      ...(tls ? { tls } : {}),
      ...(signalrTemplates.length > 0 || options.signalrTransports
        ? { signalr: { ...(signalrTemplates.length > 0 ? { upstream: signalrTemplates } : {}), ...pickDefined(options.signalrTransports ?? {}, TRANSPORT_NAMES) } }
        : {}),
      ...(options.host ? { host: options.host } : {}),
      ...(options.accessKey ? { accessKey: options.accessKey } : {}),
      ...(options.secondaryAccessKey ? { secondaryAccessKey: options.secondaryAccessKey } : {}),
      ...pickDefined(options, LIMIT_NAMES),
      ...(backplane === undefined ? {} : { backplane }),
      ...(upstream.upstream === undefined ? {} : { upstream: upstream.upstream }),
    });
  } catch (error) {
    // createServer closes what it was handed only once it got past validation; closing twice is harmless.
    await Promise.allSettled([backplane?.close(), upstream.upstream?.close()]);
    throw error;
  }
  upstream.setServiceUrl(server.url);
  return Object.freeze({
    connectionString: server.connectionString,
    endpoint: server.url,
    port: server.port,
    service: server.service,
    close: () => server.close(),
  });
}

/** The named options that are set: what the caller left out keeps `createServer`'s default. */
function pickDefined<T extends object, K extends keyof T>(options: T, names: readonly K[]): Pick<T, K> {
  const picked = {} as Pick<T, K>;
  for (const name of names) {
    if (options[name] !== undefined) picked[name] = options[name];
  }
  return picked;
}


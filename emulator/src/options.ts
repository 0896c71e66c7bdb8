import type { Backplane } from "./backplane/backplane";
import { InProcessBus } from "./backplane/in-process-backplane";
import type { ServiceMeter } from "./metering/service-meter";
import type { TierQuotaOptions } from "./metering/tier-quota";
import { createUsageMeter } from "./metering/usage-meter";
import type { UpstreamDispatcher } from "./upstream/upstream-dispatcher";
import { noUpstream } from "./upstream/upstream-dispatcher";
import { resolveSignalROptions, type ResolvedSignalROptions, type SignalROptions } from "./signalr/signalr-options";
import { DEFAULT_LISTEN_HOST, listenRefusal } from "../../common/listen-address";

/** The official emulators' default key, so existing samples work unchanged. */
export const DEFAULT_ACCESS_KEY = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH";

export interface ServiceLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Time source and timers; injected so tests can shorten the recovery window. */
export interface ServiceClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Which managed service the server speaks: Azure Web PubSub or Azure SignalR Service (serverless). */
export type ServiceKind = "webpubsub" | "signalr";

export interface ServiceOptions {
  /** The protocol face: Web PubSub clients and REST, or SignalR's. @default "webpubsub" */
  service?: ServiceKind;
  /** SignalR face settings (keep-alive, timeouts, upstream templates); ignored by the Web PubSub face. @default {} */
  signalr?: SignalROptions;
  /** TCP port; 0 picks a free one. @default 8080 (Web PubSub), 8888 (SignalR, as its official emulator) */
  port?: number;
  /**
   * Interface to listen on. Anything but loopback needs an access key other than the default one
   * (refused with `InvalidOptionsError`); `0.0.0.0` or `::` listens on every interface. @default "127.0.0.1"
   */
  host?: string;
  /** Primary access key: signs client tokens and REST bearer tokens. @default DEFAULT_ACCESS_KEY */
  accessKey?: string;
  /** Secondary key also accepted (key rotation). @default undefined */
  secondaryAccessKey?: string;
  /**
   * Serve HTTPS and WSS on the port instead of HTTP and WS, with this PEM certificate (chain) and
   * private key; `url` and `connectionString` then say `https`. @default undefined (plain HTTP)
   */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Host name written in `url` and `connectionString`. @default "localhost" */
  publicHost?: string;
  /** Cluster link. @default a private in-process backplane (a single node) */
  backplane?: Backplane;
  /** Event handlers. @default noUpstream */
  upstream?: UpstreamDispatcher;
  /** Traffic counting and quotas. @default a `createUsageMeter` on `clock` with `quota` (serves /api/usage and /metrics) */
  meter?: ServiceMeter;
  /** Simulated tier limits (`--tier free|standard --units N`) for the built-in meter. @default undefined (no limits) */
  quota?: TierQuotaOptions;
  /** Largest client WebSocket frame; bigger closes with 1009. @default 1_048_576 */
  maxClientFrameBytes?: number;
  /** Largest REST body; bigger gets 413. @default 1_048_576 */
  maxRestBodyBytes?: number;
  /** How long a dropped reliable session waits for recovery. @default 30_000 */
  recoveryWindowMs?: number;
  /** Reliable unacked buffer limits. @default 1000 messages, 16 MiB */
  maxUnackedMessages?: number;
  maxUnackedBytes?: number;
  /**
   * Bytes one client's socket may hold unsent (a client that does not read). A message that would
   * pass it is not sent; the connection is closed with 1008 and counted in /metrics. @default 16_777_216
   */
  maxOutboundBytesPerConnection?: number;
  /**
   * Frames of one connection waiting for the event handler (the one being handled not counted).
   * One more closes the connection with 1008 and is counted in /metrics. @default 64
   */
  maxPendingInboundFrames?: number;
  /** Bytes of those waiting frames; past it the connection is closed the same way. @default 16_777_216 */
  maxPendingInboundBytes?: number;
  /** How long a reconnection token can recover its connection; each recovery issues a new one. @default 604_800 (a week, as the client spec says) */
  reconnectionTokenLifetimeSeconds?: number;
  /**
   * How long an `invoke` waits for the event handler; past it the upstream request is cut and the
   * client gets a failed `invokeResponse` named `Timeout`. @default 30_000 (the user-event timeout)
   */
  invokeTimeoutMs?: number;
  /**
   * Invocations one connection may have waiting for the event handler at once; one more is
   * answered at once with a failed `invokeResponse` named `TooManyInvocations`. @default 64
   */
  maxInvocationsPerConnection?: number;
  /**
   * Group streams one connection may have open at once; one more start is refused with
   * `streamClosed` named `BadRequest`. @default 100
   */
  maxStreamsPerConnection?: number;
  /** Longest `streamId` a stream may start with; a longer one is refused with `BadRequest`. @default 256 */
  maxStreamIdLength?: number;
  /**
   * Largest `idleTimeoutMs` a publisher may ask for; a larger one is refused with `BadRequest`.
   * A stream that asks for none idles out after 300 s. @default 3_600_000
   */
  maxStreamIdleTimeoutMs?: number;
  /** Keys one connection's state in one group may hold; more is refused with a BadRequest ack. @default 64 */
  maxGroupStateKeys?: number;
  /** Bytes of one connection's state in one group, as JSON; more is refused with a BadRequest ack. @default 4096 */
  maxGroupStateBytes?: number;
  /** Connections of this node subscribed to one group's state; one more is refused with a BadRequest ack. @default 1000 */
  maxGroupStateSubscribers?: number;
  /** Groups one client may join itself (joinGroup); one more is refused with a BadRequest ack. @default 1000 */
  maxGroupsPerConnection?: number;
  /** Clock skew tolerated on token `exp`. @default 300 */
  tokenClockSkewSeconds?: number;
  /** @default a logger that writes nothing */
  logger?: ServiceLogger;
  /** @default the system clock and global timers */
  clock?: ServiceClock;
}

export type ResolvedServiceOptions = Readonly<Required<Omit<ServiceOptions, "secondaryAccessKey" | "quota" | "signalr" | "tls">>> & {
  readonly signalr: ResolvedSignalROptions;
  readonly secondaryAccessKey: string | undefined;
  readonly tls: Readonly<{ cert: string | Buffer; key: string | Buffer }> | undefined;
};

export class InvalidOptionsError extends Error {
  override readonly name = "InvalidOptionsError";
}

const silentLogger: ServiceLogger = { info: () => {}, warn: () => {}, error: () => {} };

export const systemClock: ServiceClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => {
    const handle = setTimeout(callback, ms);
    handle.unref?.();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw new InvalidOptionsError(`${name} must be a positive integer, got ${String(value)}`);
  return value;
}

/** The default meter: counts usage on the service clock, with the optional tier quota. */
function builtInMeter(options: ServiceOptions): ServiceMeter {
  const clock = options.clock ?? systemClock;
  try {
    return createUsageMeter({ now: () => clock.now(), ...(options.quota ? { quota: options.quota } : {}) });
  } catch (error) {
    throw new InvalidOptionsError(`quota: ${(error as Error).message}`);
  }
}

/** Validates once, fills defaults, freezes. */
export function resolveServiceOptions(options: ServiceOptions = {}): ResolvedServiceOptions {
  const service = options.service ?? "webpubsub";
  if (service !== "webpubsub" && service !== "signalr") throw new InvalidOptionsError(`service must be "webpubsub" or "signalr", got ${JSON.stringify(service)}`);
  const port = options.port ?? (service === "signalr" ? 8888 : 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidOptionsError(`port must be an integer 0-65535, got ${String(port)}`);
  const accessKey = options.accessKey ?? DEFAULT_ACCESS_KEY;
  if (typeof accessKey !== "string" || accessKey.length === 0) throw new InvalidOptionsError("accessKey must be a non-empty string");
  if (accessKey.includes(";")) throw new InvalidOptionsError("accessKey must not contain ';' (it would break the connection string)");
  if (options.secondaryAccessKey !== undefined && options.secondaryAccessKey.length === 0) {
    throw new InvalidOptionsError("secondaryAccessKey must be a non-empty string when given");
  }
  const host = options.host ?? DEFAULT_LISTEN_HOST;
  // Every accepted key counts: the well-known key as the secondary signs REST calls just as well.
  const usesDefaultKey = accessKey === DEFAULT_ACCESS_KEY || options.secondaryAccessKey === DEFAULT_ACCESS_KEY;
  const refusal = listenRefusal(host, usesDefaultKey, "the accessKey option (and a secondaryAccessKey other than the default)");
  if (refusal) throw new InvalidOptionsError(refusal);
  if (options.meter !== undefined && options.quota !== undefined) {
    throw new InvalidOptionsError("quota configures the built-in meter; with your own meter, pass it to createUsageMeter({ quota })");
  }
  return Object.freeze({
    service,
    signalr: resolveSignalROptions(options.signalr),
    port,
    host,
    accessKey,
    secondaryAccessKey: options.secondaryAccessKey,
    tls: options.tls === undefined ? undefined : Object.freeze({ cert: options.tls.cert, key: options.tls.key }),
    publicHost: options.publicHost ?? "localhost",
    backplane: options.backplane ?? new InProcessBus().createBackplane(),
    upstream: options.upstream ?? noUpstream,
    meter: options.meter ?? builtInMeter(options),
    maxClientFrameBytes: positiveInteger("maxClientFrameBytes", options.maxClientFrameBytes ?? 1_048_576),
    maxRestBodyBytes: positiveInteger("maxRestBodyBytes", options.maxRestBodyBytes ?? 1_048_576),
    recoveryWindowMs: positiveInteger("recoveryWindowMs", options.recoveryWindowMs ?? 30_000),
    maxUnackedMessages: positiveInteger("maxUnackedMessages", options.maxUnackedMessages ?? 1000),
    maxUnackedBytes: positiveInteger("maxUnackedBytes", options.maxUnackedBytes ?? 16 * 1024 * 1024),
    maxOutboundBytesPerConnection: positiveInteger("maxOutboundBytesPerConnection", options.maxOutboundBytesPerConnection ?? 16 * 1024 * 1024),
    maxPendingInboundFrames: positiveInteger("maxPendingInboundFrames", options.maxPendingInboundFrames ?? 64),
    maxPendingInboundBytes: positiveInteger("maxPendingInboundBytes", options.maxPendingInboundBytes ?? 16 * 1024 * 1024),
    reconnectionTokenLifetimeSeconds: positiveInteger("reconnectionTokenLifetimeSeconds", options.reconnectionTokenLifetimeSeconds ?? 604_800),
    maxGroupsPerConnection: positiveInteger("maxGroupsPerConnection", options.maxGroupsPerConnection ?? 1000),
    invokeTimeoutMs: positiveInteger("invokeTimeoutMs", options.invokeTimeoutMs ?? 30_000),
    maxInvocationsPerConnection: positiveInteger("maxInvocationsPerConnection", options.maxInvocationsPerConnection ?? 64),
    maxStreamsPerConnection: positiveInteger("maxStreamsPerConnection", options.maxStreamsPerConnection ?? 100),
    maxStreamIdLength: positiveInteger("maxStreamIdLength", options.maxStreamIdLength ?? 256),
    maxStreamIdleTimeoutMs: positiveInteger("maxStreamIdleTimeoutMs", options.maxStreamIdleTimeoutMs ?? 3_600_000),
    maxGroupStateKeys: positiveInteger("maxGroupStateKeys", options.maxGroupStateKeys ?? 64),
    maxGroupStateBytes: positiveInteger("maxGroupStateBytes", options.maxGroupStateBytes ?? 4096),
    maxGroupStateSubscribers: positiveInteger("maxGroupStateSubscribers", options.maxGroupStateSubscribers ?? 1000),
    tokenClockSkewSeconds: positiveInteger("tokenClockSkewSeconds", options.tokenClockSkewSeconds ?? 300),
    logger: options.logger ?? silentLogger,
    clock: options.clock ?? systemClock,
  });
}

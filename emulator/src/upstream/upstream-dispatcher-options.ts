import { noMeter, type ServiceMeter } from "../metering/service-meter";
import type { UpstreamSettings } from "./upstream-settings";

export const ONE_MIB = 1024 * 1024;

export interface UpstreamDispatcherOptions {
  /** Event handlers per hub (settings file and/or `--event-handler`). */
  settings: UpstreamSettings;
  /** The service's access keys, primary first: `ce-signature` carries one value per key. */
  accessKeys: readonly string[];
  /**
   * `host[:port]` of the service's public endpoint, sent as `WebHook-Request-Origin`. A function
   * when the port is only known after listening (port 0).
   */
  origin: string | (() => string);
  /** Where upstream traffic and latency are reported. @default noMeter */
  meter?: ServiceMeter;
  /** One line per noteworthy event (refused handshake, failed delivery); never secrets. @default no-op */
  log?: (line: string) => void;
  /** Timeout of each HTTP attempt. @default 30000 */
  requestTimeoutMs?: number;
  /** Waits before each retry on 408, 5xx, timeout or network error; its length is the retry count. @default [1000, 3000, 5000] */
  retryDelaysMs?: readonly number[];
  /** Largest event body sent upstream. @default 1 MiB */
  maxEventBytes?: number;
  /** Largest event handler response accepted. @default 1 MiB */
  maxResponseBytes?: number;
  /** Timeout of the abuse-protection OPTIONS. @default 10000 */
  handshakeTimeoutMs?: number;
  /** How long a refused handshake is remembered before trying again. @default 5000 */
  handshakeRefusalTtlMs?: number;
  /** How long `close()` waits for fire-and-forget events under way before cutting them. @default 2000 */
  closeGraceMs?: number;
  /** Clock for `ce-time` and caches. @default Date.now */
  now?: () => number;
  /** `ce-id` generator. @default crypto.randomUUID */
  newEventId?: () => string;
}

export interface ResolvedUpstreamOptions {
  readonly settings: UpstreamSettings;
  readonly accessKeys: readonly string[];
  readonly origin: () => string;
  readonly meter: ServiceMeter;
  readonly log: (line: string) => void;
  readonly requestTimeoutMs: number;
  readonly retryDelaysMs: readonly number[];
  readonly maxEventBytes: number;
  readonly maxResponseBytes: number;
  readonly handshakeTimeoutMs: number;
  readonly handshakeRefusalTtlMs: number;
  readonly closeGraceMs: number;
  readonly now: () => number;
  readonly newEventId: () => string;
}

/** Validates once, fills defaults, freezes. Throws `TypeError` naming the bad option. */
export function resolveUpstreamOptions(options: UpstreamDispatcherOptions, newEventId: () => string): ResolvedUpstreamOptions {
  if (options.accessKeys.length === 0 || options.accessKeys.some((k) => typeof k !== "string" || k.length === 0)) {
    throw new TypeError("upstream: accessKeys must hold at least one non-empty key");
  }
  const origin = options.origin;
  if (typeof origin === "string" && origin.length === 0) throw new TypeError("upstream: origin must be host[:port]");
  const resolved: ResolvedUpstreamOptions = {
    settings: options.settings,
    accessKeys: Object.freeze([...options.accessKeys]),
    origin: typeof origin === "string" ? () => origin : origin,
    meter: options.meter ?? noMeter,
    log: options.log ?? (() => {}),
    requestTimeoutMs: positive("requestTimeoutMs", options.requestTimeoutMs, 30_000),
    retryDelaysMs: Object.freeze([...(options.retryDelaysMs ?? [1000, 3000, 5000])]),
    maxEventBytes: positive("maxEventBytes", options.maxEventBytes, ONE_MIB),
    maxResponseBytes: positive("maxResponseBytes", options.maxResponseBytes, ONE_MIB),
    handshakeTimeoutMs: positive("handshakeTimeoutMs", options.handshakeTimeoutMs, 10_000),
    handshakeRefusalTtlMs: nonNegative("handshakeRefusalTtlMs", options.handshakeRefusalTtlMs, 5000),
    closeGraceMs: nonNegative("closeGraceMs", options.closeGraceMs, 2000),
    now: options.now ?? Date.now,
    newEventId: options.newEventId ?? newEventId,
  };
  if (resolved.retryDelaysMs.some((d) => !Number.isFinite(d) || d < 0)) throw new TypeError("upstream: retryDelaysMs must be non-negative numbers");
  return Object.freeze(resolved);
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`upstream: ${name} must be a positive number, got ${value}`);
  return value;
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) throw new TypeError(`upstream: ${name} must be a non-negative number, got ${value}`);
  return value;
}

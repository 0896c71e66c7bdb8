import { randomUUID } from "node:crypto";

/**
 * Where the backplane says that its link is up again. Link failures go to `onError` listeners
 * instead (the service logs them as "backplane: …" and counts them), so each is said once.
 */
export interface BackplaneLogger {
  info(message: string): void;
  warn(message: string): void;
}

export interface RedisBackplaneOptions {
  /** `redis://[user:password@]host:port[/db]`; the password is never logged. */
  url: string;
  /** Unique id of this node. @default a random UUID */
  nodeId?: string;
  /** Prefix of every channel name, so several clusters can share one Redis. @default "wps" */
  channelPrefix?: string;
  /** How long a query waits for the nodes that received it. @default 500 */
  queryTimeoutMs?: number;
  /** How long a membership or close command waits for the other nodes to confirm it. @default 1000 */
  applyTimeoutMs?: number;
  /**
   * How often a node renews its entry in the set of live nodes. A command or query waits for the
   * live nodes only, so a subscriber socket Redis still believes in (a node that reconnected while
   * its old socket stayed half-open) costs nothing. @default 1000
   */
  heartbeatIntervalMs?: number;
  /** How long an entry stays live without renewal: a node that stopped is waited for at most this long. @default 5000 */
  heartbeatTtlMs?: number;
  /** Upper bound of the reconnect back-off, which starts at 50 ms and doubles. @default 500 */
  maxReconnectDelayMs?: number;
  /** How long `attach` waits for the first connection. @default 5000 */
  connectTimeoutMs?: number;
  /** @default silent */
  logger?: BackplaneLogger;
}

export type ResolvedRedisBackplaneOptions = Readonly<Required<Omit<RedisBackplaneOptions, "logger">> & { logger: BackplaneLogger }>;

const silentLogger: BackplaneLogger = { info() {}, warn() {} };

/** Validates once (clear messages naming the option), fills defaults, freezes. */
export function resolveRedisBackplaneOptions(options: RedisBackplaneOptions): ResolvedRedisBackplaneOptions {
  let parsed: URL;
  try {
    parsed = new URL(options.url);
  } catch {
    throw new TypeError("RedisBackplane: `url` must be a redis:// or rediss:// URL");
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") {
    throw new TypeError(`RedisBackplane: \`url\` must use redis:// or rediss://, got ${parsed.protocol}//`);
  }
  const positive = (name: keyof RedisBackplaneOptions, value: number | undefined, fallback: number): number => {
    if (value === undefined) return fallback;
    if (!Number.isFinite(value) || value <= 0) throw new RangeError(`RedisBackplane: \`${name}\` must be a positive number of milliseconds`);
    return value;
  };
  const nodeId = options.nodeId ?? randomUUID();
  if (nodeId.length === 0) throw new TypeError("RedisBackplane: `nodeId` must not be empty");
  const channelPrefix = options.channelPrefix ?? "wps";
  if (channelPrefix.length === 0 || channelPrefix.includes(":")) {
    throw new TypeError("RedisBackplane: `channelPrefix` must be a non-empty string without ':'");
  }
  return Object.freeze({
    url: options.url,
    nodeId,
    channelPrefix,
    queryTimeoutMs: positive("queryTimeoutMs", options.queryTimeoutMs, 500),
    applyTimeoutMs: positive("applyTimeoutMs", options.applyTimeoutMs, 1000),
    maxReconnectDelayMs: positive("maxReconnectDelayMs", options.maxReconnectDelayMs, 500),
    heartbeatIntervalMs: positive("heartbeatIntervalMs", options.heartbeatIntervalMs, 1000),
    heartbeatTtlMs: positive("heartbeatTtlMs", options.heartbeatTtlMs, 5000),
    connectTimeoutMs: positive("connectTimeoutMs", options.connectTimeoutMs, 5000),
    logger: options.logger ?? silentLogger,
  });
}

/** Where the Redis server is, for log lines: host and port only, never credentials. */
export function describeRedisUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || "6379"}`;
}

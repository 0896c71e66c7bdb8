import type { RouteDefinition } from "../functions/route-table-types";
import type { CorsSettings } from "./cors-policy";
import { DEFAULT_LISTEN_HOST } from "../common/listen-address";

export interface HostLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const silentLogger: HostLogger = Object.freeze({ info() {}, warn() {}, error() {} });

export interface FunctionsHostOptions {
  /** The one route table (`functions/routes.ts`), served as `app.http` would register it. */
  routes: readonly RouteDefinition[];
  /** TCP port; 0 picks a free one. @default 7071 */
  port?: number;
  /** Interface to listen on; `0.0.0.0` or `::` listens on every interface, as `func start` does. @default "127.0.0.1" (loopback) */
  host?: string;
  /** Prefix before every route, like host.json `extensions.http.routePrefix`. @default "api" */
  routePrefix?: string;
  /**
   * Keys accepted for `function`/`admin` triggers (`x-functions-key` header or `?code=`).
   * Empty means keys are not enforced, as under `func start`. @default []
   */
  functionKeys?: readonly string[];
  /** CORS settings, like local.settings.json `Host.CORS`. @default { allowedOrigins: [], supportCredentials: false } */
  cors?: Partial<CorsSettings>;
  /**
   * Largest request body the host reads for a function; larger gets 413 before the function runs.
   * Azure allows 100 MB, but no function here takes more than 1 MiB, and the host reads a body
   * before the function (and any key check on anonymous routes) runs: eight concurrent 95 MB
   * posts would cost the process most of a gigabyte. @default 2_097_152
   */
  maxRequestBodyBytes?: number;
  /** Where the host and `context.log` write. @default silent */
  logger?: HostLogger;
}

export interface ResolvedHostOptions {
  readonly routes: readonly RouteDefinition[];
  readonly port: number;
  readonly host: string;
  readonly routePrefix: string;
  readonly functionKeys: readonly string[];
  readonly cors: Readonly<CorsSettings>;
  readonly maxRequestBodyBytes: number;
  readonly logger: HostLogger;
}

export class HostOptionsError extends Error {
  override readonly name = "HostOptionsError";
}

export function resolveHostOptions(options: FunctionsHostOptions): ResolvedHostOptions {
  const port = options.port ?? 7071;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new HostOptionsError(`port must be an integer 0-65535, got ${String(port)}`);
  if (!Array.isArray(options.routes)) throw new HostOptionsError("routes must be an array of route definitions");
  const maxRequestBodyBytes = options.maxRequestBodyBytes ?? 2 * 1024 * 1024;
  if (!Number.isInteger(maxRequestBodyBytes) || maxRequestBodyBytes < 0) {
    throw new HostOptionsError(`maxRequestBodyBytes must be a non-negative integer, got ${String(maxRequestBodyBytes)}`);
  }
  const functionKeys = [...(options.functionKeys ?? [])];
  if (functionKeys.some((key) => typeof key !== "string" || key === "")) throw new HostOptionsError("functionKeys must be non-empty strings");
  const allowedOrigins = [...(options.cors?.allowedOrigins ?? [])];
  const supportCredentials = options.cors?.supportCredentials ?? false;
  if (supportCredentials && allowedOrigins.includes("*")) {
    throw new HostOptionsError('CORS: supportCredentials cannot be combined with the "*" origin; list the origins instead');
  }
  return Object.freeze({
    routes: Object.freeze([...options.routes]),
    port,
    host: options.host ?? DEFAULT_LISTEN_HOST,
    routePrefix: (options.routePrefix ?? "api").replace(/^\/+|\/+$/g, ""),
    functionKeys: Object.freeze(functionKeys),
    cors: Object.freeze({ allowedOrigins: Object.freeze(allowedOrigins), supportCredentials }),
    maxRequestBodyBytes,
    logger: options.logger ?? silentLogger,
  });
}

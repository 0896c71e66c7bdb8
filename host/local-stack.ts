/**
 * The whole local stack in one process: the local Web PubSub service (`emulator/`) and the
 * functions host serving the route table, with the functions pointed at that service.
 * No environment access here: the CLI (`start-cli.ts`) reads env and flags and passes them in.
 */
import { createServer as createService, type ServiceServer } from "../emulator/src/server";
import type { ServiceLogger } from "../emulator/src/options";
import type { RouteDefinition } from "../functions/route-table-types";
import { createFunctionsHost, type FunctionsHost } from "./functions-host";
import type { CorsSettings } from "./cors-policy";
import type { HostLogger } from "./host-options";

export interface LocalStackOptions {
  routes: readonly RouteDefinition[];
  /** @default 7071 */
  functionsPort?: number;
  /** @default 8080 */
  emulatorPort?: number;
  /** Access key of the local service (and so of the connection string the functions use). */
  accessKey?: string;
  functionKeys?: readonly string[];
  cors?: Partial<CorsSettings>;
  hostLogger?: HostLogger;
  serviceLogger?: ServiceLogger;
  /**
   * Called once the service listens, before the functions host starts: the CLI points the
   * functions' settings at `connectionString` here and validates them.
   */
  beforeFunctionsStart?(service: { url: string; connectionString: string }): void;
}

export interface LocalStack {
  readonly serviceUrl: string;
  readonly connectionString: string;
  /** Base URL of the triggers, e.g. `http://localhost:7071/api`. */
  readonly functionsBaseUrl: string;
  readonly webPageUrl: string;
  close(): Promise<void>;
}

/** Which part of the stack could not start, so the CLI can name the port and its setting. */
export class StackStartError extends Error {
  override readonly name = "StackStartError";
  constructor(
    readonly part: "service" | "functions",
    readonly port: number,
    readonly failure: NodeJS.ErrnoException,
  ) {
    super(`${part} could not start on port ${port}: ${failure.message}`);
  }
}

function isListenError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && (error as NodeJS.ErrnoException).syscall === "listen";
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const emulatorPort = options.emulatorPort ?? 8080;
  const functionsPort = options.functionsPort ?? 7071;
  let service: ServiceServer;
  try {
    service = await createService({
      port: emulatorPort,
      ...(options.accessKey ? { accessKey: options.accessKey } : {}),
      ...(options.serviceLogger ? { logger: options.serviceLogger } : {}),
    });
  } catch (error) {
    if (isListenError(error)) throw new StackStartError("service", emulatorPort, error);
    throw error;
  }
  let host: FunctionsHost;
  try {
    options.beforeFunctionsStart?.({ url: service.url, connectionString: service.connectionString });
    host = await createFunctionsHost({
      routes: options.routes,
      port: functionsPort,
      functionKeys: options.functionKeys ?? [],
      cors: options.cors ?? {},
      ...(options.hostLogger ? { logger: options.hostLogger } : {}),
    });
  } catch (error) {
    await service.close();
    if (isListenError(error)) throw new StackStartError("functions", functionsPort, error);
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    serviceUrl: service.url,
    connectionString: service.connectionString,
    functionsBaseUrl: `${host.url}/api`,
    webPageUrl: `${host.url}/api/web/`,
    close: () => (closing ??= Promise.allSettled([host.close(), service.close()]).then(() => undefined)),
  };
}

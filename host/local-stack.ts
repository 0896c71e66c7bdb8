/**
 * The whole local stack in one process: the local service (`emulator/`, speaking Web PubSub or
 * SignalR) and the functions host serving the route table, with the functions pointed at that
 * service (and, with `events`, the service's event handler or SignalR upstream pointed at the
 * functions' trigger for it).
 * No environment access here: the CLI (`start-cli.ts`) reads env and flags and passes them in.
 */
import { RedisBackplane, type ServiceMeter, createUsageMeter, DEFAULT_ACCESS_KEY, type ServiceLogger, createServer as createService, type ServiceServer, createUpstreamDispatcher, type UpstreamDispatcher, parseEventHandlerOption, settingsFromHandlers } from "@serverless-pubsub-kit/emulator";
import type { RouteDefinition } from "../functions/route-table-types";
import type { RealtimeServiceKind } from "../shared/realtime-service";
import { createFunctionsHost, type FunctionsHost } from "./functions-host";
import type { CorsSettings } from "./cors-policy";
import type { HostLogger } from "./host-options";
import { DEFAULT_LISTEN_HOST, listenRefusal } from "../common/listen-address";

export interface LocalStackOptions {
  routes: readonly RouteDefinition[];
  /** Which managed service the local service speaks (the functions' `RealtimeService`). @default "webpubsub" */
  service?: RealtimeServiceKind;
  /** @default 7071 */
  functionsPort?: number;
  /** @default 8080 (Web PubSub), 8888 (SignalR, as Microsoft's SignalR emulator) */
  emulatorPort?: number;
  /**
   * Interface both servers listen on. Anything but loopback needs an `accessKey` other than the
   * default one (refused with a message saying how to set it). @default "127.0.0.1"
   */
  host?: string;
  /** Access key of the local service (and so of the connection string the functions use). @default DEFAULT_ACCESS_KEY */
  accessKey?: string;
  functionKeys?: readonly string[];
  cors?: Partial<CorsSettings>;
  /**
   * Send every hub's events (connect, connected, disconnected, user events) to the functions'
   * `/api/events/{hub}` trigger, as an Azure event handler would; for SignalR, every upstream
   * request to `/api/signalr/{hub}/{category}/{event}` (with the first function key, if any). @default false
   */
  events?: boolean;
  /**
   * Link the service to every other node on this Redis (`redis://host:port`), so a message sent
   * through any node reaches sockets held by all of them. @default undefined (a lone node)
   */
  redisUrl?: string;
  hostLogger?: HostLogger;
  serviceLogger?: ServiceLogger;
  /**
   * Called once both listen: the CLI points the functions' settings at `connectionString` here
   * and validates them (a throw stops the stack). The functions read settings on first use.
   */
  configureFunctions?(service: { url: string; connectionString: string }): void;
}

export interface LocalStack {
  readonly serviceUrl: string;
  readonly connectionString: string;
  /** Base URL of the triggers, e.g. `http://localhost:7071/api`. */
  readonly functionsBaseUrl: string;
  readonly webPageUrl: string;
  /** Where the service sends events, when `events` is on. */
  readonly eventHandlerUrl: string | undefined;
  close(): Promise<void>;
}

/** Which part of the stack could not listen, so the CLI can name the port and its setting. */
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

/** The stack was asked to listen beyond loopback with the default access key. */
export class StackListenRefused extends Error {
  override readonly name = "StackListenRefused";
}

function isListenError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && (error as NodeJS.ErrnoException).syscall === "listen";
}

function eventsDispatcher(
  eventHandlerUrl: string,
  accessKey: string,
  serviceHost: () => string,
  log: (line: string) => void,
  meter: ServiceMeter,
): UpstreamDispatcher {
  const settings = settingsFromHandlers([parseEventHandlerOption(`*=${eventHandlerUrl}`)]);
  return createUpstreamDispatcher({ settings, accessKeys: [accessKey], origin: serviceHost, log, meter });
}

/** The URL template the service sends events to, for each service kind's trigger. */
function eventHandlerTemplate(service: RealtimeServiceKind, functionsUrl: string, functionKeys: readonly string[]): { shown: string; withKey: string } {
  switch (service) {
    case "webpubsub": {
      const url = `${functionsUrl}/api/events/{hub}`;
      return { shown: url, withKey: url };
    }
    case "signalr": {
      // The SignalR upstream trigger is a "function" trigger, as on Azure (its URL carries the function key).
      const url = `${functionsUrl}/api/signalr/{hub}/{category}/{event}`;
      return { shown: url, withKey: functionKeys.length > 0 ? `${url}?code=${encodeURIComponent(functionKeys[0]!)}` : url };
    }
    default: {
      const _never: never = service;
      throw new Error(`unknown service ${String(_never)}`);
    }
  }
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const service = options.service ?? "webpubsub";
  const emulatorPort = options.emulatorPort ?? (service === "signalr" ? 8888 : 8080);
  const functionsPort = options.functionsPort ?? 7071;
  const accessKey = options.accessKey ?? DEFAULT_ACCESS_KEY;
  const refusal = listenRefusal(
    options.host ?? DEFAULT_LISTEN_HOST,
    accessKey === DEFAULT_ACCESS_KEY,
    "an AccessKey in WebPubSubConnectionString (local.settings.json), e.g. Endpoint=http://localhost:8080;AccessKey=<key>;Version=1.0;",
  );
  if (refusal) throw new StackListenRefused(refusal);

  // The functions host listens first, so the service's event handler URL can name its real port.
  let host: FunctionsHost;
  try {
    host = await createFunctionsHost({
      routes: options.routes,
      port: functionsPort,
      ...(options.host === undefined ? {} : { host: options.host }),
      functionKeys: options.functionKeys ?? [],
      cors: options.cors ?? {},
      ...(options.hostLogger ? { logger: options.hostLogger } : {}),
    });
  } catch (error) {
    if (isListenError(error)) throw new StackStartError("functions", functionsPort, error);
    throw error;
  }

  const handler = options.events ? eventHandlerTemplate(service, host.url, options.functionKeys ?? []) : undefined;
  const eventHandlerUrl = handler?.shown;
  let serviceHost = `localhost:${emulatorPort}`;
  let server: ServiceServer;
  try {
    // One meter for the service and its event dispatcher: events sent to the functions are billed traffic.
    const meter = createUsageMeter();
    const upstream =
      handler && service === "webpubsub"
        ? eventsDispatcher(handler.withKey, accessKey, () => serviceHost, (line) => options.serviceLogger?.warn(line), meter)
        : undefined;
    const logger = options.serviceLogger;
    const backplane = options.redisUrl ? new RedisBackplane({ url: options.redisUrl, ...(logger ? { logger } : {}) }) : undefined;
    server = await createService({
      port: emulatorPort,
      ...(options.host === undefined ? {} : { host: options.host }),
      accessKey,
      service,
      ...(backplane ? { backplane } : {}),
      meter,
      ...(upstream ? { upstream } : {}),
      ...(handler && service === "signalr" ? { signalr: { upstream: [{ urlTemplate: handler.withKey }] } } : {}),
      ...(options.serviceLogger ? { logger: options.serviceLogger } : {}),
    });
    serviceHost = new URL(server.url).host;
  } catch (error) {
    await host.close();
    if (isListenError(error)) throw new StackStartError("service", emulatorPort, error);
    throw error;
  }

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => (closing ??= Promise.allSettled([host.close(), server.close()]).then(() => undefined));
  try {
    options.configureFunctions?.({ url: server.url, connectionString: server.connectionString });
  } catch (error) {
    await close();
    throw error;
  }
  return {
    serviceUrl: server.url,
    connectionString: server.connectionString,
    functionsBaseUrl: `${host.url}/api`,
    webPageUrl: `${host.url}/api/web/`,
    eventHandlerUrl,
    close,
  };
}

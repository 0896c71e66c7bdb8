import { createServer as createService, type ServiceServer } from "../../../emulator/src/server";
import { createUpstreamDispatcher } from "../../../emulator/src/upstream/http-upstream-dispatcher";
import { parseUpstreamSettings } from "../../../emulator/src/upstream/upstream-settings";
import { createFunctionsHost, type FunctionsHost } from "../../../host/functions-host";
import { freePort } from "../../../scripts/free-port";

export const ACCESS_KEY = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH";

export interface EventsStack {
  service: ServiceServer;
  host: FunctionsHost;
  close(): Promise<void>;
}

/**
 * The local service with its hub `chat`'s events going to the function app's events trigger on
 * the local functions host (as `npm start -- --events` wires them), the real route table served
 * with the given app settings, CORS for the page's origin and optional function keys.
 */
export async function startEventsStack(options: {
  eventPattern: string;
  systemEvents: string[];
  settings: Record<string, string>;
  pageOrigin: string;
  functionKeys?: string[];
}): Promise<EventsStack> {
  const hostPort = await freePort();
  let origin = "";
  const upstream = createUpstreamDispatcher({
    settings: parseUpstreamSettings({
      WebPubSub: { Hubs: { chat: { EventHandlers: [{ UrlTemplate: `http://127.0.0.1:${hostPort}/api/events/{hub}`, EventPattern: options.eventPattern, SystemEvents: options.systemEvents }] } } },
    }),
    accessKeys: [ACCESS_KEY],
    origin: () => origin,
    log: () => {},
  });
  const service = await createService({ port: 0, accessKey: ACCESS_KEY, upstream });
  origin = new URL(service.url).host;
  // The route table reads its settings on first use.
  Object.assign(process.env, { WebPubSubConnectionString: service.connectionString, WebPubSubHub: "chat", IdentityMode: "anonymous", ...options.settings });
  const { routes } = await import("../../../functions/routes");
  const host = await createFunctionsHost({ routes, port: hostPort, ...(options.functionKeys ? { functionKeys: options.functionKeys } : {}), cors: { allowedOrigins: [options.pageOrigin] } });
  return {
    service,
    host,
    async close() {
      await host.close();
      await service.close();
    },
  };
}

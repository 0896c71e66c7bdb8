import type { HttpHandler } from "@azure/functions";
import { WebPubSubServiceClient } from "@azure/web-pubsub";
import { WebPubSubClient, type WebPubSubClientOptions } from "@azure/web-pubsub-client";
import type { ServiceOptions } from "../../../emulator/src/options";
import { createServer, type ServiceServer } from "../../../emulator/src/server";
import { createUpstreamDispatcher } from "../../../emulator/src/upstream/http-upstream-dispatcher";
import type { UpstreamDispatcherOptions } from "../../../emulator/src/upstream/upstream-dispatcher-options";
import type { UpstreamSettings } from "../../../emulator/src/upstream/upstream-settings";
import { createFunctionsHost, type FunctionsHost } from "../../../host/functions-host";

export const KEY = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH";

/** Short retries and timeouts so failure paths finish in milliseconds. */
export const fastUpstream = { retryDelaysMs: [10, 20], requestTimeoutMs: 3000, handshakeTimeoutMs: 3000 } as const;

export interface ServiceWithUpstream {
  service: ServiceServer;
  logs: string[];
  /** `host:port` the service sends as WebHook-Request-Origin. */
  origin: string;
  serverClient(hub: string): WebPubSubServiceClient;
  /** A started official client for `hub`, with token options; closed by `close()`. */
  client(hub: string, token: { userId?: string; groups?: string[]; roles?: string[] }, options?: WebPubSubClientOptions): Promise<WebPubSubClient>;
  close(): Promise<void>;
}

/** The local service on port 0 with a real HTTP upstream dispatcher for `settings`, and any other service options. */
export async function startServiceWithUpstream(
  settings: UpstreamSettings,
  extra: Partial<UpstreamDispatcherOptions> = {},
  serviceOptions: Omit<ServiceOptions, "port" | "accessKey" | "upstream"> = {},
): Promise<ServiceWithUpstream> {
  const logs: string[] = [];
  let origin = "";
  const upstream = createUpstreamDispatcher({ settings, accessKeys: [KEY], origin: () => origin, log: (line) => logs.push(line), ...fastUpstream, ...extra });
  const service = await createServer({ ...serviceOptions, port: 0, accessKey: KEY, upstream });
  origin = new URL(service.url).host;
  const clients: WebPubSubClient[] = [];
  const serverClient = (hub: string) => new WebPubSubServiceClient(service.connectionString, hub, { allowInsecureConnection: true });
  return {
    service,
    logs,
    origin,
    serverClient,
    async client(hub, token, options) {
      const { url } = await serverClient(hub).getClientAccessToken(token);
      const client = new WebPubSubClient(url, { autoReconnect: false, ...options });
      clients.push(client);
      await client.start();
      return client;
    },
    async close() {
      for (const client of clients) client.stop();
      await service.close();
    },
  };
}

/** E's local Functions host on port 0 serving one route whose handler is set later (it needs the service's URL). */
export async function startLazyFunctionsHost(route: string): Promise<{ host: FunctionsHost; setHandler(handler: HttpHandler): void }> {
  let handler: HttpHandler | undefined;
  const host = await createFunctionsHost({
    port: 0,
    routes: [
      {
        name: "events",
        methods: ["OPTIONS", "GET", "POST"],
        route,
        authLevel: "anonymous",
        handler: (request, context) => {
          if (!handler) throw new Error("handler not set yet");
          return handler(request, context);
        },
      },
    ],
  });
  return { host, setHandler: (h) => (handler = h) };
}

/** Resolves with the first `n` values pushed by `subscribe`, or rejects after `ms`. */
export function collect<T>(subscribe: (push: (value: T) => void) => void, n: number, ms = 5000): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const values: T[] = [];
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${n} value(s), got ${values.length}`)), ms);
    subscribe((value) => {
      values.push(value);
      if (values.length === n) {
        clearTimeout(timer);
        resolve(values);
      }
    });
  });
}

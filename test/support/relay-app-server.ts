import http from "node:http";
import type { AddressInfo } from "node:net";
import type { WebPubSubServiceClient } from "@azure/web-pubsub";
import { WebPubSubEventHandler } from "@azure/web-pubsub-express";
import express from "express";

/** The app server of the billing docs' third example: a real `@azure/web-pubsub-express` handler that broadcasts each user event through REST. */
export interface RelayAppServer {
  /** The event handler URL to configure on the service. */
  readonly url: string;
  /** The REST client the handler broadcasts with; it exists only once the service listens. */
  useService(service: WebPubSubServiceClient): void;
  close(): Promise<void>;
}

export async function startRelayAppServer(hub: string): Promise<RelayAppServer> {
  let service: WebPubSubServiceClient | undefined;
  const handler = new WebPubSubEventHandler(hub, {
    handleUserEvent: async (req, res) => {
      await service?.sendToAll(String(req.data), { contentType: "text/plain" });
      res.success();
    },
  });
  const app = express();
  app.use(handler.getMiddleware());
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${handler.path}`,
    useService: (client) => {
      service = client;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

import { WebPubSubServiceClient } from "@azure/web-pubsub";
import type { AppConfig } from "./config";

/**
 * The one place the SDK client is built. `allowInsecureConnection` is set for http endpoints
 * only (the local service); the SDK refuses plain http otherwise. Never for https.
 */
export function createServiceClient(config: Pick<AppConfig, "connectionString" | "endpoint" | "hub" | "serviceMaxRetries">): WebPubSubServiceClient {
  const insecure = new URL(config.endpoint).protocol === "http:";
  return new WebPubSubServiceClient(config.connectionString, config.hub, {
    ...(insecure ? { allowInsecureConnection: true } : {}),
    retryOptions: { maxRetries: config.serviceMaxRetries },
  });
}

import type { KeyObject } from "node:crypto";
import { WebPubSubServiceClient, type AzureKeyCredential, type WebPubSubServiceClientOptions } from "@azure/web-pubsub";
import type { AppConfig } from "./config";
import { createServiceAgent } from "./service-agent";

type PipelinePolicy = NonNullable<WebPubSubServiceClientOptions["additionalPolicies"]>[number]["policy"];

/**
 * The access key as the SDK's key credential, but holding a `KeyObject`. `@azure/web-pubsub`
 * reads `credential.key` on every REST call (its key credential policy signs a bearer token with
 * jsonwebtoken, audience = the request URL) and in `getClientAccessToken`; jsonwebtoken 9 given
 * the key as a string tries to parse it as a PEM key first and fails, every time. Given a
 * `KeyObject` it signs straight away. The SDK only passes `key` through, so callers keep using
 * `WebPubSubServiceClient` unchanged. Key rotation means a new config, so `update` is refused.
 */
class KeyObjectCredential {
  constructor(readonly key: KeyObject) {}

  update(): void {
    throw new Error("The access key is fixed for this client; build a new client from new settings.");
  }
}

/**
 * Every REST call of this client goes through one bounded keep-alive agent (`createServiceAgent`;
 * the service-connections test checks its bound and `noDelay`).
 */
function keepAlivePolicy(secure: boolean): PipelinePolicy {
  const agent = createServiceAgent(secure);
  return {
    name: "serviceKeepAliveAgent",
    sendRequest: (request, next) => {
      request.agent ??= agent;
      return next(request);
    },
  };
}

/**
 * The one place the SDK client is built. `allowInsecureConnection` is set for http endpoints
 * only (the local service); the SDK refuses plain http otherwise. Never for https.
 */
export function createServiceClient(config: Pick<AppConfig, "endpoint" | "accessKeyObject" | "hub" | "serviceMaxRetries">): WebPubSubServiceClient {
  const insecure = new URL(config.endpoint).protocol === "http:";
  const credential = new KeyObjectCredential(config.accessKeyObject) as unknown as AzureKeyCredential;
  return new WebPubSubServiceClient(config.endpoint, credential, config.hub, {
    ...(insecure ? { allowInsecureConnection: true } : {}),
    retryOptions: { maxRetries: config.serviceMaxRetries },
    additionalPolicies: [{ policy: keepAlivePolicy(!insecure), position: "perCall" }],
  });
}

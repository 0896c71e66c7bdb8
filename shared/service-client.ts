import type { KeyObject } from "node:crypto";
import http from "node:http";
import https from "node:https";
import { WebPubSubServiceClient, type AzureKeyCredential, type WebPubSubServiceClientOptions } from "@azure/web-pubsub";
import type { AppConfig } from "./config";
import { maxServiceConnections } from "./limits";

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
 * Every REST call of this client goes through one keep-alive agent: connections to the service
 * are reused across calls (no TCP handshake per message) and bounded, so a burst of sends queues
 * on `maxServiceConnections` sockets instead of opening one per call. Nagle's algorithm is off on
 * these sockets (`noDelay`), as Node's HTTP server already has it off on its side: a call is one
 * small request answered by one small response, and a request written while an earlier segment
 * on the socket is still unacknowledged would otherwise wait for the peer's delayed ACK. Node's
 * `http.Agent` already defaults `noDelay` to true; it is set here so the path does not hang on
 * that default (the service-connections test checks it).
 */
function keepAlivePolicy(secure: boolean): PipelinePolicy {
  const options = { keepAlive: true, noDelay: true, maxSockets: maxServiceConnections, scheduling: "lifo" as const };
  const agent = secure ? new https.Agent(options) : new http.Agent(options);
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

import type { WebPubSubServiceClient } from "@azure/web-pubsub";
import type { AppConfig } from "../shared/config";

/** What every trigger needs, injected so tests can point triggers at their own service. */
export interface TriggerDeps {
  readonly config: AppConfig;
  readonly service: WebPubSubServiceClient;
}

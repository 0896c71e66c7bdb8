import type { AppConfig } from "./config";
import type { RealtimeService } from "./realtime-service";
import { createSignalRService } from "./signalr/signalr-service";
import { createWebPubSubService } from "./web-pubsub-service";

/** The one place the setting `RealtimeService` picks an implementation of the seam. */
export function createRealtimeService(config: AppConfig): RealtimeService {
  switch (config.service) {
    case "webpubsub":
      return createWebPubSubService(config);
    case "signalr":
      return createSignalRService(config);
    default: {
      const _never: never = config.service;
      throw new Error(`unknown realtime service ${String(_never)}`);
    }
  }
}

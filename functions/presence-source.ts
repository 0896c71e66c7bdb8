import type { PresenceSource } from "../shared/group-presence";
import { webPubSubPresence } from "../shared/web-pubsub-presence";
import type { TriggerDeps } from "./trigger-deps";

/** The one place the presence triggers get their source; another realtime service plugs in here. */
export function presenceSource(deps: TriggerDeps): PresenceSource {
  return webPubSubPresence(deps.service);
}

import type { PresenceSource } from "../shared/group-presence";
import type { TriggerDeps } from "./trigger-deps";

/** The one place the presence triggers get their source: the realtime service seam itself. */
export function presenceSource(deps: TriggerDeps): PresenceSource {
  return deps.service;
}

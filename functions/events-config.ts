import { parseEventsConfig, type EventsConfig } from "../shared/events-config";
import type { TriggerDeps } from "./trigger-deps";

let config: EventsConfig | undefined;

/**
 * The events trigger's read of `process.env` (its two settings sit beside `app-config.ts`'s, which
 * is owned by the function-app core): validated on first use, then kept.
 */
export function loadEventsConfig(deps: TriggerDeps): EventsConfig {
  config ??= parseEventsConfig(process.env, deps.config);
  return config;
}

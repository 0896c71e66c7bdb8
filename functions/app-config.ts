import type { AppConfig, SettingsRecord } from "../shared/config";
import { parseConfig } from "../shared/config";
import { parseEventsConfig, type EventsConfig } from "../shared/events-config";
import { createRealtimeService } from "../shared/realtime-service-factory";
import type { TriggerDeps } from "./trigger-deps";

let deps: TriggerDeps | undefined;
let eventsConfig: EventsConfig | undefined;

/** The app's one read of `process.env`; every setting below is parsed from it. */
function appSettings(): SettingsRecord {
  return process.env;
}

/**
 * The app's config: validated on first use (and at start by `index.ts`), then kept.
 * Throws an `AppError("InvalidSetting")` whose message names the bad setting.
 */
export function loadAppConfig(): AppConfig {
  return appDeps().config;
}

/** Config plus the realtime service (Web PubSub or SignalR) every trigger shares. */
export function appDeps(): TriggerDeps {
  if (!deps) {
    const config = parseConfig(appSettings());
    deps = Object.freeze({ config, service: createRealtimeService(config) });
  }
  return deps;
}

/**
 * The `events` trigger's two settings, on top of `config`: validated on first use, then kept.
 * Throws an `AppError("InvalidSetting")` whose message names the bad setting.
 */
export function loadEventsConfig(config: Pick<AppConfig, "endpoint" | "accessKey">): EventsConfig {
  eventsConfig ??= parseEventsConfig(appSettings(), config);
  return eventsConfig;
}

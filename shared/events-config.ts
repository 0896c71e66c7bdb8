import type { AppConfig, SettingsRecord } from "./config";
import { AppError } from "./errors";

/** Settings of the `events` trigger, on top of the app's config. */
export interface EventsConfig {
  /**
   * `host[:port]` values answered in `WebHook-Allowed-Origin`; `*` allows any service.
   * @default the host of the service endpoint (e.g. `localhost:8080`, `<name>.webpubsub.azure.com`)
   */
  readonly allowedOrigins: readonly string[];
  /** Keys `ce-signature` is checked against: the connection string's key, then the secondary. Secrets. */
  readonly accessKeys: readonly string[];
}

/** The setting names this module reads, next to those of `shared/config.ts`. */
export const eventsSettingNames = ["EventHandlerAllowedOrigins", "WebPubSubSecondaryAccessKey"] as const;

/** Validates the events settings; the message names the bad setting. Never reads `process.env`. */
export function parseEventsConfig(settings: SettingsRecord, config: Pick<AppConfig, "endpoint" | "accessKey">): EventsConfig {
  const originsText = settings.EventHandlerAllowedOrigins?.trim();
  const allowedOrigins = originsText
    ? originsText.split(",").map((item) => item.trim()).filter((item) => item.length > 0).map(toOriginHost)
    : [new URL(config.endpoint).host];
  const secondary = settings.WebPubSubSecondaryAccessKey?.trim();
  return Object.freeze({
    allowedOrigins: Object.freeze(allowedOrigins),
    accessKeys: Object.freeze(secondary ? [config.accessKey, secondary] : [config.accessKey]),
  });
}

/** Accepts `*`, `host[:port]` or a URL (reduced to its host, as the express SDK does). */
function toOriginHost(item: string): string {
  if (item === "*") return item;
  if (/^https?:\/\//i.test(item)) {
    try {
      return new URL(item).host.toLowerCase();
    } catch {
      // fall through to the error below
    }
  } else if (/^[A-Za-z0-9.-]+(?::\d{1,5})?$/.test(item)) {
    return item.toLowerCase();
  }
  throw new AppError("InvalidSetting", `App setting EventHandlerAllowedOrigins holds ${JSON.stringify(item)}; give *, host[:port] or a URL.`, {
    setting: "EventHandlerAllowedOrigins",
  });
}

import { parseArgs } from "node:util";
import { createUpstreamDispatcher } from "./http-upstream-dispatcher";
import { DEFAULT_FUNCTIONS_URL, loadSettingsFile, writeStarterSettings } from "./settings-file";
import type { ServiceMeter } from "../metering/service-meter";
import type { UpstreamDispatcher } from "./upstream-dispatcher";
import { mergeUpstreamSettings, parseEventHandlerOption, settingsFromHandlers, UpstreamSettingsError, type UpstreamSettings } from "./upstream-settings";

/** The service CLI's upstream flags, spread into its `parseArgs` options. */
export const upstreamCliOptions = {
  settings: { type: "string" },
  "event-handler": { type: "string", multiple: true },
} as const;

export const UPSTREAM_USAGE = `                            [--settings emulator.settings.json]  event handlers, official emulator format (WebPubSub.Hubs.<hub>.EventHandlers)
                            [--event-handler <hub|*>=<urlTemplate>]...  all events of a hub to a URL ({hub}, {event} replaced)
       pubsub-emulator init-settings [emulator.settings.json] [--functions-url ${DEFAULT_FUNCTIONS_URL}] [--hub *] [--force]`;

/** The flags of `init-settings [file]`. */
export const initSettingsCliOptions = {
  "functions-url": { type: "string" },
  hub: { type: "string" },
  force: { type: "boolean", default: false },
} as const;

export const DEFAULT_SETTINGS_FILE = "emulator.settings.json";

export interface UpstreamFromCli {
  /** Undefined when no handler is configured (the service then uses `noUpstream`). */
  upstream: UpstreamDispatcher | undefined;
  /** Sets `host:port` sent as `WebHook-Request-Origin`; call with the server's URL once listening. */
  setServiceUrl(url: string): void;
  /** One line per hub for the startup log (no URL query strings: they may hold keys). */
  summary: string[];
}

/** Builds the dispatcher from `--settings` and `--event-handler`; errors are `UpstreamSettingsError`s. */
export async function upstreamFromCli(
  values: { settings?: string; "event-handler"?: string[] },
  deps: {
    accessKeys: readonly string[];
    log: (line: string) => void;
    /** The service's meter: events sent upstream are outbound, billed traffic. @default noMeter */
    meter?: ServiceMeter;
  },
): Promise<UpstreamFromCli> {
  let settings: UpstreamSettings = { hubs: {} };
  if (values.settings) settings = await loadSettingsFile(values.settings);
  const extra = (values["event-handler"] ?? []).map(parseEventHandlerOption);
  settings = mergeUpstreamSettings(settings, settingsFromHandlers(extra));
  let origin = "localhost";
  const summary = Object.entries(settings.hubs).map(
    ([hub, handlers]) => `upstream: hub ${hub} → ${handlers.map((h) => h.urlTemplate.split("?")[0]).join(", ") || "no handlers"}`,
  );
  const configured = Object.values(settings.hubs).some((handlers) => handlers.length > 0);
  return {
    upstream: configured ? createUpstreamDispatcher({
          settings,
          accessKeys: deps.accessKeys,
          origin: () => origin,
          log: deps.log,
          ...(deps.meter ? { meter: deps.meter } : {}),
        }) : undefined,
    setServiceUrl: (url) => {
      origin = new URL(url).host;
    },
    summary,
  };
}

/** `init-settings [file] [--functions-url URL] [--hub NAME] [--force]`: writes a starter settings file. */
export async function runInitSettings(args: string[], print: (line: string) => void): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    options: initSettingsCliOptions,
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length > 1) throw new UpstreamSettingsError("init-settings takes at most one file name.");
  const file = positionals[0] ?? DEFAULT_SETTINGS_FILE;
  const functionsUrl = values["functions-url"] ?? DEFAULT_FUNCTIONS_URL;
  await writeStarterSettings(file, { functionsUrl, ...(values.hub ? { hub: values.hub } : {}), force: values.force });
  print(`wrote ${file}: every event of hub ${values.hub ?? "*"} goes to ${functionsUrl.replace(/\/+$/, "")}/api/events/{hub}`);
  print(`start the service with: npx pubsub-emulator --settings ${file}`);
}

import { nameRecord } from "../name-record";
/** The system events a handler can subscribe to. */
export const SYSTEM_EVENTS = ["connect", "connected", "disconnected", "joined", "left"] as const;
export type SystemEventName = (typeof SYSTEM_EVENTS)[number];

/** One event handler of a hub, as in the official emulator's `EventHandlers[]`. */
export interface EventHandlerSettings {
  /** Handler URL; `{hub}` and `{event}` are replaced per request. */
  readonly urlTemplate: string;
  /** System events sent to this handler. */
  readonly systemEvents: readonly SystemEventName[];
  /** User events sent to this handler: `*`, a comma list, or one name (case-insensitive). Empty: none. */
  readonly eventPattern: string;
}

/**
 * Handlers per hub, keyed by hub name as written. The key `*` applies to every hub that has no
 * entry of its own (matched case-insensitively, like hub names in `ce-hub`).
 */
export interface UpstreamSettings {
  readonly hubs: Readonly<Record<string, readonly EventHandlerSettings[]>>;
}

export class UpstreamSettingsError extends Error {
  readonly code = "InvalidUpstreamSettings";
  override readonly name = "UpstreamSettingsError";
}

/**
 * Parses a settings document shaped like the official emulator's appsettings.json:
 * `{"WebPubSub":{"Hubs":{"<hub>":{"EventHandlers":[{"UrlTemplate","SystemEvents","EventPattern"}]}}}}`.
 * Keys are matched case-insensitively, as .NET configuration does. Other sections are ignored.
 */
export function parseUpstreamSettings(document: unknown, source = "settings"): UpstreamSettings {
  const webPubSub = property(document, "WebPubSub");
  if (webPubSub === undefined) return freezeSettings(nameRecord<EventHandlerSettings[]>());
  const hubsNode = property(webPubSub, "Hubs");
  if (hubsNode === undefined) return freezeSettings(nameRecord<EventHandlerSettings[]>());
  if (!isRecord(hubsNode)) throw new UpstreamSettingsError(`${source}: WebPubSub.Hubs must be an object.`);
  const hubs = nameRecord<EventHandlerSettings[]>();
  for (const [hub, hubNode] of Object.entries(hubsNode)) {
    const where = `${source}: WebPubSub.Hubs.${hub}`;
    const handlersNode = property(hubNode, "EventHandlers") ?? [];
    if (!Array.isArray(handlersNode)) throw new UpstreamSettingsError(`${where}.EventHandlers must be an array.`);
    hubs[hub] = handlersNode.map((node, index) => parseHandler(node, `${where}.EventHandlers[${index}]`));
  }
  return freezeSettings(hubs);
}

/**
 * Parses the CLI form `--event-handler <hub>=<urlTemplate>`: every system event and every user
 * event of `<hub>` (or of all hubs, with `*`) go to the URL.
 */
export function parseEventHandlerOption(spec: string): { hub: string; handler: EventHandlerSettings } {
  const at = spec.indexOf("=");
  if (at <= 0) throw new UpstreamSettingsError(`--event-handler expects <hub>=<urlTemplate>, got "${spec}".`);
  const hub = spec.slice(0, at).trim();
  const handler = makeHandler(spec.slice(at + 1).trim(), [...SYSTEM_EVENTS], "*", `--event-handler ${hub}`);
  return { hub, handler };
}

/** Settings with the handlers of `extra` appended after those of `base`, hub by hub. */
export function mergeUpstreamSettings(base: UpstreamSettings, extra: UpstreamSettings): UpstreamSettings {
  const hubs = nameRecord<EventHandlerSettings[]>();
  for (const [hub, handlers] of Object.entries(base.hubs)) hubs[hub] = [...handlers];
  for (const [hub, handlers] of Object.entries(extra.hubs)) hubs[hub] = [...(hubs[hub] ?? []), ...handlers];
  return freezeSettings(hubs);
}

/** Settings holding `handlers` for the given hubs, e.g. from repeated `--event-handler` options. */
export function settingsFromHandlers(entries: ReadonlyArray<{ hub: string; handler: EventHandlerSettings }>): UpstreamSettings {
  const hubs = nameRecord<EventHandlerSettings[]>();
  for (const { hub, handler } of entries) (hubs[hub] ??= []).push(handler);
  return freezeSettings(hubs);
}

/** The handlers configured for `hub`: its own entry (case-insensitive), else the `*` entry. */
export function handlersForHub(settings: UpstreamSettings, hub: string): readonly EventHandlerSettings[] {
  const wanted = hub.toLowerCase();
  let fallback: readonly EventHandlerSettings[] = [];
  for (const [name, handlers] of Object.entries(settings.hubs)) {
    if (name.toLowerCase() === wanted) return handlers;
    if (name === "*") fallback = handlers;
  }
  return fallback;
}

function parseHandler(node: unknown, where: string): EventHandlerSettings {
  if (!isRecord(node)) throw new UpstreamSettingsError(`${where} must be an object.`);
  const urlTemplate = property(node, "UrlTemplate");
  if (typeof urlTemplate !== "string") throw new UpstreamSettingsError(`${where}.UrlTemplate must be a string.`);
  const systemEventsNode = property(node, "SystemEvents") ?? [];
  const systemEvents = typeof systemEventsNode === "string" ? splitList(systemEventsNode) : systemEventsNode;
  if (!Array.isArray(systemEvents) || !systemEvents.every((e): e is string => typeof e === "string")) {
    throw new UpstreamSettingsError(`${where}.SystemEvents must be an array of event names.`);
  }
  const eventPattern = property(node, "EventPattern") ?? "";
  if (typeof eventPattern !== "string") throw new UpstreamSettingsError(`${where}.EventPattern must be a string.`);
  return makeHandler(urlTemplate, systemEvents, eventPattern, where);
}

function makeHandler(urlTemplate: string, systemEvents: readonly string[], eventPattern: string, where: string): EventHandlerSettings {
  const probe = urlTemplate.replace(/\{hub\}/gi, "hub").replace(/\{event\}/gi, "event");
  let url: URL;
  try {
    url = new URL(probe);
  } catch {
    throw new UpstreamSettingsError(`${where}: UrlTemplate "${urlTemplate}" is not an absolute URL.`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UpstreamSettingsError(`${where}: UrlTemplate must use http or https, got "${url.protocol}".`);
  }
  const events: SystemEventName[] = [];
  for (const name of systemEvents) {
    const known = SYSTEM_EVENTS.find((e) => e === name.trim().toLowerCase());
    if (!known) throw new UpstreamSettingsError(`${where}: unknown system event "${name}" (expected ${SYSTEM_EVENTS.join(", ")}).`);
    if (!events.includes(known)) events.push(known);
  }
  return Object.freeze({ urlTemplate, systemEvents: Object.freeze(events), eventPattern: eventPattern.trim() });
}

function freezeSettings(hubs: Record<string, EventHandlerSettings[]>): UpstreamSettings {
  for (const handlers of Object.values(hubs)) Object.freeze(handlers);
  return Object.freeze({ hubs: Object.freeze(hubs) });
}

function splitList(text: string): string[] {
  return text.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Case-insensitive property lookup, as .NET configuration binds keys. */
function property(node: unknown, name: string): unknown {
  if (!isRecord(node)) return undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(node)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

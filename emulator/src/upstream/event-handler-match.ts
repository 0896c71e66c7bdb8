import type { EventHandlerSettings, SystemEventName } from "./upstream-settings";

/** What the service wants to tell the application about. */
export type UpstreamEventKey =
  | { kind: "system"; name: SystemEventName }
  | { kind: "user"; name: string };

/** The first handler that wants `event` (first match wins), or undefined. */
export function findHandler(handlers: readonly EventHandlerSettings[], event: UpstreamEventKey): EventHandlerSettings | undefined {
  return handlers.find((handler) => handlerWants(handler, event));
}

export function handlerWants(handler: EventHandlerSettings, event: UpstreamEventKey): boolean {
  switch (event.kind) {
    case "system":
      return handler.systemEvents.includes(event.name);
    case "user":
      return userEventMatches(handler.eventPattern, event.name);
    default: {
      const _never: never = event;
      return _never;
    }
  }
}

/** `*` matches every user event; otherwise a comma list of names, compared case-insensitively. */
export function userEventMatches(pattern: string, eventName: string): boolean {
  const wanted = eventName.toLowerCase();
  return pattern
    .split(",")
    .map((p) => p.trim().toLowerCase())
    .some((p) => p === "*" || (p.length > 0 && p === wanted));
}

/** The handler URL for one event: `{hub}` and `{event}` replaced by their URL-encoded values. */
export function expandUrlTemplate(template: string, hub: string, eventName: string): string {
  return template.replace(/\{hub\}/gi, encodeURIComponent(hub)).replace(/\{event\}/gi, encodeURIComponent(eventName));
}

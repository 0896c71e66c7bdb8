/** One upstream URL template in the official SignalR emulator's settings shape (`UpstreamSettings.Templates`). */
export interface UpstreamTemplate {
  urlTemplate: string;
  /** `*`, one name or a comma list. @default "*" */
  hubPattern?: string;
  /** `connections`, `messages`, `*` or a comma list. @default "*" */
  categoryPattern?: string;
  /** `connected`, `disconnected`, a target, `*` or a comma list. @default "*" */
  eventPattern?: string;
}

export type UpstreamCategory = "connections" | "messages";

export class UpstreamTemplatesError extends Error {
  override readonly name = "UpstreamTemplatesError";
}

function patternMatches(pattern: string | undefined, value: string): boolean {
  const wanted = value.toLowerCase();
  return (pattern ?? "*")
    .split(",")
    .map((p) => p.trim().toLowerCase())
    .some((p) => p === "*" || (p.length > 0 && p === wanted));
}

/** Lone surrogates (a client may invoke a method with one in its name) have no UTF-8 form: they become U+FFFD. */
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function pathSegment(text: string): string {
  return encodeURIComponent(text.replace(loneSurrogate, "\uFFFD"));
}

/** The URL of the first template that wants this event, placeholders URL-encoded; undefined when none does. */
export function upstreamUrl(templates: readonly UpstreamTemplate[], hub: string, category: UpstreamCategory, event: string): string | undefined {
  const template = templates.find((t) => patternMatches(t.hubPattern, hub) && patternMatches(t.categoryPattern, category) && patternMatches(t.eventPattern, event));
  if (!template) return undefined;
  return template.urlTemplate
    .replace(/\{hub\}/gi, pathSegment(hub))
    .replace(/\{category\}/gi, pathSegment(category))
    .replace(/\{event\}/gi, pathSegment(event));
}

/** Reads `{"UpstreamSettings":{"Templates":[{UrlTemplate, HubPattern, CategoryPattern, EventPattern}]}}` (keys in any case). */
export function parseUpstreamSettingsDocument(document: unknown, source: string): UpstreamTemplate[] {
  const settings = property(document, "UpstreamSettings");
  if (settings === undefined) throw new UpstreamTemplatesError(`${source}: no UpstreamSettings section`);
  const templates = property(settings, "Templates") ?? [];
  if (!Array.isArray(templates)) throw new UpstreamTemplatesError(`${source}: UpstreamSettings.Templates must be an array`);
  return templates.map((item, index) => {
    const url = property(item, "UrlTemplate");
    if (typeof url !== "string" || !/^https?:\/\//i.test(url)) throw new UpstreamTemplatesError(`${source}: Templates[${index}].UrlTemplate must be an absolute http(s) URL`);
    const pattern = (name: string): string | undefined => {
      const value = property(item, name);
      if (value === undefined || value === null) return undefined;
      if (typeof value !== "string") throw new UpstreamTemplatesError(`${source}: Templates[${index}].${name} must be a string`);
      return value;
    };
    const hubPattern = pattern("HubPattern");
    const categoryPattern = pattern("CategoryPattern");
    const eventPattern = pattern("EventPattern");
    return {
      urlTemplate: url,
      ...(hubPattern === undefined ? {} : { hubPattern }),
      ...(categoryPattern === undefined ? {} : { categoryPattern }),
      ...(eventPattern === undefined ? {} : { eventPattern }),
    };
  });
}

function property(value: unknown, name: string): unknown {
  if (typeof value !== "object" || value === null) return undefined;
  const key = Object.keys(value).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : (value as Record<string, unknown>)[key];
}

import { readFile } from "node:fs/promises";
import { parseUpstreamSettingsDocument, UpstreamTemplatesError, type UpstreamTemplate } from "./upstream-templates";

/**
 * The SignalR face's upstream from the CLI: `--settings <file>` in the official SignalR
 * emulator's shape (`UpstreamSettings.Templates`), then each `--event-handler <hub|*>=<url>` as a
 * template for every category and event of that hub.
 */
export async function signalrTemplatesFromCli(values: { settings?: string; "event-handler"?: string[] }): Promise<UpstreamTemplate[]> {
  const templates: UpstreamTemplate[] = [];
  if (values.settings) {
    let text: string;
    try {
      text = await readFile(values.settings, "utf8");
    } catch (error) {
      throw new UpstreamTemplatesError(`cannot read settings file ${values.settings}: ${(error as Error).message}`);
    }
    let document: unknown;
    try {
      document = JSON.parse(text.replace(/^\uFEFF/, ""));
    } catch (error) {
      throw new UpstreamTemplatesError(`settings file ${values.settings} is not valid JSON: ${(error as Error).message}`);
    }
    templates.push(...parseUpstreamSettingsDocument(document, values.settings));
  }
  for (const spec of values["event-handler"] ?? []) {
    const at = spec.indexOf("=");
    const url = spec.slice(at + 1).trim();
    if (at <= 0 || !/^https?:\/\//i.test(url)) throw new UpstreamTemplatesError(`--event-handler expects <hub|*>=<http(s) urlTemplate>, got "${spec}".`);
    templates.push({ urlTemplate: url, hubPattern: spec.slice(0, at).trim() });
  }
  return templates;
}

/** One line per template for the startup log (no query strings: they may hold keys). */
export function describeTemplates(templates: readonly UpstreamTemplate[]): string[] {
  return templates.map(
    (t) => `upstream: hub ${t.hubPattern ?? "*"}, category ${t.categoryPattern ?? "*"}, event ${t.eventPattern ?? "*"} → ${t.urlTemplate.split("?")[0]}`,
  );
}

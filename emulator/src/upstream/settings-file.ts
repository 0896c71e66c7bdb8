import { readFile, writeFile } from "node:fs/promises";
import { parseUpstreamSettings, UpstreamSettingsError, type UpstreamSettings } from "./upstream-settings";

/** Where the local function app listens (`func start` and the project's local host). */
export const DEFAULT_FUNCTIONS_URL = "http://localhost:7071";

/**
 * A starter settings document in the official emulator's shape: every event of every hub (`*`)
 * goes to the function app's `events` trigger.
 */
export function starterSettingsDocument(functionsUrl: string = DEFAULT_FUNCTIONS_URL, hub = "*"): object {
  const base = functionsUrl.replace(/\/+$/, "");
  return {
    WebPubSub: {
      Hubs: {
        [hub]: {
          EventHandlers: [
            {
              UrlTemplate: `${base}/api/events/{hub}`,
              SystemEvents: ["connect", "connected", "disconnected", "joined", "left"],
              EventPattern: "*",
            },
          ],
        },
      },
    },
  };
}

/** Reads and parses `--settings <file>`; every problem is an `UpstreamSettingsError` naming the file. */
export async function loadSettingsFile(path: string): Promise<UpstreamSettings> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new UpstreamSettingsError(`cannot read settings file ${path}: ${(error as Error).message}`);
  }
  let document: unknown;
  try {
    // appsettings.json files may start with a BOM.
    document = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (error) {
    throw new UpstreamSettingsError(`settings file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  return parseUpstreamSettings(document, path);
}

/** Writes the starter document; refuses to overwrite an existing file unless `force`. */
export async function writeStarterSettings(path: string, options: { functionsUrl?: string; hub?: string; force?: boolean } = {}): Promise<void> {
  const text = `${JSON.stringify(starterSettingsDocument(options.functionsUrl, options.hub), null, 2)}\n`;
  try {
    await writeFile(path, text, { flag: options.force ? "w" : "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") {
      throw new UpstreamSettingsError(`${path} already exists; pass --force to overwrite it.`);
    }
    throw error;
  }
}

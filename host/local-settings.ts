/**
 * `local.settings.json`, read as Core Tools reads it: `Values` become environment variables
 * (never overriding one already set), `Host.CORS` / `Host.CORSCredentials` / `Host.LocalHttpPort`
 * configure the host. Parsing is pure; applying takes the environment object it should change.
 */
import { readFileSync } from "node:fs";

export interface LocalSettings {
  values: Record<string, string>;
  cors: string[];
  corsCredentials: boolean;
  localHttpPort: number | undefined;
}

export class LocalSettingsError extends Error {
  override readonly name = "LocalSettingsError";
}

export const emptyLocalSettings: LocalSettings = Object.freeze({ values: {}, cors: [], corsCredentials: false, localHttpPort: undefined });

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function parseLocalSettings(text: string, source = "local.settings.json"): LocalSettings {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new LocalSettingsError(`${source} is not valid JSON: ${(error as Error).message}`);
  }
  if (!isRecord(parsed)) throw new LocalSettingsError(`${source} must hold a JSON object`);
  if (parsed.IsEncrypted === true) throw new LocalSettingsError(`${source} is encrypted; decrypt it with "func settings decrypt" first`);

  const values: Record<string, string> = {};
  if (parsed.Values !== undefined) {
    if (!isRecord(parsed.Values)) throw new LocalSettingsError(`${source}: "Values" must be an object of strings`);
    for (const [name, value] of Object.entries(parsed.Values)) {
      if (typeof value === "string") values[name] = value;
      else if (typeof value === "number" || typeof value === "boolean") values[name] = String(value);
      else throw new LocalSettingsError(`${source}: Values.${name} must be a string`);
    }
  }

  const host = isRecord(parsed.Host) ? parsed.Host : {};
  const corsText = host.CORS;
  if (corsText !== undefined && typeof corsText !== "string") throw new LocalSettingsError(`${source}: Host.CORS must be a comma-separated string`);
  const cors = splitOrigins(corsText ?? "");
  const corsCredentials = host.CORSCredentials === true || host.CORSCredentials === "true";
  let localHttpPort: number | undefined;
  if (host.LocalHttpPort !== undefined) {
    localHttpPort = Number(host.LocalHttpPort);
    if (!Number.isInteger(localHttpPort) || localHttpPort < 0 || localHttpPort > 65535) {
      throw new LocalSettingsError(`${source}: Host.LocalHttpPort must be a port number (0-65535)`);
    }
  }
  return { values, cors, corsCredentials, localHttpPort };
}

export function splitOrigins(text: string): string[] {
  return text.split(",").map((origin) => origin.trim()).filter((origin) => origin !== "");
}

/** Reads the file if it exists; a missing file means no settings, as with `func start`. */
export function readLocalSettings(path: string): LocalSettings {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return emptyLocalSettings;
    throw new LocalSettingsError(`cannot read ${path}: ${(error as Error).message}`);
  }
  return parseLocalSettings(text, path);
}

/** Copies `values` into `env` without overriding what is already set; returns the names it set. */
export function applySettingValues(values: Record<string, string>, env: NodeJS.ProcessEnv): string[] {
  const applied: string[] = [];
  for (const [name, value] of Object.entries(values)) {
    if (env[name] !== undefined) continue;
    env[name] = value;
    applied.push(name);
  }
  return applied;
}

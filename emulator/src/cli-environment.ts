/**
 * Flags from environment variables, the way Azurite takes them: every flag `--some-flag` is also
 * `PUBSUB_EMULATOR_SOME_FLAG`, and a flag on the command line wins over its variable. Pure: the
 * CLI hands in `process.env`.
 */

export const ENV_PREFIX = "PUBSUB_EMULATOR_";

type FlagTable = Readonly<Record<string, { readonly type: "string" | "boolean"; readonly multiple?: boolean }>>;
type FlagValue = string | boolean | string[] | undefined;

/** `max-client-frame-bytes` → `PUBSUB_EMULATOR_MAX_CLIENT_FRAME_BYTES`. */
export function envNameOf(flag: string): string {
  return ENV_PREFIX + flag.toUpperCase().replace(/-/g, "_");
}

export class FlagValueError extends Error {
  override readonly name = "FlagValueError";
}

/** Where a value came from, for error messages: `--port` or `PUBSUB_EMULATOR_PORT`. */
export type FlagSources = Readonly<Record<string, string>>;

/**
 * Merges the variables into the parsed flags. Booleans take `1`/`true`/`yes` or `0`/`false`/`no`;
 * a repeatable flag takes several values separated by whitespace. Empty variables are ignored.
 */
export function withEnvironment<T extends Record<string, FlagValue>>(
  table: FlagTable,
  parsed: T,
  env: Readonly<Record<string, string | undefined>>,
  skip: readonly string[] = [],
): { values: T; sources: FlagSources } {
  const values: Record<string, FlagValue> = { ...parsed };
  const sources: Record<string, string> = {};
  for (const [flag, spec] of Object.entries(table)) {
    sources[flag] = `--${flag}`;
    if (values[flag] !== undefined || skip.includes(flag)) continue;
    const name = envNameOf(flag);
    const raw = env[name]?.trim();
    if (raw === undefined || raw === "") continue;
    sources[flag] = name;
    if (spec.type === "boolean") {
      if (/^(1|true|yes)$/i.test(raw)) values[flag] = true;
      else if (/^(0|false|no)$/i.test(raw)) values[flag] = false;
      else throw new FlagValueError(`${name} must be true or false, got "${raw}"`);
    } else {
      values[flag] = spec.multiple ? raw.split(/\s+/) : raw;
    }
  }
  return { values: values as T, sources };
}

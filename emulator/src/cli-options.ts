/**
 * The flags of `npm run emulator`, in one table: the CLI parses with it, and
 * test/docs/docs-tables.test.ts checks docs/local-service.md's flag tables against it.
 */
import { initSettingsCliOptions, upstreamCliOptions } from "./upstream/upstream-cli";

export const emulatorCliOptions = {
  service: { type: "string", default: "webpubsub" },
  port: { type: "string" },
  host: { type: "string" },
  "access-key": { type: "string" },
  "secondary-access-key": { type: "string" },
  "max-client-frame-bytes": { type: "string" },
  "max-rest-body-bytes": { type: "string" },
  "max-outbound-bytes": { type: "string" },
  "max-pending-inbound-frames": { type: "string" },
  "max-pending-inbound-bytes": { type: "string" },
  tier: { type: "string" },
  units: { type: "string" },
  redis: { type: "string" },
  ...upstreamCliOptions,
  quiet: { type: "boolean", default: false },
  help: { type: "boolean", default: false },
} as const;

/** `npm run emulator -- init-settings [file]`: its own flags. */
export { initSettingsCliOptions };

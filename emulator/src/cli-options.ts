/**
 * The flags of `pubsub-emulator` (`npm run emulator` here), in one table: the CLI parses with it,
 * every flag is also a `PUBSUB_EMULATOR_*` variable, and the docs test checks the local service
 * guide's flag table against it. No defaults here: a flag left out may still come from its
 * variable, so defaults are applied after both are read.
 */
import { initSettingsCliOptions, upstreamCliOptions } from "./upstream/upstream-cli";

export const emulatorCliOptions = {
  service: { type: "string" },
  port: { type: "string" },
  host: { type: "string" },
  "access-key": { type: "string" },
  "secondary-access-key": { type: "string" },
  "max-client-frame-bytes": { type: "string" },
  "max-rest-body-bytes": { type: "string" },
  "max-outbound-bytes": { type: "string" },
  "max-pending-inbound-frames": { type: "string" },
  "max-pending-inbound-bytes": { type: "string" },
  "invoke-timeout-ms": { type: "string" },
  "max-invocations-per-connection": { type: "string" },
  "max-streams-per-connection": { type: "string" },
  "max-stream-id-length": { type: "string" },
  "max-stream-idle-timeout-ms": { type: "string" },
  "max-group-state-keys": { type: "string" },
  "max-group-state-bytes": { type: "string" },
  "max-group-state-subscribers": { type: "string" },
  "websocket-fragment-bytes": { type: "string" },
  "long-poll-timeout-ms": { type: "string" },
  "long-poll-grace-ms": { type: "string" },
  "stateful-reconnect-buffer-bytes": { type: "string" },
  tier: { type: "string" },
  units: { type: "string" },
  redis: { type: "string" },
  cert: { type: "string" },
  key: { type: "string" },
  ...upstreamCliOptions,
  quiet: { type: "boolean" },
  help: { type: "boolean" },
} as const;

/** `pubsub-emulator init-settings [file]`: its own flags. */
export { initSettingsCliOptions };

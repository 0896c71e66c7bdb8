/**
 * The flags of `npm start`, in one table: the CLI parses with it, and
 * test/docs/docs-tables.test.ts checks docs/local-development.md's flag table against it.
 */
export const startCliOptions = {
  service: { type: "string" },
  "functions-port": { type: "string" },
  "emulator-port": { type: "string" },
  "function-key": { type: "string", multiple: true },
  settings: { type: "string" },
  events: { type: "boolean", default: false },
  host: { type: "string" },
  verbose: { type: "boolean", default: false },
  nodes: { type: "string" },
  redis: { type: "string" },
  help: { type: "boolean", default: false },
} as const;

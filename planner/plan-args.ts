/** `npm run plan` flags, parsed and checked without I/O. */
import { parseArgs } from "node:util";
import { parseFanout, WorkloadError, type DescribedWorkload } from "./workload";

export const PLAN_USAGE = `Usage: npm run plan -- --connections N --messages-per-second R --size BYTES --fanout broadcast|group:N|user [--json] [--prices FILE]
       npm run plan -- --measured http://localhost:8080 [--json] [--prices FILE]
  --connections N           concurrent client connections
  --messages-per-second R   inbound messages per second, all senders together (decimals allowed)
  --size BYTES              payload bytes of each message
  --fanout                  broadcast (every connection), group:N (groups of N members) or user (one user, through REST)
  --measured URL            plan for the traffic the local service at URL has seen (its /api/usage), scaled to a day
  --app-servers N           app servers of a default-mode SignalR app (with --hubs): N × H × 5 server connections count toward SignalR Service's connections
  --hubs H                  hubs each of those app servers serves (default 1 with --app-servers)
  --prices FILE             JSON overriding the built-in prices and per-unit figures (same shape, only what you change)
  --json                    print the plan as JSON`;

/** App servers of a default-mode SignalR app and the hubs each serves: each opens 5 server connections per hub. */
export interface AppServers {
  appServers: number;
  hubs: number;
}

export type PlanRequest =
  | { kind: "described"; workload: DescribedWorkload; json: boolean; pricesFile: string | undefined; servers: AppServers }
  | { kind: "measured"; serviceUrl: string; json: boolean; pricesFile: string | undefined; servers: AppServers }
  | { kind: "help" };

function decimal(flag: string, value: string | undefined): number {
  if (value === undefined) throw new WorkloadError(`--${flag} is required (or use --measured URL)`);
  if (!/^\d+(\.\d+)?$/.test(value)) throw new WorkloadError(`--${flag} must be a non-negative number, got "${value}"`);
  return Number(value);
}

function whole(flag: string, value: string | undefined): number {
  const parsed = decimal(flag, value);
  if (!Number.isInteger(parsed)) throw new WorkloadError(`--${flag} must be a whole number, got "${value}"`);
  return parsed;
}

/** The flags of `npm run plan`, in one table: the parser uses it and the docs' flag table is checked against it. */
export const planCliOptions = {
  connections: { type: "string" },
  "messages-per-second": { type: "string" },
  size: { type: "string" },
  fanout: { type: "string" },
  measured: { type: "string" },
  "app-servers": { type: "string" },
  hubs: { type: "string" },
  prices: { type: "string" },
  json: { type: "boolean", default: false },
  help: { type: "boolean", default: false },
} as const;

/** Throws `WorkloadError` (or parseArgs' TypeError for an unknown flag) with a one-line reason. */
export function parsePlanArgs(args: readonly string[]): PlanRequest {
  const { values } = parseArgs({
    args: [...args],
    options: planCliOptions,
    strict: true,
  });
  if (values.help) return { kind: "help" };
  if (values.hubs !== undefined && values["app-servers"] === undefined) throw new WorkloadError("--hubs counts the hubs of --app-servers N; give both");
  const servers: AppServers = {
    appServers: values["app-servers"] === undefined ? 0 : whole("app-servers", values["app-servers"]),
    hubs: values.hubs === undefined ? 1 : whole("hubs", values.hubs),
  };
  const common = { json: values.json, pricesFile: values.prices, servers };
  if (values.measured !== undefined) {
    const described = ["connections", "messages-per-second", "size", "fanout"].filter((flag) => values[flag as keyof typeof values] !== undefined);
    if (described.length > 0) throw new WorkloadError(`--measured plans the service's own traffic; drop --${described.join(", --")}`);
    let url: URL;
    try {
      url = new URL(values.measured);
    } catch {
      throw new WorkloadError(`--measured must be the local service's URL, e.g. http://localhost:8080, got "${values.measured}"`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new WorkloadError(`--measured must be an http(s) URL, got "${values.measured}"`);
    return { kind: "measured", serviceUrl: url.origin, ...common };
  }
  return {
    kind: "described",
    workload: {
      kind: "described",
      connections: whole("connections", values.connections),
      messagesPerSecond: decimal("messages-per-second", values["messages-per-second"]),
      sizeBytes: whole("size", values.size),
      fanout: parseFanout(values.fanout ?? "broadcast"),
    },
    ...common,
  };
}

import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { splitHubKey } from "../cluster/hub-namespace";

/** Plain per-hub tallies; turned into Prometheus samples only when scraped. */
interface HubTally {
  connections: number;
  opened: number;
  inbound: Record<"client" | "rest", { messages: number; bytes: number }>;
  outbound: Record<"client" | "upstream", { messages: number; bytes: number; units: number }>;
  refusals: Record<"connection" | "message", number>;
}

function emptyTally(): HubTally {
  return {
    connections: 0,
    opened: 0,
    inbound: { client: { messages: 0, bytes: 0 }, rest: { messages: 0, bytes: 0 } },
    outbound: { client: { messages: 0, bytes: 0, units: 0 }, upstream: { messages: 0, bytes: 0, units: 0 } },
    refusals: { connection: 0, message: 0 },
  };
}

/**
 * The service's Prometheus metrics, on a registry of their own so several servers in one
 * process (tests, in-process clusters) never share or clash. Traffic is counted once per
 * recipient, so it goes into plain per-hub numbers and becomes labelled samples at scrape time
 * (prom-client's label hashing on every delivery cost more than the delivery's own bookkeeping).
 * Every per-hub sample carries `face` (webpubsub or signalr: which protocol carried the traffic)
 * and `hub`, the hub's public name within that face.
 */
export class PrometheusMetrics {
  readonly registry = new Registry();
  private readonly tallies = new Map<string, HubTally>();

  constructor() {
    const tallies = this.tallies;
    const registers = [this.registry];
    const perHub = <K extends string>(
      config: { name: string; help: string; labelNames: readonly K[] },
      samples: (tally: HubTally) => Array<[Partial<Record<K, string>>, number]>,
    ) =>
      new Counter({
        ...config,
        labelNames: ["face", "hub", ...config.labelNames],
        registers,
        collect() {
          this.reset();
          for (const [key, tally] of tallies) for (const [labels, value] of samples(tally)) this.inc({ ...splitHubKey(key), ...labels } as never, value);
        },
      });

    new Gauge({
      name: "webpubsub_connections",
      help: "Open client connections.",
      labelNames: ["face", "hub"],
      registers,
      collect() {
        this.reset();
        for (const [key, tally] of tallies) this.set(splitHubKey(key), tally.connections);
      },
    });
    perHub({ name: "webpubsub_connections_opened_total", help: "Client connections opened.", labelNames: [] }, (t) => [[{}, t.opened]]);
    const sources = ["client", "rest"] as const;
    const targets = ["client", "upstream"] as const;
    perHub({ name: "webpubsub_inbound_messages_total", help: "Inbound messages (free): client frames and REST sends.", labelNames: ["source"] }, (t) =>
      sources.map((source) => [{ source }, t.inbound[source].messages]),
    );
    perHub({ name: "webpubsub_inbound_bytes_total", help: "Inbound payload bytes.", labelNames: ["source"] }, (t) =>
      sources.map((source) => [{ source }, t.inbound[source].bytes]),
    );
    perHub(
      { name: "webpubsub_outbound_messages_total", help: "Outbound messages (billed): one per recipient client or upstream request.", labelNames: ["target"] },
      (t) => targets.map((target) => [{ target }, t.outbound[target].messages]),
    );
    perHub({ name: "webpubsub_outbound_bytes_total", help: "Outbound payload bytes.", labelNames: ["target"] }, (t) =>
      targets.map((target) => [{ target }, t.outbound[target].bytes]),
    );
    perHub(
      { name: "webpubsub_outbound_billed_units_total", help: "Billed units: ceil(bytes / 2048), at least 1, per outbound message.", labelNames: ["target"] },
      (t) => targets.map((target) => [{ target }, t.outbound[target].units]),
    );
    perHub({ name: "webpubsub_quota_refusals_total", help: "Connections and messages refused by the simulated tier.", labelNames: ["kind"] }, (t) =>
      (["connection", "message"] as const).map((kind) => [{ kind }, t.refusals[kind]]),
    );
  }

  readonly upstreamLatency = new Histogram({
    name: "webpubsub_upstream_latency_seconds",
    help: "Time for the upstream event handler to answer an event.",
    labelNames: ["event"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly restLatency = new Histogram({
    name: "webpubsub_rest_latency_seconds",
    help: "Time to answer a REST data-plane request.",
    labelNames: ["operation"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });
  readonly backplaneErrors = new Counter({ name: "webpubsub_backplane_errors_total", help: "Errors of the backplane link.", registers: [this.registry] });
  readonly connectionsOverLimit = new Counter({
    name: "webpubsub_connections_closed_over_limit_total",
    help: "Connections the service closed because they passed a per-connection limit.",
    labelNames: ["face", "hub", "limit"],
    registers: [this.registry],
  });

  /** The tally of one hub, created on first use; callers add to it directly. */
  hub(name: string): HubTally {
    let tally = this.tallies.get(name);
    if (!tally) {
      tally = emptyTally();
      this.tallies.set(name, tally);
    }
    return tally;
  }

  /** Drops an idle hub's samples (the meter keeps only so many idle hubs). */
  forget(name: string): void {
    this.tallies.delete(name);
  }

  /** Prometheus text exposition of every metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

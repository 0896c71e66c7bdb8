import { Counter, Gauge, Histogram, Registry } from "prom-client";

/**
 * The service's Prometheus metrics, on a registry of their own so several servers in one
 * process (tests, in-process clusters) never share or clash.
 */
export class PrometheusMetrics {
  readonly registry = new Registry();
  readonly connections = new Gauge({ name: "webpubsub_connections", help: "Open client connections.", labelNames: ["hub"], registers: [this.registry] });
  readonly connectionsOpened = new Counter({ name: "webpubsub_connections_opened_total", help: "Client connections opened.", labelNames: ["hub"], registers: [this.registry] });
  readonly inboundMessages = new Counter({ name: "webpubsub_inbound_messages_total", help: "Inbound messages (free): client frames and REST sends.", labelNames: ["hub", "source"], registers: [this.registry] });
  readonly inboundBytes = new Counter({ name: "webpubsub_inbound_bytes_total", help: "Inbound payload bytes.", labelNames: ["hub", "source"], registers: [this.registry] });
  readonly outboundMessages = new Counter({ name: "webpubsub_outbound_messages_total", help: "Outbound messages (billed): one per recipient client or upstream request.", labelNames: ["hub", "target"], registers: [this.registry] });
  readonly outboundBytes = new Counter({ name: "webpubsub_outbound_bytes_total", help: "Outbound payload bytes.", labelNames: ["hub", "target"], registers: [this.registry] });
  readonly billedUnits = new Counter({ name: "webpubsub_outbound_billed_units_total", help: "Billed units: ceil(bytes / 2048), at least 1, per outbound message.", labelNames: ["hub", "target"], registers: [this.registry] });
  readonly quotaRefusals = new Counter({ name: "webpubsub_quota_refusals_total", help: "Connections and messages refused by the simulated tier.", labelNames: ["hub", "kind"], registers: [this.registry] });
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

  /** Prometheus text exposition of every metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

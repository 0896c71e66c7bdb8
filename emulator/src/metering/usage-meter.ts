import { splitHubKey } from "../cluster/hub-namespace";
import { billedUnits } from "../../../common/billing-units";
import { PrometheusMetrics } from "./prometheus-metrics";
import type { QuotaRefusal, ServiceMeter } from "./service-meter";
import { checkConnectionQuota, checkMessageQuota, resolveTierLimits, type TierLimits, type TierQuotaOptions } from "./tier-quota";
import { UsageLedger } from "./usage-ledger";
import type { UsageSnapshot } from "./usage-snapshot";

export interface UsageMeterOptions {
  /** Clock in ms since epoch; days are UTC days of it. @default Date.now */
  now?: () => number;
  /** Simulated tier limits; none when absent. @default undefined (no quota) */
  quota?: TierQuotaOptions;
  /** Days kept in the per-day report. @default 31 */
  retainedDays?: number;
  /**
   * Hubs with no open connection whose own figures are kept (in /api/usage's per-hub lists and
   * /metrics' hub labels). Past it, the hub idle longest is dropped from both; the totals keep its
   * traffic. Keeps a client that invents hub names from growing the meter without bound. @default 100
   */
  maxIdleHubs?: number;
}

/** A `ServiceMeter` that counts in Azure's billing units, serves Prometheus metrics and enforces an optional tier. */
export interface UsageMeter extends ServiceMeter {
  snapshot(): UsageSnapshot;
  readonly metrics: PrometheusMetrics;
  /** The simulated tier's limits, if a quota was configured. */
  readonly limits: TierLimits | undefined;
}

function validate(options: UsageMeterOptions): Readonly<Required<Omit<UsageMeterOptions, "quota">>> & { limits: TierLimits | undefined } {
  const now = options.now ?? Date.now;
  if (typeof now !== "function") throw new TypeError("now must be a function returning ms since epoch");
  const retainedDays = options.retainedDays ?? 31;
  if (!Number.isInteger(retainedDays) || retainedDays < 1) throw new RangeError(`retainedDays must be a positive integer, got ${retainedDays}`);
  const maxIdleHubs = options.maxIdleHubs ?? 100;
  if (!Number.isInteger(maxIdleHubs) || maxIdleHubs < 0) throw new RangeError(`maxIdleHubs must be a non-negative integer, got ${maxIdleHubs}`);
  const limits = options.quota === undefined ? undefined : resolveTierLimits(options.quota);
  return Object.freeze({ now, retainedDays, maxIdleHubs, limits });
}

export function createUsageMeter(options: UsageMeterOptions = {}): UsageMeter {
  const { now, retainedDays, maxIdleHubs, limits } = validate(options);
  const ledger = new UsageLedger(now, retainedDays);
  const metrics = new PrometheusMetrics();
  /** Hubs with no open connection, least recently used first. */
  const idle = new Map<string, true>();
  const touchedIdle = (hub: string): void => {
    idle.delete(hub);
    idle.set(hub, true);
    while (idle.size > maxIdleHubs) {
      const oldest = idle.keys().next().value!;
      idle.delete(oldest);
      metrics.forget(oldest);
      ledger.forgetHub(oldest);
    }
  };

  const refuse = (hub: string, kind: "connection" | "message", refusal: QuotaRefusal | undefined): QuotaRefusal | undefined => {
    if (refusal) {
      const tally = metrics.hub(hub);
      tally.refusals[kind] += 1;
      if (tally.connections === 0) touchedIdle(hub);
    }
    return refusal;
  };

  return {
    metrics,
    limits,
    admitConnection: (hub) => (limits ? refuse(hub, "connection", checkConnectionQuota(limits, ledger.currentConnections())) : undefined),
    admitMessage: (hub) => (limits ? refuse(hub, "message", checkMessageQuota(limits, ledger.billedUnitsToday())) : undefined),
    connectionOpened(hub) {
      ledger.connectionOpened(hub);
      const tally = metrics.hub(hub);
      tally.connections += 1;
      tally.opened += 1;
      idle.delete(hub);
    },
    connectionClosed(hub) {
      ledger.connectionClosed(hub);
      const tally = metrics.hub(hub);
      tally.connections = Math.max(0, tally.connections - 1);
      if (tally.connections === 0) touchedIdle(hub);
    },
    inboundMessage(hub, source, bytes) {
      ledger.inbound(hub, source, bytes);
      const hubTally = metrics.hub(hub);
      const tally = hubTally.inbound[source];
      tally.messages += 1;
      tally.bytes += bytes;
      if (hubTally.connections === 0) touchedIdle(hub);
    },
    outboundMessage(hub, target, bytes) {
      ledger.outbound(hub, target, bytes);
      const hubTally = metrics.hub(hub);
      const tally = hubTally.outbound[target];
      tally.messages += 1;
      tally.bytes += bytes;
      tally.units += billedUnits(bytes);
      if (hubTally.connections === 0) touchedIdle(hub);
    },
    restLatency: (operation, seconds) => metrics.restLatency.observe({ operation }, seconds),
    upstreamLatency: (event, seconds) => metrics.upstreamLatency.observe({ event }, seconds),
    backplaneError: () => metrics.backplaneErrors.inc(),
    connectionOverLimit: (hub, limit) => metrics.connectionsOverLimit.inc({ ...splitHubKey(hub), limit }),
    snapshot: () => ledger.snapshot(),
  };
}

/** True for a meter made by `createUsageMeter` (the server then serves /api/usage and /metrics from it). */
export function isUsageMeter(meter: ServiceMeter): meter is UsageMeter {
  const candidate = meter as Partial<UsageMeter>;
  return typeof candidate.snapshot === "function" && candidate.metrics instanceof PrometheusMetrics;
}

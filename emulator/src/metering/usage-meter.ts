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
  const limits = options.quota === undefined ? undefined : resolveTierLimits(options.quota);
  return Object.freeze({ now, retainedDays, limits });
}

export function createUsageMeter(options: UsageMeterOptions = {}): UsageMeter {
  const { now, retainedDays, limits } = validate(options);
  const ledger = new UsageLedger(now, retainedDays);
  const metrics = new PrometheusMetrics();

  const refuse = (hub: string, kind: "connection" | "message", refusal: QuotaRefusal | undefined): QuotaRefusal | undefined => {
    if (refusal) metrics.hub(hub).refusals[kind] += 1;
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
    },
    connectionClosed(hub) {
      ledger.connectionClosed(hub);
      const tally = metrics.hub(hub);
      tally.connections = Math.max(0, tally.connections - 1);
    },
    inboundMessage(hub, source, bytes) {
      ledger.inbound(hub, source, bytes);
      const tally = metrics.hub(hub).inbound[source];
      tally.messages += 1;
      tally.bytes += bytes;
    },
    outboundMessage(hub, target, bytes) {
      ledger.outbound(hub, target, bytes);
      const tally = metrics.hub(hub).outbound[target];
      tally.messages += 1;
      tally.bytes += bytes;
      tally.units += billedUnits(bytes);
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

import { splitHubKey, type Face } from "../cluster/hub-namespace";
import { trafficUnits } from "../../../common/billing-units";
import type { TierLimits } from "./tier-quota";
import { addCounters, emptyCounters, type UsageCounters, type UsageScope, type UsageSnapshot } from "./usage-snapshot";

/** One hub's (or the total's) usage as `GET /api/usage` reports it: the raw counters plus the figures of each billing rule. */
export interface HubUsageReport extends Omit<UsageCounters, "outbound"> {
  outbound: UsageCounters["outbound"] & {
    /** SignalR's rule: each message counts 1, a message over 2 KB counts ceil(bytes / 2048). Same arithmetic as `billedUnits`. */
    signalrMessages: number;
    /** Web PubSub billing doc read literally: all outbound bytes in 2 KB steps, ceil(bytes / 2048). */
    trafficUnits: number;
  };
}

export interface ScopeReport {
  total: HubUsageReport;
  hubs: Record<string, HubUsageReport>;
}

/** The body of `GET /api/usage`. */
export interface UsageReport {
  rules: Record<"billedUnits" | "signalrMessages" | "trafficUnits", string>;
  startedAt: string;
  takenAt: string;
  /** Service nodes whose counters are summed here. */
  nodes: number;
  tier: { tier: string; units: number; maxConnections: number; maxDailyMessages: number | null } | null;
  sinceStart: ScopeReport;
  /**
   * Since start, summed by the face that carried the traffic (Web PubSub or SignalR). In `hubs`,
   * SignalR hubs are keyed `signalr:<hub>`: the two faces have separate hub namespaces.
   */
  faces: Record<Face, HubUsageReport>;
  /** UTC day of `takenAt`; `perDay[today]` is the running day. */
  today: string;
  perDay: Record<string, ScopeReport>;
}

export const BILLING_RULES: UsageReport["rules"] = Object.freeze({
  billedUnits: "Per outbound message: ceil(bytes / 2048), at least 1. The figure this service bills, meters quotas with and reports; it matches the worked examples of Azure's Web PubSub billing page.",
  signalrMessages: "SignalR rule: each outbound message counts 1; a message over 2 KB counts as ceil(bytes / 2048).",
  trafficUnits: "Azure's Web PubSub billing page read literally: total outbound bytes in 2 KB steps, ceil(totalBytes / 2048). Never more than billedUnits.",
});

function hubReport(counters: UsageCounters): HubUsageReport {
  return {
    connections: { ...counters.connections },
    inbound: { ...counters.inbound },
    outbound: {
      ...counters.outbound,
      signalrMessages: counters.outbound.billedUnits,
      trafficUnits: trafficUnits(counters.outbound.bytes),
    },
  };
}

function scopeReport(scope: UsageScope): ScopeReport {
  const hubs = Object.keys(scope.hubs).sort();
  return { total: hubReport(scope.total), hubs: Object.fromEntries(hubs.map((hub) => [hub, hubReport(scope.hubs[hub])])) };
}

function facesReport(scope: UsageScope): Record<Face, HubUsageReport> {
  const faces: Record<Face, UsageCounters> = { webpubsub: emptyCounters(), signalr: emptyCounters() };
  for (const [key, counters] of Object.entries(scope.hubs)) addCounters(faces[splitHubKey(key).face], counters);
  return { webpubsub: hubReport(faces.webpubsub), signalr: hubReport(faces.signalr) };
}

export function buildUsageReport(snapshot: UsageSnapshot, limits: TierLimits | undefined): UsageReport {
  return {
    rules: BILLING_RULES,
    startedAt: snapshot.startedAt,
    takenAt: snapshot.takenAt,
    nodes: snapshot.nodes,
    tier: limits
      ? { tier: limits.tier, units: limits.units, maxConnections: limits.maxConnections, maxDailyMessages: limits.maxDailyMessages ?? null }
      : null,
    sinceStart: scopeReport(snapshot.sinceStart),
    faces: facesReport(snapshot.sinceStart),
    today: snapshot.takenAt.slice(0, 10),
    perDay: Object.fromEntries(Object.entries(snapshot.days).map(([day, scope]) => [day, scopeReport(scope)])),
  };
}

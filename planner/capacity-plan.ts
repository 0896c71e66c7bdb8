/**
 * The planner's arithmetic: for each service and tier, the units a traffic profile needs, which
 * limit binds first, and what it costs per day and month. Pure: no I/O.
 */
import { SERVICE_IDS, type PriceSheet, type ServiceId, type ServiceSheet, type TierSheet } from "./price-sheet";
import { planWarnings } from "./plan-warnings";
import { SECONDS_PER_DAY, type TrafficProfile } from "./workload";

export type LimitName = "connections" | "outboundThroughput" | "restSendToUser" | "dailyMessages";

/** One limit of one tier at the chosen units. */
export interface LimitUse {
  limit: LimitName;
  /** What the workload asks: connections, 2 KB messages per second, REST sends per second, or billed messages per day. */
  demand: number;
  /** What the chosen units allow. */
  capacity: number;
  /** demand / capacity. */
  utilisation: number;
  /** Units this limit alone needs (before rounding up to a unit step). */
  unitsNeeded: number;
}

export type TierPlan =
  | {
      fits: true;
      sku: string;
      name: string;
      units: number;
      /** The limit the workload fills fastest: the largest demand per unit (the first in `limits` order on a tie). */
      bindingLimit: LimitName;
      limits: LimitUse[];
      includedMessagesPerDay: number;
      extraMessagesPerDay: number;
      costPerDay: number;
      costPerMonth: number;
    }
  | { fits: false; sku: string; name: string; reason: string; bindingLimit: LimitName };

export interface ServicePlan {
  service: ServiceId;
  name: string;
  billedMessagesPerDay: number;
  /** Aggregate reading (Web PubSub's billing doc: all outbound bytes in 2 KB steps); never above `billedMessagesPerDay`. */
  trafficUnitsPerDay: number;
  /** The cheapest tier that fits, or undefined when none does. */
  recommended: (TierPlan & { fits: true }) | undefined;
  tiers: TierPlan[];
  warnings: string[];
}

/** Connections a default-mode SignalR app's servers hold to the service: 5 per app server and hub. */
export interface ServerConnections {
  appServers: number;
  hubs: number;
  perAppServerAndHub: number;
  /** appServers × hubs × 5; counted toward SignalR Service's connections only. 0 in serverless mode. */
  total: number;
}

/** Server connections each app server opens per hub (the SDK's default connection count). */
export const SERVER_CONNECTIONS_PER_HUB = 5;

export interface CapacityPlan {
  profile: TrafficProfile;
  /** Default-mode app servers' connections; serverless mode, which this function app uses, has none. */
  serverConnections: ServerConnections;
  prices: { readOn: string; currency: string; note: string };
  services: ServicePlan[];
}

const LIMIT_TEXT: Record<LimitName, string> = {
  connections: "concurrent connections",
  outboundThroughput: "outbound throughput",
  restSendToUser: "REST send-to-user rate",
  dailyMessages: "daily messages",
};

export function describeLimit(limit: LimitName): string {
  return LIMIT_TEXT[limit];
}

const numberFormat = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });

function roundMoney(value: number): number {
  return Math.round(value * 100) / 100;
}

interface Need {
  limit: LimitName;
  demand: number;
  perUnit: number;
}

function needsOf(profile: TrafficProfile, service: ServiceSheet, tier: TierSheet, serverConnections: number): Need[] {
  const needs: Need[] = [{ limit: "connections", demand: profile.connections + serverConnections, perUnit: tier.connectionsPerUnit }];
  // Sends to users through REST are measured in = out, so their one rate covers the outbound side too.
  if (profile.scenario !== "restSendToUser") {
    needs.push({ limit: "outboundThroughput", demand: profile.billedPerSecond, perUnit: service.outboundPerUnitPerSecond[profile.scenario] });
  }
  if (profile.scenario === "restSendToUser" || profile.restSendsPerSecond > 0) {
    needs.push({ limit: "restSendToUser", demand: profile.restSendsPerSecond, perUnit: service.outboundPerUnitPerSecond.restSendToUser });
  }
  // A tier with no overage price refuses messages past the included ones (Free: 429).
  if (tier.pricePerMillionExtra === null) needs.push({ limit: "dailyMessages", demand: profile.billedMessagesPerDay, perUnit: tier.includedMessagesPerUnitDay });
  return needs;
}

function pastLimitText(need: Need, maxUnits: number, tier: TierSheet): string {
  const capacity = numberFormat.format(need.perUnit * maxUnits);
  const demand = numberFormat.format(need.demand);
  const units = `${numberFormat.format(maxUnits)} unit${maxUnits === 1 ? "" : "s"}`;
  switch (need.limit) {
    case "connections":
      return `${demand} connections is past the ${capacity} of ${tier.name} at ${units} (then 429)`;
    case "dailyMessages":
      return `${demand} messages a day is past the ${capacity} of ${tier.name} (then 429)`;
    case "outboundThroughput":
      return `${demand} messages/s is past the ${capacity}/s of ${tier.name} at ${units}`;
    case "restSendToUser":
      return `${demand} REST sends/s is past the ${capacity}/s of ${tier.name} at ${units}`;
    default: {
      const _never: never = need.limit;
      return _never;
    }
  }
}

function planTier(profile: TrafficProfile, service: ServiceSheet, tier: TierSheet, sheet: PriceSheet, serverConnections: number): TierPlan {
  const needs = needsOf(profile, service, tier, serverConnections);
  const unitsFor = (need: Need): number => (need.demand <= 0 ? 0 : Math.ceil(need.demand / need.perUnit - 1e-9));
  // The limit that binds first is the one the workload fills fastest: the largest demand per unit.
  let binding = needs[0]!;
  for (const need of needs) if (need.demand / need.perUnit > binding.demand / binding.perUnit) binding = need;
  const unitsNeeded = Math.max(1, unitsFor(binding));
  const base = { sku: tier.sku, name: tier.name };

  const ceiling = service.routingCeilingPerSecond[profile.scenario];
  if (ceiling !== undefined && !tier.liftsRoutingCeiling && profile.billedPerSecond > ceiling) {
    return {
      fits: false,
      ...base,
      bindingLimit: "outboundThroughput",
      reason: `${numberFormat.format(profile.billedPerSecond)} messages/s is past the ${numberFormat.format(ceiling)}/s routing ceiling no number of ${tier.name} units lifts`,
    };
  }
  const units = tier.unitSteps.find((step) => step >= unitsNeeded);
  if (units === undefined) {
    const max = tier.unitSteps.at(-1)!;
    const over = needs.filter((need) => unitsFor(need) > max).map((need) => pastLimitText(need, max, tier));
    return { fits: false, ...base, bindingLimit: binding.limit, reason: over.join("; ") };
  }
  const limits = needs.map((need) => {
    const capacity = need.perUnit * units;
    return { limit: need.limit, demand: need.demand, capacity, utilisation: capacity > 0 ? need.demand / capacity : 0, unitsNeeded: unitsFor(need) };
  });
  const includedMessagesPerDay = tier.includedMessagesPerUnitDay * units;
  const extraMessagesPerDay = Math.max(0, profile.billedMessagesPerDay - includedMessagesPerDay);
  const costPerDay = units * tier.pricePerUnitDay + (extraMessagesPerDay / 1_000_000) * (tier.pricePerMillionExtra ?? 0);
  return {
    fits: true,
    ...base,
    units,
    bindingLimit: binding.limit,
    limits,
    includedMessagesPerDay,
    extraMessagesPerDay,
    costPerDay: roundMoney(costPerDay),
    costPerMonth: roundMoney(costPerDay * sheet.daysPerMonth),
  };
}

function planService(profile: TrafficProfile, id: ServiceId, sheet: PriceSheet, servers: ServerConnections): ServicePlan {
  const service = sheet.services[id];
  // Web PubSub has no app-server connections: only SignalR Service counts them.
  const serverConnections = id === "signalr" ? servers.total : 0;
  const tiers = service.tiers.map((tier) => planTier(profile, service, tier, sheet, serverConnections));
  let recommended: (TierPlan & { fits: true }) | undefined;
  for (const tier of tiers) if (tier.fits && (recommended === undefined || tier.costPerDay < recommended.costPerDay)) recommended = tier;
  return {
    service: id,
    name: service.name,
    billedMessagesPerDay: profile.billedMessagesPerDay,
    trafficUnitsPerDay: profile.trafficUnitsPerDay,
    recommended,
    tiers,
    warnings: planWarnings(profile, tiers, recommended, sheet),
  };
}

/** Plans a traffic profile on both services with a resolved price sheet (and, for SignalR, a default-mode app's servers). */
export function planCapacity(profile: TrafficProfile, sheet: PriceSheet, servers: { appServers: number; hubs: number } = { appServers: 0, hubs: 1 }): CapacityPlan {
  const serverConnections: ServerConnections = {
    appServers: servers.appServers,
    hubs: servers.hubs,
    perAppServerAndHub: SERVER_CONNECTIONS_PER_HUB,
    total: servers.appServers * servers.hubs * SERVER_CONNECTIONS_PER_HUB,
  };
  return {
    profile,
    serverConnections,
    prices: { readOn: sheet.readOn, currency: sheet.currency, note: sheet.note },
    services: SERVICE_IDS.map((id) => planService(profile, id, sheet, serverConnections)),
  };
}

export { SECONDS_PER_DAY };

/**
 * The JSON-serialisable usage counters of one node (the backplane `usage` query answer) and how
 * the counters of several nodes add up to the cluster's. Pure data, no I/O.
 */
import { nameRecord } from "../name-record";

/** Raw counters of one hub (or of all hubs) over one period. Derived figures are computed in `usage-report.ts`. */
export interface UsageCounters {
  connections: {
    /** Open client connections now (for a past day: when that day ended). */
    current: number;
    /** Highest `current` seen in the period. Summed across nodes, it is an upper bound of the cluster's peak. */
    peak: number;
    /** Connections opened in the period. */
    opened: number;
  };
  inbound: { messages: number; bytes: number; fromClients: number; fromRest: number };
  outbound: {
    messages: number;
    bytes: number;
    /** Sum over messages of ceil(bytes / 2048), at least 1 each (see `billing-units.ts`). */
    billedUnits: number;
    toClients: number;
    toUpstream: number;
  };
}

/** Counters per hub plus a total over all hubs, for one period. */
export interface UsageScope {
  total: UsageCounters;
  hubs: Record<string, UsageCounters>;
}

/** What one node reports; `nodes` grows when snapshots are merged. */
export interface UsageSnapshot {
  /** ISO time the oldest node started counting. */
  startedAt: string;
  /** ISO time the snapshot was taken (the latest across nodes once merged). */
  takenAt: string;
  nodes: number;
  sinceStart: UsageScope;
  /** Keyed by UTC date `YYYY-MM-DD`, oldest first. */
  days: Record<string, UsageScope>;
}

export function emptyCounters(): UsageCounters {
  return {
    connections: { current: 0, peak: 0, opened: 0 },
    inbound: { messages: 0, bytes: 0, fromClients: 0, fromRest: 0 },
    outbound: { messages: 0, bytes: 0, billedUnits: 0, toClients: 0, toUpstream: 0 },
  };
}

export function emptyScope(): UsageScope {
  return { total: emptyCounters(), hubs: nameRecord<UsageCounters>() };
}

export function addCounters(into: UsageCounters, from: UsageCounters): void {
  for (const section of ["connections", "inbound", "outbound"] as const) {
    const target = into[section] as unknown as Record<string, number>;
    const source = from[section] as unknown as Record<string, number>;
    for (const key of Object.keys(target)) target[key] += source[key] ?? 0;
  }
}

function addScope(into: UsageScope, from: UsageScope): void {
  addCounters(into.total, from.total);
  for (const [hub, counters] of Object.entries(from.hubs)) {
    into.hubs[hub] ??= emptyCounters();
    addCounters(into.hubs[hub], counters);
  }
}

/** Adds up the snapshots of several nodes into the cluster's. */
export function mergeSnapshots(snapshots: readonly UsageSnapshot[]): UsageSnapshot {
  if (snapshots.length === 0) throw new RangeError("mergeSnapshots needs at least one snapshot");
  const merged: UsageSnapshot = {
    startedAt: snapshots.map((s) => s.startedAt).sort()[0],
    takenAt: snapshots.map((s) => s.takenAt).sort().at(-1) ?? snapshots[0].takenAt,
    nodes: 0,
    sinceStart: emptyScope(),
    days: nameRecord<UsageScope>(),
  };
  for (const snapshot of snapshots) {
    merged.nodes += snapshot.nodes;
    addScope(merged.sinceStart, snapshot.sinceStart);
    for (const [day, scope] of Object.entries(snapshot.days)) {
      merged.days[day] ??= emptyScope();
      addScope(merged.days[day], scope);
    }
  }
  merged.days = Object.fromEntries(Object.entries(merged.days).sort(([a], [b]) => a.localeCompare(b)));
  return merged;
}

function isCounterGroup(value: unknown, keys: readonly string[]): boolean {
  if (typeof value !== "object" || value === null) return false;
  const record = value as Record<string, unknown>;
  return keys.every((key) => typeof record[key] === "number" && Number.isFinite(record[key]));
}

function isCounters(value: unknown): value is UsageCounters {
  if (typeof value !== "object" || value === null) return false;
  const template = emptyCounters();
  const record = value as Record<string, unknown>;
  return (["connections", "inbound", "outbound"] as const).every((section) =>
    isCounterGroup(record[section], Object.keys(template[section])),
  );
}

function isScope(value: unknown): value is UsageScope {
  if (typeof value !== "object" || value === null) return false;
  const { total, hubs } = value as Record<string, unknown>;
  return isCounters(total) && typeof hubs === "object" && hubs !== null && Object.values(hubs).every(isCounters);
}

/** Checks an answer that came from another node (possibly over Redis) before it is added in. */
export function isUsageSnapshot(value: unknown): value is UsageSnapshot {
  if (typeof value !== "object" || value === null) return false;
  const s = value as Record<string, unknown>;
  return (
    typeof s.startedAt === "string" &&
    typeof s.takenAt === "string" &&
    typeof s.nodes === "number" &&
    isScope(s.sinceStart) &&
    typeof s.days === "object" &&
    s.days !== null &&
    Object.values(s.days).every(isScope)
  );
}

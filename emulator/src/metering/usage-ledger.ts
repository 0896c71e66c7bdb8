import { billedUnits } from "../../../common/billing-units";
import { emptyCounters, emptyScope, type UsageCounters, type UsageScope, type UsageSnapshot } from "./usage-snapshot";

/** UTC calendar day of a timestamp, `YYYY-MM-DD`: Azure's daily quotas and billing are per UTC day. */
export function utcDay(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

/**
 * The counters of one node: since start and per UTC day, per hub and in total.
 * Counting only; what is admitted and what is reported live elsewhere.
 */
export class UsageLedger {
  private readonly startedAt: number;
  private readonly sinceStart: UsageScope = emptyScope();
  private readonly days = new Map<string, UsageScope>();
  private today: UsageScope;
  private todayKey: string;
  /** [start, end) of today in ms, so the hot path compares numbers instead of formatting dates. */
  private todayStart = 0;
  private todayEnd = 0;

  constructor(
    private readonly now: () => number,
    /** Days kept for the per-day report; older days are dropped. */
    private readonly retainedDays: number,
  ) {
    this.startedAt = now();
    this.todayKey = utcDay(this.startedAt);
    this.setDayBounds(this.startedAt);
    this.today = emptyScope();
    this.days.set(this.todayKey, this.today);
  }

  connectionOpened(hub: string): void {
    for (const counters of this.touch(hub)) {
      counters.connections.current += 1;
      counters.connections.opened += 1;
      counters.connections.peak = Math.max(counters.connections.peak, counters.connections.current);
    }
  }

  connectionClosed(hub: string): void {
    for (const counters of this.touch(hub)) counters.connections.current = Math.max(0, counters.connections.current - 1);
  }

  inbound(hub: string, source: "client" | "rest", bytes: number): void {
    for (const counters of this.touch(hub)) {
      counters.inbound.messages += 1;
      counters.inbound.bytes += bytes;
      if (source === "client") counters.inbound.fromClients += 1;
      else counters.inbound.fromRest += 1;
    }
  }

  outbound(hub: string, target: "client" | "upstream", bytes: number): void {
    const units = billedUnits(bytes);
    for (const counters of this.touch(hub)) {
      counters.outbound.messages += 1;
      counters.outbound.bytes += bytes;
      counters.outbound.billedUnits += units;
      if (target === "client") counters.outbound.toClients += 1;
      else counters.outbound.toUpstream += 1;
    }
  }

  /** Open connections on this node, all hubs. */
  currentConnections(): number {
    return this.sinceStart.total.connections.current;
  }

  /** Billed units (per-message rule) of today, UTC, all hubs. */
  billedUnitsToday(): number {
    this.rollOver();
    return this.today.total.outbound.billedUnits;
  }

  snapshot(): UsageSnapshot {
    this.rollOver();
    return structuredClone({
      startedAt: new Date(this.startedAt).toISOString(),
      takenAt: new Date(this.now()).toISOString(),
      nodes: 1,
      sinceStart: this.sinceStart,
      days: Object.fromEntries(this.days),
    });
  }

  /** Drops a hub's own figures, since start and per day; the totals keep its traffic. */
  forgetHub(hub: string): void {
    delete this.sinceStart.hubs[hub];
    for (const day of this.days.values()) delete day.hubs[hub];
  }

  /** The four counter sets an event of `hub` updates: since start and today, hub and total. */
  private touch(hub: string): UsageCounters[] {
    this.rollOver();
    this.sinceStart.hubs[hub] ??= emptyCounters();
    this.today.hubs[hub] ??= carryOver(this.sinceStart.hubs[hub]);
    return [this.sinceStart.total, this.sinceStart.hubs[hub], this.today.total, this.today.hubs[hub]];
  }

  /** Starts a new day when the clock crossed UTC midnight; open connections carry over as its starting point. */
  private rollOver(): void {
    const now = this.now();
    if (now >= this.todayStart && now < this.todayEnd) return;
    this.setDayBounds(now);
    const key = utcDay(now);
    if (key === this.todayKey) return;
    const next = emptyScope();
    next.total = carryOver(this.sinceStart.total);
    for (const [hub, counters] of Object.entries(this.sinceStart.hubs)) {
      if (counters.connections.current > 0) next.hubs[hub] = carryOver(counters);
    }
    this.todayKey = key;
    this.today = next;
    this.days.set(key, next);
    while (this.days.size > this.retainedDays) {
      const oldest = this.days.keys().next().value;
      if (oldest === undefined) break;
      this.days.delete(oldest);
    }
  }

  private setDayBounds(epochMs: number): void {
    this.todayStart = epochMs - (((epochMs % DAY_MS) + DAY_MS) % DAY_MS);
    this.todayEnd = this.todayStart + DAY_MS;
  }
}

const DAY_MS = 86_400_000;

function carryOver(source: UsageCounters): UsageCounters {
  const counters = emptyCounters();
  counters.connections.current = source.connections.current;
  counters.connections.peak = source.connections.current;
  return counters;
}

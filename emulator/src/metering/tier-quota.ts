import type { QuotaRefusal } from "./service-meter";

export type TierName = "free" | "standard";

/** Opt-in simulation of a Web PubSub tier's limits (`--tier free|standard --units N`). */
export interface TierQuotaOptions {
  tier: TierName;
  /**
   * Units of the simulated instance: 1 on free; 1–100 on standard (Azure's limits include).
   * @default 1
   */
  units?: number;
  /**
   * Overrides the concurrent connection limit, to test an app at its limit without opening
   * thousands of sockets. @default 20 per unit (free), 1,000 per unit (standard)
   */
  maxConnections?: number;
  /**
   * Overrides the daily message limit, in billed units (per-message rule), per UTC day.
   * @default 20,000 on free; none on standard (extra messages are billed, not refused)
   */
  maxDailyMessages?: number;
}

/** The limits a tier resolves to; `undefined` means unlimited. */
export interface TierLimits {
  readonly tier: TierName;
  readonly units: number;
  readonly maxConnections: number;
  readonly maxDailyMessages: number | undefined;
}

const CONNECTIONS_PER_UNIT: Record<TierName, number> = { free: 20, standard: 1000 };
const MAX_UNITS: Record<TierName, number> = { free: 1, standard: 100 };
const FREE_DAILY_MESSAGES = 20_000;

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

/** Validates the options and resolves them to frozen limits. */
export function resolveTierLimits(options: TierQuotaOptions): TierLimits {
  const { tier } = options;
  if (tier !== "free" && tier !== "standard") throw new RangeError(`tier must be "free" or "standard", got ${JSON.stringify(tier)}`);
  const units = positiveInteger("units", options.units ?? 1);
  if (units > MAX_UNITS[tier]) throw new RangeError(`the ${tier} tier allows at most ${MAX_UNITS[tier]} unit(s), got ${units}`);
  const maxConnections = positiveInteger("maxConnections", options.maxConnections ?? CONNECTIONS_PER_UNIT[tier] * units);
  const dailyDefault = tier === "free" ? FREE_DAILY_MESSAGES : undefined;
  const maxDailyMessages =
    options.maxDailyMessages === undefined ? dailyDefault : positiveInteger("maxDailyMessages", options.maxDailyMessages);
  return Object.freeze({ tier, units, maxConnections, maxDailyMessages });
}

/** A new connection when `current` are open: refused with 429 once the tier's limit is reached. */
export function checkConnectionQuota(limits: TierLimits, current: number): QuotaRefusal | undefined {
  if (current < limits.maxConnections) return undefined;
  return {
    status: 429,
    code: "ConnectionQuotaExceeded",
    message: `Connection limit reached: the simulated ${limits.tier} tier with ${limits.units} unit(s) allows ${limits.maxConnections} concurrent connections.`,
  };
}

/** An inbound message when `billedToday` units went out today: refused with 429 once the daily limit is used up. */
export function checkMessageQuota(limits: TierLimits, billedToday: number): QuotaRefusal | undefined {
  if (limits.maxDailyMessages === undefined || billedToday < limits.maxDailyMessages) return undefined;
  return {
    status: 429,
    code: "MessageQuotaExceeded",
    message: `Daily message limit reached: the simulated ${limits.tier} tier allows ${limits.maxDailyMessages} messages (2 KB units) per UTC day.`,
  };
}

/**
 * The planner's price sheet: prices and per-unit figures of Azure Web PubSub and Azure SignalR
 * Service, with their sources and the date they were read (`service-prices.json`), optionally
 * overridden by a user's file of the same shape. Pure: validation and merging, no file access.
 */
import defaultSheet from "./service-prices.json";

export type ServiceId = "webpubsub" | "signalr";
export const SERVICE_IDS: readonly ServiceId[] = ["webpubsub", "signalr"];

/** Scenarios of the services' performance guides, each with its own outbound rate per unit. */
export type ThroughputScenario = "broadcast" | "bigGroup" | "smallGroup" | "restSendToUser";
export const THROUGHPUT_SCENARIOS: readonly ThroughputScenario[] = ["broadcast", "bigGroup", "smallGroup", "restSendToUser"];

export interface TierSheet {
  /** ARM SKU name, e.g. `Standard_S1`; overrides match tiers by it. */
  sku: string;
  name: string;
  pricePerUnitDay: number;
  connectionsPerUnit: number;
  /** Messages per unit per day included in the unit price (on Free: the hard daily limit). */
  includedMessagesPerUnitDay: number;
  /** Price of each million messages past the included ones; null: none may be sent (Free answers 429). */
  pricePerMillionExtra: number | null;
  /** Unit counts an instance of this tier can have, ascending. */
  unitSteps: number[];
  /** Whether this tier lifts the routing ceilings (`routingCeilingPerSecond`). */
  liftsRoutingCeiling: boolean;
  note?: string;
}

export interface ServiceSheet {
  name: string;
  sources: string[];
  tiers: TierSheet[];
  /** Outbound messages (2 KB each) per second one unit delivers with 99% under 1 s; for REST send-to-user, in = out. */
  outboundPerUnitPerSecond: Record<ThroughputScenario, number>;
  /** Outbound messages per second no number of units exceeds below a tier that lifts the ceiling. */
  routingCeilingPerSecond: Partial<Record<ThroughputScenario, number>>;
}

export interface PriceSheet {
  readOn: string;
  currency: string;
  note: string;
  /** 730 hours / 24, as Azure's monthly estimates use. */
  daysPerMonth: number;
  /** Warn when a workload uses more than this share of a limit. */
  nearLimitRatio: number;
  billingStepBytes: number;
  /** Groups up to this many members count as the guides' "small groups" (routing-bound). */
  smallGroupMaxMembers: number;
  services: Record<ServiceId, ServiceSheet>;
}

/** A price sheet or override that does not hold together; the message names the field. */
export class PriceSheetError extends Error {
  override readonly name = "PriceSheetError";
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function number(path: string, value: unknown, { min = 0, integer = false } = {}): void {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    throw new PriceSheetError(`${path} must be ${integer ? "an integer" : "a number"} >= ${min}, got ${JSON.stringify(value)}`);
  }
}

function text(path: string, value: unknown): void {
  if (typeof value !== "string" || value.length === 0) throw new PriceSheetError(`${path} must be a non-empty string, got ${JSON.stringify(value)}`);
}

function validateTier(path: string, tier: unknown): void {
  if (!isObject(tier)) throw new PriceSheetError(`${path} must be an object`);
  text(`${path}.sku`, tier.sku);
  text(`${path}.name`, tier.name);
  number(`${path}.pricePerUnitDay`, tier.pricePerUnitDay);
  number(`${path}.connectionsPerUnit`, tier.connectionsPerUnit, { min: 1, integer: true });
  number(`${path}.includedMessagesPerUnitDay`, tier.includedMessagesPerUnitDay, { integer: true });
  if (tier.pricePerMillionExtra !== null) number(`${path}.pricePerMillionExtra`, tier.pricePerMillionExtra);
  const steps = tier.unitSteps;
  if (!Array.isArray(steps) || steps.length === 0) throw new PriceSheetError(`${path}.unitSteps must be a non-empty array`);
  steps.forEach((step, i) => number(`${path}.unitSteps[${i}]`, step, { min: 1, integer: true }));
  if (steps.some((step, i) => i > 0 && (step as number) <= (steps[i - 1] as number))) throw new PriceSheetError(`${path}.unitSteps must be ascending`);
  if (typeof tier.liftsRoutingCeiling !== "boolean") throw new PriceSheetError(`${path}.liftsRoutingCeiling must be true or false`);
}

function validateService(path: string, service: unknown): void {
  if (!isObject(service)) throw new PriceSheetError(`${path} must be an object`);
  text(`${path}.name`, service.name);
  if (!Array.isArray(service.sources) || service.sources.length === 0) throw new PriceSheetError(`${path}.sources must name at least one source`);
  service.sources.forEach((source, i) => text(`${path}.sources[${i}]`, source));
  if (!Array.isArray(service.tiers) || service.tiers.length === 0) throw new PriceSheetError(`${path}.tiers must hold at least one tier`);
  service.tiers.forEach((tier, i) => validateTier(`${path}.tiers[${i}]`, tier));
  const rates = service.outboundPerUnitPerSecond;
  if (!isObject(rates)) throw new PriceSheetError(`${path}.outboundPerUnitPerSecond must be an object`);
  for (const scenario of THROUGHPUT_SCENARIOS) number(`${path}.outboundPerUnitPerSecond.${scenario}`, rates[scenario], { min: 1 });
  const ceilings = service.routingCeilingPerSecond;
  if (!isObject(ceilings)) throw new PriceSheetError(`${path}.routingCeilingPerSecond must be an object`);
  for (const [scenario, ceiling] of Object.entries(ceilings)) {
    if (!THROUGHPUT_SCENARIOS.includes(scenario as ThroughputScenario)) throw new PriceSheetError(`${path}.routingCeilingPerSecond.${scenario} is not a known scenario`);
    number(`${path}.routingCeilingPerSecond.${scenario}`, ceiling, { min: 1 });
  }
}

/** Checks a whole sheet; throws `PriceSheetError` naming the first bad field. */
export function validatePriceSheet(sheet: unknown): PriceSheet {
  if (!isObject(sheet)) throw new PriceSheetError("the price sheet must be a JSON object");
  text("readOn", sheet.readOn);
  text("currency", sheet.currency);
  number("daysPerMonth", sheet.daysPerMonth, { min: 1 });
  number("nearLimitRatio", sheet.nearLimitRatio);
  if ((sheet.nearLimitRatio as number) > 1) throw new PriceSheetError(`nearLimitRatio must be at most 1, got ${String(sheet.nearLimitRatio)}`);
  number("billingStepBytes", sheet.billingStepBytes, { min: 1, integer: true });
  number("smallGroupMaxMembers", sheet.smallGroupMaxMembers, { min: 1, integer: true });
  if (!isObject(sheet.services)) throw new PriceSheetError("services must be an object");
  for (const id of SERVICE_IDS) validateService(`services.${id}`, sheet.services[id]);
  return sheet as unknown as PriceSheet;
}

/** Objects merge key by key; arrays replace, except `tiers`, whose entries merge by `sku` (a new sku is added). */
function merge(base: unknown, override: unknown, path: string): unknown {
  if (override === undefined) return base;
  if (path.endsWith(".tiers") && Array.isArray(base) && Array.isArray(override)) {
    const tiers = base.map((tier) => ({ ...(tier as Json) }));
    override.forEach((entry, i) => {
      if (!isObject(entry) || typeof entry.sku !== "string") throw new PriceSheetError(`${path}[${i}] must be an object with a sku`);
      const at = tiers.findIndex((tier) => tier.sku === entry.sku);
      if (at === -1) tiers.push(entry);
      else tiers[at] = merge(tiers[at], entry, `${path}[${i}]`) as Json;
    });
    return tiers;
  }
  if (isObject(base) && isObject(override)) {
    const merged: Json = { ...base };
    for (const [key, value] of Object.entries(override)) merged[key] = merge(base[key], value, path ? `${path}.${key}` : key);
    return merged;
  }
  return override;
}

/** The built-in sheet, optionally overridden by a user's (parsed JSON) sheet; validated and frozen. */
export function resolvePriceSheet(override?: unknown): PriceSheet {
  if (override !== undefined && !isObject(override)) throw new PriceSheetError("the override must be a JSON object");
  const merged = merge(structuredClone(defaultSheet), override, "");
  return deepFreeze(validatePriceSheet(merged));
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

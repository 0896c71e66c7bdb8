/**
 * Warnings for a planned workload: near a limit (past the sheet's `nearLimitRatio`, 70% by
 * default, the load the performance guides keep latency low under), messages just past a 2 KB
 * step, and the Free tier's hard limits. Pure.
 */
import type { LimitName, TierPlan } from "./capacity-plan";
import type { PriceSheet } from "./price-sheet";
import type { TrafficProfile } from "./workload";

const numberFormat = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });

const NEAR_TEXT: Record<LimitName, string> = {
  connections: "of the connections",
  outboundThroughput: "of the outbound throughput",
  restSendToUser: "of the REST send-to-user rate",
  dailyMessages: "of the daily messages",
};

/** Bytes past the last 2 KB step that count as "just over": a tenth of a step. */
export function justOverStep(bytes: number, stepBytes: number): number | undefined {
  if (bytes <= stepBytes) return undefined;
  const over = bytes % stepBytes;
  return over > 0 && over <= stepBytes / 10 ? over : undefined;
}

export function planWarnings(
  profile: TrafficProfile,
  tiers: readonly TierPlan[],
  recommended: (TierPlan & { fits: true }) | undefined,
  sheet: PriceSheet,
): string[] {
  const warnings: string[] = [];
  const step = sheet.billingStepBytes;
  if (profile.messageBytes !== undefined) {
    const over = justOverStep(profile.messageBytes, step);
    if (over !== undefined) {
      const units = Math.ceil(profile.messageBytes / step);
      warnings.push(
        `${numberFormat.format(profile.messageBytes)}-byte messages are ${over} byte(s) past a 2 KB step: each costs ${units} messages; ` +
          `${over} byte(s) less would cost ${units - 1} (${numberFormat.format(((1 / units) * 100))}% less).`,
      );
    }
  }
  if (recommended) {
    for (const use of recommended.limits) {
      if (use.utilisation > sheet.nearLimitRatio) {
        warnings.push(
          `${recommended.name} × ${recommended.units}: the workload uses ${numberFormat.format(use.utilisation * 100)}% ${NEAR_TEXT[use.limit]} ` +
            `(over ${numberFormat.format(sheet.nearLimitRatio * 100)}%); plan for the next unit step.`,
        );
      }
    }
  } else {
    warnings.push("No tier fits this workload; see each tier's reason.");
  }
  const free = tiers.find((tier) => tier.sku.startsWith("Free"));
  if (free && !free.fits) warnings.push(`Free tier: ${free.reason}.`);
  return warnings;
}

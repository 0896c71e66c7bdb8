/** The plan for the traffic a usage report shows, with the one sentence the web page prints. Pure. */
import type { UsageReport } from "@serverless-pubsub-kit/emulator";
import { planCapacity, type CapacityPlan } from "./capacity-plan";
import { planSentence } from "./plan-text";
import type { PriceSheet } from "./price-sheet";
import { trafficProfile } from "./workload";

/** The plan for measured traffic, as `npm run plan -- --measured URL --json` and the web page give it. */
export interface MeasuredPlan extends CapacityPlan {
  /** "At this rate for a day: N billed messages; …, about $X/day" */
  sentence: string;
}

export function measuredPlan(usage: UsageReport, sheet: PriceSheet): MeasuredPlan {
  const plan = planCapacity(trafficProfile({ kind: "measured", usage }, sheet), sheet);
  return { ...plan, sentence: planSentence(plan) };
}

/** The plan for the traffic a usage report shows, with the one sentence the web page prints. Pure. */
import type { UsageReport } from "../metering/usage-report";
import { planCapacity, type CapacityPlan } from "./capacity-plan";
import { planSentence } from "./plan-text";
import type { PriceSheet } from "./price-sheet";
import { trafficProfile } from "./workload";

/** The body of `GET /api/usage/plan`. */
export interface MeasuredPlan extends CapacityPlan {
  /** "At this rate for a day: N billed messages; …, about $X/day" */
  sentence: string;
}

export function measuredPlan(usage: UsageReport, sheet: PriceSheet): MeasuredPlan {
  const plan = planCapacity(trafficProfile({ kind: "measured", usage }, sheet), sheet);
  return { ...plan, sentence: planSentence(plan) };
}

/**
 * The planner's line beside the usage panel: polls the local service's `GET /api/usage` and runs
 * the cost planner on it in the page ("At this rate for a day: N billed messages; … about $X/day").
 * The planner is pure code bundled into the page, so the local service needs no planner of its own.
 * `usageUrl` returning undefined pauses polling (before the service URL is known).
 */
import type { UsageReport } from "@serverless-pubsub-kit/emulator";
import { measuredPlan } from "../../planner/measured-plan";
import { resolvePriceSheet } from "../../planner/price-sheet";
import { startJsonPoll, type JsonPoll } from "./json-poll";

export interface PlanLineOptions {
  usageUrl: () => string | undefined;
  /** Poll period. @default 5000 */
  intervalMs?: number;
}

export type PlanLine = JsonPoll;

function isUsageReport(body: unknown): body is UsageReport {
  const report = body as Partial<UsageReport> | null;
  return typeof report === "object" && report !== null && typeof report.sinceStart === "object" && typeof report.startedAt === "string";
}

export function mountPlanLine(element: HTMLElement, options: PlanLineOptions): PlanLine {
  const prices = resolvePriceSheet();
  return startJsonPoll({
    url: options.usageUrl,
    intervalMs: options.intervalMs ?? 5000,
    onBody: (body) => {
      if (!isUsageReport(body)) throw new Error("no usage in the answer");
      element.textContent = measuredPlan(body, prices).sentence;
    },
    onFailure: (reason) => {
      element.textContent = `Plan unavailable: ${reason}.`;
    },
  });
}

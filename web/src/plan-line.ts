/**
 * The planner's line beside the usage panel: polls the local service's `GET /api/usage/plan` and
 * shows its sentence ("At this rate for a day: N billed messages; … about $X/day").
 * `planUrl` returning undefined pauses polling (before the service URL is known).
 */
import { startJsonPoll, type JsonPoll } from "./json-poll";

export interface PlanLineOptions {
  planUrl: () => string | undefined;
  /** Poll period. @default 5000 */
  intervalMs?: number;
}

export type PlanLine = JsonPoll;

export function mountPlanLine(element: HTMLElement, options: PlanLineOptions): PlanLine {
  return startJsonPoll({
    url: options.planUrl,
    intervalMs: options.intervalMs ?? 5000,
    onBody: (body) => {
      const sentence = (body as { sentence?: unknown }).sentence;
      if (typeof sentence !== "string") throw new Error("no plan in the answer");
      element.textContent = sentence;
    },
    onFailure: (reason) => {
      element.textContent = `Plan unavailable: ${reason}.`;
    },
  });
}

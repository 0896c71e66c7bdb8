/**
 * The planner's line beside the usage panel: polls the local service's `GET /api/usage/plan` and
 * shows its sentence ("At this rate for a day: N billed messages; … about $X/day").
 * `planUrl` returning undefined pauses polling (before the service URL is known).
 */
export interface PlanLineOptions {
  planUrl: () => string | undefined;
  /** Poll period. @default 5000 */
  intervalMs?: number;
}

export interface PlanLine {
  refresh(): Promise<void>;
  stop(): void;
}

export function mountPlanLine(element: HTMLElement, options: PlanLineOptions): PlanLine {
  const intervalMs = options.intervalMs ?? 5000;
  if (!Number.isFinite(intervalMs) || intervalMs < 100) throw new RangeError(`intervalMs must be at least 100, got ${intervalMs}`);
  let stopped = false;
  const refresh = async (): Promise<void> => {
    const url = options.planUrl();
    if (url === undefined || stopped) return;
    try {
      const response = await fetch(url, { headers: { accept: "application/json" } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const body = (await response.json()) as { sentence?: unknown };
      if (typeof body.sentence !== "string") throw new Error("no plan in the answer");
      element.textContent = body.sentence;
    } catch (error) {
      element.textContent = `Plan unavailable: ${error instanceof Error ? error.message : String(error)}.`;
    }
  };
  const timer = setInterval(() => void refresh(), intervalMs);
  void refresh();
  return {
    refresh,
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}

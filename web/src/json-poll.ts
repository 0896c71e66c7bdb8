/**
 * Polls a JSON endpoint of the local service (usage, plan) on a timer; `url` returning undefined
 * skips a round (e.g. before the service URL is known). One poller for every panel of the page.
 */
export interface JsonPoll {
  /** Fetches and hands the body on now. */
  refresh(): Promise<void>;
  stop(): void;
}

export interface JsonPollOptions {
  url: () => string | undefined;
  intervalMs: number;
  /** Called with each parsed body; a throw counts as a failure. */
  onBody(body: unknown): void;
  /** Called with a short reason when the fetch or `onBody` fails. */
  onFailure(reason: string): void;
}

export function startJsonPoll(options: JsonPollOptions): JsonPoll {
  const { intervalMs } = options;
  if (!Number.isFinite(intervalMs) || intervalMs < 100) throw new RangeError(`intervalMs must be at least 100, got ${intervalMs}`);
  let stopped = false;
  const refresh = async (): Promise<void> => {
    const url = options.url();
    if (url === undefined || stopped) return;
    try {
      const response = await fetch(url, { headers: { accept: "application/json" } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      options.onBody(await response.json());
    } catch (error) {
      options.onFailure(error instanceof Error ? error.message : String(error));
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

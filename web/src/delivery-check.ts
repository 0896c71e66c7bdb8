/**
 * The one-click delivery test: N numbered messages sent through a node to the page's own user,
 * counted as they arrive. The tally is pure; the runner takes the sending as a function.
 */
export interface CheckMessage {
  check: string;
  node: number;
  seq: number;
}

export interface NodeTally {
  node: number;
  sent: number;
  delivered: number;
  lost: number;
  /** Median and largest send-to-arrival time of the delivered messages, in ms; null when none arrived. */
  medianMs: number | null;
  maxMs: number | null;
}

/** Most messages one run sends through each node: enough to see loss, small enough to stay polite. */
export const maxCheckMessages = 200;
export const defaultCheckMessages = 20;

/** `{ check, node, seq }` from a received message, or undefined when it is not one of ours. */
export function asCheckMessage(data: unknown, check: string): CheckMessage | undefined {
  const message = data as Partial<CheckMessage> | null;
  if (typeof message !== "object" || message === null || message.check !== check) return undefined;
  if (typeof message.node !== "number" || typeof message.seq !== "number") return undefined;
  return { check: message.check, node: message.node, seq: message.seq };
}

export function tally(node: number, sent: number, latenciesMs: readonly number[]): NodeTally {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  const delivered = sorted.length;
  const middle = Math.floor((delivered - 1) / 2);
  const medianMs = delivered === 0 ? null : delivered % 2 === 1 ? sorted[middle] : (sorted[middle] + sorted[middle + 1]) / 2;
  return { node, sent, delivered, lost: sent - delivered, medianMs, maxMs: delivered === 0 ? null : sorted[delivered - 1] };
}

export interface CheckRun {
  /** Called by the page for every received message; true when it belonged to this run. */
  receive(data: unknown, at: number): boolean;
  /** Sends through every node in turn, waits for stragglers, and resolves with one tally per node. */
  finished: Promise<NodeTally[]>;
}

export interface CheckOptions {
  nodes: readonly number[];
  count: number;
  send(node: number, message: CheckMessage): Promise<void>;
  now(): number;
  /** How long to wait for the last messages once all are sent. @default 2000 */
  graceMs?: number;
}

export function startCheck(options: CheckOptions): CheckRun {
  const check = `check-${Math.random().toString(36).slice(2, 10)}`;
  const sentAt = new Map<string, number>();
  const arrivals = new Map<number, number[]>(options.nodes.map((node) => [node, []]));
  const sentCount = new Map<number, number>(options.nodes.map((node) => [node, 0]));
  let expected = 0;
  let received = 0;
  let wake: (() => void) | undefined;

  const receive = (data: unknown, at: number): boolean => {
    const message = asCheckMessage(data, check);
    if (!message) return false;
    const key = `${message.node}/${message.seq}`;
    const started = sentAt.get(key);
    if (started === undefined) return true; // a repeat: counted once
    sentAt.delete(key);
    arrivals.get(message.node)?.push(at - started);
    received++;
    if (received >= expected) wake?.();
    return true;
  };

  const finished = (async (): Promise<NodeTally[]> => {
    // Send from the next tick, so the caller holds `receive` before the first message can arrive.
    await Promise.resolve();
    for (const node of options.nodes) {
      for (let seq = 1; seq <= options.count; seq++) {
        const message = { check, node, seq };
        sentAt.set(`${node}/${seq}`, options.now());
        try {
          await options.send(node, message);
          sentCount.set(node, (sentCount.get(node) ?? 0) + 1);
          expected++;
        } catch (error) {
          sentAt.delete(`${node}/${seq}`);
          throw error;
        }
      }
    }
    if (received < expected) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.graceMs ?? 2000);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return options.nodes.map((node) => tally(node, sentCount.get(node) ?? 0, arrivals.get(node) ?? []));
  })();
  return { receive, finished };
}

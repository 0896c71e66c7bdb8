/**
 * The delivery test's last result for each kind of backplane, kept in the browser's storage, so
 * that after restarting `npm start` with `--redis` (same ports, same page origin) the loss and the
 * fix show on one screen. Bounded by design: one saved run per backplane kind, two at most.
 */
import type { NodeTally } from "./delivery-check";

export type Backplane = "none" | "redis";

export interface SavedRun {
  backplane: Backplane;
  /** When the run ended (ISO time). */
  at: string;
  /** The node holding the socket during the run, when known. */
  socketNode: number | null;
  tallies: NodeTally[];
}

export type RunHistory = Partial<Record<Backplane, SavedRun>>;

export const historyKey = "serverless-pubsub.delivery-test";

type KeyValueStore = Pick<Storage, "getItem" | "setItem">;

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0;
}

function isMs(value: unknown): value is number | null {
  return value === null || (typeof value === "number" && Number.isFinite(value) && value >= 0);
}

function asTally(value: unknown): NodeTally | undefined {
  const tally = value as Partial<NodeTally> | null;
  if (typeof tally !== "object" || tally === null) return undefined;
  if (!isCount(tally.node) || !isCount(tally.sent) || !isCount(tally.delivered) || !isCount(tally.lost)) return undefined;
  if (!isMs(tally.medianMs) || !isMs(tally.maxMs)) return undefined;
  return { node: tally.node, sent: tally.sent, delivered: tally.delivered, lost: tally.lost, medianMs: tally.medianMs, maxMs: tally.maxMs };
}

function asRun(value: unknown, backplane: Backplane): SavedRun | undefined {
  const run = value as Partial<SavedRun> | null;
  if (typeof run !== "object" || run === null || run.backplane !== backplane || typeof run.at !== "string") return undefined;
  if (run.socketNode !== null && !isCount(run.socketNode)) return undefined;
  if (!Array.isArray(run.tallies) || run.tallies.length === 0 || run.tallies.length > 4) return undefined;
  const tallies = run.tallies.map(asTally);
  if (tallies.some((tally) => tally === undefined)) return undefined;
  return { backplane, at: run.at, socketNode: run.socketNode ?? null, tallies: tallies as NodeTally[] };
}

/** What was saved; anything unreadable (another page's data, an old format) counts as nothing. */
export function loadHistory(store: KeyValueStore): RunHistory {
  let parsed: unknown;
  try {
    parsed = JSON.parse(store.getItem(historyKey) ?? "{}");
  } catch {
    return {};
  }
  const record = (typeof parsed === "object" && parsed !== null ? parsed : {}) as Record<string, unknown>;
  const history: RunHistory = {};
  for (const backplane of ["none", "redis"] as const) {
    const run = asRun(record[backplane], backplane);
    if (run) history[backplane] = run;
  }
  return history;
}

/** Keeps `run` as the latest of its backplane kind; storage failures (private mode, full) are ignored. */
export function saveRun(store: KeyValueStore, run: SavedRun): RunHistory {
  const history = { ...loadHistory(store), [run.backplane]: run };
  try {
    store.setItem(historyKey, JSON.stringify(history));
  } catch {
    // Not saved: the current run still shows.
  }
  return history;
}

export interface ResultRow {
  tally: NodeTally;
  backplane: Backplane;
  /** The run just made on this page (false: one saved earlier, e.g. before a restart). */
  current: boolean;
  at: string;
  socketNode: number | null;
}

/** One row per node and backplane kind, each node's rows together: nothing, then Redis. */
export function resultRows(history: RunHistory, currentRunAt: string | undefined): ResultRow[] {
  const rows: ResultRow[] = [];
  for (const backplane of ["none", "redis"] as const) {
    const run = history[backplane];
    if (!run) continue;
    for (const tally of run.tallies) rows.push({ tally, backplane, current: run.at === currentRunAt, at: run.at, socketNode: run.socketNode });
  }
  return rows.sort((a, b) => a.tally.node - b.tally.node || (a.backplane === b.backplane ? 0 : a.backplane === "none" ? -1 : 1));
}

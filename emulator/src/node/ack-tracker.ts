/**
 * The ackIds a logical connection has processed, so a repeat is answered with `Duplicate`
 * instead of running twice, and the ones still running, so a repeat that arrives meanwhile (the
 * official client resends unacked frames after a reliable recovery) waits for the first outcome
 * instead of running a second time.
 *
 * Processed ids are kept as a sliding window: a bit for each of the `window` ids at or below the
 * highest one recorded (the official client numbers its ackIds upwards from 1). Memory is fixed
 * (`window / 8` bytes: 512 for the default), whatever the connection sends. An id older than the
 * window is no longer known and runs again; resends only ever repeat recent ids.
 */

/** The outcome an in-flight operation settles with, as its ack will say. */
export type AckOutcome = { ok: true } | { ok: false; name: string; message: string };

export class AckTracker {
  private readonly bits: Uint8Array;
  /** Highest id recorded; -Infinity before the first. */
  private high = Number.NEGATIVE_INFINITY;
  private readonly running = new Map<number, Promise<AckOutcome>>();

  constructor(private readonly window = 4096) {
    if (!Number.isInteger(window) || window < 8 || window % 8 !== 0) throw new RangeError(`window must be a positive multiple of 8, got ${window}`);
    this.bits = new Uint8Array(window / 8);
  }

  has(ackId: number): boolean {
    if (ackId > this.high || this.high - ackId >= this.window) return false;
    const slot = this.slot(ackId);
    return (this.bits[slot >> 3]! & (1 << (slot & 7))) !== 0;
  }

  /** Remembers a processed id; false when it was already known. */
  record(ackId: number): boolean {
    if (this.has(ackId)) return false;
    if (ackId > this.high) this.advance(ackId);
    else if (this.high - ackId >= this.window) return true; // older than the window: not kept
    const slot = this.slot(ackId);
    this.bits[slot >> 3]! |= 1 << (slot & 7);
    return true;
  }

  /** The outcome of the operation still running for this id, if any. */
  inFlight(ackId: number): Promise<AckOutcome> | undefined {
    return this.running.get(ackId);
  }

  /**
   * Tracks an operation while it runs; the id is recorded when it succeeds. A repeat that waits on
   * `inFlight` resumes after the caller of `track`, so the first ack is always sent first.
   */
  track(ackId: number, operation: Promise<AckOutcome>): Promise<AckOutcome> {
    const tracked = operation.then((outcome) => {
      if (outcome.ok) this.record(ackId);
      return outcome;
    });
    this.running.set(ackId, tracked);
    const forget = (): void => {
      if (this.running.get(ackId) === tracked) this.running.delete(ackId);
    };
    tracked.then(forget, forget);
    return tracked;
  }

  /** Operations running now (bounded by the frames a connection may have waiting). */
  get runningCount(): number {
    return this.running.size;
  }

  private slot(ackId: number): number {
    return ((ackId % this.window) + this.window) % this.window;
  }

  /** Moves the window up to `ackId`, clearing the slots of the ids that fall out of it. */
  private advance(ackId: number): void {
    if (this.high === Number.NEGATIVE_INFINITY || ackId - this.high >= this.window) {
      this.bits.fill(0);
    } else {
      for (let id = this.high + 1; id <= ackId; id += 1) {
        const slot = this.slot(id);
        this.bits[slot >> 3]! &= ~(1 << (slot & 7));
      }
    }
    this.high = ackId;
  }
}

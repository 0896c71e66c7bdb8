/**
 * The ackIds a logical connection has already processed, so a repeat is answered with
 * `Duplicate` instead of running twice. Bounded: the oldest ids are forgotten first.
 */
export class AckTracker {
  private readonly seen = new Set<number>();

  constructor(private readonly capacity = 10_000) {}

  has(ackId: number): boolean {
    return this.seen.has(ackId);
  }

  /** Remembers a processed id; false when it was already known. */
  record(ackId: number): boolean {
    if (this.seen.has(ackId)) return false;
    this.seen.add(ackId);
    if (this.seen.size > this.capacity) {
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    return true;
  }
}

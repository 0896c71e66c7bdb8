/**
 * The reliable protocol's unacked messages of one connection: sequenceIds
 * start at 1, every data frame is kept until the client acks it, and the connection must be
 * dropped for good once the buffer passes its message or byte limit.
 */
export class ReliableOutbox {
  private nextId = 1;
  private readonly frames: Array<{ sequenceId: number; frame: Buffer }> = [];
  private head = 0;
  private bytes = 0;

  constructor(
    private readonly maxMessages: number,
    private readonly maxBytes: number,
  ) {}

  /** Assigns the next sequenceId. */
  nextSequenceId(): number {
    return this.nextId++;
  }

  /** Keeps the frame; false when the buffer is now over its limits. */
  keep(sequenceId: number, frame: Buffer): boolean {
    this.frames.push({ sequenceId, frame });
    this.bytes += frame.length;
    return this.frames.length - this.head <= this.maxMessages && this.bytes <= this.maxBytes;
  }

  /** The client has every message up to and including `sequenceId`. */
  ack(sequenceId: number): void {
    while (this.head < this.frames.length && this.frames[this.head]!.sequenceId <= sequenceId) {
      this.bytes -= this.frames[this.head]!.frame.length;
      this.head++;
    }
    // Compact now and then instead of shifting on every ack.
    if (this.head > 64 && this.head * 2 > this.frames.length) {
      this.frames.splice(0, this.head);
      this.head = 0;
    }
  }

  /** Unacked frames, oldest first, for replay after recovery. */
  unacked(): Buffer[] {
    return this.frames.slice(this.head).map((entry) => entry.frame);
  }

  get size(): number {
    return this.frames.length - this.head;
  }
}

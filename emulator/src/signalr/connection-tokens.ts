import type { SignalRClientIdentity } from "./signalr-token";

/** A negotiated connection waiting for its WebSocket. */
export interface PendingConnection {
  hubKey: string;
  hub: string;
  connectionId: string;
  identity: SignalRClientIdentity;
  /** The client asked for stateful reconnect and negotiate offered it. */
  stateful?: boolean;
  expiresAt: number;
}

/**
 * Negotiated connections by their secret, single-use id (`connectionToken`, or the
 * `connectionId` for negotiate version 0). Bounded: entries expire after their lifetime, and
 * `add` refuses when `maxEntries` are waiting.
 */
export class ConnectionTokens {
  private readonly pending = new Map<string, PendingConnection>();

  constructor(
    private readonly now: () => number,
    private readonly lifetimeMs: number,
    private readonly maxEntries: number,
  ) {}

  /** False when the table is full. */
  add(id: string, entry: Omit<PendingConnection, "expiresAt">): boolean {
    this.sweep();
    if (this.pending.size >= this.maxEntries) return false;
    this.pending.set(id, { ...entry, expiresAt: this.now() + this.lifetimeMs });
    return true;
  }

  /** Removes and returns the entry; undefined when it is unknown, used or expired. */
  take(id: string): PendingConnection | undefined {
    const entry = this.pending.get(id);
    if (!entry) return undefined;
    this.pending.delete(id);
    return entry.expiresAt > this.now() ? entry : undefined;
  }

  get size(): number {
    return this.pending.size;
  }

  /** Entries are added with one lifetime, so insertion order is expiry order. */
  private sweep(): void {
    const now = this.now();
    for (const [id, entry] of this.pending) {
      if (entry.expiresAt > now) break;
      this.pending.delete(id);
    }
  }
}
